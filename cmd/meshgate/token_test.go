package main

import (
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/server/servertest"
)

// TestTokenCreateRefusesNegativeExpiry: a negative --expires is a mistake the
// server refuses (400 naming expires_in), not a token that never expires.
func TestTokenCreateRefusesNegativeExpiry(t *testing.T) {
	srv, _ := servertest.New(t, servertest.Options{})
	code, out, errOut := runCLI(t, srv.URL, srv.AdminToken, "", "token", "create", "--name", "typo", "--expires=-1h")
	if code != 1 || !strings.Contains(errOut, "expires_in") {
		t.Errorf("got exit %d, stdout %q, stderr %q; want exit 1 and an error naming expires_in", code, out, errOut)
	}
	code, out, errOut = runCLI(t, srv.URL, srv.AdminToken, "", "token", "list")
	if code != 0 || strings.Contains(out, "typo") {
		t.Errorf("token list: got exit %d, %q%s; want no token named typo", code, out, errOut)
	}
}
