// Package webhook delivers notifications to HTTP(S) endpoints as signed JSON,
// or as Slack-compatible bodies, refusing loopback and private addresses
// unless they are allowed.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/notify"
)

// Headers of every webhook request.
const (
	HeaderMessageID   = "X-Meshgate-Message-Id"
	HeaderMessageType = "X-Meshgate-Message-Type"
	HeaderTimestamp   = "X-Meshgate-Timestamp"
	// HeaderSignature is "v1=" and the hex HMAC-SHA256, keyed with the
	// subscription's signing secret, of the timestamp header's value, a
	// ".", and the body.
	HeaderSignature = "X-Meshgate-Signature"
)

// Message types, in the body's "type" and the type header.
const (
	TypeNotification = "Notification"
	TypeConfirmation = "SubscriptionConfirmation"
)

// Body is the JSON body of a webhook request.
type Body struct {
	Type           string          `json:"type"`
	MessageID      string          `json:"message_id"`
	Timestamp      time.Time       `json:"timestamp"`
	AccountID      string          `json:"account_id"`
	Topic          string          `json:"topic"`
	SubscriptionID int64           `json:"subscription_id"`
	Subject        string          `json:"subject"`
	Message        string          `json:"message"`
	Data           json.RawMessage `json:"data,omitempty"`
	Links          []notify.Link   `json:"links,omitempty"`
	// Token and SubscribeURL confirm a subscription: post the token to
	// /api/v1/subscriptions/confirm, or POST to SubscribeURL.
	Token          string `json:"token,omitempty"`
	SubscribeURL   string `json:"subscribe_url,omitempty"`
	UnsubscribeURL string `json:"unsubscribe_url"`
}

// Options tune the channel.
type Options struct {
	// Allow lists address ranges a webhook may reach although they are
	// loopback, private, link-local or otherwise internal; empty refuses them all.
	Allow []netip.Prefix
}

// Channel posts webhooks.
type Channel struct {
	allow  []netip.Prefix
	client *http.Client
}

// New returns the webhook channel.
func New(opts Options) *Channel {
	c := &Channel{allow: opts.Allow}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second,
		// the address is checked after resolution, on every connection,
		// so a name that resolves to an internal address later is caught
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return err
			}
			return c.checkAddr(ap.Addr())
		}}
	c.client = &http.Client{
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         dialer.DialContext,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second,
		},
		// a redirect could lead anywhere: the endpoint answers itself
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c
}

// errInternal marks an address webhooks may not reach.
var errInternal = errors.New("internal address")

// checkAddr refuses loopback, private, link-local, shared and unspecified
// addresses unless an allowed range holds them.
func (c *Channel) checkAddr(a netip.Addr) error {
	a = a.Unmap()
	for _, p := range c.allow {
		if p.Contains(a) {
			return nil
		}
	}
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsUnspecified() ||
		a.IsMulticast() || a.IsInterfaceLocalMulticast() || shared.Contains(a) || thisNet.Contains(a) {
		return fmt.Errorf("%w %s: webhooks may not reach loopback or private ranges unless a mesh admin allows them (serve --webhook-allow)", errInternal, a)
	}
	return nil
}

var (
	shared  = netip.MustParsePrefix("100.64.0.0/10")
	thisNet = netip.MustParsePrefix("0.0.0.0/8")
)

// ValidateEndpoint checks a webhook URL: absolute http(s), a host, and
// every address it resolves to reachable under the allow list. Its errors,
// which the audit log keeps, name no more of the URL than its scheme and
// host: its path or query may be its secret.
func (c *Channel) ValidateEndpoint(ctx context.Context, endpoint string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(endpoint))
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the whole URL
		}
		return "", mesh.Invalid("endpoint", "is not a URL: %v", err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		if u.Scheme == "" {
			return "", mesh.Invalid("endpoint", "must be an http or https URL, not one without a scheme")
		}
		return "", mesh.Invalid("endpoint", "must be an http or https URL, not %s://", u.Scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", mesh.Invalid("endpoint", "has no host")
	}
	if u.User != nil {
		return "", mesh.Invalid("endpoint", "must not carry a user or password; webhooks are signed instead")
	}
	if u.Fragment != "" {
		return "", mesh.Invalid("endpoint", "must not have a fragment")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", mesh.Invalid("endpoint", "port %q is not a port", p)
		}
	}
	host := u.Hostname()
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		addrs, err = net.DefaultResolver.LookupNetIP(rctx, "ip", host)
		cancel()
		if err != nil || len(addrs) == 0 {
			return "", mesh.Invalid("endpoint", "host %q does not resolve", host)
		}
	}
	for _, a := range addrs {
		if err := c.checkAddr(a); err != nil {
			return "", mesh.Invalid("endpoint", "%s resolves to %v", host, err)
		}
	}
	return u.String(), nil
}

// Sign returns the signature header value of body sent at timestamp (unix seconds).
func Sign(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a received webhook: the signature over the timestamp and
// the body, and a timestamp within tolerance of now (against replays).
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	ts := h.Get(HeaderTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("webhook: missing or bad timestamp")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return errors.New("webhook: timestamp outside the tolerance")
	}
	if !hmac.Equal([]byte(Sign(secret, ts, body)), []byte(h.Get(HeaderSignature))) {
		return errors.New("webhook: bad signature")
	}
	return nil
}

// Encode returns the request body of env and its message type.
func Encode(env *notify.Envelope) ([]byte, string, error) {
	typ := TypeNotification
	if env.Kind == notify.KindConfirmation {
		typ = TypeConfirmation
	}
	if env.Subscription != nil && env.Subscription.Slack {
		b, err := json.Marshal(map[string]string{"text": slackText(env)})
		return b, typ, err
	}
	b := Body{Type: typ, MessageID: env.MessageID, Timestamp: env.Timestamp, AccountID: env.AccountID, Topic: env.TopicName,
		Subject: env.Message.Subject, Message: env.Message.Text, Data: env.Message.Data, Links: env.Message.Links,
		Token: env.Token, SubscribeURL: env.ConfirmURL, UnsubscribeURL: env.UnsubscribeURL}
	if env.Subscription != nil {
		b.SubscriptionID = env.Subscription.ID
	}
	out, err := json.Marshal(b)
	return out, typ, err
}

// slackEscape escapes what Slack's mrkdwn treats as markup.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func slackText(env *notify.Envelope) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%s*\n%s\n", slackEscape.Replace(env.Message.Subject), slackEscape.Replace(env.Message.Text))
	for _, l := range env.Message.Links {
		fmt.Fprintf(&b, "<%s|%s>\n", l.URL, slackEscape.Replace(l.Label))
	}
	if env.UnsubscribeURL != "" {
		fmt.Fprintf(&b, "<%s|Unsubscribe>", env.UnsubscribeURL)
	}
	return b.String()
}

// Deliver posts env; a 2xx answer delivers it, anything else is retried.
func (c *Channel) Deliver(ctx context.Context, env *notify.Envelope) error {
	body, typ, err := Encode(env)
	if err != nil {
		return notify.Permanent(err)
	}
	// errors become the delivery's last error, which names the endpoint
	// without its path and query: they may be its secret
	name := mesh.RedactURL(env.Endpoint)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, env.Endpoint, bytes.NewReader(body))
	if err != nil {
		return notify.Permanent(fmt.Errorf("webhook request to %s: %w", name, withoutURL(err)))
	}
	ts := strconv.FormatInt(env.Timestamp.Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "meshgate-notify/1")
	req.Header.Set(HeaderMessageID, env.MessageID)
	req.Header.Set(HeaderMessageType, typ)
	req.Header.Set(HeaderTimestamp, ts)
	if env.Subscription != nil {
		req.Header.Set(HeaderSignature, Sign(env.Subscription.Secret, ts, body))
	}
	resp, err := c.client.Do(req)
	if err != nil {
		err = fmt.Errorf("webhook: %s: %w", name, withoutURL(err))
		if errors.Is(err, errInternal) {
			return notify.Permanent(err)
		}
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook: %s answered %s", name, resp.Status)
	}
	return nil
}

// withoutURL returns the cause of a *url.Error, whose text repeats the
// whole URL, and any other error as it is.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
