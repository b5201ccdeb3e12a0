package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/server/servertest"
)

// TestApprovalLinksCommand shows and sets an account's approval-link
// setting through the CLI: the link suffices by default.
func TestApprovalLinksCommand(t *testing.T) {
	srv, admin := servertest.New(t, servertest.Options{})
	ctx := context.Background()
	if _, err := admin.OnboardAccount(ctx, client.AccountInput{ID: "111122223333", Name: "Sales"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"approval", "links", "--account", "111122223333"}, `"sign_in_required": false`},
		{[]string{"approval", "links", "--account", "111122223333", "--sign-in-required=true"}, `"sign_in_required": true`},
		{[]string{"approval", "links", "--account", "111122223333"}, `"sign_in_required": true`},
		{[]string{"approval", "links", "--account", "111122223333", "--sign-in-required=false"}, `"sign_in_required": false`},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := (&Main{Stdout: &out, Stderr: &errOut}).Run(ctx, append([]string{"--endpoint", srv.URL, "--token", srv.AdminToken, "-o", "json"}, tt.args...))
		if code != 0 || !strings.Contains(out.String(), tt.want) {
			t.Errorf("%s: got exit %d, %s%s; want %s", strings.Join(tt.args, " "), code, out.String(), errOut.String(), tt.want)
		}
	}
	var out, errOut bytes.Buffer
	if code := (&Main{Stdout: &out, Stderr: &errOut}).Run(ctx, []string{"--endpoint", srv.URL, "--token", srv.AdminToken,
		"approval", "links", "--account", "999999999999"}); code == 0 {
		t.Errorf("unknown account: got exit 0, want a failure")
	}
}
