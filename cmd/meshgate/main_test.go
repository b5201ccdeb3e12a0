package main

import (
	"bytes"
	"context"
	"net"
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

// TestNoServer checks that a command finding no server at --endpoint says so
// and what to do, instead of printing Go's dial error.
func TestNoServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + ln.Addr().String()
	ln.Close()
	var out, errOut bytes.Buffer
	code := (&Main{Stdout: &out, Stderr: &errOut}).Run(context.Background(), []string{"--endpoint", endpoint, "account", "list"})
	if code != 1 {
		t.Errorf("exit code: got %d, want 1", code)
	}
	got := errOut.String()
	for _, want := range []string{"meshgate: no meshgate server at " + endpoint + " (", "serve` or point --endpoint (MESHGATE_ENDPOINT) at one"} {
		if !strings.Contains(got, want) {
			t.Errorf("stderr: got %q, want it to contain %q", got, want)
		}
	}
	if strings.Contains(got, "dial tcp") || strings.Contains(got, "Get \"") {
		t.Errorf("stderr: got %q, want no Go dial error", got)
	}
}
