package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/access"
	"github.com/meshgate/meshgate/internal/access/accesstest"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/web"
)

// tokenAuth authenticates "Bearer account/user/role" as that actor.
type tokenAuth struct{}

func (tokenAuth) Authenticate(_ context.Context, r *http.Request) (*mesh.Actor, error) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return nil, nil
	}
	parts := strings.Split(tok, "/")
	if len(parts) != 3 {
		return nil, mesh.Errorf(mesh.EUNAUTHORIZED, "bad token")
	}
	return &mesh.Actor{AccountID: parts[0], Username: parts[1], Roles: []string{parts[2]}, CentralAccountID: "central"}, nil
}

func newAccessAPI(t *testing.T) (*httptest.Server, *accesstest.Catalog) {
	t.Helper()
	st := storetest.OpenSQLite(t, nil)
	cat := accesstest.NewCatalog()
	cat.AddDatabase("sales", "111122223333")
	cat.AddTable("sales", "orders", "id", "total", "email")
	accts := accesstest.NewAccounts()
	accts.AddAccount("central", "o-mesh", "admin")
	accts.AddAccount("111122223333", "o-mesh", "padmin")
	accts.AddAccount("222233334444", "o-other", "cadmin", "alice")
	clock := mesh.NewFakeClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	svc := access.NewService(st, clock, access.Config{CentralAccountID: "central", Organization: "o-mesh"}, cat, accts)
	if err := svc.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	rt := web.NewRouter(tokenAuth{}, nil)
	Register(rt, &Deps{Store: st, Pages: web.NewPageTokens([]byte("k")), Access: svc, CentralAccountID: "central"})
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	return srv, cat
}

func apiError(t *testing.T, err error, status int, mention string) *client.Error {
	t.Helper()
	var e *client.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want an API error %d", err, status)
	}
	if e.Status != status {
		t.Fatalf("got %d %s, want %d", e.Status, e.Message, status)
	}
	if !strings.Contains(e.Message, mention) {
		t.Errorf("got %q, want it to name %q", e.Message, mention)
	}
	return e
}

func TestAccessAPIShareFlow(t *testing.T) {
	srv, _ := newAccessAPI(t)
	ctx := context.Background()
	producer := client.New(srv.URL, "111122223333/padmin/admin")
	consumer := client.New(srv.URL, "222233334444/cadmin/admin")
	alice := client.New(srv.URL, "222233334444/alice/member")
	admin := client.New(srv.URL, "central/admin/admin")

	g, err := producer.Grant(ctx, client.GrantInput{Principal: "222233334444", Resource: client.Resource{Database: "sales", Table: "orders"},
		Permissions: []string{"SELECT", "DESCRIBE"}, Grantable: []string{"SELECT"}})
	if err != nil {
		t.Fatal(err)
	}
	if g.Status != "pending" {
		t.Errorf("got status %s, want pending", g.Status)
	}
	// Bad input, each naming the problem.
	_, err = producer.Grant(ctx, client.GrantInput{Principal: "222233334444", Resource: client.Resource{Database: "sales", Table: "orders", Columns: []string{"zip"}}, Permissions: []string{"SELECT"}})
	if e := apiError(t, err, 400, "zip"); e.Field != "resource.columns" {
		t.Errorf("got field %q, want resource.columns", e.Field)
	}
	_, err = producer.Grant(ctx, client.GrantInput{Principal: "222233334444", Resource: client.Resource{Database: "nope"}, Permissions: []string{"DESCRIBE"}})
	apiError(t, err, 404, "nope")
	_, err = producer.Grant(ctx, client.GrantInput{Principal: "999988887777", Resource: client.Resource{Database: "sales"}, Permissions: []string{"DESCRIBE"}})
	apiError(t, err, 404, "999988887777")
	_, err = producer.Grant(ctx, client.GrantInput{Principal: "222233334444", Resource: client.Resource{Database: "sales"}, Permissions: []string{"READ"}})
	apiError(t, err, 400, "READ")

	invs, err := consumer.Invitations(ctx, "", "pending")
	if err != nil || len(invs) != 1 {
		t.Fatalf("got %d invitations (%v), want 1", len(invs), err)
	}
	_, err = alice.AcceptInvitation(ctx, invs[0].ID, "")
	apiError(t, err, 403, "admins")
	d, err := consumer.AcceptInvitation(ctx, invs[0].ID, "shop")
	if err != nil {
		t.Fatal(err)
	}
	if d.Link == nil || d.Link.Name != "shop" {
		t.Errorf("got link %+v, want shop", d.Link)
	}
	_, err = consumer.AcceptInvitation(ctx, invs[0].ID, "")
	if e := apiError(t, err, 409, "accepted"); e.Details.(map[string]any)["status"] != "accepted" {
		t.Errorf("got details %v, want the current status", e.Details)
	}

	// The consumer's admin grants alice columns through the link, not more.
	_, err = consumer.Grant(ctx, client.GrantInput{Principal: "222233334444/alice", Resource: client.Resource{Database: "shop", Columns: []string{"id", "total"}}, Permissions: []string{"SELECT"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = consumer.Grant(ctx, client.GrantInput{Principal: "222233334444/alice", Resource: client.Resource{Database: "shop"}, Permissions: []string{"INSERT"}})
	apiError(t, err, 403, "INSERT WITH GRANT OPTION on table sales.orders")

	mine, err := alice.Authorize(ctx, client.AuthorizeRequest{Action: "SELECT", Resource: client.Resource{Database: "sales", Table: "orders", Columns: []string{"total"}}})
	if err != nil || !mine.Allowed || len(mine.Grants) != 1 {
		t.Errorf("alice on her column: got %+v (%v), want allowed by one grant", mine, err)
	}
	ds, err := admin.AuthorizeBatch(ctx, []client.AuthorizeRequest{
		{Principal: "222233334444/alice", Action: "SELECT", Resource: client.Resource{Database: "sales", Table: "orders", Columns: []string{"email"}}},
		{Principal: "222233334444", Action: "SELECT", Resource: client.Resource{Database: "sales", Table: "orders"}},
	})
	if err != nil || len(ds) != 2 || ds[0].Allowed || !ds[1].Allowed {
		t.Errorf("batch: got %+v (%v), want denied then allowed", ds, err)
	}
	_, err = alice.Authorize(ctx, client.AuthorizeRequest{Principal: "222233334444", Action: "SELECT", Resource: client.Resource{Database: "sales", Table: "orders"}})
	apiError(t, err, 403, "yourself")

	links, err := consumer.Links(ctx, "")
	if err != nil || len(links) != 1 {
		t.Fatalf("got %d links (%v), want 1", len(links), err)
	}
	tables, err := consumer.LinkTables(ctx, "222233334444", "shop")
	if err != nil || len(tables) != 1 || strings.Join(tables[0].Columns, ",") != "id,total,email" {
		t.Errorf("got %+v (%v), want orders with every column", tables, err)
	}
	_, err = alice.Links(ctx, "111122223333")
	apiError(t, err, 403, "own account")

	// Revoking the share cascades to alice.
	left, err := producer.Revoke(ctx, client.GrantInput{Principal: "222233334444", Resource: client.Resource{Database: "sales", Table: "orders"}, Permissions: []string{"ALL"}})
	if err != nil || left != nil {
		t.Fatalf("got %+v (%v), want nothing left", left, err)
	}
	gs, _, err := admin.Grants(ctx, client.GrantsFilter{Account: "222233334444"})
	if err != nil || len(gs) != 0 {
		t.Errorf("got %d grants in the consumer account (%v), want 0", len(gs), err)
	}
}

func TestAuthorizeRejectsBadRequests(t *testing.T) {
	srv, _ := newAccessAPI(t)
	ctx := context.Background()
	admin := client.New(srv.URL, "central/admin/admin")
	tests := []struct {
		name string
		body any
		code int
		want string
	}{
		{"unknown action", map[string]any{"principal": "222233334444", "action": "READ", "resource": map[string]any{"database": "sales"}}, 400, "READ"},
		{"bad principal", map[string]any{"principal": "x", "action": "SELECT", "resource": map[string]any{"database": "sales"}}, 400, "account id"},
		{"unknown field", map[string]any{"principal": "222233334444", "action": "SELECT", "resource": map[string]any{"db": "sales"}}, 400, "db"},
		{"all tables", map[string]any{"principal": "222233334444", "action": "SELECT", "resource": map[string]any{"database": "sales", "table": "*"}}, 400, "one table"},
		{"both shapes", map[string]any{"principal": "222233334444", "requests": []any{}}, 400, "not both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := admin.Do(ctx, http.MethodPost, "/api/v1/authorize", nil, tt.body, nil)
			apiError(t, err, tt.code, tt.want)
		})
	}
	if err := client.New(srv.URL, "").Do(ctx, http.MethodPost, "/api/v1/authorize", nil, map[string]any{}, nil); err == nil {
		t.Error("without credentials: got allowed, want 401")
	}
}

func TestListGrantsPages(t *testing.T) {
	srv, cat := newAccessAPI(t)
	ctx := context.Background()
	admin := client.New(srv.URL, "central/admin/admin")
	for _, tb := range []string{"a", "b", "c"} {
		cat.AddTable("sales", tb, "id")
		if _, err := admin.Grant(ctx, client.GrantInput{Principal: "111122223333", Resource: client.Resource{Database: "sales", Table: tb}, Permissions: []string{"SELECT"}}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	f := client.GrantsFilter{Database: "sales", Limit: 2}
	for pages := 0; ; pages++ {
		gs, next, err := admin.Grants(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range gs {
			got = append(got, g.Resource.Table)
		}
		if next == "" || pages > 3 {
			break
		}
		f.PageToken = next
	}
	if strings.Join(got, ",") != "a,b,c" {
		t.Errorf("got %v over pages, want a,b,c", got)
	}
	_, _, err := admin.Grants(ctx, client.GrantsFilter{PageToken: "tampered"})
	if e := apiError(t, err, 400, ""); e.Field != "page_token" {
		t.Errorf("got field %q, want page_token", e.Field)
	}
}

// TestGrantNamesFieldOfUnknownPermission: an unknown permission is a 400
// naming the field that holds it, with the names it may take.
func TestGrantNamesFieldOfUnknownPermission(t *testing.T) {
	srv, _ := newAccessAPI(t)
	for _, tt := range []struct{ field, body string }{
		{"permissions", `{"principal":"222233334444","resource":{"database":"sales","table":"orders"},"permissions":["BOGUS"]}`},
		{"grantable", `{"principal":"222233334444","resource":{"database":"sales","table":"orders"},"permissions":["SELECT"],"grantable":["BOGUS"]}`},
	} {
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/grants", strings.NewReader(tt.body))
		req.Header.Set("Authorization", "Bearer 111122223333/padmin/admin")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Error struct{ Code, Message, Field string } `json:"error"`
		}
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 400 || out.Error.Field != tt.field || !strings.Contains(out.Error.Message, "BOGUS") {
			t.Errorf("unknown permission in %s: got %d field %q (%s), want 400 naming %q and BOGUS", tt.field, resp.StatusCode, out.Error.Field, out.Error.Message, tt.field)
		}
	}
}

// TestRevokeAnswerMatchesDocument: POST /api/v1/grants/revoke answers what is
// left of the grant, or "grant": null when the whole grant went; the
// document describes both, where its grant was a Grant that could not be null.
func TestRevokeAnswerMatchesDocument(t *testing.T) {
	srv, _ := newAccessAPI(t)
	ctx := context.Background()
	producer := client.New(srv.URL, "111122223333/padmin/admin")
	in := client.GrantInput{Principal: "222233334444", Resource: client.Resource{Database: "sales", Table: "orders"}, Permissions: []string{"SELECT", "DESCRIBE"}}
	if _, err := producer.Grant(ctx, in); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		permissions []string
		want        string
	}{
		{[]string{"SELECT"}, `"DESCRIBE"`},
		{[]string{"DESCRIBE"}, `"grant":null`},
	} {
		in.Permissions = tt.permissions
		var raw json.RawMessage
		if err := producer.Do(ctx, "POST", "/api/v1/grants/revoke", nil, in, &raw); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(raw), tt.want) {
			t.Errorf("revoke %v: got %s, want it to hold %s", tt.permissions, raw, tt.want)
		}
		checkAnswer(t, "POST", "/api/v1/grants/revoke", http.StatusOK, raw)
	}
}
