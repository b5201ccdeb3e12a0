package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
