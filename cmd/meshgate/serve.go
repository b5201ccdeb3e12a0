package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/meshgate/meshgate/internal/server"
)

// ServeCmd runs the server. Every flag has an environment variable too.
type ServeCmd struct {
	Addr              string        `help:"Listen address; loopback unless told otherwise." default:"127.0.0.1:8080" env:"MESHGATE_ADDR"`
	Data              string        `help:"Directory of the embedded SQLite store." default:"meshgate-data" env:"MESHGATE_DATA" type:"path"`
	Database          string        `help:"PostgreSQL URL (postgres://...); uses PostgreSQL instead of SQLite." env:"MESHGATE_DATABASE"`
	Synchronous       string        `help:"SQLite synchronous pragma: FULL survives power loss; NORMAL is faster." default:"FULL" enum:"FULL,NORMAL" env:"MESHGATE_SQLITE_SYNCHRONOUS"`
	CentralAccount    string        `help:"Id of the central account (the server's own)." default:"central" env:"MESHGATE_CENTRAL_ACCOUNT"`
	Organization      string        `help:"Organization of the central account; its accounts get shares without invitations." env:"MESHGATE_ORGANIZATION"`
	InvitationTTL     time.Duration `help:"How long a share invitation stays pending." default:"12h" env:"MESHGATE_INVITATION_TTL"`
	PlatformReconcile time.Duration `help:"How often data platforms are compared with meshgate's grants and repaired (negative: never)." default:"5m" env:"MESHGATE_PLATFORM_RECONCILE"`
	Demo              bool          `help:"On a fresh store, seed a small demo mesh to look at." env:"MESHGATE_DEMO"`
	LogLevel          string        `help:"Log level: debug, info, warn, error." default:"info" enum:"debug,info,warn,error" env:"MESHGATE_LOG_LEVEL"`
	ShutdownTimeout   time.Duration `help:"How long graceful shutdown may take." default:"15s" env:"MESHGATE_SHUTDOWN_TIMEOUT"`
	AuditRetention    time.Duration `help:"How long audit entries are kept (9600h is 400 days); 0 keeps them forever." default:"9600h" env:"MESHGATE_AUDIT_RETENTION"`
	TrustedOrigin     []string      `help:"Origin (https://host[:port]) whose pages may make changes with the session cookie, besides the server's own; repeatable." env:"MESHGATE_TRUSTED_ORIGINS"`
	TrustedProxy      []string      `help:"Address or CIDR prefix of a reverse proxy whose X-Forwarded-For names the client; repeatable." env:"MESHGATE_TRUSTED_PROXIES"`
}

// Config returns the server configuration the flags describe.
func (c *ServeCmd) Config() server.Config {
	return server.Config{
		Addr:                      c.Addr,
		DataDir:                   c.Data,
		DatabaseURL:               c.Database,
		Synchronous:               c.Synchronous,
		CentralAccountID:          c.CentralAccount,
		Organization:              c.Organization,
		BootstrapToken:            os.Getenv("MESHGATE_BOOTSTRAP_TOKEN"),
		Demo:                      c.Demo,
		InvitationTTL:             c.InvitationTTL,
		PlatformReconcileInterval: c.PlatformReconcile,
		ShutdownTimeout:           c.ShutdownTimeout,
		AuditRetention:            auditRetention(c.AuditRetention),
		TrustedOrigins:            c.TrustedOrigin,
		TrustedProxies:            c.TrustedProxy,
	}
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
	srv, err := server.New(ctx, c.Config(), log)
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
