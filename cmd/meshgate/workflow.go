package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store/sqlite"
	"github.com/meshgate/meshgate/internal/workflow"
	"github.com/meshgate/meshgate/internal/workflow/task"
)

// WorkflowCmd manages state machines and runs definitions locally.
type WorkflowCmd struct {
	Create    WorkflowCreateCmd    `cmd:"" help:"Create a state machine from an Amazon States Language definition."`
	Update    WorkflowUpdateCmd    `cmd:"" help:"Save a new version of a state machine; running executions keep theirs."`
	Describe  WorkflowDescribeCmd  `cmd:"" help:"Show a state machine version (default the latest)."`
	List      WorkflowListCmd      `cmd:"" help:"List state machines."`
	Delete    WorkflowDeleteCmd    `cmd:"" help:"Delete a state machine (refused while executions run, unless --force)."`
	Rollback  WorkflowRollbackCmd  `cmd:"" help:"Make an earlier version's definition current again, as a new version."`
	Run       WorkflowRunCmd       `cmd:"" help:"Run a definition to completion in-process on a throwaway store and print the result as JSON."`
	Resources WorkflowResourcesCmd `cmd:"" help:"List the task resources the server offers."`
}

// WorkflowResourcesCmd lists task resources.
type WorkflowResourcesCmd struct{}

// Run lists them.
func (c *WorkflowResourcesCmd) Run(ctx context.Context, g *Globals) error {
	rs, err := g.Client().TaskResources(ctx)
	if err != nil {
		return err
	}
	return g.Print(rs, []string{"RESOURCE"}, func() [][]string {
		rows := make([][]string, len(rs))
		for i, r := range rs {
			rows[i] = []string{r}
		}
		return rows
	})
}

// WorkflowCreateCmd creates a state machine.
type WorkflowCreateCmd struct {
	NameFlag    `embed:"" set:"what=State machine name"`
	Definition  string `required:"" help:"Definition: inline JSON, file://path or - for stdin."`
	Description string `help:"Description."`
}

func printStateMachine(g *Globals, sm *client.StateMachine) error {
	return g.Print(sm, []string{"NAME", "VERSION", "CREATED", "DESCRIPTION"}, func() [][]string {
		return [][]string{{sm.Name, strconv.Itoa(sm.Version), sm.CreatedAt.Format(time.RFC3339), sm.Description}}
	})
}

// Run creates the state machine.
func (c *WorkflowCreateCmd) Run(ctx context.Context, g *Globals) error {
	def, err := readInput(c.Definition)
	if err != nil {
		return err
	}
	sm, err := g.Client().CreateStateMachine(ctx, c.Name, c.Description, def)
	if err != nil {
		return err
	}
	return printStateMachine(g, sm)
}

// WorkflowUpdateCmd saves a new version.
type WorkflowUpdateCmd struct {
	NameFlag    `embed:"" set:"what=State machine name"`
	Definition  string `required:"" help:"Definition: inline JSON, file://path or - for stdin."`
	Description string `help:"Description."`
}

// Run saves the version.
func (c *WorkflowUpdateCmd) Run(ctx context.Context, g *Globals) error {
	def, err := readInput(c.Definition)
	if err != nil {
		return err
	}
	sm, err := g.Client().UpdateStateMachine(ctx, c.Name, c.Description, def)
	if err != nil {
		return err
	}
	return printStateMachine(g, sm)
}

// WorkflowDescribeCmd shows a version.
type WorkflowDescribeCmd struct {
	NameFlag `embed:"" set:"what=State machine name"`
	Version  int `help:"Version (default the latest)."`
}

// Run shows the version with its definition.
func (c *WorkflowDescribeCmd) Run(ctx context.Context, g *Globals) error {
	sm, err := g.Client().StateMachine(ctx, c.Name, c.Version)
	if err != nil {
		return err
	}
	if g.JSON() {
		return g.PrintJSON(sm)
	}
	if err := printStateMachine(g, sm); err != nil {
		return err
	}
	var def any
	json.Unmarshal(sm.Definition, &def)
	return g.PrintJSON(def)
}

// WorkflowListCmd lists state machines.
type WorkflowListCmd struct{}

// Run lists them.
func (c *WorkflowListCmd) Run(ctx context.Context, g *Globals) error {
	sms, err := g.Client().StateMachines(ctx)
	if err != nil {
		return err
	}
	return g.Print(sms, []string{"NAME", "VERSION", "CREATED", "DESCRIPTION"}, func() [][]string {
		var rows [][]string
		for _, sm := range sms {
			rows = append(rows, []string{sm.Name, strconv.Itoa(sm.Version), sm.CreatedAt.Format(time.RFC3339), sm.Description})
		}
		return rows
	})
}

// WorkflowDeleteCmd deletes a state machine.
type WorkflowDeleteCmd struct {
	NameFlag `embed:"" set:"what=State machine name"`
	Force    bool `help:"Abort running executions and delete anyway."`
}

// Run deletes it.
func (c *WorkflowDeleteCmd) Run(ctx context.Context, g *Globals) error {
	return g.Client().DeleteStateMachine(ctx, c.Name, c.Force)
}

// WorkflowRunCmd runs a definition locally.
type WorkflowRunCmd struct {
	Definition string        `required:"" help:"Definition: inline JSON, file://path or - for stdin."`
	Input      string        `help:"Execution input: inline JSON, file://path or -." default:"{}"`
	Timeout    time.Duration `help:"Give up after this long (Wait states really wait)." default:"5m"`
}

// RunResult is what `workflow run` prints.
type RunResult struct {
	Status string          `json:"status"`
	Output json.RawMessage `json:"output,omitempty"`
	Error  string          `json:"error,omitempty"`
	Cause  string          `json:"cause,omitempty"`
}

// Run runs the definition to completion on a temporary SQLite store: HTTP
// tasks are real, other resources are those registered in this binary.
func (c *WorkflowRunCmd) Run(ctx context.Context, g *Globals) error {
	def, err := readInput(c.Definition)
	if err != nil {
		return err
	}
	input, err := readInput(c.Input)
	if err != nil {
		return err
	}
	res, err := RunLocal(ctx, def, input, c.Timeout, g.stderr)
	if err != nil {
		return err
	}
	if err := g.PrintJSON(res); err != nil {
		return err
	}
	if res.Status != mesh.ExecutionSucceeded {
		return fmt.Errorf("the execution ended with status %s", res.Status)
	}
	return nil
}

// RunLocal runs one execution of def in-process and returns its result. A
// callback task (.waitForTaskToken) that only its token could end is an
// error as soon as it starts: nothing outside this process reaches the
// throwaway store to send the token.
func RunLocal(ctx context.Context, def, input []byte, timeout time.Duration, logs io.Writer) (*RunResult, error) {
	dir, err := os.MkdirTemp("", "meshgate-run-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	st, err := sqlite.Open(ctx, filepath.Join(dir, "run.db"), sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	task.RegisterBuiltins()
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	eng := workflow.New(st, workflow.Options{Logger: log, PollInterval: 100 * time.Millisecond})
	if _, err := eng.CreateStateMachine(ctx, workflow.StateMachineInput{Name: "local", Definition: def}); err != nil {
		return nil, err
	}
	x, _, err := eng.StartExecution(ctx, workflow.StartInput{StateMachine: "local", Input: input})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	loops := make(chan struct{}, 2)
	go func() { eng.Dispatcher().Run(ctx); loops <- struct{}{} }()
	go func() { eng.Sender().Run(ctx); loops <- struct{}{} }()
	defer func() { cancel(); <-loops; <-loops }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	late := fmt.Errorf("the execution did not end within %s", timeout)
	w := &tokenWaits{states: map[int]string{}}
	for {
		select {
		case <-ctx.Done():
			return nil, late
		case <-tick.C:
		}
		cur, err := eng.FindExecution(ctx, x.ID)
		if err == nil && !cur.Terminal() {
			err = w.read(ctx, eng, x.ID)
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, late // the store's calls ended with the run's time
			}
			return nil, err
		}
		if cur.Terminal() {
			return &RunResult{Status: cur.Status, Output: cur.Output, Error: cur.Error, Cause: cur.Cause}, nil
		}
	}
}

// tokenWaits reads an execution's history as it grows and finds a callback
// task that waits for its token with no TimeoutSeconds or HeartbeatSeconds
// to end the wait.
type tokenWaits struct {
	last   int
	states map[int]string // event id → the state it belongs to
}

// read reads the events after the last one read; a callback task without a
// time limit is an error that names its state.
func (w *tokenWaits) read(ctx context.Context, eng *workflow.Engine, id string) error {
	evs, err := eng.History(ctx, id, w.last, 0)
	if err != nil {
		return err
	}
	for _, ev := range evs {
		w.last = ev.ID
		var d struct {
			Name      string `json:"name"`
			Resource  string `json:"resource"`
			Timeout   int64  `json:"timeoutInSeconds"`
			Heartbeat int64  `json:"heartbeatInSeconds"`
		}
		json.Unmarshal(ev.Details, &d)
		state := d.Name
		if state == "" {
			state = w.states[ev.PreviousID]
		}
		w.states[ev.ID] = state
		if ev.Type == "TaskScheduled" && strings.HasSuffix(d.Resource, workflow.CallbackSuffix) && d.Timeout == 0 && d.Heartbeat == 0 {
			return fmt.Errorf("state %q waits for its task token (%s), which nothing can send to workflow run's throwaway store: "+
				"run it on a server (workflow create, execution start, task send-success), or give the state TimeoutSeconds", state, d.Resource)
		}
	}
	return nil
}

// WorkflowRollbackCmd rolls a state machine back to an earlier version.
type WorkflowRollbackCmd struct {
	Name    string `arg:"" help:"State machine name."`
	Version int    `required:"" help:"The version whose definition becomes current again."`
}

// Run rolls the state machine back and prints the new version.
func (c *WorkflowRollbackCmd) Run(ctx context.Context, g *Globals) error {
	sm, err := g.Client().RollbackStateMachine(ctx, c.Name, c.Version)
	if err != nil {
		return err
	}
	if g.JSON() {
		return g.PrintJSON(sm)
	}
	return printStateMachine(g, sm)
}
