package asl

import (
	"fmt"
	"math"
	"time"
)

// Retrier defaults and bounds from the specification and Step Functions.
const (
	defaultIntervalSeconds = 1
	defaultMaxAttempts     = 3
	defaultBackoffRate     = 2.0
	maxDelaySecondsLimit   = 31622400 // MaxDelaySeconds must be below 31622401
	// maxRetryDelay caps computed delays at the longest an execution may run.
	maxRetryDelay = 366 * 24 * time.Hour
)

var retrierFields = set("ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate",
	"MaxDelaySeconds", "JitterStrategy", "Comment")

var catcherFields = set("ErrorEquals", "Next", "ResultPath", "Comment")

// elements reads an optional array of objects, calling fn for each.
func elements(d *dec, field string, fn func(e *dec, i int, last bool)) {
	raw, ok := d.obj[field]
	if !ok {
		return
	}
	arr, isArr := raw.([]any)
	if !isArr {
		d.ps.add(d.loc, field, "must be an array, got a %s", typeName(raw))
		return
	}
	for i, e := range arr {
		obj, ok := e.(map[string]any)
		if !ok {
			d.ps.add(d.loc, fmt.Sprintf("%s[%d]", field, i), "must be an object, got a %s", typeName(e))
			continue
		}
		fn(&dec{ps: d.ps, loc: d.loc, obj: obj}, i, i == len(arr)-1)
	}
}

func parseRetry(d *dec) []*Retrier {
	var out []*Retrier
	elements(d, "Retry", func(e *dec, i int, last bool) {
		f := fmt.Sprintf("Retry[%d]", i)
		for _, k := range sortedKeys(e.obj) {
			if !retrierFields[k] {
				d.ps.add(d.loc, f+"."+k, "unknown field")
			}
		}
		r := &Retrier{IntervalSeconds: defaultIntervalSeconds, MaxAttempts: defaultMaxAttempts,
			BackoffRate: defaultBackoffRate, JitterStrategy: "NONE"}
		raw, has := e.obj["ErrorEquals"]
		r.ErrorEquals = checkErrorEquals(d, f+".ErrorEquals", raw, has, last)
		sub := &dec{ps: &problems{}, loc: d.loc, obj: e.obj}
		if n, ok := sub.integer("IntervalSeconds", 1, maxSeconds); ok {
			r.IntervalSeconds = n
		}
		if n, ok := sub.integer("MaxAttempts", 0, maxSeconds); ok {
			r.MaxAttempts = n
		}
		if n, ok := sub.integer("MaxDelaySeconds", 1, maxDelaySecondsLimit); ok {
			r.MaxDelaySeconds = n
		}
		for _, p := range sub.ps.list {
			d.ps.add(d.loc, f+"."+p.Field, "%s", p.Message)
		}
		if v, ok := e.obj["BackoffRate"]; ok {
			if x, isNum := asNumber(v); isNum && x >= 1 {
				r.BackoffRate = x
			} else {
				d.ps.add(d.loc, f+".BackoffRate", "must be a number greater than or equal to 1.0, got %s", describe(v))
			}
		}
		if v, ok := e.obj["JitterStrategy"]; ok {
			if v == "FULL" || v == "NONE" {
				r.JitterStrategy = v.(string)
			} else {
				d.ps.add(d.loc, f+".JitterStrategy", "must be \"FULL\" or \"NONE\", got %s", describe(v))
			}
		}
		out = append(out, r)
	})
	return out
}

func parseCatch(d *dec) []*Catcher {
	var out []*Catcher
	elements(d, "Catch", func(e *dec, i int, last bool) {
		f := fmt.Sprintf("Catch[%d]", i)
		for _, k := range sortedKeys(e.obj) {
			if !catcherFields[k] {
				d.ps.add(d.loc, f+"."+k, "unknown field")
			}
		}
		c := &Catcher{}
		raw, has := e.obj["ErrorEquals"]
		c.ErrorEquals = checkErrorEquals(d, f+".ErrorEquals", raw, has, last)
		sub := &dec{ps: &problems{}, loc: d.loc, obj: e.obj}
		c.Next, _ = sub.str("Next", true)
		c.resultPath = sub.path("ResultPath", true, true)
		for _, p := range sub.ps.list {
			d.ps.add(d.loc, f+"."+p.Field, "%s", p.Message)
		}
		out = append(out, c)
	})
	return out
}

// delay computes the wait before retry number attempt+1 of r.
func (r *Retrier) delay(attempt int, random func() float64) time.Duration {
	secs := float64(r.IntervalSeconds) * math.Pow(r.BackoffRate, float64(attempt))
	if r.MaxDelaySeconds > 0 && secs > float64(r.MaxDelaySeconds) {
		secs = float64(r.MaxDelaySeconds)
	}
	if math.IsInf(secs, 0) || math.IsNaN(secs) || secs > maxRetryDelay.Seconds() {
		secs = maxRetryDelay.Seconds()
	}
	if r.JitterStrategy == "FULL" && random != nil {
		secs *= random()
	}
	return time.Duration(secs * float64(time.Second)).Round(time.Millisecond)
}

// Fail handles an error the state raised (a task failure, a failed branch or
// item, a timeout): it applies the state's Retriers, then its Catchers, and
// otherwise fails the frame (the machine or branch) with the error.
//
// The first Retrier whose ErrorEquals matches decides: while it has attempts
// left the outcome is RetryAfter, after which the engine enters the state
// again with the same input; once it is exhausted the Catchers are consulted.
// A matching Catcher gives Goto with the state input combined, through the
// Catcher's ResultPath, with {"Error": ..., "Cause": ...}.
// States.Runtime and States.DataLimitExceeded are never retried or caught.
func (m *Machine) Fail(name string, stateInput any, err StateError, ctx *Context) Outcome {
	st, ok := m.States[name]
	if !ok {
		return Outcome{Kind: Failed, Error: ErrRuntime, Cause: fmt.Sprintf("unknown state %q", name)}
	}
	return m.fail(st, stateInput, &err, ctx)
}

func (m *Machine) fail(st *State, stateInput any, err *StateError, ctx *Context) Outcome {
	failed := Outcome{Kind: Failed, Error: err.Name, Cause: err.Cause, Events: failEvents(st)}
	if err.Terminal() {
		return failed
	}
	for i, r := range st.retry {
		if !matchesAny(r.ErrorEquals, err.Name) {
			continue
		}
		var attempts []int
		if ctx != nil {
			attempts = ctx.Attempts
		}
		n := 0
		if i < len(attempts) {
			n = attempts[i]
		}
		if int64(n) >= r.MaxAttempts {
			break
		}
		next := make([]int, len(st.retry))
		copy(next, attempts)
		next[i] = n + 1
		var random func() float64
		retryCount := 0
		if ctx != nil {
			retryCount = ctx.State.RetryCount
			if ctx.Rand != nil {
				random = ctx.Rand.Float64
			}
		}
		return Outcome{Kind: RetryAfter, Error: err.Name, Cause: err.Cause, Retry: &Retry{
			Delay: r.delay(n, random), Retrier: i, Attempts: next, RetryCount: retryCount + 1,
		}}
	}
	for _, c := range st.catch {
		if !matchesAny(c.ErrorEquals, err.Name) {
			continue
		}
		errObj := map[string]any{"Error": err.Name, "Cause": err.Cause}
		out, serr := applyResultPath(c.resultPath, stateInput, errObj)
		if serr != nil {
			return Outcome{Kind: Failed, Error: serr.Name, Cause: serr.Cause, Events: failEvents(st)}
		}
		return Outcome{Kind: Goto, Next: c.Next, Output: out, Error: err.Name, Cause: err.Cause, Events: failEvents(st)}
	}
	return failed
}

func matchesAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if matchesError(p, name) {
			return true
		}
	}
	return false
}

// failEvents are the events recorded when a state fails.
func failEvents(st *State) []EventType {
	switch st.Type {
	case TypeParallel:
		return []EventType{EventParallelStateFailed}
	case TypeMap:
		return []EventType{EventMapStateFailed}
	}
	return nil
}
