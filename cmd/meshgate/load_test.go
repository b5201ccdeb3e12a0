package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestLoadSharingTable: `load sharing` on SQLite prints its figures, then
// its writer's (how busy, the commit's part, transactions and what they
// carried), then the memory samples.
func TestLoadSharingTable(t *testing.T) {
	var out, errOut bytes.Buffer
	code := (&Main{Stdout: &out, Stderr: &errOut}).Run(context.Background(), []string{"load", "sharing", "--placement", "shared",
		"--requests", "20", "--concurrency", "2", "--accounts", "20", "--commit-probe", "0", "--sample-every", "1h"})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	tables := strings.Split(strings.TrimSpace(out.String()), "\n\n")
	if len(tables) != 3 {
		t.Fatalf("got %d tables, want 3 (figures, writer, memory):\n%s", len(tables), out.String())
	}
	writer := strings.Split(tables[1], "\n")
	if len(writer) != 2 || !strings.HasPrefix(writer[0], "SQLITE WRITER BUSY") || len(strings.Fields(writer[1])) != 5 ||
		!strings.HasSuffix(strings.Fields(writer[1])[0], "%") {
		t.Errorf("writer table: got %q", writer)
	}
}
