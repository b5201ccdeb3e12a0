package api

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/web"
	"github.com/meshgate/meshgate/internal/workflow"
)

// TestOpenAPIDocumentsEveryRoute checks that the merged document parses and
// that every registered API route has an operation in it.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	doc, err := OpenAPI()
	if err != nil {
		t.Fatalf("openapi: %v", err)
	}
	if doc["openapi"] != "3.0.3" {
		t.Errorf("got openapi %v, want 3.0.3", doc["openapi"])
	}
	paths := doc["paths"].(map[string]any)
	rt := web.NewRouter(nil, nil)
	// The workflow routes are registered only with an engine.
	Register(rt, &Deps{Pages: web.NewPageTokens([]byte("k")), Workflow: workflow.New(storetest.OpenSQLite(t, nil), workflow.Options{})})
	if len(rt.Routes()) == 0 {
		t.Fatal("no routes registered")
	}
	for _, r := range rt.Routes() {
		item, ok := paths[r.Pattern].(map[string]any)
		if !ok {
			t.Errorf("route %s %s is not documented", r.Method, r.Pattern)
			continue
		}
		if _, ok := item[strings.ToLower(r.Method)]; !ok {
			t.Errorf("route %s %s: the path is documented but not its method", r.Method, r.Pattern)
		}
	}
}

// TestDocumentListsBadRequests: operations that refuse a malformed id,
// parameter or body with a 400 naming it list that answer in the document,
// where these listed none. Each is refused before any service is asked, so
// the routes run without them but the workflow engine, without which its
// routes are not registered.
func TestDocumentListsBadRequests(t *testing.T) {
	rt := web.NewRouter(tokenAuth{}, nil)
	Register(rt, &Deps{Pages: web.NewPageTokens([]byte("k")), CentralAccountID: "central",
		Workflow: workflow.New(storetest.OpenSQLite(t, nil), workflow.Options{})})
	tests := []struct{ method, tmpl, path, body string }{
		{"GET", "/api/v1/mailbox", "/api/v1/mailbox?limit=0", ""},
		{"GET", "/api/v1/mailbox/{id}", "/api/v1/mailbox/abc", ""},
		{"POST", "/api/v1/requests/{id}/cancel", "/api/v1/requests/abc/cancel", ""},
		{"POST", "/api/v1/requests/{id}/revoke", "/api/v1/requests/abc/revoke", ""},
		{"POST", "/api/v1/invitations/{id}/accept", "/api/v1/invitations/abc/accept", ""},
		{"POST", "/api/v1/invitations/{id}/reject", "/api/v1/invitations/abc/reject", ""},
		{"POST", "/api/v1/invitations/{id}/resend", "/api/v1/invitations/abc/resend", ""},
		{"GET", "/api/v1/subscriptions/{id}", "/api/v1/subscriptions/abc", ""},
		{"DELETE", "/api/v1/subscriptions/{id}", "/api/v1/subscriptions/abc", ""},
		{"GET", "/api/v1/subscriptions/{id}/unsubscribe", "/api/v1/subscriptions/abc/unsubscribe?sig=x", ""},
		{"POST", "/api/v1/subscriptions/{id}/unsubscribe", "/api/v1/subscriptions/abc/unsubscribe?sig=x", ""},
		{"POST", "/api/v1/deliveries/{id}/retry", "/api/v1/deliveries/abc/retry", ""},
		{"GET", "/api/v1/state-machines/{name}", "/api/v1/state-machines/data-sharing?version=abc", ""},
		{"DELETE", "/api/v1/state-machines/{name}", "/api/v1/state-machines/data-sharing?force=maybe", ""},
		{"POST", "/api/v1/executions/{id}/stop", "/api/v1/executions/x/stop", `{"unknown": 1}`},
		{"GET", "/api/v1/executions/{id}/history", "/api/v1/executions/x/history?after=abc", ""},
		{"POST", "/api/v1/tasks/heartbeat", "/api/v1/tasks/heartbeat", `{"task_token": 1}`},
		{"GET", "/api/v1/topics", "/api/v1/topics?account=NOT_AN_ID", ""},
		{"GET", "/api/v1/subscriptions", "/api/v1/subscriptions?account=NOT_AN_ID", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.tmpl, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			req.Header.Set("Authorization", "Bearer central/admin/admin")
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			rec := httptest.NewRecorder()
			rt.ServeHTTP(rec, req)
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("%s %s: got %d %s, want 400", tt.method, tt.path, rec.Code, rec.Body)
			}
			checkAnswer(t, tt.method, tt.tmpl, rec.Code, rec.Body.Bytes())
		})
	}
}

// checkAnswer fails t unless the document describes body as an answer with
// status to method on the path template tmpl.
func checkAnswer(t *testing.T, method, tmpl string, status int, body []byte) {
	t.Helper()
	doc := LoadDocument(t)
	item := doc.Paths.Find(tmpl)
	if item == nil || item.GetOperation(method) == nil {
		t.Fatalf("%s %s is not documented", method, tmpl)
	}
	route := &routers.Route{Spec: doc, Path: tmpl, PathItem: item, Method: method, Operation: item.GetOperation(method)}
	err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: httptest.NewRequest(method, tmpl, nil), Route: route},
		Status:                 status,
		Header:                 http.Header{"Content-Type": {"application/json"}},
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	})
	if err != nil {
		t.Errorf("%s %s answered %d %s, which the document does not describe: %v", method, tmpl, status, body, err)
	}
}
