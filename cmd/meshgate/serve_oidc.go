package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/meshgate/meshgate/internal/auth/oidc"
)

// OIDCFlags configure sign-in through OpenID Connect identity providers.
// Per-provider flags repeat, once per provider, in the same order; the
// client secret comes from MESHGATE_OIDC_CLIENT_SECRET_<NAME> (upper case,
// '-' as '_') or MESHGATE_OIDC_CLIENT_SECRET, never from a flag.
type OIDCFlags struct {
	Issuer              []string      `help:"Issuer URL of an identity provider; repeatable, one per provider." env:"MESHGATE_OIDC_ISSUER"`
	ClientID            []string      `name:"client-id" help:"Client id meshgate has at the provider; one per provider." env:"MESHGATE_OIDC_CLIENT_ID"`
	Name                []string      `help:"Name of the provider in URLs and user identities (default sso, then sso-2, ...); one per provider." env:"MESHGATE_OIDC_NAME"`
	DisplayName         []string      `help:"Name the sign-in page shows; one per provider." env:"MESHGATE_OIDC_DISPLAY_NAME"`
	CLIClientID         []string      `name:"cli-client-id" help:"Public client id the CLI signs in with (default the client id); one per provider." env:"MESHGATE_OIDC_CLI_CLIENT_ID"`
	AccessTokenAudience []string      `help:"Audience of the provider's JWT access tokens meshgate accepts as bearer credentials (default: none accepted); one per provider, empty for none." env:"MESHGATE_OIDC_ACCESS_TOKEN_AUDIENCE"`
	Scopes              []string      `help:"Scopes requested (default openid,profile,email)." env:"MESHGATE_OIDC_SCOPES"`
	GroupsClaim         string        `help:"Claim holding the user's groups." default:"groups" env:"MESHGATE_OIDC_GROUPS_CLAIM"`
	Map                 []string      `help:"Group mapping group=account:role, such as mesh-admins=central:admin; repeatable, for every provider." env:"MESHGATE_OIDC_MAP"`
	ClockSkew           time.Duration `help:"How far a provider's clock may be off when its tokens' times are checked (at most 5m)." default:"1m" env:"MESHGATE_OIDC_CLOCK_SKEW"`
}

// Config returns the providers the flags describe.
func (f *OIDCFlags) Config(publicURL string) (oidc.Config, error) {
	cfg := oidc.Config{PublicURL: publicURL, ClockSkew: f.ClockSkew}
	var rules []oidc.Rule
	for _, m := range f.Map {
		r, err := oidc.ParseRule(m)
		if err != nil {
			return cfg, err
		}
		rules = append(rules, r)
	}
	n := len(f.Issuer)
	for _, l := range []struct {
		flag string
		vals []string
	}{{"client-id", f.ClientID}, {"name", f.Name}, {"display-name", f.DisplayName}, {"cli-client-id", f.CLIClientID}, {"access-token-audience", f.AccessTokenAudience}} {
		if len(l.vals) > n || (l.flag == "client-id" && len(l.vals) != n) {
			return cfg, fmt.Errorf("--oidc-%s is given %d times for %d --oidc-issuer; give it once per provider, in the same order", l.flag, len(l.vals), n)
		}
	}
	at := func(v []string, i int) string {
		if i < len(v) {
			return v[i]
		}
		return ""
	}
	for i, issuer := range f.Issuer {
		name := at(f.Name, i)
		if name == "" {
			name = "sso"
			if i > 0 {
				name = fmt.Sprintf("sso-%d", i+1)
			}
		}
		secret := os.Getenv("MESHGATE_OIDC_CLIENT_SECRET_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")))
		if secret == "" {
			secret = os.Getenv("MESHGATE_OIDC_CLIENT_SECRET")
		}
		cfg.Providers = append(cfg.Providers, oidc.ProviderConfig{Name: name, DisplayName: at(f.DisplayName, i),
			Issuer: issuer, ClientID: f.ClientID[i], ClientSecret: secret, CLIClientID: at(f.CLIClientID, i),
			Scopes: f.Scopes, GroupsClaim: f.GroupsClaim, Rules: rules, AccessTokenAudience: at(f.AccessTokenAudience, i)})
	}
	return cfg, nil
}
