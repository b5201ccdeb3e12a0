package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/meshgate/meshgate/internal/auth/oidc"
	"github.com/meshgate/meshgate/internal/server"
)

// ServeCmd runs the server. Every flag has an environment variable too.
type ServeCmd struct {
	Addr            string        `help:"Listen address; loopback unless told otherwise." default:"127.0.0.1:8080" env:"MESHGATE_ADDR"`
	Data            string        `help:"Directory of the embedded SQLite store." default:"meshgate-data" env:"MESHGATE_DATA" type:"path"`
	Database        string        `help:"PostgreSQL URL (postgres://...); uses PostgreSQL instead of SQLite." env:"MESHGATE_DATABASE"`
	Synchronous     string        `help:"SQLite synchronous pragma: FULL survives power loss; NORMAL is faster." default:"FULL" enum:"FULL,NORMAL" env:"MESHGATE_SQLITE_SYNCHRONOUS"`
	CentralAccount  string        `help:"Id of the central account (the server's own)." default:"central" env:"MESHGATE_CENTRAL_ACCOUNT"`
	Organization    string        `help:"Organization of the central account; its accounts get shares without invitations." env:"MESHGATE_ORGANIZATION"`
	InvitationTTL   time.Duration `help:"How long a share invitation stays pending." default:"12h" env:"MESHGATE_INVITATION_TTL"`
	Demo            bool          `help:"On a fresh store, seed a small demo mesh to look at." env:"MESHGATE_DEMO"`
	LogLevel        string        `help:"Log level: debug, info, warn, error." default:"info" enum:"debug,info,warn,error" env:"MESHGATE_LOG_LEVEL"`
	ShutdownTimeout time.Duration `help:"How long graceful shutdown may take." default:"15s" env:"MESHGATE_SHUTDOWN_TIMEOUT"`
	AuditRetention  time.Duration `help:"How long audit entries are kept (9600h is 400 days); 0 keeps them forever." default:"9600h" env:"MESHGATE_AUDIT_RETENTION"`
	TrustedOrigin   []string      `help:"Origin (https://host[:port]) whose pages may make changes with the session cookie, besides the server's own; repeatable." env:"MESHGATE_TRUSTED_ORIGINS"`
	TrustedProxy    []string      `help:"Address or CIDR prefix of a reverse proxy whose X-Forwarded-For names the client; repeatable." env:"MESHGATE_TRUSTED_PROXIES"`
	PublicURL       string        `help:"URL browsers reach meshgate at (identity providers send them back there); default http://ADDR." env:"MESHGATE_PUBLIC_URL"`
	OIDC            OIDCFlags     `embed:"" prefix:"oidc-"`
}

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

// Config returns the server configuration the flags describe.
func (c *ServeCmd) Config() (server.Config, error) {
	oc, err := c.OIDC.Config(c.PublicURL)
	if err != nil {
		return server.Config{}, err
	}
	return server.Config{
		Addr:             c.Addr,
		DataDir:          c.Data,
		DatabaseURL:      c.Database,
		Synchronous:      c.Synchronous,
		CentralAccountID: c.CentralAccount,
		Organization:     c.Organization,
		BootstrapToken:   os.Getenv("MESHGATE_BOOTSTRAP_TOKEN"),
		Demo:             c.Demo,
		InvitationTTL:    c.InvitationTTL,
		ShutdownTimeout:  c.ShutdownTimeout,
		AuditRetention:   auditRetention(c.AuditRetention),
		TrustedOrigins:   c.TrustedOrigin,
		TrustedProxies:   c.TrustedProxy,
		OIDC:             oc,
	}, nil
}

// auditRetention maps the flag's 0 (keep forever) to the config's negative value.
func auditRetention(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// Run starts the server and serves until interrupted.
func (c *ServeCmd) Run(ctx context.Context, g *Globals) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(g.stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)
	cfg, err := c.Config()
	if err != nil {
		return err
	}
	srv, err := server.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	return srv.ListenAndServe(ctx)
}

// MigrateCmd applies migrations and exits.
type MigrateCmd struct {
	Data     string `help:"Directory of the embedded SQLite store." default:"meshgate-data" env:"MESHGATE_DATA" type:"path"`
	Database string `help:"PostgreSQL URL; uses PostgreSQL instead of SQLite." env:"MESHGATE_DATABASE"`
}

// Run opens the store, which applies pending migrations, and closes it.
func (c *MigrateCmd) Run(ctx context.Context, g *Globals) error {
	cfg := server.Config{DataDir: c.Data, DatabaseURL: c.Database}
	if err := cfg.Validate(); err != nil {
		return err
	}
	st, err := server.OpenStore(ctx, &cfg)
	if err != nil {
		return err
	}
	g.stdout.Write([]byte("migrations applied (" + st.Dialect() + ")\n"))
	return st.Close()
}
