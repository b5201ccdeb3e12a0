package ui_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var versionRe = regexp.MustCompile(`name="version" value="(\d+)"`)

// TestStateMachineEditSavedMeanwhile: an edit form opened at version 1
// whose machine gained version 2 before it was sent is refused (409) with
// the definition as typed, rather than saving a version 3 that silently
// undoes version 2; sent again from the page it shows, it saves.
func TestStateMachineEditSavedMeanwhile(t *testing.T) {
	e, cookie, same, csrf := stateMachineAdmin(t)
	var page string
	resp, _ := do(t, "POST", e.srv.URL+"/admin/state-machines", url.Values{"csrf": {csrf}, "name": {"m"}, "definition": {succeedAt("One")}}, same, cookie)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: got %d, want 303", resp.StatusCode)
	}
	// two admins open the edit form at version 1
	_, page = do(t, "GET", e.srv.URL+"/admin/state-machines/m/edit", nil, nil, cookie)
	v := versionRe.FindStringSubmatch(page)
	if v == nil || v[1] != "1" {
		t.Fatalf("edit form: got version field %v, want 1", v)
	}
	form := func(state, version string) url.Values {
		return url.Values{"csrf": {csrf}, "definition": {succeedAt(state)}, "version": {version}}
	}
	if resp, _ := do(t, "POST", e.srv.URL+"/admin/state-machines/m", form("Two", "1"), same, cookie); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("first save: got %d, want 303", resp.StatusCode)
	}
	resp, page = do(t, "POST", e.srv.URL+"/admin/state-machines/m", form("Three", "1"), same, cookie)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(page, "version 2") || !strings.Contains(page, "Three") {
		t.Errorf("second save from version 1: got %d, want 409 naming version 2, with the definition as typed", resp.StatusCode)
	}
	if _, page := do(t, "GET", e.srv.URL+"/admin/state-machines/m?version=3", nil, nil, cookie); !strings.Contains(page, "not found") {
		t.Errorf("version 3 exists after the refused save")
	}
	if v := versionRe.FindStringSubmatch(page); v == nil || v[1] != "2" {
		t.Fatalf("refused form: got version field %v, want 2", v)
	}
	if resp, _ := do(t, "POST", e.srv.URL+"/admin/state-machines/m", form("Three", "2"), same, cookie); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("save from version 2: got %d, want 303", resp.StatusCode)
	}
}

// TestStateMachineRollback: a mesh admin rolls a state machine back from
// an earlier version's page with a protected form, through the API's
// service call (a new version, audited); the current version's page says
// how to roll back or that there is nothing to roll back to; a rollback to
// the current version or to one that does not exist is refused with the
// reason, and so is a form without its token and one of a user who is not
// a mesh admin, none of them adding a version.
func TestStateMachineRollback(t *testing.T) {
	e, cookie, same, csrf := stateMachineAdmin(t)
	var page string
	for _, f := range []url.Values{
		{"csrf": {csrf}, "name": {"m"}, "definition": {succeedAt("One")}},
		{"csrf": {csrf}, "name": {"single"}, "definition": {succeedAt("Only")}},
	} {
		if resp, _ := do(t, "POST", e.srv.URL+"/admin/state-machines", f, same, cookie); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("create %s: got %d, want 303", f.Get("name"), resp.StatusCode)
		}
	}
	if resp, _ := do(t, "POST", e.srv.URL+"/admin/state-machines/m", url.Values{"csrf": {csrf}, "definition": {succeedAt("Two")}}, same, cookie); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save version 2: got %d, want 303", resp.StatusCode)
	}
	const action = `action="/admin/state-machines/m/rollback"`
	versionOf := func() string {
		t.Helper()
		_, page := do(t, "GET", e.srv.URL+"/admin/state-machines/m", nil, nil, cookie)
		if !strings.Contains(page, `<span class="muted">version `) {
			t.Fatalf("state machine page: no version in %q", page)
		}
		return page[strings.Index(page, `<span class="muted">version `)+len(`<span class="muted">version `):][:1]
	}

	_, page = do(t, "GET", e.srv.URL+"/admin/state-machines/m", nil, nil, cookie)
	if strings.Contains(page, action) || !strings.Contains(page, "open the earlier version to restore") {
		t.Errorf("current version's page: want no rollback form, and how to roll back")
	}
	_, page = do(t, "GET", e.srv.URL+"/admin/state-machines/single", nil, nil, cookie)
	if !strings.Contains(page, "Nothing to roll back to: version 1 is the only version.") {
		t.Errorf("a state machine of one version: want nothing to roll back to")
	}
	_, page = do(t, "GET", e.srv.URL+"/admin/state-machines/m?version=1", nil, nil, cookie)
	if !strings.Contains(page, action) || !strings.Contains(page, "Roll back to version 1") ||
		!strings.Contains(page, "saved again as version 3") || !strings.Contains(page, `id="current-version">2:`) {
		t.Fatalf("version 1's page: want a form rolling back to it, saying it saves version 3 and that 2 is current")
	}

	rollback := func(form url.Values, c *http.Cookie) (*http.Response, string) {
		t.Helper()
		return do(t, "POST", e.srv.URL+"/admin/state-machines/m/rollback", form, same, c)
	}
	ann := sessionOf(t, e, "cadmin")
	_, annPage := do(t, "GET", e.srv.URL+"/catalog", nil, nil, ann)
	for _, tt := range []struct {
		name   string
		form   url.Values
		cookie *http.Cookie
		status int
		want   string
	}{
		{"no form token", url.Values{"version": {"1"}}, cookie, http.StatusForbidden, "the form has expired"},
		{"an account admin", url.Values{"csrf": {csrfRe.FindStringSubmatch(annPage)[1]}, "version": {"1"}}, ann, http.StatusForbidden, "mesh admin"},
		{"the current version", url.Values{"csrf": {csrf}, "version": {"2"}}, cookie, http.StatusConflict, "Not rolled back: version 2 is the current version of state machine m: there is nothing to roll back to"},
		{"no such version", url.Values{"csrf": {csrf}, "version": {"9"}}, cookie, http.StatusNotFound, "Not rolled back: "},
		{"no version", url.Values{"csrf": {csrf}}, cookie, http.StatusBadRequest, "Not rolled back: version: name the version"},
	} {
		resp, page := rollback(tt.form, tt.cookie)
		if resp.StatusCode != tt.status || !strings.Contains(page, tt.want) {
			t.Errorf("%s: got %d, want %d with %q in the page", tt.name, resp.StatusCode, tt.status, tt.want)
		}
		if got := versionOf(); got != "2" {
			t.Errorf("%s: current version %s, want 2", tt.name, got)
		}
	}

	resp, _ := rollback(url.Values{"csrf": {csrf}, "version": {"1"}}, cookie)
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/admin/state-machines/m?notice=rolled-back" {
		t.Fatalf("roll back to version 1: got %d to %q, want 303 to the state machine", resp.StatusCode, loc)
	}
	_, page = do(t, "GET", e.srv.URL+"/admin/state-machines/m?notice=rolled-back", nil, nil, cookie)
	if !strings.Contains(page, `<span class="muted">version 3</span>`) || !strings.Contains(page, "One") || strings.Contains(page, "Two") ||
		!strings.Contains(page, "The earlier version is current again") {
		t.Errorf("after the rollback: want version 3 current with version 1's definition, and the notice")
	}
	_, page = do(t, "GET", e.srv.URL+"/admin/audit?resource=state_machine/m", nil, nil, cookie)
	if !strings.Contains(page, "version 3") {
		t.Errorf("audit: want the rollback's version 3 recorded")
	}
}

// stateMachineAdmin signs the mesh's first admin in and returns the
// environment, the session, the headers of a same-origin form post and the
// session's form token.
func stateMachineAdmin(t *testing.T) (*linkEnv, *http.Cookie, map[string]string, string) {
	t.Helper()
	e := newLinkEnv(t, "sqlite", nil)
	e.passwords["admin"] = e.srv.BootstrapPassword(t)
	cookie := sessionOf(t, e, "admin")
	_, page := do(t, "GET", e.srv.URL+"/admin/state-machines/new", nil, nil, cookie)
	same := map[string]string{"Origin": e.srv.URL, "Sec-Fetch-Site": "same-origin"}
	return e, cookie, same, csrfRe.FindStringSubmatch(page)[1]
}

// succeedAt is a state machine of one Succeed state named state.
func succeedAt(state string) string {
	return `{"StartAt": "` + state + `", "States": {"` + state + `": {"Type": "Succeed"}}}`
}
