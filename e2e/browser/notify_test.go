package browser

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/testbin"
)

// waitFor reopens path until cond holds, failing after a generous bound:
// deliveries happen in the server's background.
func (b *browser) waitFor(path, what string, cond func() bool) {
	b.t.Helper()
	for deadline := time.Now().Add(stepTimeout); ; {
		b.open(path)
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: gave up waiting on %s", what, path)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// TestNotificationAdmin subscribes endpoints to an account's topic, reads
// the confirmation in the built-in mailbox, retries a dead-lettered
// delivery and unsubscribes; an account's admin sees only its own.
func TestNotificationAdmin(t *testing.T) {
	needBrowser(t)
	srv := testbin.StartServer(t, testbin.Options{Args: []string{"--demo",
		"--webhook-allow", "127.0.0.0/8", "--notify-retry", "1x10ms,0x1s-1s,0x1s"}})
	b := newBrowser(t, srv)
	b.signIn("admin", adminPassword(t, srv), "admin-password-1")

	b.open("/admin/notifications?account=111122223333")
	if got := b.text("#topics"); !strings.Contains(got, "DataLakeSharingApproval") {
		t.Errorf("topics: got %q, want the account's topic", got)
	}
	b.do("protocol", selectValue("#protocol", "https"))
	b.fill("#endpoint", "not a url")
	if got := b.submit(`section[aria-labelledby=new-subscription] button`); got != http.StatusBadRequest {
		t.Errorf("subscribe a bad endpoint: got %d, want 400", got)
	}
	if got := b.text("#endpoint-error"); got == "" {
		t.Errorf("bad endpoint: want an error beside the field")
	}
	if got := b.value("#endpoint"); got != "not a url" {
		t.Errorf("bad endpoint: got %q, want what was typed kept", got)
	}

	b.do("protocol", selectValue("#protocol", "email"))
	b.fill("#endpoint", "approvals@sales.example")
	b.submit(`section[aria-labelledby=new-subscription] button`)
	if got := b.path(); got != "/admin/notifications?account=111122223333&notice=subscribed" {
		t.Errorf("after subscribing: got %s", got)
	}
	if got := b.text("#subscriptions"); !strings.Contains(got, "approvals@sales.example") || !strings.Contains(got, "pending-confirmation") {
		t.Errorf("subscriptions: got %q, want the address pending confirmation", got)
	}

	// A webhook nobody answers: its confirmation is dead-lettered at once.
	b.do("protocol", selectValue("#protocol", "http"))
	b.fill("#endpoint", "http://127.0.0.1:1/hook")
	if got := b.submit(`section[aria-labelledby=new-subscription] button`); got != http.StatusCreated {
		t.Errorf("subscribe a webhook: got %d, want 201", got)
	}
	if got := b.value("#signing-secret"); len(got) < 32 {
		t.Errorf("webhook subscription: got secret %q, want it shown once", got)
	}
	b.waitFor("/admin/deliveries?status=failed", "dead letter", func() bool { return b.count("#deliveries tbody tr") > 0 })
	if got := b.text("#deliveries"); !strings.Contains(got, "http://127.0.0.1:1/hook") {
		t.Errorf("dead letters: got %q, want the webhook's confirmation", got)
	}
	b.submit(`#deliveries form[action*="/retry"] button`)
	if got := b.path(); got != "/admin/deliveries?status=failed&notice=retried" {
		t.Errorf("after retrying: got %s", got)
	}
	b.open("/admin/audit")
	if got := b.text("main"); !strings.Contains(got, "notify.retry") {
		t.Errorf("audit after a retry: want notify.retry recorded")
	}

	b.waitFor("/admin/mailbox", "confirmation in the mailbox", func() bool { return strings.Contains(b.text("main"), "approvals@sales.example") })
	b.submit(`#mailbox a[href^="/admin/mailbox/"]`)
	if got := b.text("h1"); !strings.Contains(got, "Confirm your subscription") {
		t.Errorf("mailbox message: got %q, want the confirmation", got)
	}
	if got := b.count(`#message-text a[href*="/api/v1/subscriptions/confirm?token="]`); got != 1 {
		t.Errorf("mailbox message: got %d confirmation links, want 1", got)
	}

	b.open("/admin/notifications?account=111122223333")
	b.submit(`form[action*="/unsubscribe"] button[aria-label="Unsubscribe approvals@sales.example"]`)
	if got := b.text("main"); strings.Contains(got, "approvals@sales.example") {
		t.Errorf("after unsubscribing: got the address still listed")
	}
	b.signOut()

	b.signIn("analytics-admin", demoPassword(t, srv, "analytics-admin"), "admin-password-1")
	b.open("/admin/notifications?account=111122223333")
	if got := b.text("#topics"); strings.Contains(got, "111122223333") || !strings.Contains(got, "222233334444") {
		t.Errorf("account admin's topics: got %q, want its own account's only", got)
	}
	if got := b.open("/admin/mailbox"); got != http.StatusForbidden {
		t.Errorf("account admin opens the mailbox: got %d, want 403", got)
	}
}
