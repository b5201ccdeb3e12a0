package oidc

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/meshgate/meshgate/internal/mesh"
)

// provider is one configured identity provider, discovered from its issuer's
// metadata on first need: an unreachable provider does not stop meshgate,
// its sign-ins answer EUNAVAILABLE and discovery is tried again at most
// every RetryEvery.
type provider struct {
	cfg        ProviderConfig
	redirect   string
	client     *http.Client
	retryEvery time.Duration
	now        func() time.Time
	log        *slog.Logger

	mu      sync.Mutex
	op      *gooidc.Provider
	meta    metadata
	lastTry time.Time
	lastErr error
}

// metadata holds the parts of the provider's metadata go-oidc does not expose.
type metadata struct {
	EndSession string `json:"end_session_endpoint"`
	DeviceAuth string `json:"device_authorization_endpoint"`
}

// ctx carries the provider's HTTP client to go-oidc and oauth2.
func (p *provider) ctx(ctx context.Context) context.Context {
	ctx = gooidc.ClientContext(ctx, p.client)
	return context.WithValue(ctx, oauth2.HTTPClient, p.client)
}

// discover returns the discovered provider, discovering it first if needed.
// Errors: EUNAVAILABLE.
func (p *provider) discover(ctx context.Context) (*gooidc.Provider, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.op != nil {
		return p.op, nil
	}
	now := p.now()
	if p.lastErr != nil && now.Sub(p.lastTry) < p.retryEvery {
		return nil, p.unavailable()
	}
	p.lastTry = now
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// The provider is kept beyond this call: its key set must outlive dctx.
	op, err := gooidc.NewProvider(p.ctx(dctx), p.cfg.Issuer)
	if err != nil {
		return nil, p.failed(ctx, err)
	}
	var meta metadata
	if err := op.Claims(&meta); err != nil {
		return nil, p.failed(ctx, err)
	}
	p.op, p.meta, p.lastErr = op, meta, nil
	return op, nil
}

// failed records a failed discovery and logs why: its error may hold the
// provider's answer, which stays out of what callers read.
func (p *provider) failed(ctx context.Context, err error) error {
	p.lastErr = err
	p.log.WarnContext(ctx, "identity provider unreachable; its sign-ins are unavailable until it answers",
		"provider", p.cfg.Name, "issuer", p.cfg.Issuer, "err", err)
	return p.unavailable()
}

// unavailable names the provider and its issuer only: the cause, which may
// quote the provider's answer, is logged (failed).
func (p *provider) unavailable() error {
	return mesh.Errorf(mesh.EUNAVAILABLE, "sign-in through %s is unavailable: the identity provider at %s cannot be reached; try again later, or sign in with a password", p.cfg.DisplayName, p.cfg.Issuer)
}

// oauth2 returns the web client's configuration.
func (p *provider) oauth2(op *gooidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: p.cfg.ClientID, ClientSecret: p.cfg.ClientSecret,
		Endpoint: op.Endpoint(), RedirectURL: p.redirect, Scopes: p.cfg.Scopes}
}

// verifierFor returns a verifier of the provider's JWTs: signature,
// issuer and expiry, the last against a clock set back by skew, so a token
// stays valid that long after its expiry by the provider's clock. The
// caller checks the audience, which may be one of several.
func (p *provider) verifierFor(op *gooidc.Provider, skew time.Duration) *gooidc.IDTokenVerifier {
	return op.VerifierContext(p.ctx(context.Background()), &gooidc.Config{SkipClientIDCheck: true,
		Now: func() time.Time { return p.now().Add(-skew) }})
}
