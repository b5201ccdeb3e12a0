package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/server"
	"github.com/meshgate/meshgate/internal/server/servertest"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// wantAPIError checks err is an API error with the given status, code and field.
func wantAPIError(t *testing.T, err error, status int, code, field string) {
	t.Helper()
	var e *client.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want an API error %d %s", err, status, code)
	}
	if e.Status != status || e.Code != code || e.Field != field {
		t.Fatalf("got %d %s field %q (%s), want %d %s field %q", e.Status, e.Code, e.Field, e.Message, status, code, field)
	}
}

func TestAccounts(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			_, admin := servertest.New(t, servertest.Options{Store: kind, Config: server.Config{Organization: "o-example"}})

			// The central account exists from the start.
			central, err := admin.GetAccount(ctx, "central")
			if err != nil {
				t.Fatalf("central account: %v", err)
			}
			if central.Organization != "o-example" || central.Name != "Central" {
				t.Errorf("got %+v, want Central in o-example", central)
			}
			sales, err := admin.OnboardAccount(ctx, client.AccountInput{ID: "111122223333", Name: "Sales", Organization: "o-example", Email: "sales@example.com"})
			if err != nil {
				t.Fatalf("onboard: %v", err)
			}
			if sales.ID != "111122223333" || sales.CreatedAt.IsZero() {
				t.Errorf("got %+v, want the new account with its creation time", sales)
			}
			_, err = admin.OnboardAccount(ctx, client.AccountInput{ID: "111122223333", Name: "Again"})
			wantAPIError(t, err, http.StatusConflict, mesh.ECONFLICT, "")

			list, err := admin.ListAccounts(ctx, "", client.ListOptions{Limit: 1})
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			if len(list.Accounts) != 1 || list.Accounts[0].ID != "111122223333" || list.NextToken == "" {
				t.Fatalf("got %+v, want the first account and a next token", list)
			}
			list, err = admin.ListAccounts(ctx, "", client.ListOptions{Limit: 1, NextToken: list.NextToken})
			if err != nil || len(list.Accounts) != 1 || list.Accounts[0].ID != "central" {
				t.Fatalf("got %+v (%v), want central on page two", list, err)
			}
			_, err = admin.ListAccounts(ctx, "", client.ListOptions{NextToken: list.NextToken + "x"})
			wantAPIError(t, err, http.StatusBadRequest, mesh.EINVALID, "next_token")

			name := "Sales EU"
			upd, err := admin.UpdateAccount(ctx, "111122223333", client.AccountUpdate{Name: &name})
			if err != nil || upd.Name != "Sales EU" || upd.Email != "sales@example.com" {
				t.Fatalf("got %+v (%v), want the new name and the email kept", upd, err)
			}

			_, err = admin.OffboardAccount(ctx, "central", client.OffboardOptions{Force: true})
			wantAPIError(t, err, http.StatusBadRequest, mesh.EINVALID, "id")
			off, err := admin.OffboardAccount(ctx, "111122223333", client.OffboardOptions{})
			if err != nil || off.Account.ID != "111122223333" {
				t.Fatalf("got %+v (%v), want the account offboarded", off, err)
			}
			_, err = admin.GetAccount(ctx, "111122223333")
			wantAPIError(t, err, http.StatusNotFound, mesh.ENOTFOUND, "")

			audit, err := admin.ListAudit(ctx, client.AuditFilter{Action: "account.*", Resource: "account/111122223333"}, client.ListOptions{})
			if err != nil {
				t.Fatalf("audit: %v", err)
			}
			var actions []string
			for _, e := range audit.Entries {
				actions = append(actions, e.Action)
				if e.Principal != "central/admin" || e.RequestID == "" || e.RemoteAddr == "" {
					t.Errorf("got %+v, want central/admin with a request id and address", e)
				}
			}
			if want := []string{"account.offboard", "account.update", "account.onboard"}; !slices.Equal(actions, want) {
				t.Errorf("got %v, want %v", actions, want)
			}
		})
	}
}

func TestAccountBadInput(t *testing.T) {
	ctx := context.Background()
	srv, admin := servertest.New(t, servertest.Options{})
	tests := []struct {
		name, method, path string
		body               any
		wantStatus         int
		wantCode, field    string
	}{
		{"bad id", "POST", "/api/v1/accounts", map[string]string{"id": "Bad_ID", "name": "x"}, 400, mesh.EINVALID, "id"},
		{"slug of digits", "POST", "/api/v1/accounts", map[string]string{"id": "12345", "name": "x"}, 201, "", ""},
		{"missing name", "POST", "/api/v1/accounts", map[string]string{"id": "111122223333"}, 400, mesh.EINVALID, "name"},
		{"unknown field", "POST", "/api/v1/accounts", map[string]string{"id": "111122223333", "name": "x", "colour": "red"}, 400, mesh.EINVALID, "colour"},
		{"bad organization", "POST", "/api/v1/accounts", map[string]string{"id": "111122223333", "name": "x", "organization": "O EXAMPLE"}, 400, mesh.EINVALID, "organization"},
		{"bad email", "POST", "/api/v1/accounts", map[string]string{"id": "111122223333", "name": "x", "email": "not an email"}, 400, mesh.EINVALID, "email"},
		{"bad path id", "GET", "/api/v1/accounts/NOPE!", nil, 400, mesh.EINVALID, "id"},
		{"unknown account", "GET", "/api/v1/accounts/999999999999", nil, 404, mesh.ENOTFOUND, ""},
		{"bad force", "DELETE", "/api/v1/accounts/999999999999?force=maybe", nil, 400, mesh.EINVALID, "force"},
		{"bad limit", "GET", "/api/v1/accounts?limit=0", nil, 400, mesh.EINVALID, "limit"},
		{"patch unknown field", "PATCH", "/api/v1/accounts/central", map[string]string{"id": "x"}, 400, mesh.EINVALID, "id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := admin.Do(ctx, tt.method, tt.path, nil, tt.body, nil)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("got %v, want success", err)
				}
				return
			}
			wantAPIError(t, err, tt.wantStatus, tt.wantCode, tt.field)
		})
	}
	// The rejected calls created nothing.
	list, err := admin.ListAccounts(ctx, "", client.ListOptions{})
	if err != nil || len(list.Accounts) != 2 {
		t.Errorf("got %d accounts (%v), want central and 12345", len(list.Accounts), err)
	}
	_, err = srv.Client().ListAccounts(ctx, "", client.ListOptions{})
	wantAPIError(t, err, http.StatusUnauthorized, mesh.EUNAUTHORIZED, "")
	_, err = srv.Client().WithToken("mgt_nope").ListAccounts(ctx, "", client.ListOptions{})
	wantAPIError(t, err, http.StatusUnauthorized, mesh.EUNAUTHORIZED, "")
}

// TestAccountSubroutesCheckTheAccount: the links and approval-links of an
// account answer as GET /api/v1/accounts/{id} does: 400 naming id for a
// malformed id and 404 for an unknown account, where the links answered an
// empty list to both and approval-links 404 to a malformed id. A user who
// may not see another account is still refused before being told whether
// it exists.
func TestAccountSubroutesCheckTheAccount(t *testing.T) {
	ctx := context.Background()
	srv, admin := servertest.New(t, servertest.Options{})
	if _, err := admin.OnboardAccount(ctx, client.AccountInput{ID: "111122223333", Name: "Sales"}); err != nil {
		t.Fatal(err)
	}
	member := sharingUser(t, srv, admin, "111122223333", "pat", mesh.RoleMember)
	signIn := map[string]bool{"sign_in_required": true}
	tests := []struct {
		name, method, path string
		caller             *client.Client
		body               any
		wantStatus         int
		wantCode, field    string
	}{
		{"links of an unknown account", "GET", "/api/v1/accounts/999999999999/links", admin, nil, 404, mesh.ENOTFOUND, ""},
		{"links of a malformed id", "GET", "/api/v1/accounts/NOT_AN_ID/links", admin, nil, 400, mesh.EINVALID, "id"},
		{"links of another account", "GET", "/api/v1/accounts/999999999999/links", member, nil, 403, mesh.EFORBIDDEN, ""},
		{"link tables of a malformed id", "GET", "/api/v1/accounts/NOT_AN_ID/links/shop/tables", admin, nil, 400, mesh.EINVALID, "id"},
		{"approval links of a malformed id", "GET", "/api/v1/accounts/NOT_AN_ID/approval-links", admin, nil, 400, mesh.EINVALID, "id"},
		{"approval links set for a malformed id", "PUT", "/api/v1/accounts/NOT_AN_ID/approval-links", admin, signIn, 400, mesh.EINVALID, "id"},
		{"approval links of an unknown account", "GET", "/api/v1/accounts/999999999999/approval-links", admin, nil, 404, mesh.ENOTFOUND, ""},
		{"approval links of another account", "GET", "/api/v1/accounts/999999999999/approval-links", member, nil, 403, mesh.EFORBIDDEN, ""},
		{"users of an unknown account", "GET", "/api/v1/accounts/999999999999/users", admin, nil, 404, mesh.ENOTFOUND, ""},
		{"users of another account", "GET", "/api/v1/accounts/999999999999/users", member, nil, 403, mesh.EFORBIDDEN, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantAPIError(t, tt.caller.Do(ctx, tt.method, tt.path, nil, tt.body, nil), tt.wantStatus, tt.wantCode, tt.field)
		})
	}
	for _, c := range []*client.Client{admin, member} {
		if links, err := c.Links(ctx, "111122223333"); err != nil || len(links) != 0 {
			t.Errorf("links of an account without any: got %v (%v), want none", links, err)
		}
	}
}

// TestNotifyListsCheckTheAccount: the topics and subscriptions of an
// ?account= that was never onboarded answer 404 naming it, where they
// answered an empty list as if it had no topic; a malformed one is 400
// naming account. An account's admin asking about another account is
// refused before being told whether it exists.
func TestNotifyListsCheckTheAccount(t *testing.T) {
	ctx := context.Background()
	srv, admin := servertest.New(t, servertest.Options{})
	if _, err := admin.OnboardAccount(ctx, client.AccountInput{ID: "111122223333", Name: "Sales"}); err != nil {
		t.Fatal(err)
	}
	sales := sharingUser(t, srv, admin, "111122223333", "sally", mesh.RoleAdmin)
	for _, list := range []string{"topics", "subscriptions", "deliveries"} {
		tests := []struct {
			name       string
			caller     *client.Client
			account    string
			wantStatus int
			wantCode   string
			field      string
		}{
			{"an unknown account", admin, "999999999999", 404, mesh.ENOTFOUND, ""},
			{"a malformed account", admin, "NOT_AN_ID", 400, mesh.EINVALID, "account"},
			{"another account, unknown", sales, "999999999999", 403, mesh.EFORBIDDEN, ""},
			{"another account", sales, "central", 403, mesh.EFORBIDDEN, ""},
		}
		for _, tt := range tests {
			t.Run(list+" of "+tt.name, func(t *testing.T) {
				err := tt.caller.Do(ctx, "GET", "/api/v1/"+list+"?account="+tt.account, nil, nil, nil)
				wantAPIError(t, err, tt.wantStatus, tt.wantCode, tt.field)
				if tt.wantStatus == 404 && !strings.Contains(err.Error(), "999999999999") {
					t.Errorf("got %v, want the account named", err)
				}
			})
		}
	}
	for _, c := range []*client.Client{admin, sales} {
		if ts, err := c.Topics(ctx, "111122223333"); err != nil || len(ts) != 1 {
			t.Errorf("topics of an onboarded account: got %v (%v), want its topic", ts, err)
		}
		if subs, err := c.Subscriptions(ctx, "111122223333"); err != nil || len(subs) != 0 {
			t.Errorf("subscriptions of an account without any: got %v (%v), want none", subs, err)
		}
	}
}

// TestEmptyUpdateRefused checks that an update naming nothing to change (an
// empty object or null) is refused naming the body, and changes nothing: not
// the account's or user's updated_at, not the audit log's successes.
func TestEmptyUpdateRefused(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			_, admin := servertest.New(t, servertest.Options{Store: kind})
			a, err := admin.OnboardAccount(ctx, client.AccountInput{ID: "111122223333", Name: "Sales"})
			if err != nil {
				t.Fatal(err)
			}
			nu, err := admin.CreateUser(ctx, a.ID, client.UserInput{Username: "ann", Roles: []string{mesh.RoleMember}})
			if err != nil {
				t.Fatal(err)
			}
			// read back: PostgreSQL keeps microseconds
			if a, err = admin.GetAccount(ctx, a.ID); err != nil {
				t.Fatal(err)
			}
			u, err := admin.GetUser(ctx, nu.User.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, body := range []any{client.AccountUpdate{}, nil, map[string]any{"name": nil}} {
				err := admin.Do(ctx, "PATCH", "/api/v1/accounts/"+a.ID, nil, rawOrNull(body), nil)
				wantAPIError(t, err, http.StatusBadRequest, mesh.EINVALID, "body")
			}
			for _, body := range []any{client.UserUpdate{}, nil} {
				err := admin.Do(ctx, "PATCH", "/api/v1/users/"+strconv.FormatInt(u.ID, 10), nil, rawOrNull(body), nil)
				wantAPIError(t, err, http.StatusBadRequest, mesh.EINVALID, "body")
			}
			if got, err := admin.GetAccount(ctx, a.ID); err != nil || !got.UpdatedAt.Equal(a.UpdatedAt) {
				t.Errorf("got %+v, %v; want the account as it was (updated at %v)", got, err, a.UpdatedAt)
			}
			if got, err := admin.GetUser(ctx, u.ID); err != nil || !got.UpdatedAt.Equal(u.UpdatedAt) {
				t.Errorf("got %+v, %v; want the user as it was (updated at %v)", got, err, u.UpdatedAt)
			}
			for _, action := range []string{"account.update", "user.update"} {
				l, err := admin.ListAudit(ctx, client.AuditFilter{Action: action, Result: "ok"}, client.ListOptions{})
				if err != nil || len(l.Entries) != 0 {
					t.Errorf("%s: got %+v, %v; want no successful update audited", action, l, err)
				}
			}
		})
	}
}

// rawOrNull is body as the client sends it, with nil sent as JSON null.
func rawOrNull(body any) any {
	if body == nil {
		return json.RawMessage("null")
	}
	return body
}
