package api

import (
	"encoding/json"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// LoadDocument is the API document as kin-openapi loads it, for the tests
// that check answers against it.
func LoadDocument(t testing.TB) *openapi3.T {
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
	return doc
}
