package ui_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
)

var keyRe = regexp.MustCompile(`name="idempotency_key" value="([^"]+)"`)

// TestRequestFormSentTwice: one rendering of the "request access" form
// makes one request however often it is sent, and each rendering carries a
// key of its own; a form whose key was used for another request is refused
// with a message on the form, and makes nothing.
func TestRequestFormSentTwice(t *testing.T) {
	e := newLinkEnv(t, "sqlite", nil)
	if err := e.admin.CreateTables(e.ctx, "sales", []client.Table{{Name: "regions", Columns: []client.Column{{Name: "code", Type: "string"}}}}); err != nil {
		t.Fatal(err)
	}
	cookie := sessionOf(t, e, "ann")
	same := map[string]string{"Origin": e.srv.URL, "Sec-Fetch-Site": "same-origin"}
	render := func() (csrf, key string) {
		t.Helper()
		resp, page := do(t, "GET", e.srv.URL+"/catalog/sales/regions", nil, nil, cookie)
		c, k := csrfRe.FindStringSubmatch(page), keyRe.FindStringSubmatch(page)
		if resp.StatusCode != http.StatusOK || c == nil || k == nil {
			t.Fatalf("table page: got %d, form token %v, key %v", resp.StatusCode, c, k)
		}
		return c[1], k[1]
	}
	csrf, key := render()
	if _, again := render(); again == key {
		t.Errorf("two renderings carry one key %q", key)
	}
	form := url.Values{"csrf": {csrf}, "database": {"sales"}, "table": {"regions"}, "target_account": {consumerID},
		"justification": {"the regional breakdown"}, "permissions": {"SELECT"}, "idempotency_key": {key}}
	var where []string
	for range 2 {
		resp, _ := do(t, "POST", e.srv.URL+"/requests", form, same, cookie)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/requests/") {
			t.Fatalf("send the form: got %d to %q, want 303 to the request", resp.StatusCode, resp.Header.Get("Location"))
		}
		where = append(where, resp.Header.Get("Location"))
	}
	first, _ := url.Parse(where[0])
	second, _ := url.Parse(where[1])
	if first.Path != second.Path || second.Query().Get("notice") != "resent" {
		t.Errorf("sent twice: went to %q then %q, want the same request, the second time noticed as resent", where[0], where[1])
	}
	rs, err := e.admin.Requests(e.ctx, client.RequestsFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Table != "regions" || rs[0].Status != "SHARED" {
		t.Fatalf("requests after sending the form twice: %+v, want one for regions, SHARED", rs)
	}

	// the same key with another table: refused on the form, nothing made
	form.Set("table", "orders")
	resp, page := do(t, "POST", e.srv.URL+"/requests", form, same, cookie)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(page, "This form was sent already for another request") {
		t.Errorf("a used key for another table: got %d, want 409 with the form's message in %q", resp.StatusCode, page)
	}
	if k := keyRe.FindStringSubmatch(page); k == nil || k[1] == key {
		t.Errorf("the form shown again: key %v, want a fresh one", k)
	}
	if rs, _ := e.admin.Requests(e.ctx, client.RequestsFilter{}); len(rs) != 1 {
		t.Errorf("requests after the refused form: got %d, want 1", len(rs))
	}

	// a form from before keys (none sent) asking again while its request
	// is open is told of the open request, not of a resent form
	form.Del("idempotency_key")
	var notices []string
	for range 2 {
		resp, _ := do(t, "POST", e.srv.URL+"/requests", form, same, cookie)
		loc, err := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther || err != nil {
			t.Fatalf("send a form without a key: got %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		notices = append(notices, loc.Query().Get("notice"))
	}
	if notices[0] != "requested" || notices[1] != "open" {
		t.Errorf("a form without a key sent twice: notices %v, want [requested open]", notices)
	}
}

// TestRequestFormDurationTooLong: a number of days too large for a
// duration is refused on the form, naming the duration, and makes nothing;
// it must not wrap around into a short access (213504 days wrap to 25
// minutes).
func TestRequestFormDurationTooLong(t *testing.T) {
	e := newLinkEnv(t, "sqlite", nil)
	cookie := sessionOf(t, e, "ann")
	same := map[string]string{"Origin": e.srv.URL, "Sec-Fetch-Site": "same-origin"}
	_, page := do(t, "GET", e.srv.URL+"/catalog/sales/orders", nil, nil, cookie)
	c := csrfRe.FindStringSubmatch(page)
	if c == nil {
		t.Fatalf("table page: no form token in %q", page)
	}
	for _, d := range []string{"213504d", "106752d", "9223372036854775807d"} {
		form := url.Values{"csrf": {c[1]}, "database": {"sales"}, "table": {"orders"}, "target_account": {consumerID},
			"justification": {"the orders"}, "permissions": {"SELECT"}, "duration": {d}}
		resp, page := do(t, "POST", e.srv.URL+"/requests", form, same, cookie)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `id="duration-error"`) ||
			!strings.Contains(page, `value="`+d+`"`) {
			t.Errorf("duration %s: got %d to %q, want 400 with the duration's error and what was typed", d, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if rs, err := e.admin.Requests(e.ctx, client.RequestsFilter{}); err != nil || len(rs) != 0 {
		t.Errorf("requests after the refused forms: got %d (%v), want 0", len(rs), err)
	}
}

// TestRequestFormDatabaseWithoutOwner: a request for a database nobody owns
// yet is refused, and the form shown again says why (the refusal names the
// database, which the form has no field for).
func TestRequestFormDatabaseWithoutOwner(t *testing.T) {
	e := newLinkEnv(t, "sqlite", nil)
	if _, err := e.admin.CreateDatabase(e.ctx, &client.Database{Name: "drafts"}); err != nil {
		t.Fatal(err)
	}
	if err := e.admin.CreateTables(e.ctx, "drafts", []client.Table{{Name: "notes", Columns: []client.Column{{Name: "id", Type: "int"}}}}); err != nil {
		t.Fatal(err)
	}
	cookie := sessionOf(t, e, "ann")
	same := map[string]string{"Origin": e.srv.URL, "Sec-Fetch-Site": "same-origin"}
	for _, table := range []string{"", "notes"} {
		path := "/catalog/drafts"
		if table != "" {
			path += "/" + table
		}
		_, page := do(t, "GET", e.srv.URL+path, nil, nil, cookie)
		c := csrfRe.FindStringSubmatch(page)
		if c == nil {
			t.Fatalf("%s: no form token in %q", path, page)
		}
		form := url.Values{"csrf": {c[1]}, "database": {"drafts"}, "table": {table}, "target_account": {consumerID},
			"justification": {"the drafts"}, "permissions": {"SELECT"}}
		resp, page := do(t, "POST", e.srv.URL+"/requests", form, same, cookie)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "has no data_owner parameter") ||
			!strings.Contains(page, ">the drafts</textarea>") {
			t.Errorf("request from %s: got %d, want 400 saying the database has no data_owner, with the justification kept", path, resp.StatusCode)
		}
	}
	if rs, err := e.admin.Requests(e.ctx, client.RequestsFilter{}); err != nil || len(rs) != 0 {
		t.Errorf("requests after the refused forms: got %d (%v), want 0", len(rs), err)
	}
}

// TestRequestFormOthersOpenRequest: a member asking for what another member
// of the account has an open request for is told so and led to their own
// requests, where the other's request, which they may not see, would have
// answered 403.
func TestRequestFormOthersOpenRequest(t *testing.T) {
	e := newLinkEnv(t, "sqlite", nil)
	r, _, err := e.ann.CreateRequest(e.ctx, client.RequestInput{Database: "sales", Table: "orders", Justification: "ann's reasons"})
	if err != nil || r.Status != "PENDING_APPROVAL" {
		t.Fatalf("ann's request: got %+v, %v; want PENDING_APPROVAL", r, err)
	}
	e.user(consumerID, "bob", "bob@example.com", mesh.RoleMember)
	cookie := sessionOf(t, e, "bob")
	same := map[string]string{"Origin": e.srv.URL, "Sec-Fetch-Site": "same-origin"}
	_, page := do(t, "GET", e.srv.URL+"/catalog/sales/orders", nil, nil, cookie)
	c := csrfRe.FindStringSubmatch(page)
	if c == nil {
		t.Fatalf("table page: no form token in %q", page)
	}
	form := url.Values{"csrf": {c[1]}, "database": {"sales"}, "table": {"orders"}, "target_account": {consumerID},
		"justification": {"bob's reasons"}, "permissions": {"SELECT"}}
	resp, _ := do(t, "POST", e.srv.URL+"/requests", form, same, cookie)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/requests?") {
		t.Fatalf("bob asks for what ann asked: got %d to %q, want 303 to his requests", resp.StatusCode, loc)
	}
	resp, page = do(t, "GET", e.srv.URL+loc, nil, nil, cookie)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Another user of your account") || strings.Contains(page, "ann&#39;s reasons") {
		t.Errorf("where bob is led: got %d, want 200 saying another user's request is open, without its justification, in %q", resp.StatusCode, page)
	}
	if rs, _ := e.admin.Requests(e.ctx, client.RequestsFilter{}); len(rs) != 1 {
		t.Errorf("requests: got %d, want 1", len(rs))
	}
}
