package ui_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
)

// TestRefusedFormsAudited: a change a page refuses, showing its form again
// with the reason, is audited as the same call refused through the API is:
// the route, the user, the error code and its message (with what the
// page's path does not name), once. Before, the page answered the refusal
// itself and the router, seeing no error, audited nothing.
func TestRefusedFormsAudited(t *testing.T) {
	e := newLinkEnv(t, "sqlite", nil)
	e.passwords["admin"] = e.srv.BootstrapPassword(t)
	ctx := e.ctx

	// what the refused forms name: users, a request waiting for approval
	// and one cancelled, a resource link, a delivery that has not failed,
	// an approval link, a state machine
	ann, err := e.admin.FindUserByName(ctx, "ann")
	if err != nil {
		t.Fatal(err)
	}
	me, err := e.admin.Me(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e.subscribeEmail("ops@example.com")
	pending := e.request("orders")
	approve := actionLink(t, e.mail("ops@example.com", "Approval needed"), "Approve")
	linkToken, _ := url.Parse(approve)
	cancelled, _, err := e.ann.CreateRequest(ctx, client.RequestInput{Database: "sales", Table: "*", Justification: "everything"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.ann.CancelRequest(ctx, cancelled.ID); err != nil {
		t.Fatal(err)
	}
	e.shareSales(t)
	ds, err := e.admin.Deliveries(ctx, "", "", 10)
	if err != nil || len(ds) == 0 {
		t.Fatalf("deliveries: %v %v", ds, err)
	}
	sent := ds[0].ID
	if _, err := e.admin.CreateStateMachine(ctx, "m", "", json.RawMessage(`{"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}`)); err != nil {
		t.Fatal(err)
	}

	sessions := map[string]*http.Cookie{}
	csrf := map[string]string{}
	signIn := func(name string) (*http.Cookie, string) {
		if c, ok := sessions[name]; ok {
			return c, csrf[name]
		}
		c := sessionOf(t, e, name)
		_, page := do(t, "GET", e.srv.URL+"/tokens", nil, nil, c)
		m := csrfRe.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("%s: no form token on the tokens page", name)
		}
		sessions[name], csrf[name] = c, m[1]
		return c, m[1]
	}

	for _, tt := range []struct {
		name string
		user string // who sends the form; "" nobody signed in
		path string
		form url.Values
		// the page shown again, and the refusal's audit entry
		status                 int
		action, result, detail string
	}{
		{"users: create", "cadmin", "/admin/users", url.Values{"account_id": {consumerID}, "username": {"bob"}, "roles": {"superuser"}},
			400, "POST /admin/users", mesh.EINVALID, `account "222233334444": unknown role "superuser"`},
		{"users: roles", "cadmin", "/admin/users/" + itoa(ann.ID) + "/roles", url.Values{"roles": {"superuser"}},
			400, "POST /admin/users/{user}/roles", mesh.EINVALID, `unknown role "superuser"`},
		{"users: delete the last mesh admin", "admin", "/admin/users/" + itoa(me.User.ID) + "/delete", url.Values{},
			409, "POST /admin/users/{user}/delete", mesh.ECONFLICT, "mesh admin"},
		{"tokens: create", "ann", "/tokens", url.Values{"name": {"ci"}, "expires_in": {"forever"}},
			400, "POST /tokens", mesh.EINVALID, "choose one of the offered lifetimes"},
		{"password: wrong current password", "ann", "/password",
			url.Values{"current_password": {"not-the-password"}, "new_password": {"a-long-new-password-9"}, "confirm_password": {"a-long-new-password-9"}},
			401, "POST /password", mesh.EUNAUTHORIZED, "the current password is wrong"},
		{"password: confirmation differs", "ann", "/password",
			url.Values{"current_password": {"x"}, "new_password": {"a-long-new-password-9"}, "confirm_password": {"a-long-new-password-8"}},
			400, "POST /password", mesh.EINVALID, "does not match the new password"},
		{"decisions: approve", "cadmin", "/approvals/" + itoa(pending.ID) + "/approve", url.Values{"comment": {"fine"}},
			403, "POST /approvals/{id}/approve", mesh.EFORBIDDEN, "decide request"},
		{"decisions: deny", "cadmin", "/approvals/" + itoa(pending.ID) + "/deny", url.Values{"comment": {"no"}},
			403, "POST /approvals/{id}/deny", mesh.EFORBIDDEN, "decide request"},
		{"invitations: accept", "cadmin", "/invitations/999999/accept", url.Values{"link_name": {"x"}},
			404, "POST /invitations/{id}/accept", mesh.ENOTFOUND, "999999"},
		{"invitations: reject", "cadmin", "/invitations/999999/reject", url.Values{},
			404, "POST /invitations/{id}/reject", mesh.ENOTFOUND, "999999"},
		{"link grants", "cadmin", "/shared/sales/grants", url.Values{"table": {"orders"}, "permissions": {"SELECT"}},
			400, "POST /shared/{name}/grants", mesh.EINVALID, "choose a user"},
		{"notifications: subscribe", "cadmin", "/admin/notifications",
			url.Values{"account_id": {consumerID}, "protocol": {"carrier-pigeon"}, "endpoint": {"loft 3"}},
			400, "POST /admin/notifications", mesh.EINVALID, `"carrier-pigeon"`},
		{"deliveries: retry one sent", "admin", "/admin/deliveries/" + itoa(sent) + "/retry", url.Values{},
			409, "POST /admin/deliveries/{id}/retry", mesh.ECONFLICT, "not failed"},
		{"accounts: onboard", "admin", "/admin/accounts", url.Values{"id": {producerID}, "name": {"Sales again"}},
			409, "POST /admin/accounts", mesh.ECONFLICT, "exists already"},
		{"accounts: offboard unconfirmed", "admin", "/admin/accounts/" + consumerID + "/offboard", url.Values{"confirm": {"yes"}},
			400, "POST /admin/accounts/{id}/offboard", mesh.EINVALID, "confirm the offboarding"},
		{"state machines: create", "admin", "/admin/state-machines", url.Values{"name": {"n"}, "definition": {`{"StartAt": "Nowhere", "States": {}}`}},
			400, "POST /admin/state-machines", mesh.EINVALID, "invalid state machine definition"},
		{"state machines: save", "admin", "/admin/state-machines/m", url.Values{"definition": {"{"}},
			400, "POST /admin/state-machines/{name}", mesh.EINVALID, "not valid JSON"},
		{"state machines: rollback", "admin", "/admin/state-machines/m/rollback", url.Values{"version": {"none"}},
			400, "POST /admin/state-machines/{name}/rollback", mesh.EINVALID, `not "none"`},
		{"requests: create", "ann", "/requests", url.Values{"database": {"sales"}, "table": {"orders"}, "justification": {"reports"}},
			400, "POST /requests", mesh.EINVALID, "choose at least one permission"},
		{"requests: cancel", "ann", "/requests/" + itoa(cancelled.ID) + "/cancel", url.Values{},
			409, "POST /requests/{id}/cancel", mesh.ECONFLICT, "CANCELLED"},
		{"requests: revoke", "admin", "/requests/" + itoa(cancelled.ID) + "/revoke", url.Values{},
			409, "POST /requests/{id}/revoke", mesh.ECONFLICT, "CANCELLED"},
		{"approval link", "", "/approval-link", url.Values{"token": {linkToken.Query().Get("token")}, "decision": {"maybe"}},
			400, "POST /approval-link", mesh.EINVALID, "choose approve or deny"},
		{"subscription confirmation link", "", "/api/v1/subscriptions/confirm?token=not-a-token", url.Values{},
			404, "POST /api/v1/subscriptions/confirm", mesh.ENOTFOUND, "confirmation token"},
		{"unsubscribe link", "", "/api/v1/subscriptions/1/unsubscribe?sig=forged", url.Values{},
			403, "POST /api/v1/subscriptions/{id}/unsubscribe", mesh.EFORBIDDEN, "not valid"},
		{"opt-out link", "", "/api/v1/optout?address=ops%40example.com&sig=forged", url.Values{},
			403, "POST /api/v1/optout", mesh.EFORBIDDEN, "not valid"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := auditOf(t, e, tt.action)
			header := map[string]string{"Origin": e.srv.URL, "Sec-Fetch-Site": "same-origin"}
			// an anonymous refusal names its route, not the path it was sent to
			principal, resource := "anonymous", strings.TrimPrefix(tt.action, "POST ")
			var cookie *http.Cookie
			if tt.user != "" {
				resource, _, _ = strings.Cut(tt.path, "?")
				var token string
				cookie, token = signIn(tt.user)
				tt.form.Set("csrf", token)
				principal = consumerID + "/" + tt.user
				if tt.user == "admin" {
					principal = me.User.AccountID + "/admin"
				}
			}
			resp, page := do(t, "POST", e.srv.URL+tt.path, tt.form, header, cookie)
			if resp.StatusCode != tt.status {
				t.Fatalf("got %d, want %d with the form again\n%s", resp.StatusCode, tt.status, page)
			}
			after := auditOf(t, e, tt.action)
			if len(after) != len(before)+1 {
				t.Fatalf("got %d audit entries of %s after the refusal, want %d: %+v", len(after), tt.action, len(before)+1, after)
			}
			got := after[0]
			if got.Principal != principal || got.Result != tt.result ||
				!strings.Contains(got.Detail, tt.detail) || got.Resource != resource {
				t.Errorf("got %+v, want %s by %s refused (%s) on %s, saying %q", got, tt.action, principal, tt.result, resource, tt.detail)
			}
		})
	}
}

// TestAcceptedFormsNotAuditedAsRefused: a form a page accepts, and a page
// refused to a GET, add no refused entry: the service audits the change,
// and reading changes nothing.
func TestAcceptedFormsNotAuditedAsRefused(t *testing.T) {
	e := newLinkEnv(t, "sqlite", nil)
	cookie := sessionOf(t, e, "ann")
	_, page := do(t, "GET", e.srv.URL+"/tokens", nil, nil, cookie)
	form := url.Values{"csrf": {csrfRe.FindStringSubmatch(page)[1]}, "name": {"ci"}, "expires_in": {"720h"}}
	same := map[string]string{"Origin": e.srv.URL, "Sec-Fetch-Site": "same-origin"}
	if resp, _ := do(t, "POST", e.srv.URL+"/tokens", form, same, cookie); resp.StatusCode != http.StatusCreated {
		t.Fatalf("new token: got %d, want 201", resp.StatusCode)
	}
	if resp, _ := do(t, "GET", e.srv.URL+"/admin/users", nil, nil, cookie); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a member's GET /admin/users: got %d, want 403", resp.StatusCode)
	}
	for _, action := range []string{"POST /tokens", "GET /admin/users"} {
		if got := auditOf(t, e, action); len(got) != 0 {
			t.Errorf("%s: got %+v, want no entry", action, got)
		}
	}
	l, err := e.admin.ListAudit(e.ctx, client.AuditFilter{Action: "token.create", Principal: consumerID + "/ann"}, client.ListOptions{})
	if err != nil || len(l.Entries) != 1 || l.Entries[0].Result != "ok" {
		t.Errorf("token.create by ann: got %+v (%v), want the new token audited once", l, err)
	}
}

// auditOf lists the audit entries of action, newest first.
func auditOf(t *testing.T, e *linkEnv, action string) []*mesh.AuditEntry {
	t.Helper()
	l, err := e.admin.ListAudit(e.ctx, client.AuditFilter{Action: action}, client.ListOptions{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return l.Entries
}
