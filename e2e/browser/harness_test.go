package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/testbin"
)

// ChromiumEnv names the browser binary when it is not chromium on PATH.
const ChromiumEnv = "MESHGATE_CHROMIUM"

// chromiumPath finds Chromium. Without it the test is skipped with a plain
// message, or fails when the run requires every component (CI).
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv(ChromiumEnv); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	missing(t, "chromium", "Chromium is not installed (apt-get install -y chromium)")
	return ""
}

// axeSource is axe-core's script, installed by `npm ci` in this directory
// (scripts/test does it) and injected into each page by the tests.
func axeSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		missing(t, "axe", "axe-core is not installed (npm ci in e2e/browser)")
	}
	return string(b)
}

func missing(t *testing.T, component, msg string) {
	t.Helper()
	if storetest.Required(component) || storetest.Required("browser") {
		t.Fatal(msg + ", and " + storetest.RequireEnv + " requires the browser tests")
	}
	t.Skip(msg + ": the browser test is skipped")
}

// browser is one headless Chromium with a fresh profile, driving one tab
// against a meshgate server. Console errors, uncaught exceptions and
// browser log errors (such as a Content-Security-Policy violation) are
// collected and fail the page that caused them.
type browser struct {
	t    *testing.T
	ctx  context.Context
	srv  *testbin.Server
	axe  string
	mu   sync.Mutex
	errs []string
}

// needBrowser skips (or fails) the test at once when Chromium or axe-core
// is missing, before it starts a server.
func needBrowser(t *testing.T) {
	t.Helper()
	chromiumPath(t)
	axeSource(t)
}

// newBrowser starts Chromium for srv; it is closed when the test ends.
func newBrowser(t *testing.T, srv *testbin.Server) *browser {
	t.Helper()
	exe, axe := chromiumPath(t), axeSource(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	b := &browser{t: t, ctx: ctx, srv: srv, axe: axe}
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first Run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				b.record(m.String() + " " + m.URL)
			}
		}
	}()
	return b
}

func (b *browser) record(s string) {
	b.mu.Lock()
	b.errs = append(b.errs, s)
	b.mu.Unlock()
}

// takeErrors returns and forgets the errors collected so far.
func (b *browser) takeErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.errs
	b.errs = nil
	return out
}

// stepTimeout bounds one browser step; generous for a loaded machine.
const stepTimeout = 60 * time.Second

// do runs steps with a bound, failing the test on error.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// get runs one action that returns a value, failing the test on error.
func get[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// navigate runs steps that load a page and returns the document's status.
func (b *browser) navigate(what string, steps ...chromedp.Action[chromedp.Void]) int64 {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return resp.Status
}

// open loads path, checks the page (see check) and returns its status.
func (b *browser) open(path string) int64 {
	b.t.Helper()
	status := b.navigate("open "+path, chromedp.Navigate(b.srv.URL+path))
	b.check(path, status)
	return status
}

// submit clicks a form's button, waits for the page the form leads to,
// checks it and returns its status.
func (b *browser) submit(sel string) int64 {
	b.t.Helper()
	from := b.path()
	status := b.navigate("submit "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	b.check("after "+sel+" on "+from, status)
	return status
}

// fill replaces an input's value with text, typed as a user would.
func (b *browser) fill(sel, text string) {
	b.t.Helper()
	get(b, "clear "+sel, chromedp.Evaluate[bool](fmt.Sprintf("(e => { e.value = ''; return true })(document.querySelector(%q))", sel)))
	if text != "" {
		b.do("fill "+sel, chromedp.SendKeys(chromedp.CSS(sel), text))
	}
}

// click clicks an element that does not navigate (a checkbox).
func (b *browser) click(sel string) {
	b.t.Helper()
	b.do("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// text returns the visible text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	return get(b, "text of "+sel, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
}

// count returns how many elements match sel, without waiting for any.
func (b *browser) count(sel string) int {
	b.t.Helper()
	return get(b, "count "+sel, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", sel)))
}

// value returns an input's value.
func (b *browser) value(sel string) string {
	b.t.Helper()
	return get(b, "value of "+sel, chromedp.Value(chromedp.CSS(sel)))
}

// checked reports whether a checkbox is ticked.
func (b *browser) checked(sel string) bool {
	b.t.Helper()
	return get(b, "checked "+sel, chromedp.Evaluate[bool](fmt.Sprintf("document.querySelector(%q).checked", sel)))
}

// path returns the current page's path and query.
func (b *browser) path() string {
	b.t.Helper()
	return strings.TrimPrefix(get(b, "location", chromedp.Location()), b.srv.URL)
}

// axeViolation is one rule axe-core found broken, with where.
type axeViolation struct {
	ID    string `json:"id"`
	Help  string `json:"help"`
	Nodes []struct {
		Target []string `json:"target"`
	} `json:"nodes"`
}

// check fails the test for console errors since the last check and for
// accessibility violations axe-core finds in the current page (WCAG 2.1
// A and AA rules and axe's best practices).
//
// A page answered with an error status (a refusal the test expects) makes
// Chromium log that its document failed to load; that one line is not an
// error of the page.
func (b *browser) check(what string, status int64) {
	b.t.Helper()
	script := b.axe + `;
(async () => {
  const r = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}});
  return JSON.stringify(r.violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => ({target: n.target}))})));
})()`
	out := get(b, "axe "+what, chromedp.Evaluate[string](script, func(p *runtime.EvaluateParams) {
		yes := true
		p.AwaitPromise = &yes
	}))
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		b.t.Fatalf("axe %s: %v (%q)", what, err, out)
	}
	for _, v := range vs {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, strings.Join(n.Target, " "))
		}
		b.t.Errorf("%s: accessibility: %s (%s) at %s", what, v.ID, v.Help, strings.Join(where, "; "))
	}
	// Console messages arrive asynchronously; the audit above gave them time.
	docFailed := fmt.Sprintf("Failed to load resource: the server responded with a status of %d ", status)
	doc := get(b, "location", chromedp.Location())
	for _, e := range b.takeErrors() {
		if status >= 400 && strings.Contains(e, docFailed) && strings.HasSuffix(e, " "+doc) {
			continue
		}
		b.t.Errorf("%s: browser error: %s", what, e)
	}
}

// signIn signs in through the form and, for a temporary password, chooses
// newPassword on the password page. It returns the password now in force.
func (b *browser) signIn(username, password, newPassword string) string {
	b.t.Helper()
	b.open("/login")
	b.fill("#username", username)
	b.fill("#password", password)
	b.submit(`form[action="/login"] button[type=submit]`)
	if b.path() != "/password" {
		return password
	}
	b.fill("#current_password", password)
	b.fill("#new_password", newPassword)
	b.fill("#confirm_password", newPassword)
	b.submit(`form[action="/password"] button[type=submit]`)
	if got := b.path(); !strings.HasPrefix(got, "/catalog") {
		b.t.Fatalf("after changing the password: got %s, want the catalog", got)
	}
	return newPassword
}

// signOut uses the header's sign-out button.
func (b *browser) signOut() {
	b.t.Helper()
	b.submit(`form[action="/logout"] button`)
}

// sessionCookie returns the browser's session cookie, for direct requests.
func (b *browser) sessionCookie() *http.Cookie {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.srv.URL}})
	if err != nil {
		b.t.Fatalf("cookies: %v", err)
	}
	for _, c := range res.Cookies {
		if c.Name == "meshgate_session" {
			return &http.Cookie{Name: c.Name, Value: c.Value}
		}
	}
	b.t.Fatal("no session cookie")
	return nil
}

// demoPassword reads a demo user's temporary password from demo-users.txt.
func demoPassword(t *testing.T, srv *testbin.Server, username string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(srv.DataDir, "demo-users.txt"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\S+\s+` + regexp.QuoteMeta(username) + `\s+\S+\s+(\S+)$`).FindStringSubmatch(string(b))
	if m == nil {
		t.Fatalf("demo-users.txt has no line for %s", username)
	}
	return m[1]
}

// adminPassword reads the first mesh admin's temporary password.
func adminPassword(t *testing.T, srv *testbin.Server) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(srv.DataDir, "bootstrap-admin.txt"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^password: (\S+)$`).FindStringSubmatch(string(b))
	if m == nil {
		t.Fatalf("bootstrap-admin.txt: no password in %q", b)
	}
	return m[1]
}

// cli runs a CLI command as the mesh admin, failing the test on error.
func cli(t *testing.T, srv *testbin.Server, args ...string) string {
	t.Helper()
	out, err := srv.CLI(t, args...)
	if err != nil {
		var ee *testbin.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("meshgate %s: %v", strings.Join(args, " "), ee)
		}
		t.Fatalf("meshgate %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// texts returns the visible text of every element matching sel.
func (b *browser) texts(sel string) []string {
	b.t.Helper()
	return get(b, "texts of "+sel, chromedp.Evaluate[[]string](fmt.Sprintf("Array.from(document.querySelectorAll(%q)).map(e => e.innerText)", sel)))
}

// attr returns an attribute of the i-th element matching sel.
func (b *browser) attr(sel string, i int, name string) string {
	b.t.Helper()
	return get(b, "attribute "+name+" of "+sel, chromedp.Evaluate[string](
		fmt.Sprintf("document.querySelectorAll(%q)[%d].getAttribute(%q) || ''", sel, i, name)))
}

// selectValue chooses an option of a select as a user would, so that the
// form submits it.
func selectValue(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](fmt.Sprintf(
			"(e => { e.value = %q; e.dispatchEvent(new Event('change', {bubbles: true})); return e.value === %q })(document.querySelector(%q))",
			value, value, sel))(ctx, t)
		return err
	})
}
