package asl

import "time"

// State types.
const (
	TypePass     = "Pass"
	TypeTask     = "Task"
	TypeChoice   = "Choice"
	TypeWait     = "Wait"
	TypeSucceed  = "Succeed"
	TypeFail     = "Fail"
	TypeParallel = "Parallel"
	TypeMap      = "Map"
)

// Machine is a parsed and validated state machine, or one of the nested
// machines of a Parallel state's branches and a Map state's item processor.
// A Machine is immutable and safe for concurrent use.
type Machine struct {
	Comment string
	StartAt string
	// TimeoutSeconds is the top-level machine's maximum run time; 0 when
	// absent.
	TimeoutSeconds int64
	Version        string
	// States maps each state name to its state.
	States map[string]*State
	// Location locates a nested machine in its definition, as in
	// "Fan/Branches[1]" or "Each/ItemProcessor"; empty for the top level.
	Location string
}

// State is one state of a Machine. Its exported fields describe it; the
// interpreter's compiled form of the rest stays inside the package.
type State struct {
	Name    string
	Type    string
	Comment string
	// Next is the state that follows; empty when End is set or for Choice,
	// Succeed and Fail states.
	Next string
	End  bool
	// Resource is a Task state's resource URI.
	Resource string
	// Branches are a Parallel state's branches.
	Branches []*Machine
	// Processor is a Map state's item processor (ItemProcessor or Iterator).
	Processor *Machine
	// Default is a Choice state's default next state.
	Default string

	inputPath, outputPath   pathField
	resultPath              pathField
	parameters              *template
	resultSelector          *template
	itemSelector            *template
	result                  any
	hasResult               bool
	retry                   []*Retrier
	catch                   []*Catcher
	timeoutSeconds          int64
	heartbeatSeconds        int64
	timeoutPath, heartbPath *jsonPath
	choices                 []*choiceRule
	waitSeconds             int64
	hasWaitSeconds          bool
	waitTimestamp           time.Time
	hasWaitTimestamp        bool
	waitSecondsPath         *jsonPath
	waitTimestampPath       *jsonPath
	failError, failCause    string
	errorPath, causePath    *jsonPath
	errorCall, causeCall    *intrinsicCall
	itemsPath               *jsonPath
	maxConcurrency          int64
	maxConcurrencyPath      *jsonPath
	enterEvents, exitEvents []EventType
}

// pathField is an InputPath, OutputPath or ResultPath: absent means "$",
// null means discard.
type pathField struct {
	path *jsonPath // nil means "$"
	null bool
}

// Retrier is one element of a state's Retry field.
type Retrier struct {
	ErrorEquals     []string
	IntervalSeconds int64
	MaxAttempts     int64
	BackoffRate     float64
	MaxDelaySeconds int64 // 0 when absent
	JitterStrategy  string
}

// Catcher is one element of a state's Catch field.
type Catcher struct {
	ErrorEquals []string
	Next        string
	resultPath  pathField
}

// Retry returns the state's Retriers.
func (s *State) Retry() []*Retrier { return s.retry }

// Catch returns the state's Catchers.
func (s *State) Catch() []*Catcher { return s.catch }

// EventType names a history event, as Step Functions names them.
type EventType string

// History events the interpreter asks the engine to record. The engine
// records the others (ExecutionStarted, TaskScheduled, TaskSucceeded,
// WaitStateExited, ...) itself.
const (
	EventPassStateEntered       EventType = "PassStateEntered"
	EventPassStateExited        EventType = "PassStateExited"
	EventTaskStateEntered       EventType = "TaskStateEntered"
	EventTaskStateExited        EventType = "TaskStateExited"
	EventChoiceStateEntered     EventType = "ChoiceStateEntered"
	EventChoiceStateExited      EventType = "ChoiceStateExited"
	EventWaitStateEntered       EventType = "WaitStateEntered"
	EventWaitStateExited        EventType = "WaitStateExited"
	EventSucceedStateEntered    EventType = "SucceedStateEntered"
	EventSucceedStateExited     EventType = "SucceedStateExited"
	EventFailStateEntered       EventType = "FailStateEntered"
	EventParallelStateEntered   EventType = "ParallelStateEntered"
	EventParallelStateStarted   EventType = "ParallelStateStarted"
	EventParallelStateSucceeded EventType = "ParallelStateSucceeded"
	EventParallelStateFailed    EventType = "ParallelStateFailed"
	EventParallelStateExited    EventType = "ParallelStateExited"
	EventMapStateEntered        EventType = "MapStateEntered"
	EventMapStateStarted        EventType = "MapStateStarted"
	EventMapStateSucceeded      EventType = "MapStateSucceeded"
	EventMapStateFailed         EventType = "MapStateFailed"
	EventMapStateExited         EventType = "MapStateExited"
)

// setEvents fills the per-type event lists once, so steps do not allocate
// them.
func (s *State) setEvents() {
	switch s.Type {
	case TypePass:
		s.enterEvents = []EventType{EventPassStateEntered, EventPassStateExited}
	case TypeChoice:
		s.enterEvents = []EventType{EventChoiceStateEntered, EventChoiceStateExited}
	case TypeSucceed:
		s.enterEvents = []EventType{EventSucceedStateEntered, EventSucceedStateExited}
	case TypeFail:
		s.enterEvents = []EventType{EventFailStateEntered}
	case TypeWait:
		s.enterEvents = []EventType{EventWaitStateEntered}
	case TypeTask:
		s.enterEvents = []EventType{EventTaskStateEntered}
		s.exitEvents = []EventType{EventTaskStateExited}
	case TypeParallel:
		s.enterEvents = []EventType{EventParallelStateEntered, EventParallelStateStarted}
		s.exitEvents = []EventType{EventParallelStateSucceeded, EventParallelStateExited}
	case TypeMap:
		s.enterEvents = []EventType{EventMapStateEntered, EventMapStateStarted}
		s.exitEvents = []EventType{EventMapStateSucceeded, EventMapStateExited}
	}
}
