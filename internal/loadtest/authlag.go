package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/server"
)

// AuthLagOptions shape a measurement of how long a credential ended on one
// replica keeps working on another.
type AuthLagOptions struct {
	// DatabaseURL is the PostgreSQL database both replicas share; the
	// measurement runs in a schema of its own, dropped at the end.
	DatabaseURL string
	// ServerExecutable is the meshgate binary each replica runs as.
	ServerExecutable string
	// Rounds is how many times each change is measured (default 50).
	Rounds int
	// Progress receives a line per phase (may be nil).
	Progress io.Writer
}

// AuthLagResult is what one measurement found, per kind of change.
type AuthLagResult struct {
	Store  string       `json:"store"`
	Rounds int          `json:"rounds"`
	Kinds  []AuthLagSet `json:"kinds"`
}

// AuthLagSet holds one kind of change's lags, in milliseconds: the time from
// the response of the change on replica A to the first 401 from replica B.
// AtOnce counts the rounds where B's first answer was already 401.
type AuthLagSet struct {
	Kind   string  `json:"kind"`
	Rounds int     `json:"rounds"`
	AtOnce int     `json:"at_once"`
	P50    float64 `json:"p50_ms"`
	P90    float64 `json:"p90_ms"`
	P99    float64 `json:"p99_ms"`
	Max    float64 `json:"max_ms"`
}

// RunAuthLag starts two replicas (meshgate serve processes) on one PostgreSQL
// database and measures, Rounds times each, how long after replica A
// answers a change replica B still accepts the credential it ended: an API
// token revoked, a user's token after an admin's password reset, a session
// signed out. B has checked (and cached) the credential just before.
func RunAuthLag(ctx context.Context, opts AuthLagOptions) (*AuthLagResult, error) {
	if opts.DatabaseURL == "" {
		return nil, errors.New("auth-lag needs a PostgreSQL database (--database): replicas share one")
	}
	if opts.ServerExecutable == "" {
		return nil, errors.New("auth-lag needs the meshgate binary to run its replicas")
	}
	if opts.Rounds <= 0 {
		opts.Rounds = 50
	}
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	dbURL, drop, err := authorizeSchema(ctx, opts.DatabaseURL)
	if err != nil {
		return nil, err
	}
	defer drop()
	dir, err := os.MkdirTemp("", "meshgate-load-authlag-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	// Migrate and bootstrap the store once, with a known admin token.
	token := "mgt_load_" + authorizeToken(16)
	cfg := server.Config{DataDir: dir, DatabaseURL: dbURL, BootstrapToken: token}
	srv, err := server.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, fmt.Errorf("prepare store: %w", err)
	}
	if err := srv.Store.Close(); err != nil {
		return nil, err
	}
	var replicas [2]*serverProcess
	for i := range replicas {
		if replicas[i], err = startServerProcess(ctx, opts.ServerExecutable, dir, dbURL, false); err != nil {
			return nil, err
		}
		defer replicas[i].stop()
	}
	a, b := "http://"+replicas[0].addr, "http://"+replicas[1].addr
	fmt.Fprintf(progress, "replicas at %s and %s on one PostgreSQL schema\n", a, b)
	hc := NewHTTPClient(4)
	adminA := client.New(a, token).WithHTTPClient(hc)
	user, err := adminA.CreateUser(ctx, "central", client.UserInput{Username: "lag-user", Roles: []string{mesh.RoleMember}})
	if err != nil {
		return nil, err
	}
	password := user.TemporaryPassword
	m := &lagMeter{hc: hc, b: b}
	res := &AuthLagResult{Store: "postgres", Rounds: opts.Rounds}
	var revoked, reset, signedOut []time.Duration
	var atOnce [3]int
	for i := range opts.Rounds {
		// A token revoked on A.
		tok, err := adminA.CreateToken(ctx, fmt.Sprint("lag-", i), 0)
		if err != nil {
			return nil, err
		}
		lag, first, err := m.measure(ctx, "Bearer "+tok.Secret, "", func() error { return adminA.RevokeToken(ctx, tok.Token.ID) })
		if err != nil {
			return nil, fmt.Errorf("revoked token: %w", err)
		}
		revoked, atOnce[0] = append(revoked, lag), atOnce[0]+first

		// A session signed out on A.
		cookie, err := m.signIn(ctx, a, "lag-user", password)
		if err != nil {
			return nil, err
		}
		lag, first, err = m.measure(ctx, "", cookie, func() error { return m.post(ctx, a+"/api/v1/logout", cookie) })
		if err != nil {
			return nil, fmt.Errorf("ended session: %w", err)
		}
		signedOut, atOnce[1] = append(signedOut, lag), atOnce[1]+first

		// The user's token after an admin resets its password on A.
		utok, err := adminA.IssueToken(ctx, user.User.ID, fmt.Sprint("lag-user-", i), 0)
		if err != nil {
			return nil, err
		}
		lag, first, err = m.measure(ctx, "Bearer "+utok.Secret, "", func() error {
			password, err = adminA.ResetPassword(ctx, user.User.ID)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("password reset: %w", err)
		}
		reset, atOnce[2] = append(reset, lag), atOnce[2]+first
	}
	for i, set := range []struct {
		kind string
		lags []time.Duration
	}{{"token revoked", revoked}, {"session signed out", signedOut}, {"token after password reset", reset}} {
		slices.Sort(set.lags)
		q := func(p float64) float64 {
			return float64(set.lags[min(len(set.lags)-1, int(p*float64(len(set.lags))))]) / float64(time.Millisecond)
		}
		res.Kinds = append(res.Kinds, AuthLagSet{Kind: set.kind, Rounds: len(set.lags), AtOnce: atOnce[i],
			P50: q(0.5), P90: q(0.9), P99: q(0.99), Max: q(1)})
	}
	return res, nil
}

// lagMeter asks replica b whether a credential still works.
type lagMeter struct {
	hc *http.Client
	b  string
}

// pollEvery is the pause between two of B's answers while waiting.
const pollEvery = 200 * time.Microsecond

// measure checks that the credential works on B, makes the change on A, and
// returns the time from the change's answer to B's first 401, and 1 if that
// was B's first answer.
func (m *lagMeter) measure(ctx context.Context, bearer, cookie string, change func() error) (time.Duration, int, error) {
	if st, err := m.me(ctx, bearer, cookie); err != nil || st != http.StatusOK {
		return 0, 0, fmt.Errorf("before the change replica B answered %d (%v), want 200", st, err)
	}
	if err := change(); err != nil {
		return 0, 0, err
	}
	done := time.Now()
	deadline := done.Add(30 * time.Second)
	for polls := 0; ; polls++ {
		st, err := m.me(ctx, bearer, cookie)
		if err != nil {
			return 0, 0, err
		}
		if st == http.StatusUnauthorized {
			first := 0
			if polls == 0 {
				first = 1
			}
			return time.Since(done), first, nil
		}
		if st != http.StatusOK && st != http.StatusForbidden {
			return 0, 0, fmt.Errorf("replica B answered %d", st)
		}
		if time.Now().After(deadline) {
			return 0, 0, errors.New("replica B still accepts the credential after 30s")
		}
		time.Sleep(pollEvery)
	}
}

// me asks B for GET /api/v1/me with the credential and returns the status.
func (m *lagMeter) me(ctx context.Context, bearer, cookie string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.b+"/api/v1/me", nil)
	if err != nil {
		return 0, err
	}
	if bearer != "" {
		req.Header.Set("Authorization", bearer)
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := m.hc.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// signIn signs in on base and returns the session cookie as a Cookie header.
func (m *lagMeter) signIn(ctx context.Context, base, username, password string) (string, error) {
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/login", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := m.hc.Do(req)
	if err != nil {
		return "", err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(resp.Cookies()) == 0 {
		return "", fmt.Errorf("sign in as %s: got %d", username, resp.StatusCode)
	}
	c := resp.Cookies()[0]
	return c.Name + "=" + c.Value, nil
}

// post sends an empty POST with the cookie and expects 204.
func (m *lagMeter) post(ctx context.Context, url, cookie string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Cookie", cookie)
	resp, err := m.hc.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("POST %s: got %d, want 204", url, resp.StatusCode)
	}
	return nil
}
