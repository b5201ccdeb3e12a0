package browser

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/notify/notifytest"
	"github.com/meshgate/meshgate/internal/testbin"
)

// TestApprovalLinkRendered is the scanner that renders what it opens: a
// headless Chromium loads the Approve link of a delivered approval email,
// running the page as a browser does, and the request stays pending; only
// the person's click on Confirm shares it.
func TestApprovalLinkRendered(t *testing.T) {
	needBrowser(t)
	smtp := notifytest.StartSMTP(t)
	srv := testbin.StartServer(t, testbin.Options{Args: []string{"--demo", "--smtp-addr", smtp.Addr,
		"--smtp-from", "meshgate@example.com", "--smtp-tls", "none"}})
	wait := func(to, subject string) *notifytest.Mail {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
			for _, m := range smtp.Received() {
				if len(m.To) > 0 && m.To[0] == to && strings.Contains(m.Subject, subject) {
					return m
				}
			}
			smtp.WaitFor(len(smtp.Received())+1, 200*time.Millisecond)
		}
		t.Fatalf("no mail to %s about %q", to, subject)
		return nil
	}
	line := func(m *notifytest.Mail, label string) string {
		t.Helper()
		got := regexp.MustCompile(`(?m)^` + label + `: (\S+)`).FindStringSubmatch(m.Text)
		if got == nil {
			t.Fatalf("no %s link in\n%s", label, m.Text)
		}
		return got[1]
	}
	cli(t, srv, "subscribe", "--account", "111122223333", "--protocol", "email", "--notification-endpoint", "ops@example.com")
	resp, err := http.PostForm(line(wait("ops@example.com", "Confirm"), "Confirm subscription"), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	var req struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	}
	out := cli(t, srv, "request", "create", "--database", "sales", "--table", "customers", "--target-account", "222233334444",
		"--justification", "segments for the churn model, again", "-o", "json")
	if err := json.Unmarshal([]byte(out), &req); err != nil {
		t.Fatalf("request create: %v in %s", err, out)
	}
	status := func() string {
		t.Helper()
		var got struct {
			Status string `json:"status"`
		}
		out := cli(t, srv, "request", "get", "--id", strconv.FormatInt(req.ID, 10), "-o", "json")
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("request get: %v in %s", err, out)
		}
		return got.Status
	}
	link, err := url.Parse(line(wait("ops@example.com", "Approval needed"), "Approve"))
	if err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, srv)
	if got := b.open(link.RequestURI()); got != http.StatusOK {
		t.Fatalf("render the link: got %d, want 200", got)
	}
	if got := b.text("h1"); !strings.Contains(got, "Approve or deny request") {
		t.Errorf("page heading: got %q", got)
	}
	time.Sleep(500 * time.Millisecond) // whatever the page might do on its own, give it time
	if got := status(); got != "PENDING_APPROVAL" {
		t.Fatalf("after a rendered open: got status %v, want PENDING_APPROVAL", got)
	}
	b.fill("#comment", "fine for the churn model")
	b.submit("#decide button")
	if got := b.text("#decision"); !strings.Contains(got, "Approved by ops@example.com") {
		t.Errorf("after confirming: got %q, want the recorded approval", got)
	}
	if got := status(); got != "SHARED" {
		t.Errorf("after confirming: got status %v, want SHARED", got)
	}
}
