package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/notify"
	"github.com/meshgate/meshgate/internal/notify/notifytest"
	"github.com/meshgate/meshgate/internal/server"
	"github.com/meshgate/meshgate/internal/server/servertest"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// lockedBuffer collects a server's logs.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestWebhookURLKeptOutOfRecords: a webhook URL's path and query, where
// its secret travels (a Slack incoming webhook's path is a bearer secret),
// reach neither the audit log (subscribe, confirm, unsubscribe, a refused
// subscribe), the logs, a delivery's last error, nor whoever holds a
// confirmation or unsubscribe link (a Slack channel's members); they name
// the endpoint by scheme, host and port. The account's admins still read
// the endpoint whole.
func TestWebhookURLKeptOutOfRecords(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			logs := &lockedBuffer{}
			srv, admin := servertest.New(t, servertest.Options{Store: kind, Log: logs, Config: server.Config{
				WebhookAllow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
				NotifyRetry:  &notify.RetryPolicy{Pre: 1, PreDelay: time.Hour},
			}})
			const account = "111122223333"
			if _, err := admin.OnboardAccount(ctx, client.AccountInput{ID: account, Name: "Sales"}); err != nil {
				t.Fatal(err)
			}
			rcv := notifytest.StartReceiver(t)
			endpoint := rcv.URL + "/services/T000/B000/SECRETPATH?token=SECRETQUERY"
			sub, err := admin.Subscribe(ctx, client.SubscribeInput{AccountID: account, Protocol: "http", Endpoint: endpoint})
			if err != nil {
				t.Fatal(err)
			}
			if sub.Endpoint != endpoint {
				t.Errorf("the admin's answer: got endpoint %q, want %q", sub.Endpoint, endpoint)
			}
			refused := []client.SubscribeInput{
				{AccountID: account, Protocol: "http", Endpoint: endpoint},                         // subscribed already
				{AccountID: account, Protocol: "https", Endpoint: endpoint},                        // not its scheme
				{AccountID: account, Protocol: "http", Endpoint: "ftp://127.0.0.1/SECRETPATH"},     // not http
				{AccountID: account, Protocol: "http", Endpoint: "http:///SECRETPATH"},             // no host
				{AccountID: account, Protocol: "http", Endpoint: "http://127.0.0.1/SECRETPATH%zz"}, // not a URL
			}
			for _, in := range refused {
				if _, err := admin.Subscribe(ctx, in); err == nil || strings.Contains(err.Error(), "SECRET") {
					t.Errorf("subscribe %s %s: got %v, want a refusal without the URL's path", in.Protocol, in.Endpoint, err)
				}
			}

			got := rcv.WaitFor(1, 10*time.Second)
			if len(got) != 1 || got[0].Body.Token == "" || got[0].Body.UnsubscribeURL == "" {
				t.Fatalf("got %d requests, want the confirmation", len(got))
			}
			conf := got[0].Body
			anon := srv.Client()
			confirmed, err := anon.ConfirmSubscription(ctx, conf.Token)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(confirmed.Endpoint, "SECRET") || !strings.Contains(confirmed.Endpoint, "127.0.0.1") {
				t.Errorf("confirmed by its token: got endpoint %q, want its host without its path", confirmed.Endpoint)
			}
			// the page a browser gets, and the confirmation again
			if page := postLink(t, srv.URL+"/api/v1/subscriptions/confirm?token="+url.QueryEscape(conf.Token), true); strings.Contains(page, "SECRET") {
				t.Errorf("confirmation page: got %s, want no URL path", page)
			}
			if again, err := admin.Subscription(ctx, sub.ID); err != nil || again.Endpoint != endpoint {
				t.Errorf("the admin reads it: got %+v (%v), want endpoint %q", again, err, endpoint)
			}

			// an endpoint nobody answers: its last error names the host only
			dead := "http://127.0.0.1:1/services/SECRETPATH2?token=SECRETQUERY2"
			if _, err := admin.Subscribe(ctx, client.SubscribeInput{AccountID: account, Protocol: "http", Endpoint: dead}); err != nil {
				t.Fatal(err)
			}
			var lastError string
			for deadline := time.Now().Add(10 * time.Second); lastError == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				ds, err := admin.Deliveries(ctx, "", account, 100)
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range ds {
					if d.Endpoint == dead && d.LastError != "" {
						lastError = d.LastError
					}
				}
			}
			if lastError == "" || strings.Contains(lastError, "SECRET") || !strings.Contains(lastError, "127.0.0.1:1") {
				t.Errorf("last error: got %q, want the host without the URL's path", lastError)
			}

			if out := postLink(t, conf.UnsubscribeURL, false); strings.Contains(out, "SECRET") || !strings.Contains(out, "unsubscribed") {
				t.Errorf("unsubscribed by link: got %s, want the subscription without its URL's path", out)
			}
			if _, err := admin.Unsubscribe(ctx, sub.ID); err != nil {
				t.Fatal(err)
			}

			list, err := admin.ListAudit(ctx, client.AuditFilter{}, client.ListOptions{Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			actions := map[string]bool{}
			for _, e := range list.Entries {
				if strings.Contains(e.Detail, "SECRET") || strings.Contains(e.Resource, "SECRET") {
					t.Errorf("audit %s %s: got detail %q, want no URL path or query", e.Action, e.Resource, e.Detail)
				}
				if strings.HasPrefix(e.Action, "notify.") && strings.Contains(e.Detail, "127.0.0.1") {
					actions[e.Action] = true
				}
			}
			for _, a := range []string{"notify.subscribe", "notify.confirm", "notify.unsubscribe"} {
				if !actions[a] {
					t.Errorf("audit: no %s naming the host", a)
				}
			}
			if strings.Contains(logs.String(), "SECRET") {
				t.Errorf("logs: got %s, want no URL path or query", logs.String())
			}
		})
	}
}

// postLink posts to a link a message carries, as a browser's form (html)
// or an API call, and returns the answer.
func postLink(t *testing.T, link string, html bool) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, link, nil)
	if err != nil {
		t.Fatal(err)
	}
	if html {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: got %d %s", link, resp.StatusCode, b)
	}
	if !html {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("POST %s: got %s, want JSON", link, b)
		}
	}
	return string(b)
}

// TestMessageLinksChangeNothingOnGet: a mail scanner or link preview
// follows every link of a message with GET or HEAD; the confirmation, the
// unsubscribe and the opt-out links then only show a page whose button
// POSTs. The subscription stays pending, then confirmed, and the address
// keeps getting direct mail, until the button is pressed.
func TestMessageLinksChangeNothingOnGet(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			srv, admin := servertest.New(t, servertest.Options{Store: kind})
			const account = "111122223333"
			if _, err := admin.OnboardAccount(ctx, client.AccountInput{ID: account, Name: "Sales"}); err != nil {
				t.Fatal(err)
			}
			mail := func(to, id string) client.MailboxMessage {
				t.Helper()
				for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
					box, err := admin.Mailbox(ctx, 100)
					if err != nil {
						t.Fatal(err)
					}
					for _, m := range box {
						if m.To == to && (id == "" || m.MessageID == id) {
							return m
						}
					}
				}
				t.Fatalf("no mail %q to %s", id, to)
				return client.MailboxMessage{}
			}
			link := func(m client.MailboxMessage, re string) string {
				t.Helper()
				l := regexp.MustCompile(re).FindString(m.Text)
				if l == "" {
					t.Fatalf("no link %s in %q", re, m.Text)
				}
				return l
			}
			scan := func(l string) {
				t.Helper()
				for _, method := range []string{"GET", "HEAD"} {
					req, _ := http.NewRequest(method, l, nil)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK || method == "GET" && !strings.Contains(string(b), `method="post"`) {
						t.Errorf("%s %s: got %d\n%s\nwant 200 and a form that posts", method, l, resp.StatusCode, b)
					}
				}
			}
			status := func(id int64) string {
				t.Helper()
				s, err := admin.Subscription(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				return s.Status
			}

			sub, err := admin.Subscribe(ctx, client.SubscribeInput{AccountID: account, Protocol: "email", Endpoint: "ops@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			confirmation := mail("ops@example.com", "")
			confirm := link(confirmation, `https?://\S+/api/v1/subscriptions/confirm\?token=\S+`)
			scan(confirm)
			scan(link(confirmation, `https?://\S+/api/v1/subscriptions/\d+/unsubscribe\?sig=\S+`))
			if got := status(sub.ID); got != store.SubscriptionPending {
				t.Fatalf("after a scanner opened the links: got %s, want %s", got, store.SubscriptionPending)
			}
			postLink(t, confirm, true)
			if got := status(sub.ID); got != store.SubscriptionConfirmed {
				t.Fatalf("after the confirmation's button: got %s, want %s", got, store.SubscriptionConfirmed)
			}
			scan(link(confirmation, `https?://\S+/api/v1/subscriptions/\d+/unsubscribe\?sig=\S+`))
			if got := status(sub.ID); got != store.SubscriptionConfirmed {
				t.Errorf("after a scanner opened the unsubscribe link: got %s, want %s", got, store.SubscriptionConfirmed)
			}

			direct := func(id string) {
				t.Helper()
				err := srv.Store.Update(ctx, func(tx store.Tx) error {
					return srv.Notify.Send(ctx, tx, "req@example.com", notify.Message{ID: id, Subject: "Access shared", Text: "Your request was approved."})
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			direct("outcome-1")
			optOut := link(mail("req@example.com", "outcome-1"), `https?://\S+/api/v1/optout\?\S+`)
			scan(optOut)
			direct("outcome-2")
			mail("req@example.com", "outcome-2")
			postLink(t, optOut, true)
			var out bool
			if err := srv.Store.View(ctx, func(tx store.Tx) (err error) {
				out, err = tx.IsOptedOut(ctx, "req@example.com")
				return err
			}); err != nil || !out {
				t.Errorf("after the opt-out's button: got opted out %v (%v), want true", out, err)
			}
		})
	}
}
