package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/meshgate/meshgate/internal/web"
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
	Register(rt, &Deps{Pages: web.NewPageTokens([]byte("k"))})
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

// checkAnswer fails t unless the document describes body as an answer with
// status to method on the path template tmpl.
func checkAnswer(t *testing.T, method, tmpl string, status int, body []byte) {
	t.Helper()
	m, err := OpenAPI()
	if err != nil {
		t.Fatalf("openapi: %v", err)
	}
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	item := doc.Paths.Find(tmpl)
	if item == nil || item.GetOperation(method) == nil {
		t.Fatalf("%s %s is not documented", method, tmpl)
	}
	route := &routers.Route{Spec: doc, Path: tmpl, PathItem: item, Method: method, Operation: item.GetOperation(method)}
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
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
