package browser

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/auth/oidc/oidctest"
	"github.com/meshgate/meshgate/internal/testbin"
)

// TestOIDCSignIn signs in through the identity provider's button on the
// sign-in page: the provider's own login page, then the catalog, signed in
// as the provider's user with the roles its groups map to. A user none of
// whose groups is mapped sees the refusal on the UI's error page. With
// password sign-in switched off the form is gone and the button stays.
func TestOIDCSignIn(t *testing.T) {
	needBrowser(t)
	op := oidctest.Start(t)
	op.AddUser("ann", "ann@example.com", []string{"mesh-sales"})
	op.AddUser("bob", "bob@example.com", []string{"elsewhere"})
	srv := testbin.StartServer(t, testbin.Options{
		Args: []string{"--oidc-issuer", op.Issuer, "--oidc-client-id", oidctest.WebClientID, "--oidc-name", "corp",
			"--oidc-display-name", "Corp SSO", "--oidc-map", "mesh-sales=111122223333:member"},
		Env: []string{"MESHGATE_OIDC_CLIENT_SECRET=" + oidctest.WebClientSecret}})
	ctx := context.Background()
	if _, err := srv.Client().OnboardAccount(ctx, client.AccountInput{ID: "111122223333", Name: "Sales"}); err != nil {
		t.Fatalf("onboard: %v", err)
	}

	b := newBrowser(t, srv)
	if b.open("/catalog"); !strings.HasPrefix(b.path(), "/login?next=") {
		t.Fatalf("catalog signed out: got %s, want the sign-in page", b.path())
	}
	link := `a[href^="/auth/oidc/corp/login"]`
	if got := b.text(link); got != "Sign in with Corp SSO" {
		t.Errorf("provider button: got %q, want Sign in with Corp SSO", got)
	}
	if got := b.attr(link, 0, "href"); got != "/auth/oidc/corp/login?return="+url.QueryEscape("/catalog") {
		t.Errorf("provider link: got %q, want the return to /catalog kept", got)
	}
	if b.count("#password") != 1 {
		t.Errorf("the password form is missing while password sign-in is on")
	}
	providerSignIn(b, op, link, "ann")
	if got := b.path(); got != "/catalog" {
		t.Fatalf("after signing in at the provider: got %s, want /catalog", got)
	}
	b.check("catalog after the provider's sign-in", http.StatusOK)
	if got := b.text(`a[href="/tokens"]`); !strings.Contains(got, "ann") || !strings.Contains(got, "111122223333") {
		t.Errorf("signed-in user: got %q, want ann of 111122223333", got)
	}

	t.Run("no mapped group", func(t *testing.T) {
		b := newBrowser(t, srv)
		b.open("/login")
		status := providerSignIn(b, op, link, "bob")
		if status != http.StatusForbidden {
			t.Errorf("bob's sign-in: got status %d, want 403", status)
		}
		b.check("refused sign-in", status)
		if got := b.text(".alert"); !strings.Contains(got, "none of your groups (elsewhere) gives access") {
			t.Errorf("refusal: got %q, want the reason", got)
		}
		if got := b.text("h1"); !strings.Contains(got, "Sign-in refused") {
			t.Errorf("refusal title: got %q", got)
		}
		if b.open("/catalog"); !strings.HasPrefix(b.path(), "/login") {
			t.Errorf("catalog after a refusal: got %s, want the sign-in page", b.path())
		}
	})

	t.Run("password sign-in off", func(t *testing.T) {
		if err := srv.Client().SetPasswordSignIn(ctx, false); err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t, srv)
		b.open("/login?next=/accounts")
		if got := b.count("#password"); got != 0 {
			t.Errorf("password fields with password sign-in off: got %d, want none", got)
		}
		if got := b.attr(link, 0, "href"); got != "/auth/oidc/corp/login?return="+url.QueryEscape("/accounts") {
			t.Errorf("provider link: got %q, want the return to /accounts", got)
		}
	})
}

// providerSignIn clicks the provider's button on the sign-in page, signs in
// as username on the provider's own login page (not meshgate's, so not
// audited here) and returns the status of the page the browser lands on.
func providerSignIn(b *browser, op *oidctest.Provider, link, username string) int64 {
	b.t.Helper()
	b.navigate("click "+link, chromedp.Click(chromedp.CSS(link), chromedp.NodeVisible))
	if loc := get(b, "location", chromedp.Location()); !strings.HasPrefix(loc, op.Issuer+"/login/username") {
		b.t.Fatalf("after the provider button: got %s, want the provider's login page", loc)
	}
	b.fill("#username", username)
	b.fill("#password", oidctest.Password)
	status := b.navigate("sign in at the provider", chromedp.Click(chromedp.CSS(`button[type=submit]`), chromedp.NodeVisible))
	b.takeErrors() // the provider's page is not meshgate's
	return status
}
