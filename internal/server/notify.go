package server

import (
	"cmp"
	"context"
	"net"

	"github.com/meshgate/meshgate/internal/notify"
	"github.com/meshgate/meshgate/internal/notify/email"
	"github.com/meshgate/meshgate/internal/notify/webhook"
)

// newNotify builds the notification service: email over SMTP (or into the
// built-in mailbox), webhooks, a topic per onboarded account, and the
// delivery and retention loops in the background work.
func (s *Server) newNotify(ctx context.Context) error {
	key, err := s.secret(ctx, "notify_link_key")
	if err != nil {
		return err
	}
	mail, err := email.New(s.cfg.SMTP)
	if err != nil {
		return err
	}
	hooks := webhook.New(webhook.Options{Allow: s.cfg.WebhookAllow})
	s.Notify = notify.NewService(s.Store, notify.Options{
		PublicURL: cmp.Or(s.cfg.PublicURL, "http://"+s.cfg.Addr),
		LinkKey:   key,
		Channels:  map[string]notify.Channel{notify.ProtocolEmail: mail, notify.ProtocolHTTPS: hooks, notify.ProtocolHTTP: hooks},
		Policy:    s.cfg.NotifyRetry,
		Timeout:   s.cfg.NotifyTimeout,
		Lease:     s.cfg.NotifyLease,
		Retention: s.cfg.NotifyRetention,
		Clock:     s.cfg.Clock,
		Logger:    s.log,
	})
	s.Accounts.OnOnboard(s.Notify.CreateTopic)
	s.Accounts.RegisterCleanup(s.Notify.Offboard)
	s.background = append(s.background, s.Notify.Sender())
	if s.cfg.NotifyRetention > 0 {
		s.background = append(s.background, s.Notify.Pruner())
	}
	return nil
}

// publicURL tells the notification service the address listened on, when
// no public URL was configured: the configured address may have been port 0.
func (s *Server) publicURL(ln net.Listener) {
	if s.cfg.PublicURL == "" {
		s.Notify.SetPublicURL("http://" + ln.Addr().String())
	}
}
