package main

import (
	"context"
	"fmt"

	"github.com/meshgate/meshgate/client"
)

// TopicCmd groups the topic commands.
type TopicCmd struct {
	List TopicListCmd `cmd:"" help:"List notification topics (one per account)."`
}

// TopicListCmd lists topics.
type TopicListCmd struct {
	Account string `help:"Only this account's topic (default: all for mesh admins, yours for an account's admins)."`
}

// Run lists the topics.
func (c *TopicListCmd) Run(ctx context.Context, g *Globals) error {
	ts, err := g.Client().Topics(ctx, c.Account)
	if err != nil {
		return err
	}
	return printRows(g, ts, []string{"ID", "ACCOUNT", "NAME", "CREATED"}, ts, func(t client.Topic) []string {
		return []string{itoa64(t.ID), t.AccountID, t.Name, fmtTime(t.CreatedAt)}
	})
}

// SubscribeCmd subscribes an endpoint to an account's topic.
type SubscribeCmd struct {
	Account  string `required:"" help:"Account whose topic to subscribe to."`
	Protocol string `required:"" enum:"email,https,http" help:"email, https or http."`
	// --endpoint is the global flag naming the server, so this is
	// --notification-endpoint, as in aws sns subscribe.
	Endpoint string `name:"notification-endpoint" required:"" help:"Email address or webhook URL to deliver to."`
	Slack    bool   `help:"Send Slack-compatible bodies to this webhook."`
}

// Run subscribes and prints the pending subscription (with a webhook's signing secret, shown once).
func (c *SubscribeCmd) Run(ctx context.Context, g *Globals) error {
	sub, err := g.Client().Subscribe(ctx, client.SubscribeInput{AccountID: c.Account, Protocol: c.Protocol, Endpoint: c.Endpoint, Slack: c.Slack})
	if err != nil {
		return err
	}
	if g.JSON() {
		return g.PrintJSON(sub)
	}
	if err := printSubscriptions(g, sub, []client.Subscription{*sub}); err != nil {
		return err
	}
	fmt.Fprintln(g.stdout, "A confirmation message is on its way; nothing else is sent until it is confirmed.")
	if sub.SigningSecret != "" {
		fmt.Fprintf(g.stdout, "signing secret (shown once): %s\n", sub.SigningSecret)
	}
	return nil
}

// UnsubscribeCmd ends a subscription.
type UnsubscribeCmd struct {
	ID int64 `required:"" help:"Subscription id."`
}

// Run unsubscribes.
func (c *UnsubscribeCmd) Run(ctx context.Context, g *Globals) error {
	sub, err := g.Client().Unsubscribe(ctx, c.ID)
	if err != nil {
		return err
	}
	return printSubscriptions(g, sub, []client.Subscription{*sub})
}

// SubscriptionCmd groups the subscription commands.
type SubscriptionCmd struct {
	List    SubscriptionListCmd    `cmd:"" help:"List subscriptions."`
	Get     SubscriptionGetCmd     `cmd:"" help:"Show a subscription."`
	Confirm SubscriptionConfirmCmd `cmd:"" help:"Confirm a subscription with the token of its confirmation message."`
}

// SubscriptionListCmd lists subscriptions.
type SubscriptionListCmd struct {
	Account string `help:"Only this account's (default: all for mesh admins, yours for an account's admins)."`
}

// Run lists the subscriptions.
func (c *SubscriptionListCmd) Run(ctx context.Context, g *Globals) error {
	subs, err := g.Client().Subscriptions(ctx, c.Account)
	if err != nil {
		return err
	}
	return printSubscriptions(g, subs, subs)
}

func printSubscriptions(g *Globals, v any, subs []client.Subscription) error {
	return printRows(g, v, []string{"ID", "ACCOUNT", "PROTOCOL", "ENDPOINT", "STATUS", "SLACK", "CREATED"}, subs, func(s client.Subscription) []string {
		slack := ""
		if s.Slack {
			slack = "yes"
		}
		return []string{itoa64(s.ID), s.AccountID, s.Protocol, s.Endpoint, s.Status, slack, fmtTime(s.CreatedAt)}
	})
}

// SubscriptionGetCmd shows a subscription.
type SubscriptionGetCmd struct {
	ID int64 `required:"" help:"Subscription id."`
}

// Run shows the subscription.
func (c *SubscriptionGetCmd) Run(ctx context.Context, g *Globals) error {
	sub, err := g.Client().Subscription(ctx, c.ID)
	if err != nil {
		return err
	}
	return printSubscriptions(g, sub, []client.Subscription{*sub})
}

// SubscriptionConfirmCmd confirms a subscription.
type SubscriptionConfirmCmd struct {
	Token string `name:"confirmation-token" required:"" help:"The token of the confirmation message (--token is the API token)."`
}

// Run confirms the subscription.
func (c *SubscriptionConfirmCmd) Run(ctx context.Context, g *Globals) error {
	sub, err := g.Client().ConfirmSubscription(ctx, c.Token)
	if err != nil {
		return err
	}
	return printSubscriptions(g, sub, []client.Subscription{*sub})
}

// DeliveryCmd groups the delivery commands.
type DeliveryCmd struct {
	List  DeliveryListCmd  `cmd:"" help:"List deliveries (--status failed lists the dead letters)."`
	Retry DeliveryRetryCmd `cmd:"" help:"Send a dead-lettered delivery again."`
}

// DeliveryListCmd lists deliveries.
type DeliveryListCmd struct {
	Status  string `help:"Only this status." enum:",pending,sent,failed" default:""`
	Account string `help:"Only deliveries of this account's subscriptions."`
	Limit   int    `help:"At most this many (default 100)."`
}

// Run lists the deliveries.
func (c *DeliveryListCmd) Run(ctx context.Context, g *Globals) error {
	ds, err := g.Client().Deliveries(ctx, c.Status, c.Account, c.Limit)
	if err != nil {
		return err
	}
	return printDeliveries(g, ds, ds)
}

func printDeliveries(g *Globals, v any, ds []client.Delivery) error {
	return printRows(g, v, []string{"ID", "MESSAGE", "KIND", "PROTOCOL", "ENDPOINT", "STATUS", "ATTEMPTS", "NEXT ATTEMPT", "LAST ERROR"}, ds, func(d client.Delivery) []string {
		next := ""
		if d.Status == "pending" {
			next = fmtTime(d.NextAttempt)
		}
		return []string{itoa64(d.ID), d.MessageID, d.Kind, d.Protocol, d.Endpoint, d.Status, fmt.Sprint(d.Attempts), next, d.LastError}
	})
}

// DeliveryRetryCmd retries a dead letter.
type DeliveryRetryCmd struct {
	ID int64 `required:"" help:"Delivery id."`
}

// Run retries the delivery.
func (c *DeliveryRetryCmd) Run(ctx context.Context, g *Globals) error {
	d, err := g.Client().RetryDelivery(ctx, c.ID)
	if err != nil {
		return err
	}
	return printDeliveries(g, d, []client.Delivery{*d})
}

// MailboxCmd groups the built-in mailbox commands.
type MailboxCmd struct {
	List MailboxListCmd `cmd:"" help:"List the built-in mailbox (mesh admins): mail sent while no SMTP server is configured."`
	Show MailboxShowCmd `cmd:"" help:"Show one message of the built-in mailbox."`
}

// MailboxListCmd lists the mailbox.
type MailboxListCmd struct {
	Limit int `help:"At most this many (default 100)."`
}

// Run lists the mailbox.
func (c *MailboxListCmd) Run(ctx context.Context, g *Globals) error {
	ms, err := g.Client().Mailbox(ctx, c.Limit)
	if err != nil {
		return err
	}
	return printRows(g, ms, []string{"ID", "TO", "SUBJECT", "MESSAGE ID", "RECEIVED"}, ms, func(m client.MailboxMessage) []string {
		return []string{itoa64(m.ID), m.To, m.Subject, m.MessageID, fmtTime(m.CreatedAt)}
	})
}

// MailboxShowCmd shows one message.
type MailboxShowCmd struct {
	ID int64 `required:"" help:"Message id."`
}

// Run prints the message's headers and plain-text body.
func (c *MailboxShowCmd) Run(ctx context.Context, g *Globals) error {
	m, err := g.Client().MailboxMessage(ctx, c.ID)
	if err != nil {
		return err
	}
	if g.JSON() {
		return g.PrintJSON(m)
	}
	fmt.Fprintf(g.stdout, "To: %s\nSubject: %s\nMessage-Id: %s\nDate: %s\n", m.To, m.Subject, m.MessageID, fmtTime(m.CreatedAt))
	if m.Withheld != "" {
		fmt.Fprintf(g.stdout, "Withheld: %s\n", m.Withheld) // why links read [link withheld]
	}
	fmt.Fprintf(g.stdout, "\n%s", m.Text)
	return nil
}
