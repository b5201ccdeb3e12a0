package ui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestNewUserFormNamesBadRole: a new user's form with a role the mesh does
// not know (or one listed twice) is refused with the message beside the
// roles, and no user is made.
func TestNewUserFormNamesBadRole(t *testing.T) {
	e := newLinkEnv(t, "sqlite", nil)
	cookie := sessionOf(t, e, "cadmin")
	same := map[string]string{"Origin": e.srv.URL, "Sec-Fetch-Site": "same-origin"}
	_, page := do(t, "GET", e.srv.URL+"/admin/users", nil, nil, cookie)
	c := csrfRe.FindStringSubmatch(page)
	if c == nil {
		t.Fatalf("users page: no form token in %q", page)
	}
	for _, tt := range []struct {
		roles []string
		want  string
	}{
		{[]string{"superuser"}, "unknown role &#34;superuser&#34;"},
		{[]string{"member", "member"}, "role &#34;member&#34; is listed twice"},
	} {
		form := url.Values{"csrf": {c[1]}, "account_id": {consumerID}, "username": {"bob"}, "roles": tt.roles}
		resp, page := do(t, "POST", e.srv.URL+"/admin/users", form, same, cookie)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `<p class="field-error" id="roles-error">`+tt.want) ||
			!strings.Contains(page, `value="bob"`) {
			t.Errorf("roles %v: got %d, want 400 with %q beside the roles and the name kept", tt.roles, resp.StatusCode, tt.want)
		}
	}
	_, page = do(t, "GET", e.srv.URL+"/admin/users", nil, nil, cookie)
	if strings.Contains(page, `<td data-label="Username">bob`) {
		t.Errorf("users after the refused forms: bob was made")
	}
}

// TestPagesOfUnknownAccount: a mesh admin opening the users or the
// notifications of an account that is not onboarded (a stale link, a typo)
// is told so with a 404, as the API answers, rather than shown an empty
// account with forms to add to it.
func TestPagesOfUnknownAccount(t *testing.T) {
	e := newLinkEnv(t, "sqlite", nil)
	e.passwords["admin"] = e.srv.BootstrapPassword(t)
	cookie := sessionOf(t, e, "admin")
	for _, path := range []string{"/admin/users?account=999988887777", "/admin/notifications?account=999988887777"} {
		if resp, _ := do(t, "GET", e.srv.URL+path, nil, nil, cookie); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s (not onboarded): got %d, want 404", path, resp.StatusCode)
		}
	}
	for _, path := range []string{"/admin/users?account=" + producerID, "/admin/notifications?account=" + producerID} {
		if resp, _ := do(t, "GET", e.srv.URL+path, nil, nil, cookie); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: got %d, want 200", path, resp.StatusCode)
		}
	}
}

// TestTemporaryPasswordKeepsNext: a user signing in with a temporary
// password on the way to a page chooses their own and then reaches that
// page, where the change always led to the catalog.
func TestTemporaryPasswordKeepsNext(t *testing.T) {
	e := newLinkEnv(t, "sqlite", nil)
	same := map[string]string{"Origin": e.srv.URL, "Sec-Fetch-Site": "same-origin"}
	resp, _ := do(t, "POST", e.srv.URL+"/login", url.Values{"username": {"ann"}, "password": {e.passwords["ann"]}, "next": {"/requests?mine=1"}}, same, nil)
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "meshgate_session" {
			cookie = c
		}
	}
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/password?next=%2Frequests%3Fmine%3D1" || cookie == nil {
		t.Fatalf("sign in with a temporary password: got %d to %q, want 303 to the password page, next kept", resp.StatusCode, loc)
	}
	_, page := do(t, "GET", e.srv.URL+"/password?next=%2Frequests%3Fmine%3D1", nil, nil, cookie)
	if !strings.Contains(page, `name="next" value="/requests?mine=1"`) {
		t.Fatalf("the password page does not carry next:\n%s", page)
	}
	form := url.Values{"csrf": {csrfRe.FindStringSubmatch(page)[1]}, "current_password": {e.passwords["ann"]},
		"new_password": {"a-long-new-password-2"}, "confirm_password": {"a-long-new-password-2"}, "next": {"/requests?mine=1"}}
	resp, _ = do(t, "POST", e.srv.URL+"/password", form, same, cookie)
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/requests?mine=1&notice=password" {
		t.Errorf("change the password: got %d to %q, want 303 to /requests?mine=1", resp.StatusCode, loc)
	}
}
