package auth

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
)

func TestPasswordHash(t *testing.T) {
	h := HashPassword("correct horse battery", TestArgon2)
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("got %q, want a PHC argon2id string with its parameters", h)
	}
	if h2 := HashPassword("correct horse battery", TestArgon2); h2 == h {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	tests := []struct {
		password, hash string
		want           bool
		wantErr        bool
	}{
		{"correct horse battery", h, true, false},
		{"correct horse batterx", h, false, false},
		{"", h, false, false},
		{"x", "plain", false, true},
		{"x", "$argon2i$v=19$m=64,t=1,p=1$AAAA$AAAA", false, true},
		{"x", "$argon2id$v=18$m=64,t=1,p=1$AAAA$AAAA", false, true},
		{"x", "$argon2id$v=19$m=64,t=0,p=1$AAAA$AAAA", false, true},
		{"x", "$argon2id$v=19$m=64,t=1,p=1$!!$AAAA", false, true},
	}
	for _, tt := range tests {
		got, err := VerifyPassword(tt.password, tt.hash)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("VerifyPassword(%q, %.40q): got %v, %v; want %v, error %v", tt.password, tt.hash, got, err, tt.want, tt.wantErr)
		}
	}
	// The default parameters are stored in the hash and verified from it.
	d := HashPassword("pw", DefaultArgon2)
	if ok, err := VerifyPassword("pw", d); !ok || err != nil || !strings.Contains(d, "m=19456,t=2,p=1") {
		t.Errorf("got %v, %v for %q; want the default parameters to round-trip", ok, err, d)
	}
	if ok, err := VerifyPassword("pw", ""); ok || !errors.Is(err, errBadHash) {
		t.Errorf("empty hash: got %v, %v; want a malformed-hash error", ok, err)
	}
}

func TestTemporaryPassword(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		p := TemporaryPassword()
		if len(p) != 20 || strings.Trim(p, tempAlphabet) != "" || seen[p] {
			t.Fatalf("got %q, want 20 fresh characters of the alphabet", p)
		}
		seen[p] = true
	}
}

func TestLimiter(t *testing.T) {
	clock := mesh.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	l := NewLimiter(Rate{Burst: 3, Every: 10 * time.Second}, clock)
	steps := []struct {
		advance time.Duration
		key     string
		refund  bool
		want    bool
	}{
		{0, "a", false, true},
		{0, "a", false, true},
		{0, "a", false, true},
		{0, "a", false, false},
		{0, "b", false, true},
		{5 * time.Second, "a", false, false},
		{5 * time.Second, "a", false, true},
		{0, "a", false, false},
		{0, "a", true, true},
		{time.Hour, "a", false, true},
		{0, "a", false, true},
		{0, "a", false, true},
		{0, "a", false, false},
	}
	for i, s := range steps {
		clock.Add(s.advance)
		if s.refund {
			l.Refund(s.key)
		}
		if got := l.Allow(s.key); got != s.want {
			t.Fatalf("step %d (%s after %v): got %v, want %v", i, s.key, s.advance, got, s.want)
		}
	}
}

// A credentials file is the owner's alone, even over a readable file left there.
func TestWritePrivateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(path, []byte("an older and longer content"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WritePrivateFile(path, []byte("new")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if fi.Mode().Perm() != 0o600 || string(b) != "new" {
		t.Errorf("got mode %o and %q, want 600 and \"new\"", fi.Mode().Perm(), b)
	}
}
