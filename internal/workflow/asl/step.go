package asl

import (
	"fmt"
	"time"
)

// Enter runs a state's input processing and decides what happens next. Pass,
// Choice, Succeed and Fail states complete at once (Goto, Succeeded or
// Failed); Wait returns Wait; Task returns RunTask, Parallel RunBranches and
// Map RunItems, after which the engine calls Complete or Fail.
//
// input is the state's raw input. For a Task whose resource hands out a task
// token, set ctx.Task before calling Enter so that Parameters can read
// $$.Task.Token. Failures of the processing itself (paths, templates, choice
// rules) go through the state's Retry and Catch as Fail describes. The error
// is non-nil only for an unknown state name.
func (m *Machine) Enter(name string, input any, ctx *Context) (Outcome, error) {
	st, ok := m.States[name]
	if !ok {
		return Outcome{}, fmt.Errorf("enter: unknown state %q", name)
	}
	s := &scope{ctx: ctx, name: name}
	out, serr := m.enter(st, s, input, ctx)
	if serr != nil {
		o := m.fail(st, input, serr, ctx)
		o.Events = append(append([]EventType{}, st.enterEvents[:1]...), o.Events...)
		return o, nil
	}
	return out, nil
}

func (m *Machine) enter(st *State, s *scope, input any, ctx *Context) (Outcome, *StateError) {
	if st.Type == TypeFail {
		return failState(st, s, input)
	}
	eff, err := applyInputPath(st.inputPath, s, input)
	if err != nil {
		return Outcome{}, err
	}
	switch st.Type {
	case TypePass:
		if st.parameters != nil {
			if eff, err = st.parameters.eval(s, eff, ErrParameterPathFailure); err != nil {
				return Outcome{}, err
			}
		}
		result := eff
		if st.hasResult {
			result = st.result
		}
		return m.finish(st, s, input, result, st.enterEvents)
	case TypeChoice:
		next := ""
		for _, r := range st.choices {
			ok, err := r.eval(s, eff)
			if err != nil {
				return Outcome{}, err
			}
			if ok {
				next = r.next
				break
			}
		}
		if next == "" {
			if st.Default == "" {
				return Outcome{}, &StateError{Name: ErrNoChoiceMatched, Cause: "no choice rule matched and there is no Default"}
			}
			next = st.Default
		}
		out, err := applyOutputPath(st.outputPath, s, eff)
		if err != nil {
			return Outcome{}, err
		}
		return Outcome{Kind: Goto, Next: next, Output: out, Events: st.enterEvents}, nil
	case TypeSucceed:
		out, err := applyOutputPath(st.outputPath, s, eff)
		if err != nil {
			return Outcome{}, err
		}
		return Outcome{Kind: Succeeded, Output: out, Events: st.enterEvents}, nil
	case TypeWait:
		return waitState(st, s, eff, ctx)
	case TypeTask:
		return taskState(st, s, eff)
	case TypeParallel:
		if st.parameters != nil {
			if eff, err = st.parameters.eval(s, eff, ErrParameterPathFailure); err != nil {
				return Outcome{}, err
			}
		}
		branches := make([]Branch, len(st.Branches))
		for i, b := range st.Branches {
			branches[i] = Branch{Machine: b, Input: eff}
		}
		return Outcome{Kind: RunBranches, Branches: branches, Events: st.enterEvents}, nil
	case TypeMap:
		return mapState(st, s, eff, ctx)
	}
	return Outcome{}, runtimeErr("unknown state type %q", st.Type)
}

// finish applies ResultPath and OutputPath and moves on.
func (m *Machine) finish(st *State, s *scope, rawInput, result any, events []EventType) (Outcome, *StateError) {
	out, err := applyResultPath(st.resultPath, rawInput, result)
	if err != nil {
		return Outcome{}, err
	}
	if out, err = applyOutputPath(st.outputPath, s, out); err != nil {
		return Outcome{}, err
	}
	if st.End {
		return Outcome{Kind: Succeeded, Output: out, Events: events}, nil
	}
	return Outcome{Kind: Goto, Next: st.Next, Output: out, Events: events}, nil
}

// Complete finishes a Task, Parallel or Map state with its result (the task
// output, or the array of branch or item outputs): ResultSelector,
// ResultPath against stateInput (the raw input Enter got), OutputPath, then
// Goto the next state or Succeeded. Failures go through Retry and Catch. The
// error is non-nil only for an unknown state or a state of another type.
func (m *Machine) Complete(name string, stateInput, result any, ctx *Context) (Outcome, error) {
	st, ok := m.States[name]
	if !ok {
		return Outcome{}, fmt.Errorf("complete: unknown state %q", name)
	}
	if st.Type != TypeTask && st.Type != TypeParallel && st.Type != TypeMap {
		return Outcome{}, fmt.Errorf("complete: state %q is a %s state", name, st.Type)
	}
	s := &scope{ctx: ctx, name: name}
	var serr *StateError
	if st.resultSelector != nil {
		result, serr = st.resultSelector.eval(s, result, ErrParameterPathFailure)
	}
	if serr == nil {
		var out Outcome
		if out, serr = m.finish(st, s, stateInput, result, st.exitEvents); serr == nil {
			return out, nil
		}
	}
	return m.fail(st, stateInput, serr, ctx), nil
}

func failState(st *State, s *scope, input any) (Outcome, *StateError) {
	o := Outcome{Kind: Failed, Error: st.failError, Cause: st.failCause, Events: st.enterEvents}
	var err *StateError
	if o.Error, err = failText(s, input, st.errorPath, st.errorCall, st.failError, "ErrorPath"); err != nil {
		return Outcome{}, err
	}
	if o.Cause, err = failText(s, input, st.causePath, st.causeCall, st.failCause, "CausePath"); err != nil {
		return Outcome{}, err
	}
	return o, nil
}

// failText resolves a Fail state's Error or Cause.
func failText(s *scope, input any, p *jsonPath, call *intrinsicCall, static, field string) (string, *StateError) {
	var v any
	switch {
	case p != nil:
		var err error
		if v, err = s.eval(p, input); err != nil {
			return "", runtimeErr("invalid path %s in %s: no results for the path in the state's input", p.raw, field)
		}
	case call != nil:
		var err *StateError
		if v, err = evalIntrinsic(s, call, input, ErrRuntime); err != nil {
			return "", err
		}
	default:
		return static, nil
	}
	str, ok := v.(string)
	if !ok {
		return "", runtimeErr("%s must select a string, got a %s", field, typeName(v))
	}
	return str, nil
}

func waitState(st *State, s *scope, eff any, ctx *Context) (Outcome, *StateError) {
	var now time.Time
	if ctx != nil {
		now = ctx.Now
	}
	var until time.Time
	switch {
	case st.hasWaitSeconds:
		until = now.Add(time.Duration(st.waitSeconds) * time.Second)
	case st.hasWaitTimestamp:
		until = st.waitTimestamp
	case st.waitSecondsPath != nil:
		n, err := positiveInt(s, st.waitSecondsPath, eff, "SecondsPath", 0)
		if err != nil {
			return Outcome{}, err
		}
		until = now.Add(time.Duration(n) * time.Second)
	case st.waitTimestampPath != nil:
		v, err := s.eval(st.waitTimestampPath, eff)
		if err != nil {
			return Outcome{}, runtimeErr("invalid path %s in TimestampPath: no results for the path in the state's input", st.waitTimestampPath.raw)
		}
		str, _ := v.(string)
		t, ok := parseTimestamp(str)
		if !ok {
			return Outcome{}, runtimeErr("TimestampPath %s must select an RFC 3339 timestamp, got %s", st.waitTimestampPath.raw, describe(v))
		}
		until = t
	}
	out, err := applyOutputPath(st.outputPath, s, eff)
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Kind: Wait, Until: until, Next: st.Next, End: st.End, Output: out, Events: st.enterEvents}, nil
}

// positiveInt resolves a ...Path field that must select an integer of at
// least lo.
func positiveInt(s *scope, p *jsonPath, data any, field string, lo int64) (int64, *StateError) {
	v, err := s.eval(p, data)
	if err != nil {
		return 0, runtimeErr("invalid path %s in %s: no results for the path in the state's input", p.raw, field)
	}
	n, ok := asInteger(v)
	if !ok || n < lo || n > maxSeconds {
		return 0, runtimeErr("%s %s must select an integer from %d to %d, got %s", field, p.raw, lo, maxSeconds, describe(v))
	}
	return n, nil
}

func taskState(st *State, s *scope, eff any) (Outcome, *StateError) {
	call := &TaskCall{Resource: st.Resource, TimeoutSeconds: st.timeoutSeconds, HeartbeatSeconds: st.heartbeatSeconds}
	var err *StateError
	if st.timeoutPath != nil {
		if call.TimeoutSeconds, err = positiveInt(s, st.timeoutPath, eff, "TimeoutSecondsPath", 1); err != nil {
			return Outcome{}, err
		}
	}
	if st.heartbPath != nil {
		if call.HeartbeatSeconds, err = positiveInt(s, st.heartbPath, eff, "HeartbeatSecondsPath", 1); err != nil {
			return Outcome{}, err
		}
	}
	if call.TimeoutSeconds > 0 && call.HeartbeatSeconds >= call.TimeoutSeconds {
		return Outcome{}, runtimeErr("HeartbeatSeconds (%d) must be smaller than TimeoutSeconds (%d)", call.HeartbeatSeconds, call.TimeoutSeconds)
	}
	call.Input = eff
	if st.parameters != nil {
		if call.Input, err = st.parameters.eval(s, eff, ErrParameterPathFailure); err != nil {
			return Outcome{}, err
		}
	}
	return Outcome{Kind: RunTask, Task: call, Events: st.enterEvents}, nil
}

func mapState(st *State, s *scope, eff any, ctx *Context) (Outcome, *StateError) {
	items := eff
	if st.itemsPath != nil {
		v, err := s.eval(st.itemsPath, eff)
		if err != nil {
			return Outcome{}, runtimeErr("invalid path %s in ItemsPath: no results for the path in the state's input", st.itemsPath.raw)
		}
		items = v
	}
	arr, ok := items.([]any)
	if !ok {
		return Outcome{}, runtimeErr("the items of a Map state must be an array, got a %s", typeName(items))
	}
	conc := st.maxConcurrency
	if st.maxConcurrencyPath != nil {
		n, err := s.eval(st.maxConcurrencyPath, eff)
		c, ok := asInteger(n)
		if err != nil || !ok || c < 0 || c > 1<<31-1 {
			return Outcome{}, runtimeErr("MaxConcurrencyPath %s must select a non-negative integer", st.maxConcurrencyPath.raw)
		}
		conc = c
	}
	inputs := arr
	if st.itemSelector != nil {
		inputs = make([]any, len(arr))
		var c Context
		if ctx != nil {
			c = *ctx
		}
		for i, item := range arr {
			c.Map = &MapInfo{Item: MapItem{Index: i, Value: item}}
			is := &scope{ctx: &c, name: s.name}
			v, err := st.itemSelector.eval(is, eff, ErrParameterPathFailure)
			if err != nil {
				return Outcome{}, err
			}
			inputs[i] = v
		}
	}
	return Outcome{Kind: RunItems, Items: &Items{Processor: st.Processor, Inputs: inputs, MaxConcurrency: int(conc)},
		Events: st.enterEvents}, nil
}
