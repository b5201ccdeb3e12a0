package loadtest

import (
	"context"
	"testing"
)

// TestRunAuthorize runs a small load and checks every answer was the expected one.
func TestRunAuthorize(t *testing.T) {
	for _, batch := range []int{1, 10} {
		res, err := RunAuthorize(context.Background(), AuthorizeOptions{Grants: 2000, Concurrency: 2, Requests: 400, Batch: batch})
		if err != nil {
			t.Fatalf("batch %d: %v", batch, err)
		}
		if res.Errors != 0 {
			t.Errorf("batch %d: got %d wrong or failed answers, want 0", batch, res.Errors)
		}
		if want := int64(400 * batch / 2); res.Allowed != want {
			t.Errorf("batch %d: got %d allowed, want %d (half)", batch, res.Allowed, want)
		}
	}
}
