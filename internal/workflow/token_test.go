package workflow_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/workflow"
)

// TestEarlierTokenAnswered: an execution that waits with a task token of
// the form made before tokens carried their time (256 random bits, stored
// under their SHA-256) is answered by that token.
func TestEarlierTokenAnswered(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ev := newEnv(t, s)
		ev.create("cb", callbackMachine)
		x := ev.start("cb", "earlier", `{}`)
		ev.drain()
		current := ev.lastToken()

		// the row an earlier version would have stored for the same wait
		b := make([]byte, 32)
		rand.Read(b)
		earlier := base64.RawURLEncoding.EncodeToString(b)
		sum := sha256.Sum256([]byte(earlier))
		err := s.Update(ev.ctx, func(tx store.Tx) error {
			tok, err := tx.FindTaskToken(ev.ctx, workflow.HashToken(current))
			if err != nil {
				return err
			}
			old := *tok
			old.Hash = hex.EncodeToString(sum[:])
			return tx.InsertTaskToken(ev.ctx, &old)
		})
		if err != nil {
			t.Fatal(err)
		}

		if err := ev.engine.SendTaskSuccess(ev.ctx, earlier, json.RawMessage(`{"approved": true}`)); err != nil {
			t.Fatalf("success with a token of the earlier form: %v", err)
		}
		got := ev.wantStatus(x.ID, mesh.ExecutionSucceeded)
		if string(got.Output) != `{"approved":true}` {
			t.Errorf("output: got %s, want %s", got.Output, `{"approved":true}`)
		}
	})
}
