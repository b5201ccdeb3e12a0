// Package email delivers notifications by email: over SMTP, or into the
// built-in mailbox when no SMTP server is configured.
package email

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/notify"
	"github.com/meshgate/meshgate/internal/store"
	mail "github.com/wneessen/go-mail"
)

// TLS modes of the SMTP connection.
const (
	TLSNone     = "none"     // plain SMTP (a local relay)
	TLSStartTLS = "starttls" // STARTTLS required
	TLSImplicit = "tls"      // TLS from the first byte (port 465)
)

// Config says how to reach the SMTP server.
type Config struct {
	// Addr is host:port; empty selects the built-in mailbox.
	Addr string
	// From is the sender address (required with Addr).
	From string
	// TLS is none, starttls (default) or tls.
	TLS      string
	Username string
	Password string
}

// Validate checks c and fills in defaults.
func (c *Config) Validate() error {
	if c.Addr == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil || host == "" {
		return fmt.Errorf("smtp-addr %q: want host:port", c.Addr)
	}
	if _, err := strconv.Atoi(port); err != nil {
		return fmt.Errorf("smtp-addr %q: bad port", c.Addr)
	}
	if c.From == "" {
		return fmt.Errorf("smtp-from is required with smtp-addr")
	}
	if err := mesh.ValidateEmail("smtp-from", c.From); err != nil {
		return err
	}
	switch c.TLS {
	case "":
		c.TLS = TLSStartTLS
	case TLSNone, TLSStartTLS, TLSImplicit:
	default:
		return fmt.Errorf("smtp-tls must be none, starttls or tls, not %q", c.TLS)
	}
	return nil
}

// New returns the email channel c describes: SMTP, or the built-in mailbox
// when c.Addr is empty.
func New(c Config) (notify.Channel, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Addr == "" {
		return Mailbox{}, nil
	}
	return &SMTP{cfg: c}, nil
}

// validateAddress is the subscribe-time check both channels share.
func validateAddress(endpoint string) (string, error) {
	endpoint = strings.TrimSpace(endpoint)
	if endpoint == "" {
		return "", mesh.Invalid("endpoint", "is required: an email address")
	}
	if err := mesh.ValidateEmail("endpoint", endpoint); err != nil {
		return "", err
	}
	return endpoint, nil
}

// Mailbox keeps email in the store's built-in mailbox, which mesh admins read.
type Mailbox struct{}

// ValidateEndpoint checks an email address.
func (Mailbox) ValidateEndpoint(_ context.Context, endpoint string) (string, error) {
	return validateAddress(endpoint)
}

// Deliver hands the rendered message to the store, which keeps it with the
// delivery's outcome.
func (Mailbox) Deliver(_ context.Context, env *notify.Envelope) error {
	env.Stored = &store.MailboxMessage{To: env.Endpoint, Subject: env.Message.Subject, Text: Text(env), HTML: HTML(env)}
	return nil
}

// SMTP sends email through an SMTP server. Connections are kept for reuse
// (a NOOP checks one before it sends again), so a message costs a few
// commands rather than a connection and a handshake.
type SMTP struct {
	cfg Config

	mu   sync.Mutex
	idle []idleConn
}

type idleConn struct {
	c     *mail.Client
	since time.Time
}

const (
	// maxIdle bounds the connections kept open between messages.
	maxIdle = 32
	// idleFor is how long an unused connection is kept.
	idleFor = 30 * time.Second
	// smtpTimeout bounds each SMTP exchange.
	smtpTimeout = 15 * time.Second
)

// ValidateEndpoint checks an email address.
func (*SMTP) ValidateEndpoint(_ context.Context, endpoint string) (string, error) {
	return validateAddress(endpoint)
}

// Deliver sends env over SMTP.
func (s *SMTP) Deliver(ctx context.Context, env *notify.Envelope) error {
	m := mail.NewMsg()
	if err := m.From(s.cfg.From); err != nil {
		return notify.Permanent(fmt.Errorf("from address: %w", err))
	}
	if err := m.To(env.Endpoint); err != nil {
		return notify.Permanent(fmt.Errorf("recipient: %w", err))
	}
	m.Subject(env.Message.Subject)
	m.SetMessageIDWithValue(env.MessageID + "@meshgate")
	m.SetGenHeader("X-Meshgate-Message-Id", env.MessageID)
	m.SetDateWithValue(env.Timestamp)
	if env.UnsubscribeURL != "" {
		m.SetGenHeader("List-Unsubscribe", "<"+env.UnsubscribeURL+">")
	}
	m.SetBodyString(mail.TypeTextPlain, Text(env))
	m.AddAlternativeString(mail.TypeTextHTML, HTML(env))
	// a kept connection may have died meanwhile: then once more on a new one
	for {
		c, reused, err := s.conn(ctx)
		if err != nil {
			return fmt.Errorf("smtp %s: %w", s.cfg.Addr, err)
		}
		err = c.Send(m)
		if err == nil {
			s.release(c)
			return nil
		}
		c.Close()
		var se *mail.SendError
		if !reused || !errors.As(err, &se) || se.Reason != mail.ErrConnCheck {
			return fmt.Errorf("smtp %s: %w", s.cfg.Addr, err)
		}
	}
}

// conn returns a kept connection, or a new one.
func (s *SMTP) conn(ctx context.Context) (*mail.Client, bool, error) {
	s.mu.Lock()
	for len(s.idle) > 0 {
		ic := s.idle[len(s.idle)-1]
		s.idle = s.idle[:len(s.idle)-1]
		if time.Since(ic.since) < idleFor {
			s.mu.Unlock()
			return ic.c, true, nil
		}
		go ic.c.Close()
	}
	s.mu.Unlock()
	c, err := s.client()
	if err != nil {
		return nil, false, err
	}
	if err := c.DialWithContext(ctx); err != nil {
		return nil, false, err
	}
	return c, false, nil
}

// release keeps c for the next message, or closes it.
func (s *SMTP) release(c *mail.Client) {
	s.mu.Lock()
	if len(s.idle) < maxIdle {
		s.idle = append(s.idle, idleConn{c: c, since: time.Now()})
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	c.Close()
}

func (s *SMTP) client() (*mail.Client, error) {
	host, portS, _ := net.SplitHostPort(s.cfg.Addr)
	port, _ := strconv.Atoi(portS)
	opts := []mail.Option{mail.WithPort(port), mail.WithTimeout(smtpTimeout)}
	switch s.cfg.TLS {
	case TLSNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	case TLSImplicit:
		opts = append(opts, mail.WithSSL())
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if s.cfg.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(s.cfg.Username), mail.WithPassword(s.cfg.Password))
	}
	c, err := mail.NewClient(host, opts...)
	if err != nil {
		return nil, notify.Permanent(fmt.Errorf("smtp client: %w", err))
	}
	return c, nil
}

// Text renders env's plain-text body: the text, its links, then the
// unsubscribe link.
func Text(env *notify.Envelope) string {
	var b strings.Builder
	b.WriteString(strings.TrimRight(env.Message.Text, "\n"))
	b.WriteString("\n")
	for _, l := range env.Message.Links {
		fmt.Fprintf(&b, "\n%s: %s\n", l.Label, l.URL)
	}
	fmt.Fprintf(&b, "\n-- \nMessage id: %s\n", env.MessageID)
	if env.Subscription != nil {
		fmt.Fprintf(&b, "You receive this as subscription %d to topic %s of account %s.\n", env.Subscription.ID, env.TopicName, env.AccountID)
	}
	if env.UnsubscribeURL != "" {
		fmt.Fprintf(&b, "Unsubscribe: %s\n", env.UnsubscribeURL)
	}
	return b.String()
}

// HTML renders env's HTML body.
func HTML(env *notify.Envelope) string {
	var b strings.Builder
	b.WriteString("<!doctype html><html><body>\n")
	if env.Message.HTML != "" {
		b.WriteString(env.Message.HTML)
	} else {
		for _, p := range strings.Split(strings.TrimSpace(env.Message.Text), "\n\n") {
			b.WriteString("<p>" + strings.ReplaceAll(html.EscapeString(p), "\n", "<br>") + "</p>\n")
		}
	}
	for _, l := range env.Message.Links {
		fmt.Fprintf(&b, "<p><a href=\"%s\">%s</a></p>\n", html.EscapeString(l.URL), html.EscapeString(l.Label))
	}
	fmt.Fprintf(&b, "<hr><p style=\"font-size:small;color:#666\">Message id %s.", html.EscapeString(env.MessageID))
	if env.UnsubscribeURL != "" {
		fmt.Fprintf(&b, " <a href=\"%s\">Unsubscribe</a>", html.EscapeString(env.UnsubscribeURL))
	}
	b.WriteString("</p>\n</body></html>\n")
	return b.String()
}
