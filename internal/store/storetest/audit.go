package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

func init() {
	register("audit", testAudit)
	register("audit-retention", testAuditRetention)
	register("audit-in-transaction", testAuditInTransaction)
	register("size", testSize)
	register("setting", testSetting)
}

func testAudit(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	actor := &mesh.Actor{Username: "ann", AccountID: "central", RemoteAddr: "127.0.0.1", RequestID: "r1"}
	var inserted []*mesh.AuditEntry
	err := s.Update(ctx, func(tx store.Tx) error {
		for i, action := range []string{"catalog.create-database", "catalog.update-database", "account.onboard"} {
			e := mesh.NewAuditEntry(actor, base.Add(time.Duration(i)*time.Minute), action, "database/sales")
			if err := tx.InsertAudit(ctx, &e); err != nil {
				return err
			}
			inserted = append(inserted, &e)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("insert: %v", err)
	}
	// entries are written together at the commit, which numbers them in order
	for i, e := range inserted {
		if e.ID == 0 || i > 0 && e.ID <= inserted[i-1].ID {
			t.Errorf("entry %d (%s): id %d after the commit, want ids ascending in insertion order", i, e.Action, e.ID)
		}
	}
	tests := []struct {
		name   string
		filter store.AuditFilter
		want   []string
	}{
		{"all newest first", store.AuditFilter{}, []string{"account.onboard", "catalog.update-database", "catalog.create-database"}},
		{"action prefix", store.AuditFilter{Action: "catalog.*"}, []string{"catalog.update-database", "catalog.create-database"}},
		{"exact action", store.AuditFilter{Action: "account.onboard"}, []string{"account.onboard"}},
		{"since", store.AuditFilter{Since: base.Add(time.Minute)}, []string{"account.onboard", "catalog.update-database"}},
		{"limit", store.AuditFilter{Limit: 1}, []string{"account.onboard"}},
		{"other principal", store.AuditFilter{Principal: "central/bob"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := s.View(ctx, func(tx store.Tx) error {
				es, err := tx.FindAuditEntries(ctx, tt.filter)
				for _, e := range es {
					got = append(got, e.Action)
				}
				return err
			})
			if err != nil {
				t.Fatalf("find: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
	// The fields round-trip.
	s.View(ctx, func(tx store.Tx) error {
		es, err := tx.FindAuditEntries(ctx, store.AuditFilter{Limit: 1})
		if err != nil || len(es) != 1 {
			t.Fatalf("got %v entries, err %v; want 1", len(es), err)
		}
		e := es[0]
		if e.Principal != "central/ann" || e.RemoteAddr != "127.0.0.1" || e.RequestID != "r1" || e.Result != "ok" || !e.Time.Equal(base.Add(2*time.Minute)) {
			t.Errorf("got %+v, want principal central/ann from 127.0.0.1, request r1, result ok at %v", e, base.Add(2*time.Minute))
		}
		return nil
	})
}

// testAuditInTransaction checks what the transaction that writes audit
// entries sees and keeps: its own entries when it reads the log, none of
// those a rolled-back savepoint took back, and every entry of a large
// transaction, in order.
func testAuditInTransaction(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	insert := func(tx store.Tx, i int, action string) *mesh.AuditEntry {
		t.Helper()
		e := mesh.NewAuditEntry(nil, base.Add(time.Duration(i)*time.Second), action, fmt.Sprintf("n/%d", i))
		if err := tx.InsertAudit(ctx, &e); err != nil {
			t.Fatalf("insert %s: %v", action, err)
		}
		return &e
	}
	actions := func(tx store.Tx) []string {
		t.Helper()
		es, err := tx.FindAuditEntries(ctx, store.AuditFilter{Limit: 1000})
		if err != nil {
			t.Fatalf("find: %v", err)
		}
		var out []string
		for _, e := range es {
			out = append(out, e.Action)
		}
		return out
	}
	const many = 300 // more than one statement's worth on every store
	var kept []*mesh.AuditEntry
	err := s.Update(ctx, func(tx store.Tx) error {
		kept = append(kept, insert(tx, 0, "first"))
		if got := actions(tx); !slices.Equal(got, []string{"first"}) {
			t.Errorf("read in the writing transaction: got %v, want [first]", got)
		}
		if err := tx.Savepoint(ctx, "sp1"); err != nil {
			return err
		}
		insert(tx, 1, "undone")
		if err := tx.RollbackToSavepoint(ctx, "sp1"); err != nil {
			return err
		}
		if err := tx.Savepoint(ctx, "sp2"); err != nil {
			return err
		}
		insert(tx, 2, "read-then-undone")
		if got := actions(tx); !slices.Equal(got, []string{"read-then-undone", "first"}) {
			t.Errorf("read inside a savepoint: got %v, want [read-then-undone first]", got)
		}
		insert(tx, 3, "undone-too")
		if err := tx.RollbackToSavepoint(ctx, "sp2"); err != nil {
			return err
		}
		if err := tx.Savepoint(ctx, "sp3"); err != nil {
			return err
		}
		kept = append(kept, insert(tx, 4, "released"))
		if err := tx.ReleaseSavepoint(ctx, "sp3"); err != nil {
			return err
		}
		for i := range many {
			kept = append(kept, insert(tx, 10+i, "bulk"))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	for i, e := range kept {
		if e.ID == 0 || i > 0 && e.ID <= kept[i-1].ID {
			t.Fatalf("entry %d (%s): id %d, want ids ascending in insertion order", i, e.Action, e.ID)
		}
	}
	err = s.View(ctx, func(tx store.Tx) error {
		es, err := tx.FindAuditEntries(ctx, store.AuditFilter{Limit: 1000})
		if err != nil {
			return err
		}
		if len(es) != len(kept) {
			t.Fatalf("got %d entries, want %d (first, released and %d bulk)", len(es), len(kept), many)
		}
		// newest first: the reverse of kept, each with its own fields
		for i, e := range es {
			want := kept[len(kept)-1-i]
			if e.ID != want.ID || e.Action != want.Action || e.Resource != want.Resource || !e.Time.Equal(want.Time) {
				t.Fatalf("entry %d: got id %d %s %s at %v, want id %d %s %s at %v", i, e.ID, e.Action, e.Resource, e.Time,
					want.ID, want.Action, want.Resource, want.Time)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("view: %v", err)
	}
	// a transaction that fails writes none of its entries
	err = s.Update(ctx, func(tx store.Tx) error {
		insert(tx, 999, "failed")
		return errors.New("changed its mind")
	})
	if err == nil {
		t.Fatal("update: got nil error, want the function's")
	}
	s.View(ctx, func(tx store.Tx) error {
		if got := actions(tx); slices.Contains(got, "failed") {
			t.Errorf("a failed transaction's entry was kept")
		}
		return nil
	})
}

// testAuditRetention checks that DeleteAuditBefore deletes only entries
// older than its time, oldest first, at most its limit at a time.
func testAuditRetention(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	err := s.Update(ctx, func(tx store.Tx) error {
		// inserted out of time order: retention goes by time, not id
		for _, day := range []int{3, 0, 4, 1, 2} {
			e := mesh.NewAuditEntry(nil, base.AddDate(0, 0, day), fmt.Sprintf("day%d", day), "")
			if err := tx.InsertAudit(ctx, &e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("insert: %v", err)
	}
	remaining := func() []string {
		t.Helper()
		var got []string
		err := s.View(ctx, func(tx store.Tx) error {
			es, err := tx.FindAuditEntries(ctx, store.AuditFilter{})
			for _, e := range es {
				got = append(got, e.Action)
			}
			return err
		})
		if err != nil {
			t.Fatalf("find: %v", err)
		}
		slices.Sort(got)
		return got
	}
	steps := []struct {
		before time.Time
		limit  int
		wantN  int
		want   []string
	}{
		{base, 10, 0, []string{"day0", "day1", "day2", "day3", "day4"}},         // strictly older only
		{base.AddDate(0, 0, 3), 2, 2, []string{"day2", "day3", "day4"}},         // the oldest two of three
		{base.AddDate(0, 0, 3), 2, 1, []string{"day3", "day4"}},                 // the rest of the batch
		{base.AddDate(0, 0, 3).Add(time.Microsecond), 100, 1, []string{"day4"}}, // precise to the microsecond (PostgreSQL keeps no finer)
		{base.AddDate(0, 0, 3).Add(time.Microsecond), 100, 0, []string{"day4"}}, // nothing left to delete
	}
	for i, st := range steps {
		var n int
		err := s.Update(ctx, func(tx store.Tx) error {
			var err error
			n, err = tx.DeleteAuditBefore(ctx, st.before, st.limit)
			return err
		})
		if err != nil {
			t.Fatalf("step %d: delete: %v", i, err)
		}
		if got := remaining(); n != st.wantN || !slices.Equal(got, st.want) {
			t.Errorf("step %d: got %d deleted, %v left; want %d, %v", i, n, got, st.wantN, st.want)
		}
	}
}

// testSize checks that the store reports a positive size that grows with its data.
func testSize(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	sz, ok := store.As[store.Sizer](s)
	if !ok {
		t.Fatalf("%s store does not report its size", s.Dialect())
	}
	before, err := sz.Size(ctx)
	if err != nil || before <= 0 {
		t.Fatalf("got size %d, %v; want a positive size", before, err)
	}
	err = s.Update(ctx, func(tx store.Tx) error {
		for i := range 2000 {
			e := mesh.NewAuditEntry(nil, time.Now(), "size.test", "")
			e.Detail = strings.Repeat("x", 200) + strconv.Itoa(i)
			if err := tx.InsertAudit(ctx, &e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("insert: %v", err)
	}
	after, err := sz.Size(ctx)
	if err != nil || after <= before {
		t.Errorf("after 400 KB of entries: got size %d (%v), want more than %d", after, err, before)
	}
}

func testSetting(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	err := s.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.Setting(ctx, "k"); !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("missing setting: got %v, want not found", err)
		}
		v, err := tx.EnsureSetting(ctx, "k", "first")
		if err != nil || v != "first" {
			t.Errorf("got %q, %v; want first", v, err)
		}
		v, err = tx.EnsureSetting(ctx, "k", "second")
		if err != nil || v != "first" {
			t.Errorf("got %q, %v; want first kept", v, err)
		}
		if err := tx.PutSetting(ctx, "k", "third"); err != nil {
			t.Errorf("put: %v", err)
		}
		if err := tx.PutSetting(ctx, "new", "one"); err != nil {
			t.Errorf("put: %v", err)
		}
		for key, want := range map[string]string{"k": "third", "new": "one"} {
			if got, err := tx.Setting(ctx, key); err != nil || got != want {
				t.Errorf("%s after put: got %q, %v; want %q", key, got, err, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
