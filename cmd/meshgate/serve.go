package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"runtime/debug"
	"time"

	"github.com/meshgate/meshgate/internal/notify"
	"github.com/meshgate/meshgate/internal/notify/email"
	"github.com/meshgate/meshgate/internal/server"
)

// ServeCmd runs the server. Every flag has an environment variable too.
type ServeCmd struct {
	Addr              string        `help:"Listen address; loopback unless told otherwise." default:"127.0.0.1:8080" env:"MESHGATE_ADDR"`
	Data              string        `help:"Directory of the embedded SQLite store." default:"meshgate-data" env:"MESHGATE_DATA" type:"path"`
	Database          string        `help:"PostgreSQL URL (postgres://...); uses PostgreSQL instead of SQLite." env:"MESHGATE_DATABASE"`
	Synchronous       string        `help:"SQLite synchronous pragma: FULL survives power loss; NORMAL is faster." default:"FULL" enum:"FULL,NORMAL" env:"MESHGATE_SQLITE_SYNCHRONOUS"`
	IdleTxTimeout     time.Duration `name:"idle-in-transaction-timeout" help:"PostgreSQL: how long a transaction may stay idle between statements before the server ends it, releasing its locks (idle_in_transaction_session_timeout; one set in the database URL wins); 0 leaves PostgreSQL's own setting." default:"1m" env:"MESHGATE_POSTGRES_IDLE_IN_TRANSACTION_TIMEOUT"`
	TCPUserTimeout    time.Duration `name:"tcp-user-timeout" help:"PostgreSQL: how long what the server sends a connection may go unacknowledged, or wait for the replica to read it, before the server drops the connection, releasing its locks (tcp_user_timeout; one set in the database URL wins); 0 leaves PostgreSQL's own setting." default:"1m" env:"MESHGATE_POSTGRES_TCP_USER_TIMEOUT"`
	CentralAccount    string        `help:"Id of the central account (the server's own)." default:"central" env:"MESHGATE_CENTRAL_ACCOUNT"`
	Organization      string        `help:"Organization of the central account; its accounts get shares without invitations." env:"MESHGATE_ORGANIZATION"`
	InvitationTTL     time.Duration `help:"How long a share invitation stays pending." default:"12h" env:"MESHGATE_INVITATION_TTL"`
	ApprovalTimeout   time.Duration `help:"How long a data-sharing approval waits for a decision." default:"168h" env:"MESHGATE_APPROVAL_TIMEOUT"`
	ExpiryWarning     time.Duration `help:"How long before a time-bound grant ends its requester is warned (negative: never)." default:"24h" env:"MESHGATE_EXPIRY_WARNING"`
	PlatformReconcile time.Duration `help:"How often data platforms are compared with meshgate's grants and repaired (negative: never)." default:"5m" env:"MESHGATE_PLATFORM_RECONCILE"`
	Demo              bool          `help:"On a fresh store, seed a small demo mesh to look at." env:"MESHGATE_DEMO"`
	LogLevel          string        `help:"Log level: debug, info, warn, error." default:"info" enum:"debug,info,warn,error" env:"MESHGATE_LOG_LEVEL"`
	ShutdownTimeout   time.Duration `help:"How long graceful shutdown may take." default:"15s" env:"MESHGATE_SHUTDOWN_TIMEOUT"`
	AuditRetention    time.Duration `help:"How long audit entries are kept (9600h is 400 days); 0 keeps them forever." default:"9600h" env:"MESHGATE_AUDIT_RETENTION"`
	TrustedOrigin     []string      `help:"Origin (https://host[:port]) whose pages may make changes with the session cookie, besides the server's own; repeatable." env:"MESHGATE_TRUSTED_ORIGINS"`
	TrustedProxy      []string      `help:"Address or CIDR prefix of a reverse proxy whose X-Forwarded-For names the client; repeatable." env:"MESHGATE_TRUSTED_PROXIES"`
	PublicURL         string        `help:"URL browsers reach meshgate at: the base of every link in notifications, and where identity providers send users back (default http://ADDR)." env:"MESHGATE_PUBLIC_URL"`
	SMTPAddr          string        `name:"smtp-addr" help:"SMTP server host:port for notification email; without it, mail goes to the built-in mailbox." env:"MESHGATE_SMTP_ADDR"`
	SMTPFrom          string        `name:"smtp-from" help:"Sender address of notification email." env:"MESHGATE_SMTP_FROM"`
	SMTPTLS           string        `name:"smtp-tls" help:"SMTP transport security: none, starttls or tls." default:"starttls" enum:"none,starttls,tls" env:"MESHGATE_SMTP_TLS"`
	SMTPUsername      string        `name:"smtp-username" help:"SMTP user; the password is read from MESHGATE_SMTP_PASSWORD." env:"MESHGATE_SMTP_USERNAME"`
	WebhookAllow      []string      `help:"Address ranges (CIDR) webhooks may reach although loopback or private, e.g. 10.0.0.0/8." env:"MESHGATE_WEBHOOK_ALLOW"`
	NotifyRetry       string        `help:"Notification retry policy PRExDELAY,BACKOFFxMIN-MAX,POSTxDELAY (default SNS's email policy, 2x10s,10x10s-10m0s,38x10m0s)." env:"MESHGATE_NOTIFY_RETRY"`
	NotifyTimeout     time.Duration `help:"How long one notification delivery attempt may take." default:"15s" env:"MESHGATE_NOTIFY_TIMEOUT"`
	NotifyLease       time.Duration `help:"How long a delivery being sent stays with this process; what a killed process was sending goes again after it (at least twice --notify-timeout)." default:"2m" env:"MESHGATE_NOTIFY_LEASE"`
	NotifyRetention   time.Duration `help:"How long sent and dead-lettered deliveries and the built-in mailbox's messages are kept (720h is 30 days); 0 keeps them forever." default:"720h" env:"MESHGATE_NOTIFY_RETENTION"`
	GCPercent         int           `name:"gc-percent" help:"Go's garbage collection target (as GOGC): the heap may grow this many percent over what is live before a collection. The server's live heap is small (tens of MiB), so the default trades a little memory for less CPU spent collecting; GOGC in the environment takes precedence." default:"400" env:"MESHGATE_GC_PERCENT"`
	OIDC              OIDCFlags     `embed:"" prefix:"oidc-"`
}

// Config returns the server configuration the flags describe.
func (c *ServeCmd) Config() (server.Config, error) {
	var allow []netip.Prefix
	for _, s := range c.WebhookAllow {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return server.Config{}, fmt.Errorf("webhook-allow %q: want a CIDR range such as 10.0.0.0/8", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		allow = append(allow, p.Masked())
	}
	var policy *notify.RetryPolicy
	if c.NotifyRetry != "" {
		p, err := notify.ParseRetryPolicy(c.NotifyRetry)
		if err != nil {
			return server.Config{}, err
		}
		policy = &p
	}
	oc, err := c.OIDC.Config(c.PublicURL)
	if err != nil {
		return server.Config{}, err
	}
	return server.Config{
		PublicURL:                 c.PublicURL,
		SMTP:                      email.Config{Addr: c.SMTPAddr, From: c.SMTPFrom, TLS: c.SMTPTLS, Username: c.SMTPUsername, Password: os.Getenv("MESHGATE_SMTP_PASSWORD")},
		WebhookAllow:              allow,
		NotifyRetry:               policy,
		NotifyTimeout:             c.NotifyTimeout,
		NotifyLease:               c.NotifyLease,
		NotifyRetention:           offIfZero(c.NotifyRetention),
		Addr:                      c.Addr,
		DataDir:                   c.Data,
		DatabaseURL:               c.Database,
		Synchronous:               c.Synchronous,
		IdleInTransactionTimeout:  offIfZero(c.IdleTxTimeout),
		TCPUserTimeout:            offIfZero(c.TCPUserTimeout),
		CentralAccountID:          c.CentralAccount,
		Organization:              c.Organization,
		BootstrapToken:            os.Getenv("MESHGATE_BOOTSTRAP_TOKEN"),
		Demo:                      c.Demo,
		InvitationTTL:             c.InvitationTTL,
		ExpiryWarning:             c.ExpiryWarning,
		ApprovalTimeout:           c.ApprovalTimeout,
		PlatformReconcileInterval: c.PlatformReconcile,
		ShutdownTimeout:           c.ShutdownTimeout,
		AuditRetention:            offIfZero(c.AuditRetention),
		TrustedOrigins:            c.TrustedOrigin,
		TrustedProxies:            c.TrustedProxy,
		OIDC:                      oc,
	}, nil
}

// offIfZero maps a flag's 0 (a retention's keep forever, a timeout left
// to PostgreSQL) to the config's negative value.
func offIfZero(d time.Duration) time.Duration {
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
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(c.GCPercent)
	}
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
	st, err := server.OpenStore(ctx, &cfg, slog.Default())
	if err != nil {
		return err
	}
	g.stdout.Write([]byte("migrations applied (" + st.Dialect() + ")\n"))
	return st.Close()
}
