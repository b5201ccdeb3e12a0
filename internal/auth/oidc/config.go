// Package oidc signs users in through their organization's OpenID Connect
// identity providers: the authorization code flow with PKCE, state and nonce
// for browsers, the exchange of a provider's ID token for a meshgate API
// token for the CLI (which signs in with the device authorization grant),
// and, when configured, the provider's JWT access tokens as bearer
// credentials for pipelines.
//
// Tokens are verified with github.com/coreos/go-oidc against the keys the
// provider publishes; a provider's groups claim maps to a meshgate account
// and roles by rules, at every sign-in (internal/auth creates and updates the
// users and sessions).
package oidc

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
)

// Rule maps a group of the provider's groups claim to a role in an account.
type Rule struct {
	Group     string
	AccountID string
	Role      string
}

// String writes r as ParseRule reads it.
func (r Rule) String() string { return r.Group + "=" + r.AccountID + ":" + r.Role }

// ParseRule reads "group=account:role", such as
// "mesh-sales-approvers=111122223333:approver" or "mesh-admins=central:admin".
func ParseRule(s string) (Rule, error) {
	group, target, ok := strings.Cut(s, "=")
	account, role, ok2 := strings.Cut(target, ":")
	r := Rule{Group: strings.TrimSpace(group), AccountID: strings.TrimSpace(account), Role: strings.TrimSpace(role)}
	if !ok || !ok2 || r.Group == "" {
		return Rule{}, mesh.Invalid("oidc-map", "%q must read group=account:role", s)
	}
	if err := mesh.ValidateAccountID("oidc-map", r.AccountID); err != nil {
		return Rule{}, err
	}
	if !slices.Contains(mesh.Roles, r.Role) {
		return Rule{}, mesh.Invalid("oidc-map", "unknown role %q in %q; roles are %v", r.Role, s, mesh.Roles)
	}
	return r, nil
}

// ProviderConfig is one identity provider.
type ProviderConfig struct {
	// Name identifies the provider in URLs (/auth/oidc/{name}/login) and in
	// users' identities; keep it once users have signed in.
	Name string
	// DisplayName is what the sign-in page shows (default Name).
	DisplayName string
	// Issuer is the provider's issuer URL; its metadata is read from
	// Issuer + "/.well-known/openid-configuration".
	Issuer       string
	ClientID     string
	ClientSecret string
	// CLIClientID is a public client (no secret) the CLI signs in with; ID
	// tokens issued to it are accepted too (default ClientID).
	CLIClientID string
	// Scopes requested (default openid, profile, email, groups... only
	// "openid" is required; DefaultScopes).
	Scopes []string
	// GroupsClaim names the claim holding the user's groups (default "groups").
	GroupsClaim string
	// Rules map groups to accounts and roles.
	Rules []Rule
	// AccessTokenAudience, when set, lets JWT access tokens the provider
	// issued for this audience authenticate API calls (machine access).
	AccessTokenAudience string
}

// DefaultScopes are the scopes requested when none are configured.
var DefaultScopes = []string{"openid", "profile", "email"}

// Config is every provider and what they share.
type Config struct {
	Providers []ProviderConfig
	// PublicURL is where browsers reach meshgate (http://127.0.0.1:8080);
	// callbacks are PublicURL + /auth/oidc/{name}/callback.
	PublicURL string
	// ClockSkew is how far the provider's clock may be ahead or behind
	// (default 1 minute, at most 5).
	ClockSkew time.Duration
	// LoginTTL bounds the time between starting a sign-in and its callback (default 10 minutes).
	LoginTTL time.Duration
	// RetryEvery is how often discovery of an unreachable provider is tried
	// again when a sign-in needs it (default 10s).
	RetryEvery time.Duration
}

// Validate checks the config and fills in defaults.
func (c *Config) Validate() error {
	if c.ClockSkew == 0 {
		c.ClockSkew = time.Minute
	}
	if c.ClockSkew < 0 || c.ClockSkew > 5*time.Minute {
		return fmt.Errorf("oidc clock skew %s must be between 0 and 5m", c.ClockSkew)
	}
	if c.LoginTTL == 0 {
		c.LoginTTL = 10 * time.Minute
	}
	if c.RetryEvery == 0 {
		c.RetryEvery = 10 * time.Second
	}
	if len(c.Providers) == 0 {
		return nil
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("public URL %q must be an http(s) URL such as https://meshgate.example.com", c.PublicURL)
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	seen := map[string]bool{}
	for i := range c.Providers {
		p := &c.Providers[i]
		if !isProviderName(p.Name) {
			return fmt.Errorf("oidc provider name %q: use lower-case letters, digits and -", p.Name)
		}
		if seen[p.Name] {
			return fmt.Errorf("oidc provider %q is configured twice", p.Name)
		}
		seen[p.Name] = true
		iu, err := url.Parse(p.Issuer)
		if err != nil || (iu.Scheme != "https" && iu.Scheme != "http") || iu.Host == "" {
			return fmt.Errorf("oidc provider %s: issuer %q must be an http(s) URL", p.Name, p.Issuer)
		}
		if p.ClientID == "" {
			return fmt.Errorf("oidc provider %s: a client id is required", p.Name)
		}
		if p.DisplayName == "" {
			p.DisplayName = p.Name
		}
		if p.CLIClientID == "" {
			p.CLIClientID = p.ClientID
		}
		if len(p.Scopes) == 0 {
			p.Scopes = DefaultScopes
		}
		if !slices.Contains(p.Scopes, "openid") {
			p.Scopes = append([]string{"openid"}, p.Scopes...)
		}
		if p.GroupsClaim == "" {
			p.GroupsClaim = "groups"
		}
		if len(p.Rules) == 0 {
			return fmt.Errorf("oidc provider %s: no group mapping (--oidc-map group=account:role): nobody could sign in", p.Name)
		}
	}
	return nil
}

// isProviderName accepts [a-z0-9][a-z0-9-]{0,62}.
func isProviderName(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' && i > 0) {
			return false
		}
	}
	return true
}
