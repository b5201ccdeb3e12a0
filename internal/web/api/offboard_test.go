package api_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/server"
	"github.com/meshgate/meshgate/internal/server/servertest"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

const (
	salesID     = "111122223333"
	marketingID = "222233334444" // another organization: shares wait for an invitation
	financeID   = "333344445555"
)

// ownershipMesh is a real server with three accounts, each with an admin
// (a real user and token), and Sales' data product: database sales at
// s3://sales-data/ with table orders.
type ownershipMesh struct {
	srv                        *servertest.Server
	admin, sales, mkt, finance *client.Client
	salesMember                *client.Client
}

func newOwnershipMesh(t *testing.T, kind string) *ownershipMesh {
	t.Helper()
	ctx := context.Background()
	srv, admin := servertest.New(t, servertest.Options{Store: kind, Config: server.Config{Organization: "o-example"}})
	m := &ownershipMesh{srv: srv, admin: admin}
	for _, a := range []client.AccountInput{
		{ID: salesID, Name: "Sales", Organization: "o-example"},
		{ID: marketingID, Name: "Marketing", Organization: "o-other"},
		{ID: financeID, Name: "Finance", Organization: "o-example"},
	} {
		if _, err := admin.OnboardAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	as := func(account, username string, roles ...string) *client.Client {
		t.Helper()
		u, err := admin.CreateUser(ctx, account, client.UserInput{Username: username, Roles: roles})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := admin.IssueToken(ctx, u.User.ID, "test", 0)
		if err != nil {
			t.Fatal(err)
		}
		return srv.Client().WithToken(tok.Secret)
	}
	m.sales, m.salesMember = as(salesID, "sales-admin", mesh.RoleAdmin), as(salesID, "sales-analyst", mesh.RoleMember)
	m.mkt, m.finance = as(marketingID, "mkt-admin", mesh.RoleAdmin), as(financeID, "fin-admin", mesh.RoleAdmin)
	if _, err := m.sales.CreateDatabaseGlue(ctx, []byte(`{"Name": "sales", "LocationUri": "s3://sales-data/", "Parameters": {"data_owner": "`+salesID+`", "data_owner_name": "Sales"}}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := m.sales.CreateTableGlue(ctx, "sales", []byte(`{"Name": "orders", "StorageDescriptor": {"Location": "s3://sales-data/orders/", "Columns": [{"Name": "id", "Type": "bigint"}]}}`)); err != nil {
		t.Fatal(err)
	}
	return m
}

// shareOrders shares sales.orders with Marketing (pending its invitation)
// and returns the invitation.
func (m *ownershipMesh) shareOrders(t *testing.T) client.Invitation {
	t.Helper()
	ctx := context.Background()
	_, err := m.sales.Grant(ctx, client.GrantInput{Principal: marketingID, Resource: client.Resource{Database: "sales", Table: "orders"}, Permissions: []string{"SELECT"}})
	if err != nil {
		t.Fatal(err)
	}
	invs, err := m.mkt.Invitations(ctx, "", "pending")
	if err != nil || len(invs) != 1 {
		t.Fatalf("got %d invitations (%v), want 1", len(invs), err)
	}
	return invs[0]
}

func (m *ownershipMesh) allowed(t *testing.T, p string, action string, r client.Resource) *client.Decision {
	t.Helper()
	d, err := m.admin.Authorize(context.Background(), client.AuthorizeRequest{Principal: p, Action: action, Resource: r})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// wantHTTPError checks that err is an API error with status.
func wantHTTPError(t *testing.T, what string, err error, status int) *client.Error {
	t.Helper()
	var e *client.Error
	if !errors.As(err, &e) || e.Status != status {
		t.Fatalf("%s: got %v, want status %d", what, err, status)
	}
	return e
}

// dependents returns the dependents a refused offboarding lists, checking
// that each is one "kind/id: description" line, listed once.
func dependents(t *testing.T, err error) []string {
	t.Helper()
	e := wantHTTPError(t, "offboarding without force", err, http.StatusConflict)
	d, _ := e.Details.(map[string]any)
	raw, _ := d["dependents"].([]any)
	var out []string
	seen := map[string]bool{}
	for _, r := range raw {
		line, _ := r.(string)
		key, desc, ok := strings.Cut(line, ": ")
		kind, id, _ := strings.Cut(key, "/")
		if !ok || desc == "" || kind == "" || id == "" || strings.ContainsAny(key, " ") {
			t.Errorf("got dependent %q, want kind/id: description", line)
		}
		if seen[key] {
			t.Errorf("got %s twice in %v", key, raw)
		}
		seen[key] = true
		out = append(out, key)
	}
	return out
}

func kinds(keys []string) []string {
	var out []string
	for _, k := range keys {
		kind, _, _ := strings.Cut(k, "/")
		out = append(out, kind)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestOffboardProducer: a producer with a product, a pending outgoing share
// and a grant to its own user is refused without force, listing all of it;
// with force, the product is deleted and the consumer can no longer accept
// the invitation; the id is remembered, and onboarding it again inherits
// nothing.
func TestOffboardProducer(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			m := newOwnershipMesh(t, kind)
			inv := m.shareOrders(t)
			if _, err := m.sales.Grant(ctx, client.GrantInput{Principal: salesID + "/sales-analyst", Resource: client.Resource{Database: "sales", Table: "orders"}, Permissions: []string{"SELECT"}}); err != nil {
				t.Fatal(err)
			}

			_, err := m.admin.OffboardAccount(ctx, salesID, client.OffboardOptions{})
			deps := dependents(t, err)
			if got, want := kinds(deps), []string{"database", "grant", "invitation", "share"}; !slices.Equal(got, want) {
				t.Errorf("got dependents %v, want kinds %v", deps, want)
			}
			if !slices.Contains(deps, "database/sales") || len(deps) != 5 {
				t.Errorf("got %v, want database/sales, two grants, the share and its invitation", deps)
			}
			if _, err := m.admin.GetDatabase(ctx, "sales"); err != nil {
				t.Fatalf("after the refusal: %v, want the product kept", err)
			}

			off, err := m.admin.OffboardAccount(ctx, salesID, client.OffboardOptions{Force: true})
			if err != nil {
				t.Fatalf("forced: %v", err)
			}
			// The 5 dependents end, and the account's notification topic goes
			// (a clean-up, not a dependent: it does not hold an offboarding up).
			if len(off.Affected) != 6 || !slices.ContainsFunc(off.Affected, func(s string) bool { return strings.HasPrefix(s, "topic/") }) || off.UsersRemoved != 2 {
				t.Errorf("got %+v, want the 5 dependents ended, the topic removed and 2 users removed", off)
			}
			_, err = m.mkt.AcceptInvitation(ctx, inv.ID, "")
			wantHTTPError(t, "accepting after the offboarding", err, http.StatusConflict)
			_, err = m.admin.GetDatabase(ctx, "sales")
			wantHTTPError(t, "the deleted product", err, http.StatusNotFound)
			if d := m.allowed(t, marketingID, "SELECT", client.Resource{Database: "sales", Table: "orders"}); d.Allowed {
				t.Errorf("consumer after the offboarding: got %+v, want denied", d)
			}
			gs, _, err := m.admin.Grants(ctx, client.GrantsFilter{Database: "sales"})
			if err != nil || len(gs) != 0 {
				t.Errorf("got grants %+v (%v), want none left", gs, err)
			}
			invs, err := m.admin.Invitations(ctx, marketingID, "pending")
			if err != nil || len(invs) != 0 {
				t.Errorf("got pending invitations %+v (%v), want none", invs, err)
			}
			audit, err := m.admin.ListAudit(ctx, client.AuditFilter{Action: "access.withdraw-invitation"}, client.ListOptions{})
			if err != nil || len(audit.Entries) != 1 {
				t.Errorf("got %+v (%v), want the invitation's withdrawal audited", audit, err)
			}

			// The id is remembered: no product may name it as its owner, and
			// onboarding it again is explicit and inherits nothing.
			_, err = m.admin.CreateDatabaseGlue(ctx, []byte(`{"Name": "sales", "Parameters": {"data_owner": "`+salesID+`"}}`))
			if e := wantHTTPError(t, "a product of the offboarded id", err, http.StatusBadRequest); !strings.Contains(e.Message, "offboarded") {
				t.Errorf("got %q, want it to say the account was offboarded", e.Message)
			}
			_, err = m.admin.OnboardAccount(ctx, client.AccountInput{ID: salesID, Name: "New Sales"})
			if e := wantHTTPError(t, "onboarding the offboarded id", err, http.StatusConflict); !strings.Contains(e.Message, "reonboard") {
				t.Errorf("got %q, want it to name reonboard", e.Message)
			}
			if _, err := m.admin.OnboardAccount(ctx, client.AccountInput{ID: salesID, Name: "New Sales", Reonboard: true}); err != nil {
				t.Fatalf("reonboard: %v", err)
			}
			if d := m.allowed(t, salesID, "ALTER", client.Resource{Database: "sales"}); d.Allowed || strings.Contains(d.Reason, "owner") {
				t.Errorf("the new account: got %+v, want no ownership of the old one's product", d)
			}
			links, err := m.admin.Links(ctx, salesID)
			if err != nil || len(links) != 0 {
				t.Errorf("got links %+v (%v), want none", links, err)
			}
			gs, _, err = m.admin.Grants(ctx, client.GrantsFilter{Account: salesID})
			if err != nil || len(gs) != 0 {
				t.Errorf("got grants %+v (%v), want none inherited", gs, err)
			}
		})
	}
}

// TestOffboardTransfer: with transfer_to, the products go to another
// account, which owns them at once; what the old owner shared ends.
func TestOffboardTransfer(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			m := newOwnershipMesh(t, kind)
			inv := m.shareOrders(t)
			if _, err := m.mkt.AcceptInvitation(ctx, inv.ID, "shop"); err != nil {
				t.Fatal(err)
			}
			if d := m.allowed(t, marketingID, "SELECT", client.Resource{Database: "sales", Table: "orders"}); !d.Allowed {
				t.Fatalf("before: got %+v, want the consumer allowed", d)
			}
			for _, c := range []struct {
				name, to string
				status   int
			}{
				{"to itself", salesID, http.StatusBadRequest},
				{"to nobody", "999988887777", http.StatusBadRequest},
				{"to a bad id", "NO!", http.StatusBadRequest},
			} {
				_, err := m.admin.OffboardAccount(ctx, salesID, client.OffboardOptions{Force: true, TransferTo: c.to})
				if e := wantHTTPError(t, c.name, err, c.status); e.Field != "transfer_to" {
					t.Errorf("%s: got field %q, want transfer_to", c.name, e.Field)
				}
			}
			off, err := m.admin.OffboardAccount(ctx, salesID, client.OffboardOptions{Force: true, TransferTo: financeID})
			if err != nil {
				t.Fatalf("forced transfer: %v", err)
			}
			if off.TransferredTo != financeID || !slices.ContainsFunc(off.Affected, func(s string) bool {
				return strings.HasPrefix(s, "database/sales: ") && strings.HasSuffix(s, "handed to account "+financeID)
			}) {
				t.Errorf("got %+v, want database/sales handed to %s", off, financeID)
			}
			db, err := m.admin.GetDatabase(ctx, "sales")
			if err != nil || db.Parameters["data_owner"] != financeID || db.Parameters["data_owner_name"] != "Finance" {
				t.Fatalf("got %+v (%v), want sales owned by Finance", db, err)
			}
			if d := m.allowed(t, financeID, "ALTER", client.Resource{Database: "sales"}); !d.Allowed {
				t.Errorf("the new owner: got %+v, want allowed at once", d)
			}
			if d := m.allowed(t, marketingID, "SELECT", client.Resource{Database: "sales", Table: "orders"}); d.Allowed {
				t.Errorf("the old owner's consumer: got %+v, want denied", d)
			}
			if links, err := m.mkt.Links(ctx, ""); err != nil || len(links) != 0 {
				t.Errorf("got links %+v (%v), want the consumer's link gone", links, err)
			}
			if _, err := m.finance.UpdateDatabaseGlue(ctx, "sales", []byte(`{"Name": "sales", "Description": "now Finance's", "LocationUri": "s3://sales-data/", "Parameters": {"data_owner": "`+financeID+`"}}`), db.Version); err != nil {
				t.Errorf("the new owner's admin edits: %v", err)
			}
			audit, err := m.admin.ListAudit(ctx, client.AuditFilter{Action: "catalog.transfer-database", Resource: "database/sales"}, client.ListOptions{})
			if err != nil || len(audit.Entries) != 1 {
				t.Errorf("got %+v (%v), want the transfer audited", audit, err)
			}
		})
	}
}

// TestOffboardConsumer: a consumer holding an accepted share and its link
// is refused without force; with force, the share ends and the producer's
// product stays.
func TestOffboardConsumer(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			m := newOwnershipMesh(t, kind)
			inv := m.shareOrders(t)
			if _, err := m.mkt.AcceptInvitation(ctx, inv.ID, "shop"); err != nil {
				t.Fatal(err)
			}
			_, err := m.admin.OffboardAccount(ctx, marketingID, client.OffboardOptions{})
			deps := dependents(t, err)
			if got, want := kinds(deps), []string{"grant", "link", "share"}; !slices.Equal(got, want) || len(deps) != 3 {
				t.Errorf("got dependents %v, want one grant, share and link", deps)
			}
			if _, err := m.admin.OffboardAccount(ctx, marketingID, client.OffboardOptions{Force: true}); err != nil {
				t.Fatalf("forced: %v", err)
			}
			if _, err := m.admin.GetDatabase(ctx, "sales"); err != nil {
				t.Errorf("the producer's product: %v, want kept", err)
			}
			gs, _, err := m.admin.Grants(ctx, client.GrantsFilter{Database: "sales"})
			if err != nil || len(gs) != 0 {
				t.Errorf("got grants %+v (%v), want the share's grant gone", gs, err)
			}
			// The account is gone, and its link with it.
			_, err = m.admin.Links(ctx, marketingID)
			wantHTTPError(t, "the offboarded account's links", err, http.StatusNotFound)
			links, err := m.admin.Links(ctx, "")
			if err != nil || slices.ContainsFunc(links, func(l client.ResourceLink) bool { return l.AccountID == marketingID }) {
				t.Errorf("got links %+v (%v), want none of the offboarded account's", links, err)
			}
		})
	}
}
