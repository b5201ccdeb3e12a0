package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/server/servertest"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/web"
)

// TestRequestTextRefused checks that a path or query value holding NUL, a
// control character or bytes that are not UTF-8 is refused naming the
// parameter, on both stores: PostgreSQL cannot compare such text with what
// it keeps, and answered 500 where SQLite answered 404 or 200.
func TestRequestTextRefused(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			srv, _ := servertest.New(t, servertest.Options{Store: kind})
			tests := []struct{ method, target, field string }{
				{"GET", "/api/v1/executions/%00", "id"},
				{"POST", "/api/v1/executions/%00/stop", "id"},
				{"GET", "/api/v1/state-machines/a%00b", "name"},
				{"DELETE", "/api/v1/state-machines/%FF", "name"},
				{"GET", "/api/v1/platforms/a%0Ab", "name"},
				{"GET", "/api/v1/accounts/999988887777/links/%00/tables", "name"},
				{"GET", "/api/v1/audit?principal=%00", "principal"},
				{"GET", "/api/v1/audit?resource=%C3%28", "resource"},
				{"GET", "/api/v1/grants?database=a%00", "database"},
				{"GET", "/api/v1/executions?state_machine=%00", "state_machine"},
				{"GET", "/api/v1/invitations?account=%00", "account"},
				{"GET", "/api/v1/audit?a%00=1", "query"},
			}
			for _, tt := range tests {
				req, err := http.NewRequestWithContext(context.Background(), tt.method, srv.URL+tt.target, nil)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Authorization", "Bearer "+srv.AdminToken)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				var body web.ErrorBody
				err = json.NewDecoder(resp.Body).Decode(&body)
				resp.Body.Close()
				e := body.Error
				if err != nil {
					t.Errorf("%s %s: got %d, %v; want an error body", tt.method, tt.target, resp.StatusCode, err)
				}
				if resp.StatusCode != http.StatusBadRequest || e.Code != mesh.EINVALID || e.Field != tt.field {
					t.Errorf("%s %s: got %d %+v, want 400 invalid naming %s", tt.method, tt.target, resp.StatusCode, e, tt.field)
				}
			}
		})
	}
}

// TestBodyTextRefused checks that body fields that reached the store
// unchecked refuse NUL and control characters naming the field, on both
// stores: PostgreSQL answered 500 where SQLite kept the NUL (or, for a user
// name signing in, found no user).
func TestBodyTextRefused(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			_, admin := servertest.New(t, servertest.Options{Store: kind})
			tests := []struct {
				path, field string
				body        map[string]any
			}{
				{"/api/v1/subscriptions", "account_id", map[string]any{"account_id": "a\x00b", "protocol": "email", "endpoint": "a@example.com"}},
				{"/api/v1/subscriptions", "account_id", map[string]any{"account_id": "\x00", "protocol": "email", "endpoint": "a@example.com"}},
				{"/api/v1/state-machines", "description", map[string]any{"name": "sm1", "description": "a\x00b",
					"definition": map[string]any{"StartAt": "A", "States": map[string]any{"A": map[string]any{"Type": "Pass", "End": true}}}}},
				{"/api/v1/state-machines", "description", map[string]any{"name": "sm1", "description": "a\x1bb",
					"definition": map[string]any{"StartAt": "A", "States": map[string]any{"A": map[string]any{"Type": "Pass", "End": true}}}}},
			}
			waiting := startWaiting(t, admin)
			for _, field := range []string{"error", "cause"} {
				tests = append(tests, struct {
					path, field string
					body        map[string]any
				}{"/api/v1/executions/" + waiting + "/stop", field, map[string]any{field: "a\x00b"}})
			}
			for _, tt := range tests {
				err := admin.Do(ctx, "POST", tt.path, nil, tt.body, nil)
				wantAPIError(t, err, http.StatusBadRequest, mesh.EINVALID, tt.field)
			}
			// A user name no user can have is a wrong user name, as an over-long one is.
			err := admin.Do(ctx, "POST", "/api/v1/login", nil, map[string]any{"username": "a\x00b", "password": "x"}, nil)
			wantAPIError(t, err, http.StatusUnauthorized, mesh.EUNAUTHORIZED, "")
		})
	}
}

// startWaiting starts an execution that waits an hour (of state machine
// "waits", created the first time) and returns its id.
func startWaiting(t *testing.T, admin *client.Client) string {
	t.Helper()
	ctx := context.Background()
	def := json.RawMessage(`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`)
	err := admin.Do(ctx, "POST", "/api/v1/state-machines", nil, map[string]any{"name": "waits", "definition": def}, nil)
	var ce *client.Error
	if err != nil && (!errors.As(err, &ce) || ce.Code != mesh.ECONFLICT) {
		t.Fatal(err)
	}
	var e struct {
		ID string `json:"id"`
	}
	if err := admin.Do(ctx, "POST", "/api/v1/executions", nil, map[string]any{"state_machine": "waits"}, &e); err != nil {
		t.Fatal(err)
	}
	return e.ID
}
