package browser

import (
	"net/http"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/testbin"
)

// TestSignInWithTemporaryPassword signs a new member in with the temporary
// password from the demo, is sent to the password page until it chooses its
// own, and signs out and in again with it.
func TestSignInWithTemporaryPassword(t *testing.T) {
	needBrowser(t)
	srv := testbin.StartServer(t, testbin.Options{Args: []string{"--demo"}})
	b := newBrowser(t, srv)
	temp := demoPassword(t, srv, "analytics-member")

	if got := b.open("/catalog"); got != http.StatusOK || !strings.HasPrefix(b.path(), "/login?next=") {
		t.Fatalf("catalog signed out: got %d at %s, want the sign-in page", got, b.path())
	}

	b.fill("#username", "analytics-member")
	b.fill("#password", "wrong password")
	if got := b.submit(`form[action="/login"] button`); got != http.StatusUnauthorized {
		t.Errorf("wrong password: got status %d, want 401", got)
	}
	if got := b.text(".alert"); !strings.Contains(got, "invalid username or password") {
		t.Errorf("wrong password: got %q, want the reason", got)
	}
	if got := b.value("#username"); got != "analytics-member" {
		t.Errorf("username after a failed sign-in: got %q, want it kept", got)
	}

	b.fill("#password", temp)
	b.submit(`form[action="/login"] button`)
	// on the way to the catalog, where the change then leads
	if got := b.path(); got != "/password?next=%2Fcatalog" {
		t.Fatalf("after signing in with a temporary password: got %s, want /password?next=%%2Fcatalog", got)
	}
	if got := b.open("/catalog"); b.path() != "/password" {
		t.Errorf("catalog before the change: got %d at %s, want /password", got, b.path())
	}

	b.fill("#current_password", temp)
	b.fill("#new_password", "member-password-1")
	b.fill("#confirm_password", "member-password-2")
	if got := b.submit(`form[action="/password"] button`); got != http.StatusBadRequest {
		t.Errorf("mismatched confirmation: got %d, want 400", got)
	}
	if got := b.text("#confirm_password-error"); !strings.Contains(got, "does not match") {
		t.Errorf("mismatched confirmation: got %q, want the field named", got)
	}
	b.fill("#current_password", temp)
	b.fill("#new_password", "short")
	b.fill("#confirm_password", "short")
	b.submit(`form[action="/password"] button`)
	if got := b.text("#new_password-error"); !strings.Contains(got, "at least 12") {
		t.Errorf("short password: got %q, want the new password's field named", got)
	}

	b.fill("#current_password", temp)
	b.fill("#new_password", "member-password-1")
	b.fill("#confirm_password", "member-password-1")
	b.submit(`form[action="/password"] button`)
	if got := b.path(); got != "/catalog?notice=password" {
		t.Fatalf("after the change: got %s, want the catalog", got)
	}
	if got := b.text(".notice"); !strings.Contains(got, "password is changed") {
		t.Errorf("notice: got %q", got)
	}

	b.signOut()
	if got := b.path(); !strings.HasPrefix(got, "/login") {
		t.Fatalf("after signing out: got %s, want /login", got)
	}
	if got := b.open("/catalog"); !strings.HasPrefix(b.path(), "/login") {
		t.Errorf("catalog after signing out: got %d at %s, want the sign-in page", got, b.path())
	}
	b.signIn("analytics-member", "member-password-1", "")
	if got := b.path(); got != "/catalog" {
		t.Errorf("signing in with the new password: got %s, want /catalog", got)
	}
}
