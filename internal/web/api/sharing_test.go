package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/server/servertest"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// sharingUser creates a user with roles in account and returns a client
// holding an API token of theirs.
func sharingUser(t *testing.T, srv *servertest.Server, admin *client.Client, account, name string, roles ...string) *client.Client {
	t.Helper()
	ctx := context.Background()
	u, err := admin.CreateUser(ctx, account, client.UserInput{Username: name, Roles: roles})
	if err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	tok, err := admin.IssueToken(ctx, u.User.ID, "test", 0)
	if err != nil {
		t.Fatalf("token for %s: %v", name, err)
	}
	return client.New(srv.URL, tok.Secret)
}

// sharingServer starts a server on a store of kind with Sales
// (111122223333, owning the PII database sales and its table orders),
// Analytics (222233334444) and more onboarded, and returns it with a mesh
// admin's client.
func sharingServer(t *testing.T, kind string, more ...client.AccountInput) (*servertest.Server, *client.Client) {
	t.Helper()
	srv, admin := servertest.New(t, servertest.Options{Store: kind})
	ctx := context.Background()
	for _, a := range append([]client.AccountInput{{ID: "111122223333", Name: "Sales"}, {ID: "222233334444", Name: "Analytics"}}, more...) {
		if _, err := admin.OnboardAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := admin.CreateDatabase(ctx, &client.Database{Name: "sales", Parameters: map[string]string{"data_owner": "111122223333", "pii_flag": "true"}}); err != nil {
		t.Fatal(err)
	}
	if err := admin.CreateTables(ctx, "sales", []client.Table{{Name: "orders", Columns: []client.Column{{Name: "id", Type: "int"}}}}); err != nil {
		t.Fatal(err)
	}
	return srv, admin
}

// TestSharingAPI walks the request and approval routes over real HTTP.
func TestSharingAPI(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			srv, admin := sharingServer(t, kind)
			ctx := context.Background()
			ann := sharingUser(t, srv, admin, "222233334444", "ann", mesh.RoleMember)
			sam := sharingUser(t, srv, admin, "111122223333", "sam", mesh.RoleApprover)
			tom := sharingUser(t, srv, admin, "111122223333", "tom", mesh.RoleApprover)

			_, _, err := ann.CreateRequest(ctx, client.RequestInput{Database: "sales", Table: "orders"})
			if ce := sharingError(t, err, 400, ""); ce.Field != "justification" {
				t.Errorf("no justification: got field %q, want justification", ce.Field)
			}
			_, _, err = ann.CreateRequest(ctx, client.RequestInput{Database: "sales", Table: "nope", Justification: "x"})
			sharingError(t, err, 404, "nope")
			_, _, err = ann.CreateRequest(ctx, client.RequestInput{Database: "sales", TargetAccount: "111122223333", Justification: "x"})
			sharingError(t, err, 403, "")

			r, created, err := ann.CreateRequest(ctx, client.RequestInput{Database: "sales", Table: "orders", Justification: "the report", Duration: "720h"})
			if err != nil || !created || r.Status != mesh.RequestPendingApproval {
				t.Fatalf("create: got %+v, %v, %v; want a new PENDING_APPROVAL request", r, created, err)
			}
			again, created, err := ann.CreateRequest(ctx, client.RequestInput{Database: "sales", Table: "orders", Justification: "again"})
			if err != nil || created || again.ID != r.ID {
				t.Errorf("again: got %+v, created %v, %v; want request %d back", again, created, err, r.ID)
			}
			list, err := sam.Approvals(ctx, client.ApprovalsFilter{})
			if err != nil || len(list) != 1 || list[0].Request == nil || list[0].Request.ID != r.ID {
				t.Fatalf("approvals: got %+v, %v; want request %d", list, err, r.ID)
			}
			if len(list[0].Plans) != 0 {
				t.Errorf("approval plans with no platform registered: got %+v, want none", list[0].Plans)
			}
			_, err = ann.Decide(ctx, r.ID, true, "", "")
			sharingError(t, err, 403, "")
			got, err := sam.Decide(ctx, r.ID, true, "ok for the report", "cli")
			if err != nil || got.Status != mesh.RequestShared || got.Decision == nil || got.Decision.Channel != "cli" {
				t.Fatalf("approve: got %+v, %v; want SHARED decided through cli", got, err)
			}
			_, err = tom.Decide(ctx, r.ID, false, "no", "")
			if ce := sharingError(t, err, 409, ""); !strings.Contains(ce.Message, "sam") {
				t.Errorf("second decision: got %q, want the recorded decision by sam", ce.Message)
			}
			v, err := ann.Request(ctx, r.ID)
			if err != nil || v.ID != r.ID || v.Status != mesh.RequestShared || len(v.Timeline) == 0 || v.ExpiresAt.IsZero() {
				t.Fatalf("get: got %+v, %v; want the shared request with a timeline and an expiry", v, err)
			}
			for _, ev := range v.Timeline {
				if strings.Contains(string(ev.Details), `"token"`) {
					t.Errorf("the requester's timeline shows a task token in %s: %s", ev.Type, ev.Details)
				}
			}
			_, err = ann.CancelRequest(ctx, r.ID)
			if ce := sharingError(t, err, 409, ""); !strings.Contains(ce.Message, "SHARED") {
				t.Errorf("cancel a shared request: got %q, want the status named", ce.Message)
			}
			mine, err := ann.Requests(ctx, client.RequestsFilter{Mine: true, Status: mesh.RequestShared})
			if err != nil || len(mine) != 1 {
				t.Errorf("list mine: got %d, %v; want 1", len(mine), err)
			}
			// the default state machine can be read and rolled back; an invalid edit is refused
			sm, err := admin.StateMachine(ctx, "data-sharing", 0)
			if err != nil || sm.Version != 1 {
				t.Fatalf("state machine: got %+v, %v", sm, err)
			}
			_, err = admin.UpdateStateMachine(ctx, "data-sharing", "", json.RawMessage(`{"StartAt":"X","States":{}}`))
			sharingError(t, err, 400, "")
			if _, err := admin.UpdateStateMachine(ctx, "data-sharing", "", sm.Definition); err != nil {
				t.Fatal(err)
			}
			rb, err := admin.RollbackStateMachine(ctx, "data-sharing", 1)
			if err != nil || rb.Version != 3 {
				t.Errorf("rollback: got %+v, %v; want version 3", rb, err)
			}
		})
	}
}

// TestApprovalsFollowTheProduct: once a database is given to another
// account, the former owner's approvers no longer list its requests'
// approvals, even those they decided (GET /api/v1/approvals?status=all, as
// `meshgate approval list --status all` and the Approvals page ask), just
// as GET of the request answers them 403: the request, and the decision
// recorded on it, now belong to the new owner's product, whose approvers
// read it there. Mesh admins still list every approval.
func TestApprovalsFollowTheProduct(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			srv, admin := sharingServer(t, kind, client.AccountInput{ID: "333344445555", Name: "Retail"})
			ctx := context.Background()
			ann := sharingUser(t, srv, admin, "222233334444", "ann", mesh.RoleMember)
			sam := sharingUser(t, srv, admin, "111122223333", "sam", mesh.RoleApprover)
			rita := sharingUser(t, srv, admin, "333344445555", "rita", mesh.RoleApprover)
			r, _, err := ann.CreateRequest(ctx, client.RequestInput{Database: "sales", Table: "orders", Justification: "the report"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sam.Decide(ctx, r.ID, true, "ok for the report", ""); err != nil {
				t.Fatal(err)
			}
			listed := func(c *client.Client) bool {
				t.Helper()
				list, err := c.Approvals(ctx, client.ApprovalsFilter{Status: "all"})
				if err != nil {
					t.Fatalf("approvals: %v", err)
				}
				return slices.ContainsFunc(list, func(a *client.Approval) bool { return a.RequestID == r.ID })
			}
			if !listed(sam) {
				t.Fatal("sam's approval before the change of owner: not listed, want listed")
			}
			if _, err := admin.UpdateDatabaseGlue(ctx, "sales", json.RawMessage(`{"Name": "sales", "Parameters": {"data_owner": "333344445555", "pii_flag": "true"}}`), 1); err != nil {
				t.Fatal(err)
			}
			_, err = sam.Request(ctx, r.ID)
			sharingError(t, err, 403, "")
			if listed(sam) {
				t.Errorf("the former owner's approver lists the approval of request %d, which GET answers 403; want it not listed", r.ID)
			}
			if !listed(admin) {
				t.Errorf("a mesh admin: approval of request %d not listed, want listed", r.ID)
			}
			v, err := rita.Request(ctx, r.ID)
			if err != nil || v.Approval == nil || v.Approval.Decision == nil || v.Approval.Decision.By != "111122223333/sam" {
				t.Errorf("the new owner's approver reads the request: got %+v, %v; want it with sam's decision", v, err)
			}
		})
	}
}

func sharingError(t *testing.T, err error, status int, mention string) *client.Error {
	t.Helper()
	var e *client.Error
	if !errors.As(err, &e) || e.Status != status {
		t.Fatalf("got %v, want an API error %d", err, status)
	}
	if !strings.Contains(e.Message, mention) {
		t.Errorf("got %q, want it to name %q", e.Message, mention)
	}
	return e
}

// TestSharingTimelineHidesHTTPTaskSecrets: when the data-sharing state
// machine calls an HTTP endpoint whose URL path and query and whose
// Authorization header hold secrets, the request's timeline as its
// requester and its approver read it (GET /api/v1/requests/N) names the
// URL by scheme, host and digest and the header by its name only.
func TestSharingTimelineHidesHTTPTaskSecrets(t *testing.T) {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer hook.Close()
	url := hook.URL + "/hooks/PATHSECRET?token=QUERYSECRET"
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			srv, admin := sharingServer(t, kind)
			ctx := context.Background()
			ann := sharingUser(t, srv, admin, "222233334444", "ann", mesh.RoleMember)
			sam := sharingUser(t, srv, admin, "111122223333", "sam", mesh.RoleApprover)
			sm, err := admin.StateMachine(ctx, "data-sharing", 0)
			if err != nil {
				t.Fatal(err)
			}
			var def map[string]any
			if err := json.Unmarshal(sm.Definition, &def); err != nil {
				t.Fatal(err)
			}
			def["States"].(map[string]any)["Announce"] = map[string]any{
				"Type": "Task", "Resource": "meshgate:http:invoke", "ResultPath": nil, "Next": def["StartAt"],
				"Parameters": map[string]any{"Method": "POST", "Url": url,
					"Headers": map[string]any{"Authorization": "Bearer HEADERSECRET"}, "Body": map[string]any{"text": "a request"}},
			}
			def["StartAt"] = "Announce"
			b, err := json.Marshal(def)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := admin.UpdateStateMachine(ctx, "data-sharing", "", b); err != nil {
				t.Fatal(err)
			}
			r, _, err := ann.CreateRequest(ctx, client.RequestInput{Database: "sales", Table: "orders", Justification: "the report"})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				who    string
				client *client.Client
			}{{"requester", ann}, {"approver", sam}} {
				v, err := c.client.Request(ctx, r.ID)
				if err != nil {
					t.Fatalf("%s: %v", c.who, err)
				}
				scheduled := false
				for _, ev := range v.Timeline {
					if strings.Contains(string(ev.Details), "SECRET") {
						t.Errorf("%s's timeline, %s event: got %s, want no secret of the URL or headers", c.who, ev.Type, ev.Details)
					}
					if ev.Type == "TaskScheduled" && strings.Contains(string(ev.Details), "meshgate:http:invoke") {
						scheduled = true
						if want := mesh.RedactURL(url); !strings.Contains(string(ev.Details), want) {
							t.Errorf("%s's timeline, TaskScheduled: got %s, want the URL named %s", c.who, ev.Details, want)
						}
					}
				}
				if !scheduled {
					t.Errorf("%s's timeline: got no TaskScheduled event of the HTTP task, want one", c.who)
				}
			}
		})
	}
}
