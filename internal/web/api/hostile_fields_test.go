package api_test

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/server/servertest"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// validBodies are bodies the server accepts, one per write worth reaching
// past its first checks, for the fixture of sweepHostile.
var validBodies = []struct{ method, tmpl, path, body string }{
	{"POST", "/api/v1/accounts", "/api/v1/accounts", `{"id":"222233334444","name":"Analytics","organization":"o-x","email":"a@example.com"}`},
	{"POST", "/api/v1/accounts/{id}/users", "/api/v1/accounts/111122223333/users", `{"username":"bob","email":"b@example.com","roles":["member"]}`},
	{"PATCH", "/api/v1/accounts/{id}", "/api/v1/accounts/111122223333", `{"name":"Sales","email":"s@example.com"}`},
	{"POST", "/api/v1/catalog/databases", "/api/v1/catalog/databases", `{"name":"db2","description":"d","parameters":{"data_owner":"111122223333"}}`},
	{"POST", "/api/v1/catalog/databases/{name}/tables", "/api/v1/catalog/databases/sales/tables", `{"name":"t2","description":"d","columns":[{"name":"id","type":"int","comment":"c"}],"parameters":{"k":"v"}}`},
	{"POST", "/api/v1/grants", "/api/v1/grants", `{"principal":"111122223333","resource":{"database":"sales","table":"orders","columns":["id"]},"permissions":["SELECT"]}`},
	{"POST", "/api/v1/grants/revoke", "/api/v1/grants/revoke", `{"principal":"111122223333","resource":{"database":"sales","table":"orders"},"permissions":["SELECT"]}`},
	{"POST", "/api/v1/authorize", "/api/v1/authorize", `{"principal":"111122223333","action":"SELECT","resource":{"database":"sales","table":"orders"}}`},
	{"POST", "/api/v1/requests", "/api/v1/requests", `{"database":"sales","table":"orders","target_account":"111122223333","permissions":["SELECT"],"justification":"the report","duration":"24h"}`},
	{"POST", "/api/v1/me/tokens", "/api/v1/me/tokens", `{"name":"t1","expires_in":"1h"}`},
	{"POST", "/api/v1/subscriptions", "/api/v1/subscriptions", `{"account_id":"111122223333","protocol":"email","endpoint":"a@example.com"}`},
	{"POST", "/api/v1/state-machines", "/api/v1/state-machines", `{"name":"sm1","description":"d","definition":{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}}`},
	{"POST", "/api/v1/executions", "/api/v1/executions", `{"state_machine":"sm1","version":1,"name":"e1","input":{"a":"b"}}`},
	{"POST", "/api/v1/tasks/success", "/api/v1/tasks/success", `{"task_token":"x","output":{}}`},
	{"PUT", "/api/v1/accounts/{id}/approval-links", "/api/v1/accounts/111122223333/approval-links", `{"sign_in_required":true}`},
	{"PUT", "/api/v1/state-machines/{name}", "/api/v1/state-machines/sm1", `{"description":"d","definition":{"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}}}`},
	{"POST", "/api/v1/state-machines/{name}/rollback", "/api/v1/state-machines/sm1/rollback", `{"version":1}`},
	{"POST", "/api/v1/executions/{id}/stop", "", `{"error":"e","cause":"c"}`}, // path: a waiting execution's
	{"POST", "/api/v1/users/{user}/tokens", "/api/v1/users/1/tokens", `{"name":"t2","expires_in":"1h"}`},
	{"POST", "/api/v1/platforms/plan", "/api/v1/platforms/plan", `{"principal":"111122223333","resource":{"database":"sales","table":"orders"},"permissions":["SELECT"],"revoke":false}`},
	{"POST", "/api/v1/catalog/databases/{name}/tables:batch", "/api/v1/catalog/databases/sales/tables:batch", `{"tables":[{"name":"t3","columns":[{"name":"id","type":"int"}]}]}`},
	{"POST", "/api/v1/tasks/failure", "/api/v1/tasks/failure", `{"task_token":"x","error":"e","cause":"c"}`},
	{"POST", "/api/v1/subscriptions/confirm", "/api/v1/subscriptions/confirm", `{"token":"x"}`},
	{"POST", "/api/v1/login", "/api/v1/login", `{"username":"nobody","password":"wrong"}`},
	{"POST", "/api/v1/login/oidc/{provider}/token", "/api/v1/login/oidc/nothing/token", `{"id_token":"x","name":"n","expires_in":"1h"}`},
}

// TestHostileFields changes one value at a time, at any depth, of bodies the
// server accepts, to values no field should take to a store (NUL, control
// characters, an over-long string, numbers past int64),
// and checks that none is answered 5xx, that each refusal has the error
// shape naming a field, and that none of NUL or a control character is
// accepted: PostgreSQL refuses NUL where SQLite keeps it.
func TestHostileFields(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			srv, admin := servertest.New(t, servertest.Options{Store: kind})
			h := newHostileServer(t, srv, admin)
			for _, vb := range validBodies {
				o, ok := h.ops[vb.method+" "+vb.tmpl]
				if !ok {
					t.Fatalf("%s %s is not documented", vb.method, vb.tmpl)
				}
				var base any
				if err := json.Unmarshal([]byte(vb.body), &base); err != nil {
					t.Fatalf("%s: %v", vb.body, err)
				}
				for _, m := range mutations(base, "") {
					b, _ := json.Marshal(m.value)
					path := vb.path
					if path == "" { // a stop: each on an execution of its own, since an accepted one ends it
						path = strings.Replace(vb.tmpl, "{id}", startWaiting(t, admin), 1)
					}
					h.sendTo(o, path, b, "", m.mustRefuse)
				}
			}
			t.Logf("%d requests", h.sent)
		})
	}
}

type mutation struct {
	value      any
	mustRefuse bool // the body holds text no store should keep
}

// mutations returns v with one value replaced, for every value below the
// body: by null, by an array or object, and each leaf by every hostile
// replacement of its kind.
func mutations(v any, path string) []mutation {
	var out []mutation
	if path != "" { // any value but the body itself: null, and a value of another kind
		out = append(out, mutation{nil, false}, mutation{[]any{map[string]any{}}, false}, mutation{map[string]any{"": []any{}}, false})
	}
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			for _, m := range mutations(v[k], path+"."+k) {
				if k == "input" || k == "output" || k == "definition" {
					m.mustRefuse = false // a JSON document the caller owns: a NUL in it is data, kept escaped
				}
				c := make(map[string]any, len(v))
				for k2, v2 := range v {
					c[k2] = v2
				}
				c[k] = m.value
				out = append(out, mutation{c, m.mustRefuse})
			}
		}
	case []any:
		for i := range v {
			for _, m := range mutations(v[i], path) {
				c := append([]any(nil), v...)
				c[i] = m.value
				out = append(out, mutation{c, m.mustRefuse})
			}
		}
	case string:
		out = append(out,
			mutation{"a\x00b", true}, mutation{"\x00", true}, mutation{"a\x1bb", false},
			mutation{strings.Repeat("x", 100000), false},
			mutation{strings.Repeat("é", 300), false}, mutation{"", false},
		)
	case float64:
		out = append(out, mutation{json.Number("1e400"), false}, mutation{json.Number("99999999999999999999"), false},
			mutation{json.Number("-9223372036854775809"), false}, mutation{json.Number("-1"), false}, mutation{json.Number("0.5"), false})
	case bool:
		out = append(out, mutation{"true", false})
	}
	return out
}

// TestAdminRoutesRefusalDocumented checks that the mesh admins' workflow
// routes, called by an account's admin, answer 403 and that the document
// describes that answer.
func TestAdminRoutesRefusalDocumented(t *testing.T) {
	ctx := t.Context()
	srv, admin := servertest.New(t, servertest.Options{})
	h := newHostileServer(t, srv, admin)
	u, err := admin.CreateUser(ctx, "111122223333", client.UserInput{Username: "sales-admin", Roles: []string{mesh.RoleAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := admin.IssueToken(ctx, u.User.ID, "t", 0)
	if err != nil {
		t.Fatal(err)
	}
	h.token = tok.Secret
	for _, key := range []string{
		"POST /api/v1/state-machines", "GET /api/v1/state-machines", "GET /api/v1/state-machines/{name}",
		"PUT /api/v1/state-machines/{name}", "DELETE /api/v1/state-machines/{name}", "POST /api/v1/state-machines/{name}/rollback",
		"POST /api/v1/executions", "GET /api/v1/executions", "GET /api/v1/executions/{id}",
		"POST /api/v1/executions/{id}/stop", "GET /api/v1/executions/{id}/history",
	} {
		o, ok := h.ops[key]
		if !ok {
			t.Fatalf("%s is not documented", key)
		}
		path := strings.NewReplacer("{name}", "data-sharing", "{id}", "x").Replace(o.tmpl)
		status, body := h.raw(o.method, path)
		if status != http.StatusForbidden {
			t.Errorf("%s: got %d %s, want 403", key, status, body)
		}
		h.checkDocumented(o, status, body, key)
	}
}
