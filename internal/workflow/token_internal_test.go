package workflow

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

// TestTokenKeysInTimeOrder: a task token carries the millisecond it was
// made and 256 random bits; its stored key starts with that time, so keys
// of tokens made later sort later, whatever their random bits. A token of
// the earlier form (256 random bits alone) keeps the key it was stored
// under, its SHA-256, so that an execution waiting with one is answered.
func TestTokenKeysInTimeOrder(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	var last string
	for i := range 200 {
		at := t0.Add(time.Duration(i/10) * time.Millisecond) // ten tokens a millisecond
		token, key := newToken(at)
		if len(token) != 51 {
			t.Fatalf("token %q has %d characters, want 51", token, len(token))
		}
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || len(raw) != 38 {
			t.Fatalf("token %q: %d bytes, %v; want 38 bytes of base64url", token, len(raw), err)
		}
		sum := sha256.Sum256([]byte(token))
		want := hex.EncodeToString(raw[:6]) + hex.EncodeToString(sum[:])
		if key != want || hashToken(token) != key {
			t.Fatalf("token %q: key %q, hashToken %q; want %q", token, key, hashToken(token), want)
		}
		if ms := time.UnixMilli(int64(uint64(raw[0])<<40 | uint64(raw[1])<<32 | uint64(raw[2])<<24 |
			uint64(raw[3])<<16 | uint64(raw[4])<<8 | uint64(raw[5]))); !ms.Equal(at) {
			t.Fatalf("token %q carries %v, want %v", token, ms, at)
		}
		if i%10 == 0 && key <= last {
			t.Fatalf("key %q of a token made at %v sorts before %q, made a millisecond earlier", key, at, last)
		}
		if i%10 == 9 {
			last = key[:12] + strings.Repeat("f", 64) // the latest key this millisecond may have
		}
	}

	older := base64.RawURLEncoding.EncodeToString(make([]byte, 32)) // 43 characters
	sum := sha256.Sum256([]byte(older))
	if got, want := hashToken(older), hex.EncodeToString(sum[:]); got != want {
		t.Errorf("a token of the earlier form has key %q, want its SHA-256 %q", got, want)
	}
	// 51 characters that do not begin with a time are keyed by their hash
	odd := "!!!!!!!!" + strings.Repeat("A", 43)
	sum = sha256.Sum256([]byte(odd))
	if got, want := hashToken(odd), hex.EncodeToString(sum[:]); got != want {
		t.Errorf("key of %q = %q, want its SHA-256 %q", odd, got, want)
	}
}
