package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestHelpDoesNotRun checks that asking for help prints it and runs nothing:
// `load workflow --help` must not start a load against the default endpoint.
func TestHelpDoesNotRun(t *testing.T) {
	tests := []struct {
		args     []string
		wantCode int
		wantOut  string
	}{
		{nil, 0, "Usage: meshgate <command>"},
		{[]string{"--help"}, 0, "Usage: meshgate <command>"},
		{[]string{"load", "workflow", "--help"}, 0, "Usage: meshgate load workflow"},
		{[]string{"catalog", "get-database", "-h"}, 0, "Usage: meshgate catalog get-database"},
		{[]string{"no-such-command"}, 2, ""},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		args := tt.args
		if len(args) > 0 {
			args = append(args, "--endpoint", "http://127.0.0.1:1")
		}
		code := (&Main{Stdout: &out, Stderr: &errOut}).Run(context.Background(), args)
		if code != tt.wantCode {
			t.Errorf("%v: got exit %d, want %d (stderr %q)", tt.args, code, tt.wantCode, errOut.String())
		}
		if !strings.Contains(out.String(), tt.wantOut) {
			t.Errorf("%v: output lacks %q:\n%s", tt.args, tt.wantOut, out.String())
		}
		if strings.Contains(errOut.String(), "connection refused") {
			t.Errorf("%v: the command ran: %s", tt.args, errOut.String())
		}
	}
}
