package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

func init() {
	register("tx/after-commit", testAfterCommit)
	register("tx/after-commit-savepoint", testAfterCommitSavepoint)
	register("tx/savepoint-after-failed-statement", testSavepointAfterFailedStatement)
}

// testSavepointAfterFailedStatement: a statement that fails inside a
// savepoint is undone by rolling back to it, after which the transaction
// reads and writes as before (on PostgreSQL a failed statement fails the
// whole transaction until then) and commits; a savepoint left open at the
// commit ends with it.
func testSavepointAfterFailedStatement(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	event := func(id int) []*mesh.HistoryEvent {
		return []*mesh.HistoryEvent{{ExecutionID: "e", ID: id, PreviousID: id - 1, Type: "Step", Timestamp: now}}
	}
	err := s.Update(ctx, func(tx store.Tx) error {
		if err := tx.PutSetting(ctx, "a", "1"); err != nil {
			return err
		}
		if err := tx.Savepoint(ctx, "sp_outer"); err != nil {
			return err
		}
		if err := tx.InsertHistoryEvents(ctx, event(1)); err != nil {
			return err
		}
		if err := tx.Savepoint(ctx, "sp_inner"); err != nil {
			return err
		}
		if err := tx.InsertHistoryEvents(ctx, event(1)); err == nil {
			t.Error("the same history chunk twice: got no error")
		}
		if err := tx.RollbackToSavepoint(ctx, "sp_inner"); err != nil {
			return err
		}
		if got, err := tx.FindHistoryEvents(ctx, "e", 0, 0); err != nil || len(got) != 1 {
			t.Errorf("history after the rollback: got %d events, %v; want 1", len(got), err)
		}
		if err := tx.InsertHistoryEvents(ctx, event(2)); err != nil {
			return err
		}
		if err := tx.ReleaseSavepoint(ctx, "sp_outer"); err != nil {
			return err
		}
		if v, err := tx.Setting(ctx, "a"); err != nil || v != "1" {
			t.Errorf("setting after the release: got %q %v, want 1", v, err)
		}
		return tx.Savepoint(ctx, "sp_open")
	})
	if err != nil {
		t.Fatal(err)
	}
	mustView(t, s, func(tx store.Tx) error {
		if got, err := tx.FindHistoryEvents(ctx, "e", 0, 0); err != nil || len(got) != 2 {
			t.Errorf("history committed: got %d events, %v; want 2", len(got), err)
		}
		return nil
	})
}

// testAfterCommit: what waits for the commit runs once it is durable (a
// read there sees the write), in order, and never for a rolled-back
// transaction.
func testAfterCommit(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	var ran []string
	err := s.Update(ctx, func(tx store.Tx) error {
		tx.AfterCommit(func() {
			err := s.View(ctx, func(tx store.Tx) error {
				_, err := tx.FindAccountByID(ctx, "111122223333")
				return err
			})
			if err != nil {
				t.Errorf("after commit: the committed account: %v", err)
			}
			ran = append(ran, "first")
		})
		tx.AfterCommit(func() { ran = append(ran, "second") })
		if len(ran) != 0 {
			t.Errorf("ran %v before the commit", ran)
		}
		return tx.CreateAccount(ctx, identityAccount("111122223333", "Sales", ""))
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ran) != 2 || ran[0] != "first" || ran[1] != "second" {
		t.Errorf("committed: ran %v, want [first second]", ran)
	}

	ran = nil
	refused := errors.New("refused")
	err = s.Update(ctx, func(tx store.Tx) error {
		tx.AfterCommit(func() { ran = append(ran, "rolled back") })
		return refused
	})
	if !errors.Is(err, refused) {
		t.Fatalf("got %v, want the transaction's own error", err)
	}
	if len(ran) != 0 {
		t.Errorf("rolled back: ran %v, want nothing", ran)
	}
}

// testAfterCommitSavepoint: a rollback to a savepoint forgets what was
// registered to follow the work it undoes, and keeps what came before it
// and what a released savepoint registered.
func testAfterCommitSavepoint(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	var ran []string
	err := s.Update(ctx, func(tx store.Tx) error {
		tx.AfterCommit(func() { ran = append(ran, "before") })
		if err := tx.Savepoint(ctx, "undone"); err != nil {
			return err
		}
		tx.AfterCommit(func() { ran = append(ran, "undone") })
		if err := tx.RollbackToSavepoint(ctx, "undone"); err != nil {
			return err
		}
		if err := tx.Savepoint(ctx, "kept"); err != nil {
			return err
		}
		tx.AfterCommit(func() { ran = append(ran, "kept") })
		return tx.ReleaseSavepoint(ctx, "kept")
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ran) != 2 || ran[0] != "before" || ran[1] != "kept" {
		t.Errorf("ran %v, want [before kept]", ran)
	}
}
