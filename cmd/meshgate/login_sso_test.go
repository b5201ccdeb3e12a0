package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/server/servertest"
)

// TestPasswordSignInJSON: with -o json, password-sign-in prints the API's
// setting ({"enabled": …}), not a sentence.
func TestPasswordSignInJSON(t *testing.T) {
	srv, _ := servertest.New(t, servertest.Options{})
	for _, state := range []string{"off", "on"} {
		code, out, errOut := runCLI(t, srv.URL, srv.AdminToken, "", "password-sign-in", "-o", "json", state)
		var got struct {
			Enabled *bool `json:"enabled"`
		}
		if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil || got.Enabled == nil || *got.Enabled != (state == "on") {
			t.Errorf("%s: got exit %d, %q%s (%v); want {\"enabled\": %v}", state, code, out, errOut, err, state == "on")
		}
	}
}

// TestLoginRefusesNegativeExpiry: a negative --expires is refused before
// any sign-in starts, with --sso (where it fell back to the server's
// default lifetime) and with a password.
func TestLoginRefusesNegativeExpiry(t *testing.T) {
	srv, _ := servertest.New(t, servertest.Options{})
	for _, args := range [][]string{
		{"login", "--sso", "--expires=-1h"},
		{"login", "--username", "admin", "--password-stdin", "--expires=-1h"},
	} {
		code, out, errOut := runCLI(t, srv.URL, "", "not a password\n", args...)
		if code != 1 || !strings.Contains(errOut, "--expires must be 0 or a positive duration") {
			t.Errorf("%q: got exit %d, stdout %q, stderr %q; want exit 1 and an error naming --expires", args, code, out, errOut)
		}
	}
}
