package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/store"
)

// OutboxForgetsInput checks that an outbox task's input, which may hold a
// task token in plain text, is gone from the store once the task is done or
// cancelled. inputs reads every outbox row's stored input, as the store's
// own SQL sees it: the store interface has no way to read a finished task.
func OutboxForgetsInput(t *testing.T, s store.Store, inputs func() []string) {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const secret = "tok-0123456789abcdefghijklmnopqrstuvwxyzABCDEF"
	err := s.Update(ctx, func(tx store.Tx) error {
		for _, key := range []string{"e1/Call/1", "e2/Call/1"} {
			if err := tx.InsertOutboxTask(ctx, &store.OutboxTask{ExecutionID: strings.Split(key, "/")[0], Attempt: 1, DedupeKey: key,
				Resource: "r", Input: []byte(`{"token":"` + secret + `"}`), Timeout: time.Second, Status: store.OutboxPending, CreatedAt: now}); err != nil {
				return err
			}
		}
		got, err := tx.ClaimOutboxTasks(ctx, "a", now, now.Add(time.Minute), 10)
		if err != nil || len(got) != 2 {
			t.Fatalf("claim: got %v %v, want two tasks", got, err)
		}
		if !strings.Contains(string(got[0].Input), secret) {
			t.Errorf("a pending task's input: got %s, want it whole", got[0].Input)
		}
		for _, task := range got {
			if task.ExecutionID == "e1" {
				if err := tx.FinishOutboxTask(ctx, task.ID, "a", store.OutboxDone); err != nil {
					return err
				}
			}
		}
		return tx.CancelOutboxTasks(ctx, "e2", 0)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range inputs() {
		if strings.Contains(in, secret) {
			t.Errorf("a finished outbox task still holds its input %s", in)
		}
	}
}
