package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/meshgate/meshgate/internal/store"
)

func init() {
	register("tx/after-commit", testAfterCommit)
	register("tx/after-commit-savepoint", testAfterCommitSavepoint)
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
