package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/auth/oidc/oidctest"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/testbin"
)

// startWithProvider starts a provider with ann (sales approver and member)
// and bob (no mapped group), and meshgate signing in through it as "corp".
func startWithProvider(t *testing.T, pg bool) (*oidctest.Provider, *testbin.Server) {
	t.Helper()
	op := oidctest.Start(t)
	op.AddUser("ann", "ann@example.com", []string{"mesh-sales", "mesh-sales-approvers"})
	op.AddUser("bob", "bob@example.com", []string{"elsewhere"})
	srv := testbin.StartServer(t, testbin.Options{Postgres: pg,
		Args: []string{"--oidc-issuer", op.Issuer, "--oidc-client-id", oidctest.WebClientID, "--oidc-name", "corp",
			"--oidc-display-name", "Corp SSO", "--oidc-cli-client-id", oidctest.CLIClientID,
			"--oidc-map", "mesh-sales-approvers=111122223333:approver", "--oidc-map", "mesh-sales=111122223333:member",
			"--oidc-map", "mesh-admins=central:admin"},
		Env: []string{"MESHGATE_OIDC_CLIENT_SECRET=" + oidctest.WebClientSecret}})
	if _, err := srv.Client().OnboardAccount(context.Background(), client.AccountInput{ID: "111122223333", Name: "Sales"}); err != nil {
		t.Fatalf("onboard: %v", err)
	}
	return op, srv
}

func eachStore(t *testing.T, fn func(t *testing.T, pg bool)) {
	for _, pg := range []bool{false, true} {
		name := "sqlite"
		if pg {
			name = "postgres"
		}
		t.Run(name, func(t *testing.T) { fn(t, pg) })
	}
}

// me asks /api/v1/me with b's cookies.
func me(t *testing.T, b *oidctest.Browser, srv *testbin.Server) (int, *client.Me) {
	t.Helper()
	resp, err := b.HTTP.Get(srv.URL + "/api/v1/me")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m client.Me
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, &m
}

// TestOIDCBrowserSignIn signs in through the provider with the real binary:
// the user is created with its groups' roles, loses a role with its group,
// a user without a mapped group and a replayed callback are refused with a
// page, and signing out ends the provider's session too.
func TestOIDCBrowserSignIn(t *testing.T) {
	eachStore(t, func(t *testing.T, pg bool) {
		op, srv := startWithProvider(t, pg)
		lp, err := srv.Client().LoginProviders(context.Background())
		if err != nil || len(lp.Providers) != 1 || lp.Providers[0].DisplayName != "Corp SSO" || lp.Providers[0].LoginURL != "/auth/oidc/corp/login" || !lp.PasswordSignIn {
			t.Fatalf("providers: got %+v, %v", lp, err)
		}
		callback := srv.URL + "/auth/oidc/corp/callback"
		signIn := func(username string) (*oidctest.Browser, *http.Response, string, string) {
			b := oidctest.NewBrowser()
			b.FetchStop = true
			resp, at, body := b.SignIn(t, op, srv.URL+"/auth/oidc/corp/login?return=/api/v1/me", username, callback)
			return b, resp, at, body
		}

		b, resp, at, body := signIn("ann")
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/api/v1/me" {
			t.Fatalf("callback: got %d to %q (%s), want 303 to /api/v1/me", resp.StatusCode, loc, body)
		}
		status, m := me(t, b, srv)
		if status != http.StatusOK || m.User.Username != "ann" || m.User.AccountID != "111122223333" || !slices.Equal(m.User.Roles, []string{"approver", "member"}) || m.AuthenticatedBy != "session" {
			t.Fatalf("me: got %d %+v, want ann of 111122223333, approver and member, by session", status, m.User)
		}

		t.Run("replayed callback", func(t *testing.T) {
			// Even with the state cookie kept, a state serves once.
			u, _ := url.Parse(at)
			req, _ := http.NewRequest("GET", at, nil)
			req.AddCookie(&http.Cookie{Name: "meshgate_oidc_state", Value: u.Query().Get("state")})
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(page), "was used already") {
				t.Errorf("got %d %s, want 401 saying the sign-in was used", resp.StatusCode, page)
			}
		})

		t.Run("a removed group removes its role", func(t *testing.T) {
			op.SetGroups("ann", []string{"mesh-sales"})
			b2, _, _, _ := signIn("ann")
			status, m2 := me(t, b2, srv)
			if status != http.StatusOK || m2.User.ID != m.User.ID || !slices.Equal(m2.User.Roles, []string{"member"}) {
				t.Errorf("got %d %+v, want the same user, member only", status, m2.User)
			}
		})

		t.Run("no mapped group", func(t *testing.T) {
			b3, resp, _, page := signIn("bob")
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "none of your groups (elsewhere) gives access") {
				t.Errorf("got %d %s, want 403 saying no group gives access", resp.StatusCode, page)
			}
			if status, _ := me(t, b3, srv); status != http.StatusUnauthorized {
				t.Errorf("me after a refusal: got %d, want 401", status)
			}
			users, err := srv.Client().ListUsers(context.Background(), "", "", client.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range users.Users {
				if u.Username == "bob" {
					t.Errorf("got user bob created by a refused sign-in")
				}
			}
		})

		t.Run("sign-out ends the provider's session too", func(t *testing.T) {
			req, _ := http.NewRequest("POST", srv.URL+"/auth/oidc/logout", nil)
			req.Header.Set("Origin", srv.URL)
			resp, err := b.HTTP.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			loc, _ := url.Parse(resp.Header.Get("Location"))
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc.String(), op.Issuer+"/") || loc.Query().Get("client_id") != oidctest.WebClientID {
				t.Errorf("got %d to %q, want 303 to the provider's end-session endpoint", resp.StatusCode, loc)
			}
			if status, _ := me(t, b, srv); status != http.StatusUnauthorized {
				t.Errorf("me after sign-out: got %d, want 401", status)
			}
		})

		entries, err := srv.Client().ListAudit(context.Background(), client.AuditFilter{Action: "auth.login-identity"}, client.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var ok, refused int
		for _, e := range entries.Entries {
			if e.Result == "ok" {
				ok++
			} else {
				refused++
			}
		}
		if ok != 2 || refused != 1 {
			t.Errorf("audit: got %d sign-ins and %d refusals, want 2 and 1", ok, refused)
		}
	})
}

// TestOIDCDeviceLogin signs the CLI in with the device authorization grant
// and checks the API token it prints.
func TestOIDCDeviceLogin(t *testing.T) {
	eachStore(t, func(t *testing.T, pg bool) {
		op, srv := startWithProvider(t, pg)
		cmd := testbin.Command(t, "--endpoint", srv.URL, "login", "--sso", "--token-name", "laptop")
		stderr, _ := cmd.StderrPipe()
		var stdout strings.Builder
		cmd.Stdout = &stdout
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		t.Cleanup(func() { cmd.Process.Kill() })
		code := regexp.MustCompile(`enter the code ([A-Za-z0-9-]+)`)
		sc := bufio.NewScanner(stderr)
		var userCode string
		for sc.Scan() {
			if m := code.FindStringSubmatch(sc.Text()); m != nil {
				userCode = m[1]
				break
			}
		}
		if userCode == "" {
			t.Fatalf("the CLI printed no user code")
		}
		var rest strings.Builder
		copied := make(chan struct{})
		go func() { io.Copy(&rest, stderr); close(copied) }()
		b := oidctest.NewBrowser()
		resp, err := b.HTTP.PostForm(op.Issuer+"/device/login", url.Values{"user_code": {userCode}, "username": {"ann"}, "password": {oidctest.Password}})
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("device login: %v %v", resp, err)
		}
		resp.Body.Close()
		resp, err = b.HTTP.PostForm(op.Issuer+"/device/confirm", url.Values{"action": {"allowed"}})
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("device confirm: %v %v", resp, err)
		}
		resp.Body.Close()
		select {
		case err := <-done:
			if err != nil {
				<-copied
				t.Fatalf("login --sso: %v\n%s", err, rest.String())
			}
		case <-time.After(60 * time.Second):
			t.Fatal("login --sso did not finish")
		}
		tok, _ := loginToken(stdout.String())
		m, err := client.New(srv.URL, tok).Me(context.Background())
		if err != nil || m.User.Username != "ann" || m.AuthenticatedBy != "token" {
			t.Fatalf("me with the token: got %+v, %v, want ann by token", m, err)
		}
	})
}

// TestOIDCProviderUnreachable: meshgate starts without its provider, says
// sign-in through it is unavailable, and password sign-in still works until
// a mesh admin switches it off.
func TestOIDCProviderUnreachable(t *testing.T) {
	eachStore(t, func(t *testing.T, pg bool) {
		srv := testbin.StartServer(t, testbin.Options{Postgres: pg,
			Args: []string{"--oidc-issuer", "http://127.0.0.1:1", "--oidc-client-id", "meshgate", "--oidc-map", "g=central:member"}})
		resp, err := http.Get(srv.URL + "/auth/oidc/sso/login")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(page), "is unavailable") {
			t.Errorf("got %d %s, want 503 saying sign-in is unavailable", resp.StatusCode, page)
		}
		ctx := context.Background()
		nu, err := srv.Client().CreateUser(ctx, "central", client.UserInput{Username: "local", Roles: []string{"member"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := srv.Client().WithSession().Login(ctx, "local", nu.TemporaryPassword); err != nil {
			t.Fatalf("password sign-in: got %v, want it to work", err)
		}
		if _, err := srv.CLI(t, "password-sign-in", "off"); err != nil {
			t.Fatal(err)
		}
		_, err = srv.Client().WithSession().Login(ctx, "local", nu.TemporaryPassword)
		var ce *client.Error
		if !errors.As(err, &ce) || ce.Code != mesh.EFORBIDDEN || !strings.Contains(ce.Message, "switched off") {
			t.Errorf("password sign-in switched off: got %v, want forbidden", err)
		}
		if _, err := srv.CLI(t, "password-sign-in", "on"); err != nil {
			t.Fatal(err)
		}
		if _, err := srv.Client().WithSession().Login(ctx, "local", nu.TemporaryPassword); err != nil {
			t.Errorf("password sign-in switched on again: got %v", err)
		}
	})
}

// TestOIDCLoopbackLogin signs the CLI in with a browser sent back to its
// loopback port, and calls the API with a provider's access token.
func TestOIDCLoopbackLogin(t *testing.T) {
	op, srv := startWithProvider(t, false)
	cmd := testbin.Command(t, "--endpoint", srv.URL, "login", "--sso", "--browser")
	stderr, _ := cmd.StderrPipe()
	var stdout strings.Builder
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	sc := bufio.NewScanner(stderr)
	var start string
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), op.Issuer+"/") {
			start = sc.Text()
			break
		}
	}
	if start == "" {
		t.Fatal("the CLI printed no sign-in URL")
	}
	go io.Copy(io.Discard, stderr)
	u, _ := url.Parse(start)
	redirect := u.Query().Get("redirect_uri")
	if !strings.HasPrefix(redirect, "http://127.0.0.1:") {
		t.Fatalf("got redirect_uri %q, want a loopback port", redirect)
	}
	b := oidctest.NewBrowser()
	b.FetchStop = true
	if resp, _, page := b.SignIn(t, op, start, "ann", redirect); resp.StatusCode != http.StatusOK || !strings.Contains(page, "Signed in") {
		t.Fatalf("loopback page: got %d %s", resp.StatusCode, page)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("login --sso --browser: %v", err)
	}
	tok, _ := loginToken(stdout.String())
	m, err := client.New(srv.URL, tok).Me(context.Background())
	if err != nil || m.User.Username != "ann" {
		t.Fatalf("me with the token: got %+v, %v, want ann", m, err)
	}
}

// TestOIDCAccessToken lets a pipeline call with the provider's JWT access
// token for the configured audience, and only that audience.
func TestOIDCAccessToken(t *testing.T) {
	eachStore(t, func(t *testing.T, pg bool) {
		op := oidctest.Start(t)
		op.AddUser("pipeline", "", []string{"mesh-sales"})
		srv := testbin.StartServer(t, testbin.Options{Postgres: pg,
			Args: []string{"--oidc-issuer", op.Issuer, "--oidc-client-id", oidctest.WebClientID,
				"--oidc-access-token-audience", oidctest.WebClientID, "--oidc-map", "mesh-sales=111122223333:member"}})
		if _, err := srv.Client().OnboardAccount(context.Background(), client.AccountInput{ID: "111122223333", Name: "Sales"}); err != nil {
			t.Fatal(err)
		}
		ours := op.Tokens(t, oidctest.WebClientID, oidctest.WebClientSecret, "http://127.0.0.1:1/auth/oidc/sso/callback", "pipeline").AccessToken
		m, err := client.New(srv.URL, ours).Me(context.Background())
		if err != nil || m.User.AccountID != "111122223333" || !slices.Equal(m.User.Roles, []string{"member"}) {
			t.Fatalf("me with an access token: got %+v, %v, want a member of 111122223333", m, err)
		}
		theirs := op.Tokens(t, oidctest.OtherClientID, oidctest.OtherClientSecret, "http://127.0.0.1:1/callback", "pipeline").AccessToken
		_, err = client.New(srv.URL, theirs).Me(context.Background())
		var ce *client.Error
		if !errors.As(err, &ce) || ce.Status != http.StatusUnauthorized || !strings.Contains(ce.Message, "audience") {
			t.Errorf("another audience's token: got %v, want 401 naming the audience", err)
		}
	})
}

// TestOIDCConfigRefused: a provider nobody could sign in through (no group
// mapping) stops meshgate at start with a message naming the flag.
func TestOIDCConfigRefused(t *testing.T) {
	res := testbin.Run(t, testbin.RunOptions{}, "serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0",
		"--oidc-issuer", "https://login.example.com", "--oidc-client-id", "meshgate")
	if res.Code == 0 || !strings.Contains(res.Stderr, "--oidc-map") {
		t.Errorf("got exit %d, %q, want a refusal naming --oidc-map", res.Code, res.Stderr)
	}
}
