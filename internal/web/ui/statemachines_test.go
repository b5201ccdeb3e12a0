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
	e := newLinkEnv(t, "sqlite", nil)
	e.passwords["admin"] = e.srv.BootstrapPassword(t)
	cookie := sessionOf(t, e, "admin")
	same := map[string]string{"Origin": e.srv.URL, "Sec-Fetch-Site": "same-origin"}
	def := func(state string) string {
		return `{"StartAt": "` + state + `", "States": {"` + state + `": {"Type": "Succeed"}}}`
	}
	_, page := do(t, "GET", e.srv.URL+"/admin/state-machines/new", nil, nil, cookie)
	csrf := csrfRe.FindStringSubmatch(page)[1]
	resp, _ := do(t, "POST", e.srv.URL+"/admin/state-machines", url.Values{"csrf": {csrf}, "name": {"m"}, "definition": {def("One")}}, same, cookie)
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
		return url.Values{"csrf": {csrf}, "definition": {def(state)}, "version": {version}}
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
