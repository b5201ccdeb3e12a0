package asl

import (
	"reflect"
	"testing"
	"time"
)

// mathTasks implements the specification's Add and Subtract tasks.
func mathTasks(resource string, input any) (any, *StateError) {
	a, _ := input.([]any)
	if len(a) != 2 {
		return nil, &StateError{Name: "BadInput", Cause: "want two numbers"}
	}
	x, _ := asInteger(a[0])
	y, _ := asInteger(a[1])
	switch resource {
	case "arn:aws:states:us-east-1:123456789012:task:Add":
		return x + y, nil
	case "arn:aws:states:us-east-1:123456789012:task:Subtract":
		return x - y, nil
	}
	return nil, &StateError{Name: "NoSuchResource"}
}

func TestParallelSpecExample(t *testing.T) {
	m := mustParse(t, `{"StartAt":"FunWithMath","States":{"FunWithMath":{"Type":"Parallel","End":true,"Branches":[
	 {"StartAt":"Add","States":{"Add":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:task:Add","End":true}}},
	 {"StartAt":"Subtract","States":{"Subtract":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:task:Subtract","End":true}}}]}}}`)
	res := runMachine(t, m, mustJSON(t, `[3,2]`), mathTasks)
	if res.Status != "SUCCEEDED" {
		t.Fatalf("got %s %s, want SUCCEEDED", res.Status, res.Error)
	}
	assertJSON(t, res.Output, `[5,1]`)
	want := []EventType{EventParallelStateEntered, EventParallelStateStarted,
		EventTaskStateEntered, EventTaskStateExited, EventTaskStateEntered, EventTaskStateExited,
		EventParallelStateSucceeded, EventParallelStateExited}
	if !reflect.DeepEqual(res.Events, want) {
		t.Errorf("got events %v, want %v", res.Events, want)
	}
}

func TestParallelFailureAndCatch(t *testing.T) {
	m := mustParse(t, `{"StartAt":"P","States":{"P":{"Type":"Parallel","Next":"Done",
	 "Parameters":{"v.$":"$.v"},"ResultSelector":{"first.$":"$[0]"},"ResultPath":"$.out",
	 "Catch":[{"ErrorEquals":["Boom"],"ResultPath":"$.err","Next":"Caught"}],"Branches":[
	 {"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"$.v","End":true}}},
	 {"StartAt":"B","States":{"B":{"Type":"Choice","Choices":[{"Variable":"$.v","NumericEquals":0,"Next":"Fail"}],"Default":"Ok"},
	   "Fail":{"Type":"Fail","Error":"Boom","Cause":"zero"},"Ok":{"Type":"Succeed"}}}]},
	 "Done":{"Type":"Succeed"},"Caught":{"Type":"Succeed"}}}`)
	res := runMachine(t, m, mustJSON(t, `{"v":1}`), echoTasks)
	if res.Status != "SUCCEEDED" || res.States[len(res.States)-1] != "Done" {
		t.Fatalf("got %s %v, want SUCCEEDED at Done", res.Status, res.States)
	}
	assertJSON(t, res.Output, `{"v":1,"out":{"first":1}}`)
	res = runMachine(t, m, mustJSON(t, `{"v":0}`), echoTasks)
	if res.Status != "SUCCEEDED" || res.States[len(res.States)-1] != "Caught" {
		t.Fatalf("got %s %v, want SUCCEEDED at Caught", res.Status, res.States)
	}
	assertJSON(t, res.Output, `{"v":0,"err":{"Error":"Boom","Cause":"zero"}}`)
}

// specMap is the specification's Map example with an ItemSelector.
const specMap = `{"StartAt":"Validate-All","States":{"Validate-All":{"Type":"Map",
 "InputPath":"$.detail","ItemsPath":"$.shipped","MaxConcurrency":0,
 "ItemSelector":{"parcel.$":"$$.Map.Item.Value","courier.$":"$.delivery-partner","index.$":"$$.Map.Item.Index"},
 "ItemProcessor":{"ProcessorConfig":{"Mode":"INLINE"},"StartAt":"Validate","States":{"Validate":{"Type":"Task",
   "Resource":"arn:aws:lambda:us-east-1:123456789012:function:ship-val","ResultPath":"$.ok","End":true}}},
 "ResultPath":"$.detail.shipped","End":true}}}`

func TestMapSpecExample(t *testing.T) {
	m := mustParse(t, specMap)
	input := mustJSON(t, `{"ship-date":"2016-03-14T01:59:00Z","detail":{"delivery-partner":"UQS","shipped":[
	 {"prod":"R31","dest-code":9511,"quantity":1344},{"prod":"S39","dest-code":9511,"quantity":40}]}}`)
	out, err := m.Enter("Validate-All", input, nil)
	if err != nil || out.Kind != RunItems {
		t.Fatalf("got %v %v, want RunItems", out.Kind, err)
	}
	if out.Items.MaxConcurrency != 0 || out.Items.Processor.StartAt != "Validate" {
		t.Errorf("got %d %q, want 0 Validate", out.Items.MaxConcurrency, out.Items.Processor.StartAt)
	}
	assertJSON(t, out.Items.Inputs, `[
	 {"parcel":{"prod":"R31","dest-code":9511,"quantity":1344},"courier":"UQS","index":0},
	 {"parcel":{"prod":"S39","dest-code":9511,"quantity":40},"courier":"UQS","index":1}]`)

	res := runMachine(t, m, input, func(string, any) (any, *StateError) { return true, nil })
	assertJSON(t, res.Output, `{"ship-date":"2016-03-14T01:59:00Z","detail":{"delivery-partner":"UQS","shipped":[
	 {"parcel":{"prod":"R31","dest-code":9511,"quantity":1344},"courier":"UQS","index":0,"ok":true},
	 {"parcel":{"prod":"S39","dest-code":9511,"quantity":40},"courier":"UQS","index":1,"ok":true}]}}`)
}

func TestMapVariants(t *testing.T) {
	tests := []struct {
		name, state, input, want, wantErr string
	}{
		{"Iterator and Parameters (legacy names)",
			`"Iterator":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"Parameters":{"v.$":"$$.Map.Item.Value"}`,
			`[1,2]`, `[{"v":1},{"v":2}]`, ""},
		{"items are the input by default",
			`"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"x","End":true}}}`,
			`[1,2,3]`, `["x","x","x"]`, ""},
		{"intrinsic functions in ItemSelector",
			`"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"ItemSelector":{"label.$":"States.Format('item {} is {}', $$.Map.Item.Index, $$.Map.Item.Value)"}`,
			`["a","b"]`, `[{"label":"item 0 is a"},{"label":"item 1 is b"}]`, ""},
		{"empty list", `"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, `[]`, `[]`, ""},
		{"items not an array", `"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, `{"a":1}`, "", ErrRuntime},
		{"item failure fails the state",
			`"ItemProcessor":{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"ItemError"}}}`, `[1]`, "", "ItemError"},
		{"MaxConcurrencyPath", `"MaxConcurrencyPath":"$.c","ItemsPath":"$.i","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`,
			`{"c":2,"i":[1]}`, `[1]`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, `{"StartAt":"M","States":{"M":{"Type":"Map",`+tt.state+`,"End":true}}}`)
			res := runMachine(t, m, mustJSON(t, tt.input), echoTasks)
			if tt.wantErr != "" {
				if res.Status != "FAILED" || res.Error != tt.wantErr {
					t.Errorf("got %s %s, want FAILED %s", res.Status, res.Error, tt.wantErr)
				}
				return
			}
			if res.Status != "SUCCEEDED" {
				t.Fatalf("got %s %s %s, want SUCCEEDED", res.Status, res.Error, res.Cause)
			}
			assertJSON(t, res.Output, tt.want)
		})
	}
}

func TestWaitState(t *testing.T) {
	tests := []struct {
		field, input string
		want         time.Time
		wantErr      string
	}{
		{`"Seconds":10`, `{}`, testNow.Add(10 * time.Second), ""},
		{`"Seconds":0`, `{}`, testNow, ""},
		{`"Timestamp":"2016-03-14T01:59:00Z"`, `{}`, time.Date(2016, 3, 14, 1, 59, 0, 0, time.UTC), ""},
		{`"SecondsPath":"$.s"`, `{"s":60}`, testNow.Add(time.Minute), ""},
		{`"TimestampPath":"$.expirydate"`, `{"expirydate":"2016-03-14T01:59:00Z"}`, time.Date(2016, 3, 14, 1, 59, 0, 0, time.UTC), ""},
		{`"SecondsPath":"$.s"`, `{"s":-1}`, time.Time{}, ErrRuntime},
		{`"SecondsPath":"$.s"`, `{"s":1.5}`, time.Time{}, ErrRuntime},
		{`"SecondsPath":"$.s"`, `{}`, time.Time{}, ErrRuntime},
		{`"TimestampPath":"$.t"`, `{"t":"yesterday"}`, time.Time{}, ErrRuntime},
	}
	for _, tt := range tests {
		m := mustParse(t, `{"StartAt":"W","States":{"W":{"Type":"Wait",`+tt.field+`,"Next":"S"},"S":{"Type":"Succeed"}}}`)
		res := runMachine(t, m, mustJSON(t, tt.input), echoTasks)
		if tt.wantErr != "" {
			if res.Status != "FAILED" || res.Error != tt.wantErr {
				t.Errorf("%s: got %s %s, want FAILED %s", tt.field, res.Status, res.Error, tt.wantErr)
			}
			continue
		}
		if len(res.Waits) != 1 || !res.Waits[0].Equal(tt.want) {
			t.Errorf("%s: got waits %v, want [%v]", tt.field, res.Waits, tt.want)
		}
		assertJSON(t, res.Output, tt.input)
	}
}

func TestFailState(t *testing.T) {
	tests := []struct {
		state, input, wantError, wantCause string
	}{
		{`"Error":"ErrorA","Cause":"Kaiju attack"`, `{}`, "ErrorA", "Kaiju attack"},
		{`"Comment":"bare"`, `{}`, "", ""},
		{`"ErrorPath":"$.e","CausePath":"$.c"`, `{"e":"E","c":"C"}`, "E", "C"},
		{`"ErrorPath":"$.e"`, `{"e":1}`, ErrRuntime, ""},
		{`"CausePath":"$.missing"`, `{}`, ErrRuntime, ""},
	}
	for _, tt := range tests {
		m := mustParse(t, `{"StartAt":"F","States":{"F":{"Type":"Fail",`+tt.state+`}}}`)
		res := runMachine(t, m, mustJSON(t, tt.input), echoTasks)
		if res.Status != "FAILED" || res.Error != tt.wantError || (tt.wantCause != "" && res.Cause != tt.wantCause) {
			t.Errorf("%s: got %s %q %q, want FAILED %q %q", tt.state, res.Status, res.Error, res.Cause, tt.wantError, tt.wantCause)
		}
	}
}

func TestSucceedState(t *testing.T) {
	m := mustParse(t, `{"StartAt":"S","States":{"S":{"Type":"Succeed","InputPath":"$.a","OutputPath":"$.b"}}}`)
	res := runMachine(t, m, mustJSON(t, `{"a":{"b":[1]}}`), echoTasks)
	assertJSON(t, res.Output, `[1]`)
}

func TestWholeFlow(t *testing.T) {
	// The reference design's sharing input, through a lookup, a choice and
	// an approval step.
	m := mustParse(t, `{"Comment":"share","StartAt":"Lookup","TimeoutSeconds":3600,"States":{
	 "Lookup":{"Type":"Task","Resource":"meshgate:catalog:get-table","Parameters":{"database.$":"$.source.database","table.$":"$.source.table"},
	   "ResultSelector":{"pii.$":"$.pii_flag"},"ResultPath":"$.table","Next":"IsPII"},
	 "IsPII":{"Type":"Choice","Choices":[{"Variable":"$.table.pii","BooleanEquals":true,"Next":"Approve"}],"Default":"Share"},
	 "Approve":{"Type":"Task","Resource":"meshgate:notify:approval.waitForTaskToken","Parameters":{"token.$":"$$.Task.Token"},
	   "ResultPath":"$.approval","HeartbeatSeconds":60,"TimeoutSeconds":86400,"Next":"Approved?"},
	 "Approved?":{"Type":"Choice","Choices":[{"Variable":"$.approval.decision","StringEquals":"approve","Next":"Share"}],"Default":"Denied"},
	 "Denied":{"Type":"Fail","Error":"Denied","Cause":"the producer denied the request"},
	 "Share":{"Type":"Task","Resource":"meshgate:grant-and-share","ResultPath":null,"End":true}}}`)
	if m.TimeoutSeconds != 3600 || m.Comment != "share" {
		t.Errorf("got %d %q, want 3600 share", m.TimeoutSeconds, m.Comment)
	}
	tasks := func(decision string) taskFunc {
		return func(res string, in any) (any, *StateError) {
			switch res {
			case "meshgate:catalog:get-table":
				return map[string]any{"pii_flag": true}, nil
			case "meshgate:notify:approval.waitForTaskToken":
				return map[string]any{"decision": decision}, nil
			}
			return "shared", nil
		}
	}
	input := `{"source":{"database":"sales","table":"orders"},"target":{"account_id":"222233334444"}}`
	res := runMachine(t, m, mustJSON(t, input), tasks("approve"))
	if res.Status != "SUCCEEDED" {
		t.Fatalf("got %s %s, want SUCCEEDED", res.Status, res.Error)
	}
	assertJSON(t, res.Output, `{"source":{"database":"sales","table":"orders"},"target":{"account_id":"222233334444"},
	 "table":{"pii":true},"approval":{"decision":"approve"}}`)
	wantStates := []string{"Lookup", "IsPII", "Approve", "Approved?", "Share"}
	if !reflect.DeepEqual(res.States, wantStates) {
		t.Errorf("got states %v, want %v", res.States, wantStates)
	}
	res = runMachine(t, m, mustJSON(t, input), tasks("deny"))
	if res.Status != "FAILED" || res.Error != "Denied" {
		t.Errorf("got %s %s, want FAILED Denied", res.Status, res.Error)
	}
}

func TestTaskTokenInParameters(t *testing.T) {
	m := mustParse(t, taskMachine(`"Parameters":{"token.$":"$$.Task.Token","state.$":"$$.State.Name","retries.$":"$$.State.RetryCount"}`))
	out, err := m.Enter("X", map[string]any{}, &Context{Task: &TaskInfo{Token: "tok"}})
	if err != nil || out.Kind != RunTask {
		t.Fatalf("got %v %v, want RunTask", out.Kind, err)
	}
	assertJSON(t, out.Task.Input, `{"token":"tok","state":"X","retries":0}`)
}

func TestStepErrors(t *testing.T) {
	m := mustParse(t, specChoice)
	if _, err := m.Enter("Nope", nil, nil); err == nil {
		t.Error("got nil, want an error for an unknown state")
	}
	if _, err := m.Complete("ChoiceStateX", nil, nil, nil); err == nil {
		t.Error("got nil, want an error completing a Choice state")
	}
	if out := m.Fail("Nope", nil, StateError{Name: "E"}, nil); out.Kind != Failed {
		t.Errorf("got %v, want Failed", out.Kind)
	}
}

func TestNestedMapInParallelWithRetry(t *testing.T) {
	m := mustParse(t, `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,
	 "Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":1,"MaxAttempts":1}],
	 "ResultSelector":{"doubled.$":"$[0]","name.$":"$[1]"},
	 "Branches":[
	  {"StartAt":"Each","States":{"Each":{"Type":"Map","ItemsPath":"$.nums","MaxConcurrency":2,
	    "ItemProcessor":{"StartAt":"Double","States":{"Double":{"Type":"Task","Resource":"double","End":true}}},"End":true}}},
	  {"StartAt":"Name","States":{"Name":{"Type":"Pass","InputPath":"$.name","End":true}}}]}}}`)
	calls := 0
	tasks := func(res string, in any) (any, *StateError) {
		calls++
		if calls == 2 {
			return nil, &StateError{Name: "Flaky", Cause: "once"}
		}
		n, _ := asInteger(in)
		return 2 * n, nil
	}
	res := runMachine(t, m, mustJSON(t, `{"nums":[1,2,3],"name":"x"}`), tasks)
	if res.Status != "SUCCEEDED" {
		t.Fatalf("got %s %s, want SUCCEEDED", res.Status, res.Error)
	}
	assertJSON(t, res.Output, `{"doubled":[2,4,6],"name":"x"}`)
	if !reflect.DeepEqual(res.Delays, []time.Duration{time.Second}) || calls != 5 {
		t.Errorf("got delays %v after %d task calls, want one 1s retry of the whole Parallel state after 5 calls", res.Delays, calls)
	}
}
