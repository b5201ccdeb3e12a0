package main

import (
	"encoding/json"
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
