package api_test

import (
	"context"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/server/servertest"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// Accounts of meshTest: two producers in the central account's organization
// and a consumer in another one.
const (
	meshSales     = "111122223333"
	meshConsumer  = "222233334444"
	meshMarketing = "333344445555"
)

// meshTest is a real server with three accounts, an admin token for each,
// and a member "alice" of the consumer account.
type meshTest struct {
	srv                        *servertest.Server
	admin                      *client.Client
	sales, consumer, marketing *client.Client // their admins
	alice                      *client.Client
	salesToken, consumerToken  string
	marketingToken, aliceToken string
}

func newMeshTest(t testing.TB, opts servertest.Options) *meshTest {
	t.Helper()
	opts.Config.Organization = "o-mesh"
	srv, admin := servertest.New(t, opts)
	ctx := context.Background()
	for _, a := range []client.AccountInput{
		{ID: meshSales, Name: "Sales", Organization: "o-mesh"},
		{ID: meshConsumer, Name: "Analytics", Organization: "o-other"},
		{ID: meshMarketing, Name: "Marketing", Organization: "o-mesh"},
	} {
		if _, err := admin.OnboardAccount(ctx, a); err != nil {
			t.Fatalf("onboard %s: %v", a.ID, err)
		}
	}
	token := func(account, user, role string) string {
		t.Helper()
		u, err := admin.CreateUser(ctx, account, client.UserInput{Username: user, Roles: []string{role}})
		if err != nil {
			t.Fatalf("create user %s: %v", user, err)
		}
		tok, err := admin.IssueToken(ctx, u.User.ID, "test", 0)
		if err != nil {
			t.Fatalf("issue token for %s: %v", user, err)
		}
		return tok.Secret
	}
	m := &meshTest{srv: srv, admin: admin}
	m.salesToken = token(meshSales, "sales-admin", "admin")
	m.consumerToken = token(meshConsumer, "consumer-admin", "admin")
	m.marketingToken = token(meshMarketing, "marketing-admin", "admin")
	m.aliceToken = token(meshConsumer, "alice", "member")
	m.sales = client.New(srv.URL, m.salesToken)
	m.consumer = client.New(srv.URL, m.consumerToken)
	m.marketing = client.New(srv.URL, m.marketingToken)
	m.alice = client.New(srv.URL, m.aliceToken)
	return m
}

// createDatabase creates a database owned by owner and returns its version.
func (m *meshTest) createDatabase(t testing.TB, c *client.Client, name, owner string) int64 {
	t.Helper()
	d, err := c.CreateDatabase(context.Background(), &client.Database{Name: name, Parameters: map[string]string{"data_owner": owner}})
	if err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	return d.Version
}

// setOwner changes a database's data_owner with PATCH, as a mesh admin.
func (m *meshTest) setOwner(t testing.TB, name, owner string, version int64) int64 {
	t.Helper()
	var d client.Database
	err := m.admin.Do(context.Background(), "PATCH", "/api/v1/catalog/databases/"+name, nil,
		map[string]any{"parameters": map[string]string{"data_owner": owner}, "version": version}, &d)
	if err != nil {
		t.Fatalf("change the owner of %s: %v", name, err)
	}
	return d.Version
}

// decide asks, as a mesh admin, whether principal may do action on r.
func (m *meshTest) decide(t *testing.T, principal, action string, r client.Resource) *client.Decision {
	t.Helper()
	d, err := m.admin.Authorize(context.Background(), client.AuthorizeRequest{Principal: principal, Action: action, Resource: r})
	if err != nil {
		t.Fatalf("authorize %s %s on %+v: %v", principal, action, r, err)
	}
	return d
}

// TestDecisionsFollowAcknowledgedChanges: every change a call acknowledges
// is in force in the same server's very next decision, without waiting for
// a refresh: a database's creation, a change of its data_owner, a share
// within the organization and with another one, its acceptance, a grant, a
// revocation, an offboarding, and the database's deletion.
func TestDecisionsFollowAcknowledgedChanges(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			m := newMeshTest(t, servertest.Options{Store: kind})
			ctx := context.Background()
			db := client.Resource{Database: "fresh"}
			step := func(what, principal string, want bool) {
				t.Helper()
				if d := m.decide(t, principal, "DESCRIBE", db); d.Allowed != want {
					t.Errorf("%s: %s DESCRIBE on fresh: got allowed %v (%s), want %v", what, principal, d.Allowed, d.Reason, want)
				}
			}

			v := m.createDatabase(t, m.sales, "fresh", meshSales)
			step("just created", meshSales, true)

			// As after a restart: the index read the owner from the store.
			if err := m.srv.Access.Load(ctx); err != nil {
				t.Fatal(err)
			}
			v = m.setOwner(t, "fresh", meshMarketing, v)
			step("owner changed", meshSales, false)
			step("owner changed", meshMarketing, true)
			m.setOwner(t, "fresh", meshSales, v)
			step("owner changed back", meshSales, true)
			step("owner changed back", meshMarketing, false)

			// A share within the organization is active at once.
			sibling := client.GrantInput{Principal: meshMarketing, Resource: db, Permissions: []string{"DESCRIBE"}}
			if _, err := m.sales.Grant(ctx, sibling); err != nil {
				t.Fatal(err)
			}
			step("shared within the organization", meshMarketing, true)
			if _, err := m.sales.Revoke(ctx, sibling); err != nil {
				t.Fatal(err)
			}
			step("unshared", meshMarketing, false)

			// A share with another organization waits for its acceptance.
			grant := client.GrantInput{Principal: meshConsumer, Resource: db, Permissions: []string{"DESCRIBE"}, Grantable: []string{"DESCRIBE"}}
			if _, err := m.sales.Grant(ctx, grant); err != nil {
				t.Fatal(err)
			}
			step("shared, not accepted", meshConsumer, false)
			invs, err := m.consumer.Invitations(ctx, "", "pending")
			if err != nil || len(invs) != 1 {
				t.Fatalf("got %d invitations (%v), want 1", len(invs), err)
			}
			if _, err := m.consumer.AcceptInvitation(ctx, invs[0].ID, ""); err != nil {
				t.Fatal(err)
			}
			step("accepted", meshConsumer, true)

			alice := meshConsumer + "/alice"
			aliceGrant := client.GrantInput{Principal: alice, Resource: db, Permissions: []string{"DESCRIBE"}}
			if _, err := m.consumer.Grant(ctx, aliceGrant); err != nil {
				t.Fatal(err)
			}
			step("granted", alice, true)
			if _, err := m.consumer.Revoke(ctx, aliceGrant); err != nil {
				t.Fatal(err)
			}
			step("revoked", alice, false)

			if _, err := m.admin.OffboardAccount(ctx, meshConsumer, client.OffboardOptions{Force: true}); err != nil {
				t.Fatal(err)
			}
			step("offboarded", meshConsumer, false)

			if err := m.sales.DeleteDatabase(ctx, "fresh", true); err != nil {
				t.Fatal(err)
			}
			step("deleted", meshSales, false)
			step("deleted", meshConsumer, false)
			// A database of the same name made by another owner is theirs alone.
			m.createDatabase(t, m.marketing, "fresh", meshMarketing)
			step("made again", meshMarketing, true)
			step("made again", meshSales, false)
		})
	}
}
