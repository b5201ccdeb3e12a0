package ui_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

var (
	returnRe  = regexp.MustCompile(`name="return" value="([^"]*)"`)
	userRowRe = regexp.MustCompile(`<tr id="user-(\d+)">`)
)

// secondPage opens path and follows its "next" link; it returns the second
// page's link and the page.
func secondPage(t *testing.T, e *linkEnv, cookie *http.Cookie, path string) (string, string) {
	t.Helper()
	_, page := do(t, "GET", e.srv.URL+path, nil, nil, cookie)
	m := nextRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("%s: no next page", path)
	}
	link := html.UnescapeString(m[1])
	resp, page := do(t, "GET", e.srv.URL+link, nil, nil, cookie)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: got %d, want 200", link, resp.StatusCode)
	}
	return link, page
}

// returnOf is where the page's forms return to, which is one link for
// all; "" when no form says.
func returnOf(t *testing.T, page string) string {
	t.Helper()
	ms := returnRe.FindAllStringSubmatch(page, -1)
	if len(ms) == 0 {
		return ""
	}
	for _, m := range ms[1:] {
		if m[1] != ms[0][1] {
			t.Errorf("forms return to %q and to %q, want one page", html.UnescapeString(ms[0][1]), html.UnescapeString(m[1]))
		}
	}
	return html.UnescapeString(ms[0][1])
}

// post sends form, with the form token of page (one the user was shown),
// to path, as the browser would from that page.
func post(t *testing.T, e *linkEnv, cookie *http.Cookie, page, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	form.Set("csrf", csrfRe.FindStringSubmatch(page)[1])
	return do(t, "POST", e.srv.URL+path, form, map[string]string{"Origin": e.srv.URL, "Sec-Fetch-Site": "same-origin"}, cookie)
}

// hostileReturns are "return" values a form of list (a path) must not
// follow: other hosts, spelt as browsers and http.Redirect read them,
// other pages of this server, and a page or position the list would
// refuse. Each leads to the list's first page.
func hostileReturns(list string) []string {
	return []string{
		"https://evil.example" + list,
		"//evil.example" + list,
		"/\\evil.example" + list,
		list + "/../\\evil.example/",
		"/\t/evil.example" + list,
		"/logout",
		list + "/../../logout",
		list + "x",
		list + "?page=forged.token",
		list + "?before=-1",
	}
}

// TestUsersFormsReturnToTheirPage: the forms on the second page of an
// account's users (a user's roles, a user's removal through its
// confirmation, a new user refused) answer with that page, where they
// went back to the first; a "return" that leads elsewhere leads to the
// first page.
func TestUsersFormsReturnToTheirPage(t *testing.T) {
	e := newLinkEnv(t, "sqlite", nil)
	now := time.Now()
	storeAll(t, e, func(tx store.Tx, i int) error {
		return tx.CreateUser(e.ctx, &mesh.User{AccountID: consumerID, Username: fmt.Sprintf("member%04d", i),
			Roles: []string{mesh.RoleMember}, CreatedAt: now, UpdatedAt: now}, "not-a-hash")
	})
	cookie := sessionOf(t, e, "cadmin")
	two, page := secondPage(t, e, cookie, "/admin/users")
	if got := returnOf(t, page); got != two {
		t.Errorf("forms of page 2 (%s): return to %q, want page 2", two, got)
	}
	rows := userRowRe.FindAllStringSubmatch(page, -1)
	if len(rows) < 2 {
		t.Fatalf("page 2 lists %d users, want more", len(rows))
	}
	first, second := rows[0][1], rows[1][1]

	roles := url.Values{"account_id": {consumerID}, "roles": {mesh.RoleMember, mesh.RoleApprover}, "return": {two}}
	resp, _ := post(t, e, cookie, page, "/admin/users/"+first+"/roles", roles)
	if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != two+"&notice=roles" {
		t.Errorf("roles saved on page 2: got %d to %q, want 303 to %s&notice=roles", resp.StatusCode, got, two)
	}

	remove := regexp.MustCompile(`href="(/admin/users/` + first + `/delete[^"]*)"`).FindStringSubmatch(page)
	if remove == nil {
		t.Fatalf("page 2: no link to remove user %s", first)
	}
	_, confirm := do(t, "GET", e.srv.URL+html.UnescapeString(remove[1]), nil, nil, cookie)
	if got := returnOf(t, confirm); got != two {
		t.Errorf("removal asked from page 2: its form returns to %q, want page 2", got)
	}
	resp, _ = post(t, e, cookie, confirm, "/admin/users/"+first+"/delete", url.Values{"return": {returnOf(t, confirm)}})
	if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != two+"&notice=removed" {
		t.Errorf("user removed from page 2: got %d to %q, want 303 to %s&notice=removed", resp.StatusCode, got, two)
	}

	// a new user refused (the name is taken) shows the form on page 2
	create := url.Values{"account_id": {consumerID}, "username": {"ann"}, "roles": {mesh.RoleMember}, "return": {two}}
	resp, page = post(t, e, cookie, page, "/admin/users", create)
	if resp.StatusCode != http.StatusConflict || !regexp.MustCompile(`<tr id="user-`+second+`">`).MatchString(page) || returnOf(t, page) != two {
		t.Errorf("new user refused on page 2: got %d returning to %q, want 409 showing page 2 (user %s)", resp.StatusCode, returnOf(t, page), second)
	}

	firstPage := "/admin/users?account=" + consumerID
	for _, back := range hostileReturns("/admin/users") {
		roles.Set("return", back)
		resp, _ := post(t, e, cookie, page, "/admin/users/"+second+"/roles", roles)
		if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != firstPage+"&notice=roles" {
			t.Errorf("roles saved with return %q: got %d to %q, want 303 to %s&notice=roles", back, resp.StatusCode, got, firstPage)
		}
		_, confirm := do(t, "GET", e.srv.URL+"/admin/users/"+second+"/delete?return="+url.QueryEscape(back), nil, nil, cookie)
		if got := returnOf(t, confirm); got != firstPage {
			t.Errorf("removal asked with return %q: its form returns to %q, want %s", back, got, firstPage)
		}
	}
}

// TestAccountsFormReturnsToItsPage: an account refused from the second
// page of the accounts shows its form's errors on that page, where it
// showed the first; a "return" that leads elsewhere shows the first.
func TestAccountsFormReturnsToItsPage(t *testing.T) {
	e := newLinkEnv(t, "sqlite", nil)
	now := time.Now()
	storeAll(t, e, func(tx store.Tx, i int) error {
		return tx.CreateAccount(e.ctx, &mesh.Account{ID: fmt.Sprintf("5000000%05d", i), Name: fmt.Sprintf("Team %d", i), CreatedAt: now, UpdatedAt: now})
	})
	e.passwords["admin"] = e.srv.BootstrapPassword(t)
	cookie := sessionOf(t, e, "admin")
	two, page := secondPage(t, e, cookie, "/admin/accounts")
	if got := returnOf(t, page); got != two {
		t.Errorf("form of page 2 (%s): returns to %q, want page 2", two, got)
	}
	shown := regexp.MustCompile(`<a href="/admin/accounts/(\d+)">`).FindStringSubmatch(page)[1]
	onboard := url.Values{"id": {"Not An Id"}, "name": {"Finance"}, "return": {two}}
	resp, page := post(t, e, cookie, page, "/admin/accounts", onboard)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `<a href="/admin/accounts/`+shown+`">`) || returnOf(t, page) != two {
		t.Errorf("account refused on page 2: got %d returning to %q, want 400 showing page 2 (account %s)", resp.StatusCode, returnOf(t, page), shown)
	}
	for _, back := range hostileReturns("/admin/accounts") {
		onboard.Set("return", back)
		resp, page := post(t, e, cookie, page, "/admin/accounts", onboard)
		if got := returnOf(t, page); resp.StatusCode != http.StatusBadRequest || got != "/admin/accounts" {
			t.Errorf("account refused with return %q: got %d returning to %q, want 400 showing the first page", back, resp.StatusCode, got)
		}
	}
}

// TestLinkGrantFormReturnsToItsPage: a grant made from the second page of
// a resource link's grants answers with that page, and a grant refused
// there shows its errors on that page, where both showed the first; a
// "return" that leads elsewhere leads to the first page.
func TestLinkGrantFormReturnsToItsPage(t *testing.T) {
	e := newLinkEnv(t, "sqlite", nil)
	e.shareSales(t)
	storeLinkGrants(t, e)
	cookie := sessionOf(t, e, "cadmin")
	two, page := secondPage(t, e, cookie, "/shared/sales")
	if got := returnOf(t, page); got != two {
		t.Errorf("forms of page 2 (%s): return to %q, want page 2", two, got)
	}
	shown := regexp.MustCompile(`<td data-label="User">([^<]+)</td>`).FindStringSubmatch(page)[1]
	grant := url.Values{"table": {"orders"}, "user": {"ann"}, "permissions": {"SELECT"}, "return": {two}}
	resp, _ := post(t, e, cookie, page, "/shared/sales/grants", grant)
	if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != two+"&notice=granted" {
		t.Errorf("grant from page 2: got %d to %q, want 303 to %s&notice=granted", resp.StatusCode, got, two)
	}
	grant.Set("user", "nobody-here")
	resp, page = post(t, e, cookie, page, "/shared/sales/grants", grant)
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(page, `<td data-label="User">`+shown+`</td>`) || returnOf(t, page) != two {
		t.Errorf("grant refused on page 2: got %d returning to %q, want 404 showing page 2 (%s)", resp.StatusCode, returnOf(t, page), shown)
	}
	grant.Set("user", "ann")
	for _, back := range hostileReturns("/shared/sales") {
		grant.Set("return", back)
		resp, _ := post(t, e, cookie, page, "/shared/sales/grants", grant)
		if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != "/shared/sales?notice=granted" {
			t.Errorf("grant with return %q: got %d to %q, want 303 to /shared/sales?notice=granted", back, resp.StatusCode, got)
		}
	}
}

// TestDeliveriesRetryReturnsToItsPage: a retry from the second page of the
// dead letters answers with that page, its status filter kept, where it
// went back to the first; a retry refused there (sent again already)
// shows why on that page; a "return" that leads elsewhere, or names a
// status the list does not filter by, leads to the first page.
func TestDeliveriesRetryReturnsToItsPage(t *testing.T) {
	e := newLinkEnv(t, "sqlite", nil)
	now := time.Now()
	later := now.Add(365 * 24 * time.Hour) // after any the server's sender claims
	storeAll(t, e, func(tx store.Tx, i int) error {
		return tx.InsertDeliveries(e.ctx, []*store.Delivery{{MessageID: fmt.Sprintf("m%04d", i), Kind: "direct", Protocol: "email",
			Endpoint: fmt.Sprintf("dead%04d@example.com", i), Subject: "Hello", Payload: []byte("{}"), NextAttempt: later, CreatedAt: now}})
	})
	err := e.srv.Store.Update(e.ctx, func(tx store.Tx) error {
		ds, err := tx.ClaimDeliveries(e.ctx, "test", later, later.Add(time.Minute), many, nil)
		if err != nil {
			return err
		}
		var rs []store.DeliveryResult
		for _, d := range ds {
			rs = append(rs, store.DeliveryResult{ID: d.ID, Status: store.DeliveryFailed, Error: "refused", At: later})
		}
		_, err = tx.FinishDeliveries(e.ctx, "test", rs)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	e.passwords["admin"] = e.srv.BootstrapPassword(t)
	cookie := sessionOf(t, e, "admin")
	two, page := secondPage(t, e, cookie, "/admin/deliveries?status=failed")
	if got := returnOf(t, page); got != two {
		t.Errorf("forms of page 2 (%s): return to %q, want page 2", two, got)
	}
	rows := regexp.MustCompile(`<tr id="delivery-(\d+)">`).FindAllStringSubmatch(page, -1)
	hostile := append(hostileReturns("/admin/deliveries"), "/admin/deliveries?status=bogus")
	if len(rows) < 2+len(hostile) {
		t.Fatalf("page 2 lists %d deliveries, want more", len(rows))
	}
	retry := "/admin/deliveries/" + rows[0][1] + "/retry"
	resp, _ := post(t, e, cookie, page, retry, url.Values{"return": {two}})
	if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != two+"&notice=retried" {
		t.Errorf("retry from page 2: got %d to %q, want 303 to %s&notice=retried", resp.StatusCode, got, two)
	}
	resp, page = post(t, e, cookie, page, retry, url.Values{"return": {two}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(page, `<tr id="delivery-`+rows[1][1]+`">`) || returnOf(t, page) != two {
		t.Errorf("retry refused on page 2: got %d returning to %q, want 409 showing page 2 (delivery %s)", resp.StatusCode, returnOf(t, page), rows[1][1])
	}
	for i, back := range hostile {
		resp, _ := post(t, e, cookie, page, "/admin/deliveries/"+rows[2+i][1]+"/retry", url.Values{"return": {back}})
		if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != "/admin/deliveries?notice=retried" {
			t.Errorf("retry with return %q: got %d to %q, want 303 to /admin/deliveries?notice=retried", back, resp.StatusCode, got)
		}
	}
}

// TestApprovalsFormReturnsToItsPage: a decision refused on the second page
// of the approvals, filtered by status, shows why on that page with the
// filter kept, where it showed a page of pending ones, and one that came
// too late (decided already) showed the first; a "return" that leads
// elsewhere, or names a status the list does not filter by, shows the
// first page.
func TestApprovalsFormReturnsToItsPage(t *testing.T) {
	e := newLinkEnv(t, "sqlite", nil)
	const n = 60
	e.piiRequests(n)
	e.user(producerID, "pat", "pat@example.com", mesh.RoleApprover)
	cookie := sessionOf(t, e, "pat")
	if _, page := do(t, "GET", e.srv.URL+"/approvals?status=all", nil, nil, cookie); returnOf(t, page) != "/approvals?status=all" {
		t.Errorf("forms of page 1 (/approvals?status=all): return to %q, want page 1", returnOf(t, page))
	}
	two, page := secondPage(t, e, cookie, "/approvals?status=all")
	if got := returnOf(t, page); got != two {
		t.Errorf("forms of page 2 (%s): return to %q, want page 2", two, got)
	}
	ids := approvalIDRe.FindAllStringSubmatch(page, -1)
	if len(ids) < 3 {
		t.Fatalf("page 2 lists %d approvals, want more", len(ids))
	}
	last := ids[len(ids)-1][1]
	resp, page := post(t, e, cookie, page, "/approvals/"+last+"/approve", url.Values{"comment": {"fine\x01"}, "return": {two}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `id="comment-`+last+`-error"`) || returnOf(t, page) != two {
		t.Errorf("decision refused on page 2: got %d returning to %q, want 400 showing page 2 with the form's error", resp.StatusCode, returnOf(t, page))
	}
	decided := ids[0][1]
	if resp, _ := post(t, e, cookie, page, "/approvals/"+decided+"/deny", url.Values{"return": {two}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("deny %s: got %d, want 303", decided, resp.StatusCode)
	}
	resp, page = post(t, e, cookie, page, "/approvals/"+decided+"/approve", url.Values{"return": {two}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(page, `id="approval-`+ids[1][1]+`"`) || returnOf(t, page) != two {
		t.Errorf("decision too late on page 2: got %d returning to %q, want 409 showing page 2 (approval %s)", resp.StatusCode, returnOf(t, page), ids[1][1])
	}
	for _, back := range append(hostileReturns("/approvals"), "/approvals?status=bogus") {
		resp, page := post(t, e, cookie, page, "/approvals/"+decided+"/approve", url.Values{"return": {back}})
		if got := returnOf(t, page); resp.StatusCode != http.StatusConflict || got != "/approvals" {
			t.Errorf("decision too late with return %q: got %d returning to %q, want 409 showing the first page", back, resp.StatusCode, got)
		}
	}
}

// TestInvitationsFormsReturnToTheirPage: the invitations' forms kept their
// page before the other lists' did, in their action's "before": a
// rejection from the second page answers with that page, and an
// acceptance refused there shows why on that page.
func TestInvitationsFormsReturnToTheirPage(t *testing.T) {
	e := newLinkEnv(t, "sqlite", nil)
	const n = 30 // more than a page
	var tables []client.Table
	for i := range n {
		tables = append(tables, client.Table{Name: fmt.Sprintf("t%02d", i), Columns: []client.Column{{Name: "id", Type: "int"}}})
	}
	if err := e.admin.CreateTables(e.ctx, "sales", tables); err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		if _, err := e.admin.Grant(e.ctx, client.GrantInput{Principal: consumerID, Resource: client.Resource{Database: "sales", Table: tb.Name},
			Permissions: []string{"SELECT"}}); err != nil {
			t.Fatal(err)
		}
	}
	cookie := sessionOf(t, e, "cadmin")
	two, page := secondPage(t, e, cookie, "/invitations")
	actions := regexp.MustCompile(`action="(/invitations/(\d+)/(?:accept|reject)[^"]*)"`).FindAllStringSubmatch(page, -1)
	if len(actions) < 4 {
		t.Fatalf("page 2 (%s) holds %d invitation forms, want more", two, len(actions))
	}
	accept, id, reject := html.UnescapeString(actions[0][1]), actions[0][2], html.UnescapeString(actions[3][1])
	resp, _ := post(t, e, cookie, page, reject, url.Values{})
	if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != two+"&notice=rejected" {
		t.Errorf("rejection from page 2: got %d to %q, want 303 to %s&notice=rejected", resp.StatusCode, got, two)
	}
	resp, page = post(t, e, cookie, page, accept, url.Values{"link_name": {"Not A Name"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `id="link-`+id+`-error"`) || !strings.Contains(page, `href="/invitations">First page`) {
		t.Errorf("acceptance refused on page 2: got %d, want 400 showing page 2 with the form's error", resp.StatusCode)
	}
}
