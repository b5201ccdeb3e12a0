package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/store"
)

func init() { register("migrate", testMigrate) }

// testMigrate checks that a fresh store is reachable and answers a transaction.
func testMigrate(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
	called := false
	if err := s.View(ctx, func(tx store.Tx) error { called = true; return nil }); err != nil {
		t.Fatalf("view: %v", err)
	}
	if !called {
		t.Fatal("view did not call its function")
	}
}

// OldHistory is what a store's history table held an event a row before
// migration 0016, as each store's migration test writes it there:
// execution, id, previous id, type, time (RFC 3339) and details ("" for NULL).
var OldHistory = [][6]string{
	{"e1", "1", "0", "ExecutionStarted", "2026-03-01T12:00:00Z", `{"input": {"a": [1, "two"]}}`},
	{"e1", "2", "1", "PassStateEntered", "2026-03-01T12:00:00.001Z", ""},
	{"e1", "3", "2", "ExecutionSucceeded", "2026-03-01T12:00:00.002Z", `{"output":null}`},
	{"e2", "1", "0", "ExecutionStarted", "2026-03-01T12:00:01Z", "{}"},
}

// HistoryMigrated checks that s, opened on a store that held OldHistory,
// returns those events (details the same JSON, spacing aside).
func HistoryMigrated(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	mustView(t, s, func(tx store.Tx) error {
		for _, exec := range []string{"e1", "e2"} {
			var want [][6]string
			for _, row := range OldHistory {
				if row[0] == exec {
					want = append(want, row)
				}
			}
			got, err := tx.FindHistoryEvents(ctx, exec, 0, 0)
			if err != nil || len(got) != len(want) {
				t.Fatalf("%s: got %d events, %v; want %d", exec, len(got), err, len(want))
			}
			for i, g := range got {
				w := want[i]
				at, _ := time.Parse(time.RFC3339Nano, w[4])
				if strconv.Itoa(g.ID) != w[1] || strconv.Itoa(g.PreviousID) != w[2] || g.Type != w[3] || !g.Timestamp.Equal(at) || !sameJSON(g.Details, w[5]) {
					t.Errorf("%s event %d: got %+v (details %s), want %v", exec, i, *g, g.Details, w)
				}
			}
		}
		return nil
	})
}

// sameJSON reports whether got is the JSON text want (empty: none), spacing aside.
func sameJSON(got json.RawMessage, want string) bool {
	if want == "" || got == nil {
		return want == "" && got == nil
	}
	var g, w bytes.Buffer
	return json.Compact(&g, got) == nil && json.Compact(&w, []byte(want)) == nil && g.String() == w.String()
}
