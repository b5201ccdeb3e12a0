package client

import (
	"strconv"
	"testing"
	"time"
)

// TestIdempotencyKeysFollowTime: keys are distinct, and a later key sorts
// after an earlier one (so the server's index of them grows at its end).
func TestIdempotencyKeysFollowTime(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	prev := ""
	for i := range 1000 {
		k := newIdempotencyKey(t0.Add(time.Duration(i/10) * time.Millisecond))
		if seen[k] {
			t.Fatalf("key %q made twice", k)
		}
		seen[k] = true
		if i%10 == 0 && k <= prev {
			t.Errorf("key %q of a later millisecond sorts before %q", k, prev)
		}
		if len(k) > 64 {
			t.Errorf("key %q is longer than the server's limit of 64", k)
		}
		prev = k
	}
	k := NewIdempotencyKey()
	ms, err := strconv.ParseInt(k[:12], 16, 64)
	if err != nil || time.Since(time.UnixMilli(ms)).Abs() > time.Minute {
		t.Errorf("NewIdempotencyKey %q does not start with the time (%v)", k, err)
	}
}
