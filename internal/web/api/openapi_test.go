package api

import (
	"strings"
	"testing"

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
