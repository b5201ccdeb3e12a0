package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
	"github.com/meshgate/meshgate/internal/server/servertest"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestIdentifierFlagOrArgument checks that each command that took its
// identifier as an argument takes it as a flag too, the same either way,
// and refuses neither or two that differ before calling any server.
func TestIdentifierFlagOrArgument(t *testing.T) {
	commands := []struct {
		args []string // the command, then any required flags but the identifier
		flag string
		got  func(*CLI) string
	}{
		{[]string{"execution", "describe"}, "--id", func(c *CLI) string { return c.Execution.Describe.ID }},
		{[]string{"execution", "stop"}, "--id", func(c *CLI) string { return c.Execution.Stop.ID }},
		{[]string{"execution", "history"}, "--id", func(c *CLI) string { return c.Execution.History.ID }},
		{[]string{"workflow", "create", "--definition", "{}"}, "--name", func(c *CLI) string { return c.Workflow.Create.Name }},
		{[]string{"workflow", "update", "--definition", "{}"}, "--name", func(c *CLI) string { return c.Workflow.Update.Name }},
		{[]string{"workflow", "describe"}, "--name", func(c *CLI) string { return c.Workflow.Describe.Name }},
		{[]string{"workflow", "delete"}, "--name", func(c *CLI) string { return c.Workflow.Delete.Name }},
	}
	forms := []struct {
		name    string
		args    func(flag string) []string
		want    string
		wantErr string
	}{
		{"flag", func(f string) []string { return []string{f, "x-1"} }, "x-1", ""},
		{"argument", func(string) []string { return []string{"x-1"} }, "x-1", ""},
		{"both, equal", func(f string) []string { return []string{"x-1", f, "x-1"} }, "x-1", ""},
		{"both, different", func(f string) []string { return []string{"x-1", f, "x-2"} }, "", `"x-2" and the argument "x-1" differ`},
		{"neither", func(string) []string { return nil }, "", "missing "},
	}
	for _, c := range commands {
		for _, form := range forms {
			args := append(append([]string{}, c.args...), form.args(c.flag)...)
			var cli CLI
			parser, err := kong.New(&cli, kong.Exit(func(int) { t.Fatalf("%v: kong exited", args) }), kong.Writers(&bytes.Buffer{}, &bytes.Buffer{}),
				kong.Vars{"default_endpoint": defaultEndpoint})
			if err != nil {
				t.Fatal(err)
			}
			_, err = parser.Parse(args)
			switch {
			case form.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), form.wantErr) || !strings.Contains(err.Error(), c.flag) {
					t.Errorf("%v: got error %v, want one naming %s and containing %q", args, err, c.flag, form.wantErr)
				}
			case err != nil:
				t.Errorf("%v: %v", args, err)
			case c.got(&cli) != form.want:
				t.Errorf("%v: got %q, want %q", args, c.got(&cli), form.want)
			}
		}
	}
}

// TestTaskTokenFlagOrArgument checks the task commands' token, which is
// --task-token because --token is the API token.
func TestTaskTokenFlagOrArgument(t *testing.T) {
	tests := []struct {
		tok     taskToken
		want    string
		wantErr string
	}{
		{taskToken{TaskToken: "tok"}, "tok", ""},
		{taskToken{Arg: "tok"}, "tok", ""},
		{taskToken{Arg: "tok", TaskToken: "other"}, "", `--task-token "other" and the argument "tok" differ`},
		{taskToken{}, "", "missing --task-token"},
	}
	for _, tt := range tests {
		got, err := tt.tok.token()
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%+v: got error %v, want %q", tt.tok, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%+v: got %q, %v; want %q", tt.tok, got, err, tt.want)
		}
	}
}

// TestIdentifierFormsOnServer runs the workflow and execution commands
// against a real server, naming the state machine and the execution now
// with the flag, now with the argument.
func TestIdentifierFormsOnServer(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			srv, _ := servertest.New(t, servertest.Options{Store: kind})
			run := func(wantCode int, args ...string) string {
				t.Helper()
				var out, errOut bytes.Buffer
				code := (&Main{Stdout: &out, Stderr: &errOut}).Run(context.Background(), append([]string{"--endpoint", srv.URL, "--token", srv.AdminToken}, args...))
				if code != wantCode {
					t.Fatalf("%v: got exit %d, want %d: %s%s", args, code, wantCode, out.String(), errOut.String())
				}
				return out.String() + errOut.String()
			}
			def := `{"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 3600, "End": true}}}`
			run(0, "workflow", "create", "--name", "hold", "--definition", def)
			run(0, "workflow", "update", "hold", "--definition", def)
			var sm struct {
				Name    string
				Version int
			}
			if err := json.Unmarshal([]byte(run(0, "-o", "json", "workflow", "describe", "hold")), &sm); err != nil || sm.Name != "hold" || sm.Version != 2 {
				t.Errorf("workflow describe hold: got %+v, %v; want version 2 of hold", sm, err)
			}
			run(2, "workflow", "describe", "hold", "--name", "other") // a usage error, found before any call

			var x struct{ ID string }
			if err := json.Unmarshal([]byte(run(0, "-o", "json", "execution", "start", "--state-machine", "hold")), &x); err != nil || x.ID == "" {
				t.Fatalf("execution start: got %+v, %v", x, err)
			}
			for _, args := range [][]string{{"execution", "describe", "--id", x.ID}, {"execution", "describe", x.ID}} {
				if out := run(0, args...); !strings.Contains(out, "RUNNING") {
					t.Errorf("%v: got %q, want the running execution", args, out)
				}
			}
			if out := run(0, "execution", "history", x.ID); !strings.Contains(out, "ExecutionStarted") {
				t.Errorf("execution history: got %q, want ExecutionStarted", out)
			}
			if out := run(0, "execution", "stop", "--id", x.ID); !strings.Contains(out, "ABORTED") {
				t.Errorf("execution stop: got %q, want ABORTED", out)
			}
			run(0, "workflow", "delete", "--name", "hold")
			run(1, "workflow", "describe", "--name", "hold")
		})
	}
}
