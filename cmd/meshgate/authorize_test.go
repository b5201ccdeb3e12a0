package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestAuthorizeExitStatus: `meshgate authorize` exits 0 on yes and 1 on no,
// printing the reason, which tells a user of the owning account how to get
// access; a question the caller may not ask fails with its error.
func TestAuthorizeExitStatus(t *testing.T) {
	m := newAccessMesh(t, storetest.Kinds()[0])
	ask := []string{"authorize", "--action", "SELECT", "--database", "sales", "--table", "orders"}
	tests := []struct {
		name  string
		token string
		args  []string
		code  int
		want  []string
	}{
		{"the owner account", m.producer, []string{"--principal", "111122223333"}, 0, []string{"ALLOWED", "owner of database sales"}},
		{"a user of the owner account", m.producer, nil, 1, []string{"DENIED", "111122223333/padmin", "an admin of account 111122223333 can grant it"}},
		{"a user of the owner account, as JSON", m.producer, []string{"-o", "json"}, 1, []string{`"allowed": false`}},
		{"a question the caller may not ask", m.alice, []string{"--principal", "111122223333"}, 1, []string{"403", "yourself"}},
	}
	for _, tt := range tests {
		out, code := m.run(t, tt.token, append(append([]string{}, ask...), tt.args...)...)
		if code != tt.code {
			t.Errorf("%s: got exit %d, want %d:\n%s", tt.name, code, tt.code, out)
		}
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: got\n%s\nwant it to contain %q", tt.name, out, w)
			}
		}
	}
}

// TestInvitationListPages: `invitation list` shows a page and how to get the
// next, and --all follows every page.
func TestInvitationListPages(t *testing.T) {
	m := newAccessMesh(t, storetest.Kinds()[0])
	for _, table := range []string{"", "orders"} {
		args := []string{"grant", "--principal", "222233334444", "--database", "sales", "--permissions", "DESCRIBE"}
		if table != "" {
			args = append(args, "--table", table)
		}
		if out, code := m.run(t, m.producer, args...); code != 0 {
			t.Fatalf("grant: exit %d:\n%s", code, out)
		}
	}
	out, code := m.run(t, m.consumer, "invitation", "list", "--limit", "1")
	token := regexp.MustCompile(`--next-token (\S+)`).FindStringSubmatch(out)
	if code != 0 || token == nil || !strings.Contains(out, "sales.orders") {
		t.Fatalf("first page: got exit %d:\n%s\nwant the newest invitation and a next token", code, out)
	}
	out, code = m.run(t, m.consumer, "invitation", "list", "--limit", "1", "--next-token", token[1])
	if code != 0 || strings.Contains(out, "sales.orders") || strings.Contains(out, "--next-token") || !strings.Contains(out, "sales") {
		t.Errorf("second page: got exit %d:\n%s\nwant the older invitation and no next token", code, out)
	}
	out, code = m.run(t, m.consumer, "invitation", "list", "--limit", "1", "--all")
	if code != 0 || strings.Count(out, "pending") != 2 {
		t.Errorf("--all: got exit %d:\n%s\nwant both invitations", code, out)
	}
}
