package oidc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/meshgate/meshgate/internal/auth"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// Service signs users in through the configured providers.
type Service struct {
	cfg       Config
	auth      *auth.Service
	store     store.Store
	clock     mesh.Clock
	log       *slog.Logger
	providers map[string]*provider
	order     []string
	// starts limits unauthenticated calls that write (a sign-in started, an
	// ID token exchanged) per client address.
	starts *auth.Limiter
}

// New returns the service of cfg's providers. It contacts none of them:
// Discover does, and every sign-in does when discovery has not succeeded yet.
func New(cfg Config, st store.Store, a *auth.Service, clock mesh.Clock, log *slog.Logger) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if clock == nil {
		clock = mesh.SystemClock{}
	}
	if log == nil {
		log = slog.Default()
	}
	s := &Service{cfg: cfg, auth: a, store: st, clock: clock, log: log, providers: map[string]*provider{},
		starts: auth.NewLimiter(auth.Rate{Burst: 30, Every: 2 * time.Second}, clock)}
	for _, pc := range cfg.Providers {
		s.providers[pc.Name] = &provider{cfg: pc, redirect: cfg.PublicURL + CallbackPath(pc.Name),
			client: &http.Client{Timeout: 15 * time.Second}, retryEvery: cfg.RetryEvery, now: clock.Now, log: log}
		s.order = append(s.order, pc.Name)
	}
	return s, nil
}

// LoginPath is where a browser starts signing in through provider name.
func LoginPath(name string) string { return "/auth/oidc/" + url.PathEscape(name) + "/login" }

// CallbackPath is where the provider sends the browser back.
func CallbackPath(name string) string { return "/auth/oidc/" + url.PathEscape(name) + "/callback" }

// ProviderInfo describes a provider to a sign-in page or the CLI.
type ProviderInfo struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	// LoginURL starts a browser sign-in (a path on this server); append
	// ?return=/local/path to come back somewhere else than /.
	LoginURL string `json:"login_url"`
	Issuer   string `json:"issuer"`
	// CLIClientID is the public client the CLI signs in with.
	CLIClientID string   `json:"cli_client_id"`
	Scopes      []string `json:"scopes"`
}

// Providers lists the configured providers, in configuration order, for a
// sign-in page (each with its display name and login URL) and for the CLI.
// It contacts none of them. A nil Service has none.
func (s *Service) Providers() []ProviderInfo {
	out := []ProviderInfo{}
	if s == nil {
		return out
	}
	for _, n := range s.order {
		p := s.providers[n].cfg
		out = append(out, ProviderInfo{Name: p.Name, DisplayName: p.DisplayName, LoginURL: LoginPath(p.Name),
			Issuer: p.Issuer, CLIClientID: p.CLIClientID, Scopes: p.Scopes})
	}
	return out
}

// Discover reads every provider's metadata once, logging the ones that
// cannot be reached (they are tried again when a sign-in needs them).
func (s *Service) Discover(ctx context.Context) {
	for _, n := range s.order {
		// a failure is logged with its cause where it happens
		s.providers[n].discover(ctx)
	}
}

func (s *Service) provider(name string) (*provider, error) {
	p, ok := s.providers[name]
	if !ok {
		return nil, mesh.NotFound("identity provider", name)
	}
	return p, nil
}

func randomString() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// isState tells whether s could be a state randomString made.
func isState(s string) bool {
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil && len(b) == 32
}

func hashOf(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// safeReturn keeps a return path local: "/x" but not "//host", "/\host" or
// "/a/../\host".
func safeReturn(r string) string {
	if r == "" || r[0] != '/' || len(r) > 1 && (r[1] == '/' || r[1] == '\\') || len(r) > 512 {
		return "/"
	}
	// Browsers read a backslash in a path as a slash, and http.Redirect
	// cleans dot segments out of the path (up to a "?"): /a/../\x goes out
	// as /\x, which takes them to host x.
	if pth, _, _ := strings.Cut(r, "?"); strings.ContainsRune(pth, '\\') {
		return "/"
	}
	if u, err := url.Parse(r); err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return r
}

// allow refuses a client address that started too many sign-ins or
// exchanges lately (30, then one more every 2s). Errors: ERATELIMIT.
func (s *Service) allow(remoteAddr string) error {
	if !s.starts.Allow(remoteAddr) {
		return mesh.Errorf(mesh.ERATELIMIT, "too many sign-ins from %s; try again later", remoteAddr)
	}
	return nil
}
