package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestWorkflowRun(t *testing.T) {
	def := filepath.Join(t.TempDir(), "sm.json")
	os.WriteFile(def, []byte(`{"StartAt": "Count", "States": {
		"Count": {"Type": "Task", "Resource": "meshgate:counter:increment", "Parameters": {"Name.$": "$.who"}, "ResultPath": "$.count", "Next": "Check"},
		"Check": {"Type": "Choice", "Choices": [{"Variable": "$.who", "StringEquals": "bad", "Next": "Bad"}], "Default": "Done"},
		"Bad": {"Type": "Fail", "Error": "Bad.Input", "Cause": "who is bad"},
		"Done": {"Type": "Succeed"}}}`), 0o600)
	tests := []struct {
		input string
		code  int
		want  RunResult
	}{
		{`{"who": "mesh"}`, 0, RunResult{Status: "SUCCEEDED", Output: json.RawMessage(`{"count":{"Name":"mesh","Value":1},"who":"mesh"}`)}},
		{`{"who": "bad"}`, 1, RunResult{Status: "FAILED", Error: "Bad.Input", Cause: "who is bad"}},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := (&Main{Stdout: &out, Stderr: &errOut}).Run(context.Background(),
			[]string{"workflow", "run", "--definition", "file://" + def, "--input", tt.input})
		if code != tt.code {
			t.Errorf("%s: exit code: got %v, want %v (%s)", tt.input, code, tt.code, errOut.String())
		}
		var got RunResult
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatalf("%s: output %q: %v", tt.input, out.String(), err)
		}
		var compact bytes.Buffer
		json.Compact(&compact, got.Output)
		got.Output = compact.Bytes()
		if got.Status != tt.want.Status || got.Error != tt.want.Error || got.Cause != tt.want.Cause || string(got.Output) != string(tt.want.Output) {
			t.Errorf("%s: got %+v, want %+v", tt.input, got, tt.want)
		}
	}
	var errOut bytes.Buffer
	code := (&Main{Stdout: &bytes.Buffer{}, Stderr: &errOut}).Run(context.Background(),
		[]string{"workflow", "run", "--definition", `{"StartAt": "Nope", "States": {}}`})
	if code == 0 || !strings.Contains(errOut.String(), "invalid") {
		t.Errorf("invalid definition: got code %d and %q, want an error", code, errOut.String())
	}
}

// TestWorkflowRunCallback: workflow run refuses at once a callback task
// that only its token could end, naming the state, where it waited its
// whole --timeout and failed with the store's "context deadline exceeded";
// a callback task whose TimeoutSeconds ends the wait runs as defined.
func TestWorkflowRunCallback(t *testing.T) {
	run := func(def string) (int, string, string, time.Duration) {
		var out, errOut bytes.Buffer
		start := time.Now()
		code := (&Main{Stdout: &out, Stderr: &errOut}).Run(context.Background(),
			[]string{"workflow", "run", "--definition", def, "--timeout", "1m"})
		return code, out.String(), errOut.String(), time.Since(start)
	}
	code, out, errOut, took := run(`{"StartAt": "Prepare", "States": {
		"Prepare": {"Type": "Pass", "Next": "Approve"},
		"Approve": {"Type": "Task", "Resource": "meshgate:counter:increment.waitForTaskToken",
			"Parameters": {"Name": "n", "token.$": "$$.Task.Token"}, "End": true}}}`)
	if code != 1 || out != "" || !strings.Contains(errOut, `state "Approve" waits for its task token`) || took > 30*time.Second {
		t.Errorf("a callback task: got exit %d after %s, %q, %q; want exit 1 at once, naming the state Approve", code, took, out, errOut)
	}
	code, out, errOut, _ = run(`{"StartAt": "Approve", "States": {
		"Approve": {"Type": "Task", "Resource": "meshgate:counter:increment.waitForTaskToken", "TimeoutSeconds": 1,
			"Parameters": {"Name": "n", "token.$": "$$.Task.Token"}, "End": true,
			"Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "TimedOut"}]},
		"TimedOut": {"Type": "Succeed"}}}`)
	var got RunResult
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil || got.Status != "SUCCEEDED" || !strings.Contains(string(got.Output), "States.Timeout") {
		t.Errorf("a callback task with TimeoutSeconds: got exit %d, %q, %q; want SUCCEEDED through the Catch of States.Timeout", code, out, errOut)
	}
}
