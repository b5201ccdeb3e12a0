// Package server assembles meshgate: it opens the store, builds the services,
// mounts the HTTP API and runs them until the context ends, then shuts down
// HTTP, then the background work, then the store.
package server

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"time"

	"github.com/meshgate/meshgate/internal/auth"
	"github.com/meshgate/meshgate/internal/auth/oidc"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/notify"
	"github.com/meshgate/meshgate/internal/notify/email"
	"github.com/meshgate/meshgate/internal/sharing"
	"github.com/meshgate/meshgate/internal/store/postgres"
	"github.com/meshgate/meshgate/internal/web"
)

// Config is everything `meshgate serve` can be told. The zero value of each
// field means its documented default; Validate fills them in.
type Config struct {
	// Addr is the listen address (default 127.0.0.1:8080: loopback unless told otherwise).
	Addr string
	// DataDir holds the SQLite store and the bootstrap admin's credentials (default ./meshgate-data).
	DataDir string
	// DatabaseURL, when set (postgres://...), selects the PostgreSQL store instead of SQLite.
	DatabaseURL string
	// Synchronous is SQLite's synchronous pragma: FULL (default) or NORMAL.
	Synchronous string
	// IdleInTransactionTimeout is, on PostgreSQL, how long a transaction may
	// stay idle between two statements before the server ends its session,
	// and with it the transaction and its locks: a replica stalled in a
	// transaction holds the others up no longer (default
	// postgres.DefaultIdleInTransactionTimeout, a minute; a negative value
	// leaves PostgreSQL's own setting). A value the database URL sets wins.
	IdleInTransactionTimeout time.Duration
	// TCPUserTimeout is, on PostgreSQL, how long what the server sends a
	// connection may stay unacknowledged, or wait for the connection's
	// window to open, before the server drops the connection, and with it
	// the session's transaction and locks: a replica stalled while the
	// server sends it a result holds the others up no longer (default
	// postgres.DefaultTCPUserTimeout, a minute; a negative value leaves
	// PostgreSQL's own setting). A value the database URL sets wins.
	TCPUserTimeout time.Duration
	// CentralAccountID is the id of the server's own account (default "central").
	CentralAccountID string
	// CentralAccountName is its display name (default "Central").
	CentralAccountName string
	// Organization is the central account's organization id; accounts in it get
	// shares without an invitation (default none).
	Organization string
	// InvitationTTL is how long a share invitation stays pending (default 12h).
	InvitationTTL time.Duration
	// ApprovalTimeout is how long a data-sharing approval waits for a decision (default 7 days).
	ApprovalTimeout time.Duration
	// PlatformReconcileInterval is how often data platforms are compared
	// with meshgate's grants and repaired (default 5m; negative: never).
	PlatformReconcileInterval time.Duration
	// ExpiryWarning is how long before a time-bound grant ends its requester
	// is warned (default 24h; negative: never).
	ExpiryWarning time.Duration
	// BootstrapToken, on a fresh store, becomes a valid admin API token (for automation).
	BootstrapToken string
	// Demo seeds a small demo mesh on a fresh store.
	Demo bool
	// AuditRetention is how long audit entries are kept (default
	// DefaultAuditRetention, 400 days); a negative value keeps them forever.
	AuditRetention time.Duration
	// ShutdownTimeout bounds graceful shutdown (default 15s).
	ShutdownTimeout time.Duration
	// TrustedOrigins are origins ("https://portal.example.com") whose pages may
	// make changes with the session cookie besides the server's own (default none).
	TrustedOrigins []string
	// TrustedProxies are the addresses or CIDR prefixes of reverse proxies
	// whose X-Forwarded-For names the client (default none: the peer is the client).
	TrustedProxies []string
	// OIDC configures sign-in through identity providers (default none);
	// its PublicURL defaults to http:// + Addr.
	OIDC oidc.Config
	// Auth tunes sessions, password hashing and sign-in rate limits (defaults in auth.Options).
	Auth auth.Options
	// PublicURL is the base of every link in notifications (default http://
	// and the address listened on; set it when users reach the server
	// through another name, or behind a proxy).
	PublicURL string
	// SMTP is the mail server notifications are sent through; with no
	// address, mail goes to the built-in mailbox.
	SMTP email.Config
	// WebhookAllow lists address ranges webhook endpoints may reach although
	// they are loopback or private (default none).
	WebhookAllow []netip.Prefix
	// NotifyRetry is the delivery retry policy (nil: SNS's email policy).
	NotifyRetry *notify.RetryPolicy
	// NotifyTimeout bounds one delivery attempt (default 15s).
	NotifyTimeout time.Duration
	// NotifyLease is how long a delivery being sent stays with the process
	// sending it; deliveries a killed process held go again once their
	// leases end (default 2m; at least twice NotifyTimeout).
	NotifyLease time.Duration
	// NotifyRetention is how long sent and dead-lettered deliveries and the
	// built-in mailbox's messages are kept (default notify.DefaultRetention,
	// 30 days); a negative value keeps them forever.
	NotifyRetention time.Duration
	// Clock is the time source (default the system clock); tests inject one.
	Clock mesh.Clock
}

// Validate checks the config and fills in defaults.
func (c *Config) Validate() error {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("addr %q: %w", c.Addr, err)
	}
	if c.DataDir == "" {
		c.DataDir = "meshgate-data"
	}
	c.DataDir = filepath.Clean(c.DataDir)
	if c.Synchronous == "" {
		c.Synchronous = "FULL"
	}
	if c.Synchronous != "FULL" && c.Synchronous != "NORMAL" {
		return fmt.Errorf("sqlite synchronous must be FULL or NORMAL, not %q", c.Synchronous)
	}
	if err := c.validatePostgresTimeouts(); err != nil {
		return err
	}
	if c.CentralAccountID == "" {
		c.CentralAccountID = "central"
	}
	if err := mesh.ValidateAccountID("central-account", c.CentralAccountID); err != nil {
		return err
	}
	if c.CentralAccountName == "" {
		c.CentralAccountName = "Central"
	}
	name, err := mesh.CleanAccountName("central-account-name", c.CentralAccountName)
	if err != nil {
		return err
	}
	c.CentralAccountName = name
	if c.AuditRetention == 0 {
		c.AuditRetention = DefaultAuditRetention
	}
	if c.AuditRetention > 0 && c.AuditRetention < 24*time.Hour {
		return fmt.Errorf("audit retention %s is shorter than a day; use at least 24h, or 0 to keep the log forever", c.AuditRetention)
	}
	if c.ApprovalTimeout != 0 && (c.ApprovalTimeout < sharing.MinApprovalTimeout || c.ApprovalTimeout > sharing.MaxApprovalTimeout) {
		return fmt.Errorf("approval timeout %s is out of range: use from %s to %s (about 3 years)",
			c.ApprovalTimeout, sharing.MinApprovalTimeout, sharing.MaxApprovalTimeout)
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 15 * time.Second
	}
	if c.BootstrapToken != "" && len(c.BootstrapToken) < 16 {
		return errors.New("bootstrap token must be at least 16 characters")
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("public-url %q: want an absolute http(s) URL", c.PublicURL)
		}
	}
	if err := c.SMTP.Validate(); err != nil {
		return err
	}
	if err := c.validateNotify(); err != nil {
		return err
	}
	if c.Clock == nil {
		c.Clock = mesh.SystemClock{}
	}
	if len(c.OIDC.Providers) > 0 && c.OIDC.PublicURL == "" {
		c.OIDC.PublicURL = "http://" + c.Addr
	}
	if err := c.OIDC.Validate(); err != nil {
		return err
	}
	if _, err := web.ParseTrustedProxies(c.TrustedProxies); err != nil {
		return err
	}
	if err := web.NewRouter(nil, nil).TrustOrigins(c.TrustedOrigins); err != nil {
		return err
	}
	return nil
}

// validateNotify fills in the delivery timeout, lease and retention and
// refuses a lease too short for an attempt and the recording of its
// outcome: a delivery whose lease ends while it is being sent is claimed
// and sent again. A retention under a day is refused as a mistake.
func (c *Config) validateNotify() error {
	if c.NotifyTimeout < 0 {
		return fmt.Errorf("notify-timeout %s: want a positive duration", c.NotifyTimeout)
	}
	if c.NotifyTimeout == 0 {
		c.NotifyTimeout = notify.DefaultTimeout
	}
	if c.NotifyLease < 0 {
		return fmt.Errorf("notify-lease %s: want a positive duration", c.NotifyLease)
	}
	if c.NotifyLease == 0 {
		c.NotifyLease = max(notify.DefaultLease, 2*c.NotifyTimeout)
	}
	if c.NotifyRetention == 0 {
		c.NotifyRetention = notify.DefaultRetention
	}
	if c.NotifyRetention > 0 && c.NotifyRetention < 24*time.Hour {
		return fmt.Errorf("notify retention %s is shorter than a day; use at least 24h, or 0 to keep deliveries and the mailbox forever", c.NotifyRetention)
	}
	if c.NotifyLease < 2*c.NotifyTimeout {
		return fmt.Errorf("notify-lease %s is shorter than twice notify-timeout %s: a delivery could be sent twice while still in flight; use at least %s",
			c.NotifyLease, c.NotifyTimeout, 2*c.NotifyTimeout)
	}
	return nil
}

// validatePostgresTimeouts fills in PostgreSQL's idle-in-transaction and
// TCP user timeouts and refuses one under a second, which a transaction
// busy between two statements on a loaded server, or a network's brief
// loss of packets, may reach, or one longer than PostgreSQL takes.
func (c *Config) validatePostgresTimeouts() error {
	for _, t := range []struct {
		flag     string
		d        *time.Duration
		def, max time.Duration
	}{
		{"idle-in-transaction-timeout", &c.IdleInTransactionTimeout, postgres.DefaultIdleInTransactionTimeout, postgres.MaxIdleInTransactionTimeout},
		{"tcp-user-timeout", &c.TCPUserTimeout, postgres.DefaultTCPUserTimeout, postgres.MaxTCPUserTimeout},
	} {
		if *t.d == 0 {
			*t.d = t.def
		}
		if *t.d > 0 && (*t.d < time.Second || *t.d > t.max) {
			return fmt.Errorf("%s %s is out of range: use from 1s to %s, or 0 to leave PostgreSQL's own setting", t.flag, *t.d, t.max)
		}
	}
	return nil
}
