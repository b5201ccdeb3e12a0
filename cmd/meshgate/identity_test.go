package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/server/servertest"
)

// runCLI runs the CLI in-process against endpoint with token and returns
// its exit code, stdout and stderr.
func runCLI(t *testing.T, endpoint, token, input string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	old := stdin
	stdin = strings.NewReader(input)
	defer func() { stdin = old }()
	all := append([]string{args[0], "--endpoint", endpoint, "--token", token}, args[1:]...)
	code := (&Main{Stdout: &out, Stderr: &errb}).Run(context.Background(), all)
	return code, out.String(), errb.String()
}

func TestIdentityCLI(t *testing.T) {
	srv, _ := servertest.New(t, servertest.Options{})
	admin := srv.AdminToken
	must := func(input string, args ...string) string {
		t.Helper()
		code, out, errOut := runCLI(t, srv.URL, admin, input, args...)
		if code != 0 {
			t.Fatalf("meshgate %v: exit %d: %s", args, code, errOut)
		}
		return out
	}

	out := must("", "account", "onboard", "--id", "111122223333", "--name", "Sales", "--organization", "o-example")
	if !strings.Contains(out, "111122223333") || !strings.Contains(out, "Sales") {
		t.Errorf("onboard printed %q, want the account row", out)
	}
	var accounts []map[string]any
	if err := json.Unmarshal([]byte(must("", "account", "list", "-o", "json")), &accounts); err != nil || len(accounts) != 2 {
		t.Fatalf("account list -o json: got %v (%v), want central and Sales", accounts, err)
	}

	var created struct {
		TemporaryPassword string `json:"temporary_password"`
	}
	if err := json.Unmarshal([]byte(must("", "user", "create", "--account", "111122223333", "--username", "sam", "--role", "admin,approver", "-o", "json")), &created); err != nil || created.TemporaryPassword == "" {
		t.Fatalf("user create: got %+v (%v), want a temporary password", created, err)
	}

	// Signing in with the temporary password changes it, then prints a token.
	out = must(created.TemporaryPassword+"\nsam's new password\n", "login", "--username", "sam", "--password-stdin")
	first, _, _ := strings.Cut(out, "\n")
	token, ok := strings.CutPrefix(first, "export MESHGATE_TOKEN=")
	if !ok || !strings.HasPrefix(token, "mgt_") {
		t.Fatalf("login printed %q, want export MESHGATE_TOKEN=mgt_...", out)
	}
	code, out, _ := runCLI(t, srv.URL, token, "", "token", "list")
	if code != 0 || !strings.Contains(out, "cli") {
		t.Errorf("token list with the new token: exit %d, %q; want the cli token", code, out)
	}
	// The old password no longer works; the new one does.
	if code, _, _ := runCLI(t, srv.URL, "", created.TemporaryPassword+"\n", "login", "--username", "sam", "--password-stdin"); code == 0 {
		t.Error("login with the replaced temporary password succeeded")
	}
	must("sam's new password\n", "login", "--username", "sam", "--password-stdin")

	out = must("", "user", "set-roles", "--username", "sam", "--role", "member")
	if !strings.Contains(out, "member") {
		t.Errorf("set-roles printed %q, want member", out)
	}
	out = must("", "user", "show", "--username", "sam")
	if !strings.Contains(out, "sam") || !strings.Contains(out, "member") {
		t.Errorf("user show printed %q, want sam, a member", out)
	}
	// A non-admin cannot onboard.
	code, _, errOut := runCLI(t, srv.URL, token, "", "account", "onboard", "--id", "222233334444", "--name", "X")
	if code == 0 || !strings.Contains(errOut, "forbidden") {
		t.Errorf("onboard by a member: exit %d, %q; want forbidden", code, errOut)
	}

	out = must("", "account", "offboard", "--id", "111122223333")
	if !strings.Contains(out, "1 users removed") {
		t.Errorf("offboard printed %q, want 1 user removed", out)
	}
	if code, _, _ := runCLI(t, srv.URL, token, "", "token", "list"); code == 0 {
		t.Error("the token of an offboarded account's user still works")
	}
	out = must("", "audit", "list", "--action", "account.*")
	for _, want := range []string{"account.offboard", "account.onboard", "central/admin"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit list printed %q, want %s", out, want)
		}
	}
}
