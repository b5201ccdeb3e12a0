package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/server"
	"github.com/meshgate/meshgate/internal/server/servertest"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// accessMesh is a real server with a producer (in the central account's
// organization) owning sales.orders, a consumer in another organization, and
// an API token for each account's admin and for the consumer's user alice.
type accessMesh struct {
	url                         string
	admin, producer, consumer   string // tokens
	alice                       string
	adminClient, consumerClient *client.Client
}

func newAccessMesh(t *testing.T, kind string) *accessMesh {
	t.Helper()
	srv, admin := servertest.New(t, servertest.Options{Store: kind, Config: server.Config{Organization: "o-mesh"}})
	ctx := context.Background()
	m := &accessMesh{url: srv.URL, admin: srv.AdminToken, adminClient: admin}
	for _, a := range []client.AccountInput{
		{ID: "111122223333", Name: "Sales", Organization: "o-mesh"},
		{ID: "222233334444", Name: "Analytics", Organization: "o-other"},
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
	m.producer = token("111122223333", "padmin", "admin")
	m.consumer = token("222233334444", "cadmin", "admin")
	m.alice = token("222233334444", "alice", "member")
	m.consumerClient = client.New(srv.URL, m.consumer)
	if _, err := admin.CreateDatabaseGlue(ctx, json.RawMessage(`{"Name": "sales", "Parameters": {"data_owner": "111122223333"}}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateTableGlue(ctx, "sales", json.RawMessage(`{"Name": "orders", "StorageDescriptor": {"Columns": [
		{"Name": "id", "Type": "bigint"}, {"Name": "total", "Type": "double"}, {"Name": "email", "Type": "string", "Parameters": {"pii_flag": "true"}}]}}`)); err != nil {
		t.Fatal(err)
	}
	return m
}

func (m *accessMesh) run(t *testing.T, token string, args ...string) (string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := (&Main{Stdout: &out, Stderr: &errOut}).Run(context.Background(), append([]string{"--endpoint", m.url, "--token", token}, args...))
	return out.String() + errOut.String(), code
}

// TestAccessCommands drives the share flow end to end through the CLI
// against a real server: grant to another organization's account, the
// invitation, acceptance with a named link, a re-grant to a user through the
// link, decisions, a revocation's cascade, and a catalog delete.
func TestAccessCommands(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			m := newAccessMesh(t, kind)
			step := func(token string, wantCode int, want []string, args ...string) string {
				t.Helper()
				out, code := m.run(t, token, args...)
				if code != wantCode {
					t.Fatalf("%s: got exit %d, want %d:\n%s", strings.Join(args, " "), code, wantCode, out)
				}
				for _, w := range want {
					if !strings.Contains(out, w) {
						t.Errorf("%s: got\n%s\nwant it to contain %q", strings.Join(args, " "), out, w)
					}
				}
				return out
			}
			step(m.producer, 0, []string{"222233334444", "sales.orders", "DESCRIBE,SELECT", "pending"},
				"grant", "--principal", "222233334444", "--database", "sales", "--table", "orders", "--permissions", "SELECT,DESCRIBE", "--grantable", "SELECT")
			step(m.producer, 1, []string{"400", "zip"},
				"grant", "--principal", "222233334444", "--database", "sales", "--table", "orders", "--columns", "zip", "--permissions", "SELECT")
			step(m.admin, 1, []string{"DENIED"},
				"authorize", "--principal", "222233334444", "--action", "SELECT", "--database", "sales", "--table", "orders")

			invs, err := m.consumerClient.Invitations(context.Background(), "", "pending")
			if err != nil || len(invs) != 1 {
				t.Fatalf("got %d invitations (%v), want 1", len(invs), err)
			}
			id := strconv.FormatInt(invs[0].ID, 10)
			step(m.consumer, 0, []string{id, "pending"}, "invitation", "list")
			step(m.alice, 1, []string{"403"}, "invitation", "accept", "--id", id)
			step(m.consumer, 0, []string{"accepted", "shop", "sales.orders"}, "invitation", "accept", "--id", id, "--link-name", "shop")
			step(m.consumer, 1, []string{"409", "accepted"}, "invitation", "reject", "--id", id)
			step(m.consumer, 0, []string{"shop", "sales.orders"}, "link", "list")
			step(m.consumer, 0, []string{"sales.orders", "id,total,email"}, "link", "tables", "--account", "222233334444", "--name", "shop")
			step(m.consumer, 0, []string{"sales.orders", "id,total,email"}, "link", "tables", "--name", "shop") // --account defaults to the caller's

			step(m.consumer, 0, []string{"222233334444/alice", "sales.orders(id,total)", "222233334444"},
				"grant", "--principal", "222233334444/alice", "--database", "shop", "--columns", "id,total", "--permissions", "SELECT")
			step(m.consumer, 1, []string{"403", "INSERT WITH GRANT OPTION on table sales.orders"},
				"grant", "--principal", "222233334444/alice", "--database", "shop", "--permissions", "INSERT")
			step(m.alice, 0, []string{"ALLOWED"}, "authorize", "--action", "SELECT", "--database", "sales", "--table", "orders", "--columns", "total")
			step(m.alice, 1, []string{"DENIED"}, "authorize", "--action", "SELECT", "--database", "sales", "--table", "orders", "--columns", "email")
			step(m.admin, 0, []string{"222233334444/alice", "sales.orders(id,total)"}, "grants", "list", "--account", "222233334444")

			// Offboarding the consumer names its grants and needs force.
			step(m.admin, 1, []string{"still has", "dependents", "grant/2: 222233334444/alice"}, "account", "offboard", "--id", "222233334444")

			// Revoking the share takes alice's grant with it.
			step(m.producer, 0, []string{"nothing is left"},
				"revoke", "--principal", "222233334444", "--database", "sales", "--table", "orders", "--permissions", "ALL")
			step(m.alice, 1, []string{"DENIED"}, "authorize", "--action", "SELECT", "--database", "sales", "--table", "orders", "--columns", "total")
			out := step(m.admin, 0, nil, "grants", "list", "--account", "222233334444", "-o", "json")
			if strings.TrimSpace(out) != "[]" {
				t.Errorf("got %s, want no grants left in the consumer account", out)
			}

			// Deleting a table revokes what referred to it.
			step(m.producer, 0, nil, "grant", "--principal", "111122223333/padmin", "--database", "sales", "--table", "orders", "--permissions", "SELECT")
			if err := m.adminClient.DeleteTable(context.Background(), "sales", "orders"); err != nil {
				t.Fatal(err)
			}
			step(m.admin, 1, []string{"DENIED"}, "authorize", "--principal", "111122223333/padmin", "--action", "SELECT", "--database", "sales", "--table", "orders")
		})
	}
}
