package browser

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/meshgate/meshgate/internal/testbin"
)

// ScreenshotsEnv names the directory TestScreenshots writes to; without it
// the test does nothing. scripts/screenshots sets it to docs/screenshots.
const ScreenshotsEnv = "MESHGATE_SCREENSHOTS"

// TestScreenshots takes the README's screenshots of the main pages on the
// demo mesh, at a desktop's width and, for some, a phone's.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv(ScreenshotsEnv)
	if dir == "" {
		t.Skip("screenshots are taken by scripts/screenshots (" + ScreenshotsEnv + " names their directory)")
	}
	needBrowser(t)
	srv := testbin.StartServer(t, testbin.Options{Args: []string{"--demo"}})
	cli(t, srv, "grant", "--principal", "222233334444", "--database", "sales", "--table", "orders",
		"--permissions", "SELECT,DESCRIBE", "--grantable", "SELECT,DESCRIBE")
	cli(t, srv, "grant", "--principal", "222233334444", "--database", "marketing",
		"--permissions", "DESCRIBE", "--grantable", "DESCRIBE")
	b := newBrowser(t, srv)
	shoot := func(name string, width int64) {
		t.Helper()
		b.do("viewport", chromedp.EmulateViewport(width, 800))
		png := get(b, "screenshot "+name, chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b.open("/login")
	shoot("sign-in", 1280)

	b.fill("#username", "analytics-admin")
	b.fill("#password", demoPassword(t, srv, "analytics-admin"))
	b.submit(`form[action="/login"] button`)
	shoot("password-change", 1280)
	b.fill("#current_password", demoPassword(t, srv, "analytics-admin"))
	b.fill("#new_password", "admin-password-1")
	b.fill("#confirm_password", "admin-password-1")
	b.submit(`form[action="/password"] button`)

	b.open("/catalog")
	shoot("catalog", 1280)
	shoot("catalog-phone", 375)
	b.open("/catalog?q=email")
	shoot("catalog-search", 1280)
	b.open("/catalog/sales")
	shoot("database", 1280)
	b.open("/catalog/sales/orders")
	shoot("table", 1280)
	shoot("table-phone", 375)
	b.open("/invitations")
	shoot("invitations", 1280)
	for range b.count(`li.invitation form[action$="/accept"]`) {
		b.submit(`li.invitation form[action$="/accept"] button`)
		b.open("/invitations")
	}
	b.open("/shared")
	shoot("shared-data", 1280)
	b.open("/shared/sales")
	shoot("resource-link", 1280)
	shoot("resource-link-phone", 375)
	b.open("/tokens")
	shoot("tokens", 1280)
	b.signOut()

	// The member requests the sensitive database; the request waits for
	// the producer's approver, who approves it.
	b.signIn("analytics-member", demoPassword(t, srv, "analytics-member"), "member-password-1")
	b.open("/catalog/sales")
	b.fill("#justification", "churn analysis for the quarterly report")
	b.fill("#duration", "90d")
	b.submit(`#request-access button[type=submit]`)
	pending := b.path()
	shoot("request-pending", 1280)
	b.open("/requests")
	shoot("requests", 1280)
	b.signOut()
	b.signIn("sales-approver", demoPassword(t, srv, "sales-approver"), "approver-password-1")
	b.open("/approvals")
	shoot("approvals-phone", 375)
	b.fill("li.approval textarea[name=comment]", "fine for the quarterly report; aggregate before sharing further")
	get(b, "blur", chromedp.Evaluate[bool]("document.activeElement.blur(), true"))
	shoot("approvals", 1280)
	b.submit("li.approval button.approve")
	shoot("request-shared", 1280)
	shoot("request-shared-phone", 375)
	b.open("/approvals?status=all")
	b.open(strings.Split(pending, "?")[0])
	b.signOut()

	b.signIn("admin", adminPassword(t, srv), "admin-password-1")
	b.open("/admin/accounts")
	shoot("admin-accounts", 1280)
	b.open("/admin/accounts/222233334444")
	shoot("admin-offboard-impact", 1280)
	b.open("/admin/users?account=222233334444")
	shoot("admin-users", 1280)
	b.open("/admin/state-machines/new")
	b.fill("#name", "hello")
	b.fill("#definition", `{"StartAt": "Missing", "States": {"Wait": {"Type": "Wait", "Seconds": -1, "End": true}}}`)
	b.submit(`main form button[type=submit]`)
	shoot("admin-state-machine-problems", 1280)
	b.fill("#definition", `{"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "Result": {"hello": "world"}, "End": true}}}`)
	b.submit(`main form button[type=submit]`)
	shoot("admin-state-machine", 1280)
	cli(t, srv, "execution", "start", "--state-machine", "hello", "--name", "first-run")
	b.open("/admin/executions")
	shoot("admin-executions", 1280)
	b.submit(`#executions a[href^="/admin/executions/"]`)
	shoot("admin-execution", 1280)
	b.open("/admin/audit")
	shoot("admin-audit", 1280)
	b.open("/admin/notifications?account=111122223333")
	b.fill("#endpoint", "approvals@sales.example")
	b.submit(`section[aria-labelledby=new-subscription] button`)
	shoot("admin-notifications", 1280)
	b.open("/admin/deliveries")
	shoot("admin-deliveries", 1280)
	b.waitFor("/admin/mailbox", "the confirmation in the mailbox", func() bool { return b.count("#mailbox tbody tr") > 0 })
	shoot("admin-mailbox", 1280)
	b.submit(`#mailbox a[href^="/admin/mailbox/"]`)
	shoot("admin-mailbox-message", 1280)
}
