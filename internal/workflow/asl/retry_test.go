package asl

import (
	"reflect"
	"testing"
	"time"
)

// specRetry is the specification's Retry example on a Task.
const specRetry = `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::x","End":true,
 "Retry":[{"ErrorEquals":["States.Timeout"],"IntervalSeconds":3,"MaxAttempts":2,"BackoffRate":1.5},
          {"ErrorEquals":["States.Permissions"],"MaxAttempts":0},
          {"ErrorEquals":["States.ALL"],"MaxAttempts":5}]}}}`

// failingTasks fail with the given errors in turn, then succeed with "ok".
func failingTasks(errs ...string) taskFunc {
	return func(string, any) (any, *StateError) {
		if len(errs) == 0 {
			return "ok", nil
		}
		e := errs[0]
		errs = errs[1:]
		return nil, &StateError{Name: e, Cause: "cause of " + e}
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func secs(f ...float64) []time.Duration {
	out := make([]time.Duration, len(f))
	for i, s := range f {
		out[i] = time.Duration(s * float64(time.Second))
	}
	return out
}

func TestRetrySpecExample(t *testing.T) {
	m := mustParse(t, specRetry)
	tests := []struct {
		name       string
		errs       []string
		wantStatus string
		wantError  string
		wantDelays []time.Duration
	}{
		{"timeouts retried twice then succeed", repeat(ErrTimeout, 2), "SUCCEEDED", "", secs(3, 4.5)},
		{"a third timeout fails", repeat(ErrTimeout, 3), "FAILED", ErrTimeout, secs(3, 4.5)},
		{"permissions are never retried", []string{ErrPermissions}, "FAILED", ErrPermissions, nil},
		{"other errors retried five times", repeat("Custom", 5), "SUCCEEDED", "", secs(1, 2, 4, 8, 16)},
		{"a sixth custom error fails", repeat("Custom", 6), "FAILED", "Custom", secs(1, 2, 4, 8, 16)},
		{"counters are per retrier", []string{ErrTimeout, "Custom", ErrTimeout, "Custom"}, "SUCCEEDED", "", secs(3, 1, 4.5, 2)},
		{"runtime errors are terminal", []string{ErrRuntime}, "FAILED", ErrRuntime, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runMachine(t, m, map[string]any{}, failingTasks(tt.errs...))
			if res.Status != tt.wantStatus || res.Error != tt.wantError {
				t.Errorf("got %s %s, want %s %s", res.Status, res.Error, tt.wantStatus, tt.wantError)
			}
			if !reflect.DeepEqual(res.Delays, tt.wantDelays) {
				t.Errorf("got delays %v, want %v", res.Delays, tt.wantDelays)
			}
		})
	}
}

func TestRetryOutcome(t *testing.T) {
	m := mustParse(t, specRetry)
	ctx := &Context{State: StateInfo{RetryCount: 2}, Attempts: []int{1, 0, 1}}
	out := m.Fail("T", nil, StateError{Name: ErrTimeout}, ctx)
	want := &Retry{Delay: 4500 * time.Millisecond, Retrier: 0, Attempts: []int{2, 0, 1}, RetryCount: 3}
	if out.Kind != RetryAfter || !reflect.DeepEqual(out.Retry, want) {
		t.Errorf("got %v %+v, want RetryAfter %+v", out.Kind, out.Retry, want)
	}
	if !reflect.DeepEqual(ctx.Attempts, []int{1, 0, 1}) {
		t.Errorf("got ctx.Attempts %v changed, want [1 0 1]", ctx.Attempts)
	}
}

func TestRetryDelay(t *testing.T) {
	half := func() float64 { return 0.5 }
	tests := []struct {
		r       Retrier
		attempt int
		random  func() float64
		want    time.Duration
	}{
		{Retrier{IntervalSeconds: 1, BackoffRate: 2}, 0, nil, time.Second},
		{Retrier{IntervalSeconds: 1, BackoffRate: 2}, 3, nil, 8 * time.Second},
		{Retrier{IntervalSeconds: 2, BackoffRate: 1}, 5, nil, 2 * time.Second},
		{Retrier{IntervalSeconds: 1, BackoffRate: 2, MaxDelaySeconds: 5}, 3, nil, 5 * time.Second},
		{Retrier{IntervalSeconds: 4, BackoffRate: 2, JitterStrategy: "FULL"}, 1, half, 4 * time.Second},
		{Retrier{IntervalSeconds: 4, BackoffRate: 2, JitterStrategy: "NONE"}, 1, half, 8 * time.Second},
		{Retrier{IntervalSeconds: 4, BackoffRate: 2, MaxDelaySeconds: 6, JitterStrategy: "FULL"}, 1, half, 3 * time.Second},
		{Retrier{IntervalSeconds: 99999999, BackoffRate: 99999}, 99, nil, maxRetryDelay},
	}
	for _, tt := range tests {
		if got := tt.r.delay(tt.attempt, tt.random); got != tt.want {
			t.Errorf("%+v attempt %d: got %v, want %v", tt.r, tt.attempt, got, tt.want)
		}
	}
}

// specCatch is the specification's Catch example.
const specCatch = `{"StartAt":"T","States":{
 "T":{"Type":"Task","Resource":"arn:aws:states:::x","Next":"Done",
  "Catch":[{"ErrorEquals":["java.lang.Exception"],"ResultPath":"$.error-info","Next":"RecoveryState"},
           {"ErrorEquals":["States.ALL"],"Next":"EndMachine"}]},
 "Done":{"Type":"Succeed"},
 "RecoveryState":{"Type":"Pass","End":true},
 "EndMachine":{"Type":"Pass","End":true}}}`

func TestCatchSpecExample(t *testing.T) {
	m := mustParse(t, specCatch)
	res := runMachine(t, m, mustJSON(t, `{"in":1}`), failingTasks("java.lang.Exception"))
	if res.Status != "SUCCEEDED" || res.States[len(res.States)-1] != "RecoveryState" {
		t.Fatalf("got %s via %v, want SUCCEEDED via RecoveryState", res.Status, res.States)
	}
	assertJSON(t, res.Output, `{"in":1,"error-info":{"Error":"java.lang.Exception","Cause":"cause of java.lang.Exception"}}`)

	res = runMachine(t, m, mustJSON(t, `{"in":1}`), failingTasks("Other"))
	if res.Status != "SUCCEEDED" || res.States[len(res.States)-1] != "EndMachine" {
		t.Fatalf("got %s via %v, want SUCCEEDED via EndMachine", res.Status, res.States)
	}
	assertJSON(t, res.Output, `{"Error":"Other","Cause":"cause of Other"}`)

	res = runMachine(t, m, mustJSON(t, `{"in":1}`), failingTasks(ErrRuntime))
	if res.Status != "FAILED" || res.Error != ErrRuntime {
		t.Errorf("got %s %s, want FAILED States.Runtime: runtime errors are not caught", res.Status, res.Error)
	}
}

func TestErrorMatching(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{ErrAll, "Custom", true},
		{ErrAll, ErrTimeout, true},
		{ErrTaskFailed, "Custom", true},
		{ErrTaskFailed, ErrPermissions, true},
		{ErrTaskFailed, ErrTimeout, false},
		{ErrTaskFailed, ErrHeartbeatTimeout, false},
		{ErrTimeout, ErrHeartbeatTimeout, true},
		{ErrHeartbeatTimeout, ErrTimeout, false},
		{"Custom", "Custom", true},
		{"Custom", "custom", false},
		{ErrBranchFailed, "Custom", false},
	}
	for _, tt := range tests {
		if got := matchesError(tt.pattern, tt.name); got != tt.want {
			t.Errorf("%s matches %s: got %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

func TestCatchAfterRetriesAndInputErrors(t *testing.T) {
	m := mustParse(t, `{"StartAt":"T","States":{
	 "T":{"Type":"Task","Resource":"r","Parameters":{"x.$":"$.missing"},"Next":"Done",
	  "Retry":[{"ErrorEquals":["States.ParameterPathFailure"],"MaxAttempts":1}],
	  "Catch":[{"ErrorEquals":["States.TaskFailed"],"ResultPath":null,"Next":"Handler"}]},
	 "Done":{"Type":"Succeed"},"Handler":{"Type":"Pass","End":true}}}`)
	res := runMachine(t, m, mustJSON(t, `{"a":1}`), echoTasks)
	if res.Status != "SUCCEEDED" || len(res.Delays) != 1 || res.States[len(res.States)-1] != "Handler" {
		t.Fatalf("got %s, delays %v, states %v; want one retry then Handler", res.Status, res.Delays, res.States)
	}
	assertJSON(t, res.Output, `{"a":1}`)
}

func TestComplexRetrySpecExample(t *testing.T) {
	m := mustParse(t, `{"StartAt":"X","States":{"X":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:task:X","Next":"Y",
	 "Retry":[{"ErrorEquals":["ErrorA","ErrorB"],"IntervalSeconds":1,"BackoffRate":2,"MaxAttempts":2},
	          {"ErrorEquals":["ErrorC"],"IntervalSeconds":5}],
	 "Catch":[{"ErrorEquals":["States.ALL"],"Next":"Z"}]},
	 "Y":{"Type":"Succeed"},"Z":{"Type":"Succeed"}}}`)
	res := runMachine(t, m, map[string]any{}, failingTasks("ErrorA", "ErrorB", "ErrorC", "ErrorB"))
	if !reflect.DeepEqual(res.Delays, secs(1, 2, 5)) {
		t.Errorf("got delays %v, want [1s 2s 5s]", res.Delays)
	}
	if got := res.States[len(res.States)-1]; got != "Z" {
		t.Errorf("got final state %s, want Z", got)
	}
	assertJSON(t, res.Output, `{"Error":"ErrorB","Cause":"cause of ErrorB"}`)
}
