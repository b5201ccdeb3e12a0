package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// Webhook URLs that older versions wrote whole into audit entries and
// deliveries' last errors, where new code names them by mesh.RedactURL.
// Their secrets are spelled SECRET, which no row may hold once migrated.
var (
	oldHook     = "https://hooks.example.com/services/T000/B000/SECRETPATH?token=SECRETQUERY"
	oldHTTPHook = "http://127.0.0.1:8080/hook/SECRETPATH"
	// oldLongHook is longer than a delivery's error (1000 bytes) and a
	// refusal's audit detail (256): its rows were cut inside it.
	oldLongHook = "https://hooks.example.com/services/" + strings.Repeat("SECRET", 200)
)

// cutAudit cuts a refusal's detail as the router did (web.MaxAuditField).
func cutAudit(s string) string { return s[:256-len("…")] + "…" }

// oldWebhookAudit are audit entries as older versions wrote them (action,
// result, detail) and the detail new code writes in their place.
var oldWebhookAudit = []struct{ action, result, old, want string }{
	{"notify.subscribe", "ok", "account=111122223333 protocol=https endpoint=" + oldHook,
		"account=111122223333 protocol=https endpoint=" + mesh.RedactURL(oldHook)},
	{"notify.confirm", "ok", "https " + oldHook, "https " + mesh.RedactURL(oldHook)},
	{"notify.unsubscribe", "ok", "http " + oldHTTPHook + ": not confirmed in time, subscribed again",
		"http " + mesh.RedactURL(oldHTTPHook) + ": not confirmed in time, subscribed again"},
	{"notify.unsubscribe", "ok", "https " + oldHook, "https " + mesh.RedactURL(oldHook)},
	// refusals of a subscription, which the router audits with the error
	{"POST /api/v1/subscriptions", "conflict", "https " + oldHook + " is subscribed already (subscription 3, confirmed)",
		"https " + mesh.RedactURL(oldHook) + " is subscribed already (subscription 3, confirmed)"},
	{"POST /admin/notifications", "conflict", "http " + oldHTTPHook + " is subscribed already",
		"http " + mesh.RedactURL(oldHTTPHook) + " is subscribed already"},
	{"POST /api/v1/subscriptions", "invalid", `must be an http or https URL, not "hooks.example.com/services/T000/B000/SECRETPATH"`,
		"must be an http or https URL, not one without a scheme"},
	{"POST /api/v1/subscriptions", "invalid", `must be an http or https URL, not " FTP://files.example.com/SECRETPATH"`,
		"must be an http or https URL, not ftp://"},
	{"POST /api/v1/subscriptions", "invalid", `"https:///SECRETPATH" has no host`, "has no host"},
	{"POST /api/v1/subscriptions", "invalid", `is not a URL: parse "https://hooks.example.com/SECRETPATH%zz": invalid URL escape "%zz"`,
		`is not a URL: invalid URL escape "%zz"`},
	{"POST /api/v1/subscriptions", "invalid", `a subscription of protocol https needs an https:// URL, not "` + oldHTTPHook + `"`,
		"a subscription of protocol https needs an https:// URL, not " + mesh.RedactURL(oldHTTPHook)},
	{"POST /api/v1/subscriptions", "conflict", cutAudit("https " + oldLongHook + " is subscribed already (subscription 3, confirmed)"),
		"https https://hooks.example.com…"},
	{"POST /admin/notifications", "invalid", cutAudit(`must be an http or https URL, not "` + oldLongHook[len("https://"):] + `"`),
		"must be an http or https URL, not one without a scheme"},
	// rows that hold no webhook URL, or name it already as new code does
	{"notify.subscribe", "ok", "account=111122223333 protocol=email endpoint=ann@example.com",
		"account=111122223333 protocol=email endpoint=ann@example.com"},
	{"notify.confirm", "ok", "https " + mesh.RedactURL(oldHook), "https " + mesh.RedactURL(oldHook)},
	{"POST /api/v1/subscriptions", "invalid", `"ann@" is not an email address`, `"ann@" is not an email address`},
	{"catalog.update-database", "ok", "version 2; see https://wiki.example.com/sales", "version 2; see https://wiki.example.com/sales"},
}

// oldWebhookErrors are deliveries' last errors as older versions wrote
// them (protocol, endpoint, error) and the error new code writes in their
// place.
var oldWebhookErrors = []struct{ protocol, endpoint, old, want string }{
	{"https", oldHook, "webhook: " + oldHook + " answered 503 Service Unavailable",
		"webhook: " + mesh.RedactURL(oldHook) + " answered 503 Service Unavailable"},
	{"http", oldHTTPHook, `webhook: Post "` + oldHTTPHook + `": dial tcp 127.0.0.1:8080: connect: connection refused`,
		"webhook: " + mesh.RedactURL(oldHTTPHook) + ": dial tcp 127.0.0.1:8080: connect: connection refused"},
	{"https", oldHook, `Post "` + oldHook + `": dial tcp 10.0.0.1:443: internal address 10.0.0.1: webhooks may not reach loopback or private ranges unless a mesh admin allows them (serve --webhook-allow)`,
		"webhook: " + mesh.RedactURL(oldHook) + ": dial tcp 10.0.0.1:443: internal address 10.0.0.1: webhooks may not reach loopback or private ranges unless a mesh admin allows them (serve --webhook-allow)"},
	{"https", oldHook, `webhook request: parse "` + oldHook + `": net/url: invalid control character in URL`,
		"webhook request to " + mesh.RedactURL(oldHook) + ": net/url: invalid control character in URL"},
	{"https", oldLongHook, (`webhook: Post "` + oldLongHook)[:1000], "webhook: " + mesh.RedactURL(oldLongHook)},
	{"https", oldLongHook, ("webhook: " + oldLongHook)[:1000], "webhook: " + mesh.RedactURL(oldLongHook)},
	// errors that hold no webhook URL, or name it already as new code does
	{"https", oldHook, "webhook: " + mesh.RedactURL(oldHook) + " answered 500 Internal Server Error",
		"webhook: " + mesh.RedactURL(oldHook) + " answered 500 Internal Server Error"},
	{"https", "https://hooks.example.com", "webhook: https://hooks.example.com answered 404 Not Found",
		"webhook: " + mesh.RedactURL("https://hooks.example.com") + " answered 404 Not Found"},
	{"https", oldHook, "the subscription was unsubscribed before delivery", "the subscription was unsubscribed before delivery"},
	{"email", "ann@example.com", "smtp: 550 ann@example.com: no such user", "smtp: 550 ann@example.com: no such user"},
}

// CreateOldWebhookRows writes into s audit entries and deliveries' last
// errors as older versions wrote them, webhook URLs whole; a store keeps
// them as given. Each store's migration test then opens the store again
// with its migration that redacts them still to run.
func CreateOldWebhookRows(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	mustUpdate(t, s, func(tx store.Tx) error {
		for i, r := range oldWebhookAudit {
			e := mesh.NewAuditEntry(&mesh.Actor{Username: "root", AccountID: "central", CentralAccountID: "central"}, t0, r.action, fmt.Sprintf("old/%d", i))
			e.Result, e.Detail = r.result, r.old
			if err := tx.InsertAudit(ctx, &e); err != nil {
				return err
			}
		}
		ds := make([]*store.Delivery, len(oldWebhookErrors))
		for i, r := range oldWebhookErrors {
			ds[i] = &store.Delivery{MessageID: fmt.Sprintf("old-%d", i), Kind: "direct", Protocol: r.protocol, Endpoint: r.endpoint,
				Payload: []byte("{}"), NextAttempt: t0, Status: store.DeliveryPending, CreatedAt: t0}
		}
		return tx.InsertDeliveries(ctx, ds)
	})
	mustUpdate(t, s, func(tx store.Tx) error {
		ds, err := tx.ClaimDeliveries(ctx, "old", t0, t0.Add(time.Minute), len(oldWebhookErrors), nil)
		if err != nil || len(ds) != len(oldWebhookErrors) {
			return fmt.Errorf("claim the old deliveries: got %d, %v", len(ds), err)
		}
		rs := make([]store.DeliveryResult, len(ds))
		for i, d := range ds {
			var n int
			fmt.Sscanf(d.MessageID, "old-%d", &n)
			rs[i] = store.DeliveryResult{ID: d.ID, Protocol: d.Protocol, Status: store.DeliveryFailed, Error: oldWebhookErrors[n].old, At: t0}
		}
		_, err = tx.FinishDeliveries(ctx, "old", rs)
		return err
	})
}

// WebhookURLsRedacted checks that s, opened on a store that held the rows
// of CreateOldWebhookRows before its migration, reads them as new code
// writes them: no secret left, everything else as it was.
func WebhookURLsRedacted(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	// "action result: detail" by resource (old/N), "status: last error" by
	// message id (old-N)
	got := map[string]string{}
	mustView(t, s, func(tx store.Tx) error {
		es, err := tx.FindAuditEntries(ctx, store.AuditFilter{Resource: "old/*", Limit: 1000})
		for _, e := range es {
			got[e.Resource] = e.Action + " " + e.Result + ": " + e.Detail
		}
		if err != nil {
			return err
		}
		ds, err := tx.FindDeliveries(ctx, store.DeliveryFilter{Limit: 1000})
		for _, d := range ds {
			got[d.MessageID] = d.Status + ": " + d.LastError
		}
		return err
	})
	want := map[string]string{}
	for i, r := range oldWebhookAudit {
		want[fmt.Sprintf("old/%d", i)] = r.action + " " + r.result + ": " + r.want
	}
	for i, r := range oldWebhookErrors {
		want[fmt.Sprintf("old-%d", i)] = store.DeliveryFailed + ": " + r.want
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w || strings.Contains(g, "SECRET") {
			t.Errorf("%s: got %q (found %v), want %q", k, g, ok, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d audit entries and failed deliveries, want %d", len(got), len(want))
	}
}
