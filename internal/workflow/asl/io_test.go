package asl

import (
	"testing"
)

// taskMachine wraps one Task state's fields in a machine.
func taskMachine(fields string) string {
	return `{"StartAt":"X","States":{"X":{"Type":"Task","Resource":"arn:aws:states:::x",` + fields + `,"End":true}}}`
}

func TestTaskInputOutputProcessing(t *testing.T) {
	tests := []struct {
		name   string
		fields string
		input  string
		result string // the task's result
		want   string // the state output
		// wantTask, when set, is the task's effective input.
		wantTask string
	}{
		{
			name:   "spec: InputPath, ResultPath and OutputPath",
			fields: `"InputPath":"$.numbers","ResultPath":"$.sum","OutputPath":"$"`,
			input:  `{"title":"Numbers to add","numbers":[3,4]}`, result: `7`,
			want: `{"title":"Numbers to add","numbers":[3,4],"sum":7}`, wantTask: `[3,4]`,
		},
		{
			name:   "defaults: result replaces input",
			fields: `"Comment":"defaults"`, input: `{"a":1}`, result: `{"b":2}`, want: `{"b":2}`, wantTask: `{"a":1}`,
		},
		{
			name:   "ResultPath null keeps the raw input",
			fields: `"InputPath":"$.a","ResultPath":null`, input: `{"a":1}`, result: `{"b":2}`, want: `{"a":1}`, wantTask: `1`,
		},
		{
			name:   "InputPath null gives an empty object",
			fields: `"InputPath":null`, input: `{"a":1}`, result: `"r"`, want: `"r"`, wantTask: `{}`,
		},
		{
			name:   "OutputPath null gives an empty object",
			fields: `"OutputPath":null`, input: `{"a":1}`, result: `"r"`, want: `{}`,
		},
		{
			name:   "docs: ResultPath adds the result to the input",
			fields: `"ResultPath":"$.taskresult"`,
			input:  `{"comment":"This is a test.","details":"Default example","who":"AWS Step Functions"}`,
			result: `"Hello, AWS Step Functions!"`,
			want:   `{"comment":"This is a test.","details":"Default example","who":"AWS Step Functions","taskresult":"Hello, AWS Step Functions!"}`,
		},
		{
			name:   "ResultPath creates missing objects",
			fields: `"ResultPath":"$.a.b.c"`, input: `{"a":{"x":1}}`, result: `true`,
			want: `{"a":{"x":1,"b":{"c":true}}}`,
		},
		{
			name:   "ResultPath replaces an existing value",
			fields: `"ResultPath":"$.a"`, input: `{"a":{"x":1},"b":2}`, result: `[1]`,
			want: `{"a":[1],"b":2}`,
		},
		{
			name:   "ResultPath into an array element",
			fields: `"ResultPath":"$.list[1]"`, input: `{"list":[1,2,3]}`, result: `"two"`, want: `{"list":[1,"two",3]}`,
		},
		{
			name:   "ResultPath with a hyphenated field name",
			fields: `"ResultPath":"$.error-info"`, input: `{}`, result: `1`, want: `{"error-info":1}`,
		},
		{
			name: "spec: Parameters with nested paths and a slice",
			fields: `"Parameters":{"flagged":true,"parts":{"first.$":"$.vals[0]","last3.$":"$.vals[-3:]"},` +
				`"name.$":"$$.Execution.Name"}`,
			input: `{"flagged":7,"vals":[0,10,20,30,40,50]}`, result: `null`, want: `null`,
			wantTask: `{"flagged":true,"parts":{"first":0,"last3":[30,40,50]},"name":"run"}`,
		},
		{
			name:   "Parameters inside arrays and with the whole input",
			fields: `"InputPath":"$.in","Parameters":{"list":[{"v.$":"$.a"},"lit"],"all.$":"$"}`,
			input:  `{"in":{"a":1}}`, result: `0`, want: `0`,
			wantTask: `{"list":[{"v":1},"lit"],"all":{"a":1}}`,
		},
		{
			name:   "indefinite paths select arrays",
			fields: `"Parameters":{"names.$":"$.people[*].name","none.$":"$.people[?(@.age > 100)]","deep.$":"$..age"}`,
			input:  `{"people":[{"name":"a","age":1},{"name":"b","age":2}]}`, result: `0`, want: `0`,
			wantTask: `{"names":["a","b"],"none":[],"deep":[1,2]}`,
		},
		{
			name:     "docs: ResultSelector then ResultPath",
			fields:   `"ResultSelector":{"ClusterId.$":"$.output.ClusterId","ResourceType.$":"$.resourceType","static":"x"},"ResultPath":"$.EMROutput"`,
			input:    `{"in":1}`,
			result:   `{"resourceType":"elasticmapreduce","resource":"createCluster.sync","output":{"SdkHttpMetadata":{"HttpStatusCode":200},"ClusterId":"AKIAIOSFODNN7EXAMPLE"}}`,
			want:     `{"in":1,"EMROutput":{"ClusterId":"AKIAIOSFODNN7EXAMPLE","ResourceType":"elasticmapreduce","static":"x"}}`,
			wantTask: `{"in":1}`,
		},
		{
			name:   "OutputPath selects from the combined output",
			fields: `"ResultPath":"$.r","OutputPath":"$.r.v"`, input: `{"a":1}`, result: `{"v":[1,2]}`, want: `[1,2]`,
		},
		{
			name:   "InputPath from the context object",
			fields: `"InputPath":"$$.Execution.Id"`, input: `{}`, result: `1`, want: `1`, wantTask: `"exec-1"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, taskMachine(tt.fields))
			var gotTask any
			res := runMachine(t, m, mustJSON(t, tt.input), func(_ string, in any) (any, *StateError) {
				gotTask = in
				return mustJSON(t, tt.result), nil
			})
			if res.Status != "SUCCEEDED" {
				t.Fatalf("got status %s (%s: %s), want SUCCEEDED", res.Status, res.Error, res.Cause)
			}
			assertJSON(t, res.Output, tt.want)
			if tt.wantTask != "" {
				assertJSON(t, gotTask, tt.wantTask)
			}
		})
	}
}

func TestProcessingErrors(t *testing.T) {
	tests := []struct {
		name      string
		fields    string
		input     string
		result    string
		wantError string
	}{
		{"InputPath without a match", `"InputPath":"$.missing"`, `{}`, `1`, ErrRuntime},
		{"OutputPath without a match", `"OutputPath":"$.missing"`, `{}`, `1`, ErrRuntime},
		{"Parameters path without a match", `"Parameters":{"x.$":"$.missing"}`, `{}`, `1`, ErrParameterPathFailure},
		{"Parameters context path without a match", `"Parameters":{"x.$":"$$.Nope"}`, `{}`, `1`, ErrParameterPathFailure},
		{"ResultSelector path without a match", `"ResultSelector":{"x.$":"$.missing"}`, `{}`, `1`, ErrParameterPathFailure},
		{"ResultPath below a number", `"ResultPath":"$.a.b"`, `{"a":5}`, `1`, ErrResultPathMatchFailure},
		{"ResultPath into a string", `"ResultPath":"$.a.b"`, `{"a":"text"}`, `1`, ErrResultPathMatchFailure},
		{"ResultPath into a non-object input", `"ResultPath":"$.a"`, `"text"`, `1`, ErrResultPathMatchFailure},
		{"ResultPath index out of range", `"ResultPath":"$.a[5]"`, `{"a":[1]}`, `1`, ErrResultPathMatchFailure},
		{"TimeoutSecondsPath not a number", `"TimeoutSecondsPath":"$.t"`, `{"t":"x"}`, `1`, ErrRuntime},
		{"HeartbeatSecondsPath missing", `"HeartbeatSecondsPath":"$.h"`, `{}`, `1`, ErrRuntime},
		{"heartbeat not below timeout", `"TimeoutSecondsPath":"$.t","HeartbeatSeconds":10`, `{"t":5}`, `1`, ErrRuntime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, taskMachine(tt.fields))
			res := runMachine(t, m, mustJSON(t, tt.input), func(string, any) (any, *StateError) {
				return mustJSON(t, tt.result), nil
			})
			if res.Status != "FAILED" || res.Error != tt.wantError {
				t.Errorf("got %s %s (%s), want FAILED %s", res.Status, res.Error, res.Cause, tt.wantError)
			}
		})
	}
}

func TestTaskTimeouts(t *testing.T) {
	tests := []struct {
		fields        string
		input         string
		wantTimeout   int64
		wantHeartbeat int64
	}{
		{`"TimeoutSeconds":300,"HeartbeatSeconds":60`, `{}`, 300, 60},
		{`"TimeoutSecondsPath":"$.t","HeartbeatSecondsPath":"$.h"`, `{"t":30,"h":10}`, 30, 10},
		{`"Comment":"none"`, `{}`, 0, 0},
	}
	for _, tt := range tests {
		m := mustParse(t, taskMachine(tt.fields))
		out, err := m.Enter("X", mustJSON(t, tt.input), nil)
		if err != nil || out.Kind != RunTask {
			t.Fatalf("got %v %v, want RunTask", out.Kind, err)
		}
		if out.Task.TimeoutSeconds != tt.wantTimeout || out.Task.HeartbeatSeconds != tt.wantHeartbeat {
			t.Errorf("%s: got %d/%d, want %d/%d", tt.fields, out.Task.TimeoutSeconds, out.Task.HeartbeatSeconds, tt.wantTimeout, tt.wantHeartbeat)
		}
		if out.Task.Resource != "arn:aws:states:::x" {
			t.Errorf("got resource %q, want arn:aws:states:::x", out.Task.Resource)
		}
	}
}

func TestInputIsNotModified(t *testing.T) {
	m := mustParse(t, taskMachine(`"ResultPath":"$.a.b"`))
	input := mustJSON(t, `{"a":{"x":1}}`)
	res := runMachine(t, m, input, func(string, any) (any, *StateError) { return int64(2), nil })
	assertJSON(t, res.Output, `{"a":{"x":1,"b":2}}`)
	assertJSON(t, input, `{"a":{"x":1}}`)
}

func TestPassState(t *testing.T) {
	tests := []struct {
		name, state, input, want string
	}{
		{"spec: Result at ResultPath", `"Result":{"x-datum":0.381018,"y-datum":622.2269926397355},"ResultPath":"$.coords"`,
			`{"georefOf":"Home"}`, `{"georefOf":"Home","coords":{"x-datum":0.381018,"y-datum":622.2269926397355}}`},
		{"no Result passes the input", `"Comment":"c"`, `{"a":1}`, `{"a":1}`},
		{"InputPath without Result", `"InputPath":"$.a"`, `{"a":{"b":1}}`, `{"b":1}`},
		{"Parameters become the result", `"Parameters":{"x.$":"$.a","y":2}`, `{"a":1}`, `{"x":1,"y":2}`},
		{"Result null", `"Result":null,"ResultPath":"$.r"`, `{}`, `{"r":null}`},
		{"ResultPath null", `"Result":1,"ResultPath":null`, `{"a":1}`, `{"a":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, `{"StartAt":"P","States":{"P":{"Type":"Pass",`+tt.state+`,"End":true}}}`)
			res := runMachine(t, m, mustJSON(t, tt.input), echoTasks)
			if res.Status != "SUCCEEDED" {
				t.Fatalf("got %s %s %s, want SUCCEEDED", res.Status, res.Error, res.Cause)
			}
			assertJSON(t, res.Output, tt.want)
		})
	}
}
