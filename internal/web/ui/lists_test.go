package ui_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// More than a thousand of a kind, stored directly (the services would
// hash a password or send mail for each), to show that no page stops
// at the thousandth.
const many = 1001

// reach follows a listing's "next" links from path until a page holds
// want; it fails the test when the last page does not.
func reach(t *testing.T, e *linkEnv, cookie *http.Cookie, path, want string) {
	t.Helper()
	for pages := 1; pages <= 100; pages++ {
		resp, page := do(t, "GET", e.srv.URL+path, nil, nil, cookie)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: got %d, want 200", path, resp.StatusCode)
		}
		if strings.Contains(page, want) {
			return
		}
		m := nextRe.FindStringSubmatch(page)
		if m == nil {
			t.Errorf("%q is on none of the %d pages from %s", want, pages, path)
			return
		}
		path = html.UnescapeString(m[1])
	}
	t.Errorf("%q: more than 100 pages from %s", want, path)
}

func storeAll(t *testing.T, e *linkEnv, fn func(tx store.Tx, i int) error) {
	t.Helper()
	err := e.srv.Store.Update(context.Background(), func(tx store.Tx) error {
		for i := range many {
			if err := fn(tx, i); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestAccountsPastAThousand: with more than a thousand accounts, the
// accounts list goes on page by page to the last, and the account pickers
// (requesting access, users, notifications) take any account typed,
// saying that their suggestions stop short.
func TestAccountsPastAThousand(t *testing.T) {
	e := newLinkEnv(t, "sqlite", nil)
	now := time.Now()
	storeAll(t, e, func(tx store.Tx, i int) error {
		return tx.CreateAccount(e.ctx, &mesh.Account{ID: fmt.Sprintf("5000000%05d", i), Name: fmt.Sprintf("Team %d", i), CreatedAt: now, UpdatedAt: now})
	})
	last := fmt.Sprintf("5000000%05d", many-1)
	e.passwords["admin"] = e.srv.BootstrapPassword(t)
	cookie := sessionOf(t, e, "admin")
	reach(t, e, cookie, "/admin/accounts", `<a href="/admin/accounts/`+last+`">`)

	const note = "The suggestions show the first 1000 accounts by id; type the id of any other."
	for _, path := range []string{"/catalog/sales/orders", "/admin/users", "/admin/notifications"} {
		if _, page := do(t, "GET", e.srv.URL+path, nil, nil, cookie); !strings.Contains(page, note) || !strings.Contains(page, `list="account-choices"`) {
			t.Errorf("%s: want an account picker taking any id, saying its suggestions stop short", path)
		}
	}
	_, page := do(t, "GET", e.srv.URL+"/catalog/sales/orders", nil, nil, cookie)
	same := map[string]string{"Origin": e.srv.URL, "Sec-Fetch-Site": "same-origin"}
	form := url.Values{"csrf": {csrfRe.FindStringSubmatch(page)[1]}, "database": {"sales"}, "table": {"orders"},
		"target_account": {last}, "justification": {"reporting"}, "permissions": {"SELECT"}}
	if resp, page := do(t, "POST", e.srv.URL+"/requests", form, same, cookie); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("request for account %s: got %d, want 303 (%s)", last, resp.StatusCode, page)
	}
	if resp, page := do(t, "GET", e.srv.URL+"/admin/users?account="+last, nil, nil, cookie); resp.StatusCode != http.StatusOK || !strings.Contains(page, `value="`+last+`"`) {
		t.Errorf("users of account %s: got %d, want 200 with it chosen", last, resp.StatusCode)
	}
}

// TestUsersPastAThousand: with more than a thousand users in an account,
// its users list goes on page by page to the last, and a resource link's
// grant form takes any of them typed, saying that its suggestions stop
// short.
func TestUsersPastAThousand(t *testing.T) {
	e := newLinkEnv(t, "sqlite", nil)
	e.shareSales(t)
	now := time.Now()
	storeAll(t, e, func(tx store.Tx, i int) error {
		return tx.CreateUser(e.ctx, &mesh.User{AccountID: consumerID, Username: fmt.Sprintf("member%04d", i),
			Roles: []string{mesh.RoleMember}, CreatedAt: now, UpdatedAt: now}, "not-a-hash")
	})
	last := fmt.Sprintf("member%04d", many-1)
	cookie := sessionOf(t, e, "cadmin")
	reach(t, e, cookie, "/admin/users", `<td data-label="Username">`+last)

	_, page := do(t, "GET", e.srv.URL+"/shared/sales", nil, nil, cookie)
	if !strings.Contains(page, "The suggestions show the first 1000 users; type the username of any other.") || !strings.Contains(page, `list="user-choices"`) {
		t.Errorf("resource link page: want a user picker taking any username, saying its suggestions stop short")
	}
	same := map[string]string{"Origin": e.srv.URL, "Sec-Fetch-Site": "same-origin"}
	form := url.Values{"csrf": {csrfRe.FindStringSubmatch(page)[1]}, "table": {"orders"}, "user": {last}, "permissions": {"SELECT"}}
	if resp, page := do(t, "POST", e.srv.URL+"/shared/sales/grants", form, same, cookie); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("grant to %s: got %d, want 303 (%s)", last, resp.StatusCode, page)
	}
	form.Set("user", "nobody-here")
	if resp, page := do(t, "POST", e.srv.URL+"/shared/sales/grants", form, same, cookie); resp.StatusCode != http.StatusNotFound || !strings.Contains(page, "nobody-here") {
		t.Errorf("grant to a user that does not exist: got %d, want 404 naming it", resp.StatusCode)
	}
}

// TestInvitationsPastAThousand: with more than a thousand invitations, the
// invitations list goes on page by page to the oldest.
func TestInvitationsPastAThousand(t *testing.T) {
	e := newLinkEnv(t, "sqlite", nil)
	now := time.Now()
	var first int64
	storeAll(t, e, func(tx store.Tx, i int) error {
		inv := &mesh.Invitation{ShareID: 1, AccountID: consumerID, Database: fmt.Sprintf("db%04d", i), Table: "orders",
			Status: mesh.InvitationPending, SentBy: producerID, CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
		err := tx.CreateInvitation(e.ctx, inv)
		if i == 0 {
			first = inv.ID
		}
		return err
	})
	cookie := sessionOf(t, e, "cadmin")
	reach(t, e, cookie, "/invitations", fmt.Sprintf(`id="invitation-%d"`, first))
}

// TestLinkGrantsPastAThousand: with more than a thousand grants of an
// account's users on a linked database, the link page's list of them goes
// on page by page to the last.
func TestLinkGrantsPastAThousand(t *testing.T) {
	e := newLinkEnv(t, "sqlite", nil)
	e.shareSales(t)
	storeLinkGrants(t, e)
	cookie := sessionOf(t, e, "cadmin")
	reach(t, e, cookie, "/shared/sales", `<td data-label="User">`+string(mesh.UserPrincipal(consumerID, fmt.Sprintf("member%04d", many-1)))+`</td>`)
}
