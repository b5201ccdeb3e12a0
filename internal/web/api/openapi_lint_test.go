package api

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestOpenAPIValid checks the merged document with a maintained OpenAPI
// validator and with the rules the project keeps on top of it (lintOpenAPI).
func TestOpenAPIValid(t *testing.T) {
	doc, err := OpenAPI()
	if err != nil {
		t.Fatalf("openapi: %v", err)
	}
	for _, p := range lintOpenAPI(context.Background(), doc) {
		t.Error(p)
	}
}

// TestOpenAPILintFindsMistakes seeds one mistake at a time into the real
// document and checks that lintOpenAPI reports it, so that TestOpenAPIValid
// cannot pass by checking nothing.
func TestOpenAPILintFindsMistakes(t *testing.T) {
	op := func(doc map[string]any, path, method string) map[string]any {
		return doc["paths"].(map[string]any)[path].(map[string]any)[method].(map[string]any)
	}
	schemas := func(doc map[string]any) map[string]any {
		return doc["components"].(map[string]any)["schemas"].(map[string]any)
	}
	tests := []struct {
		name string
		seed func(doc map[string]any)
		want string
	}{
		{"no operationId", func(d map[string]any) { delete(op(d, "/api/v1/invitations", "get"), "operationId") }, "GET /api/v1/invitations: no operationId"},
		{"duplicate operationId", func(d map[string]any) { op(d, "/api/v1/invitations", "get")["operationId"] = "listGrants" }, "listGrants"},
		{"operationId not lowerCamelCase", func(d map[string]any) { op(d, "/api/v1/invitations", "get")["operationId"] = "list_invitations" }, "lowerCamelCase"},
		{"no tag", func(d map[string]any) { delete(op(d, "/api/v1/grants", "post"), "tags") }, "POST /api/v1/grants: no tag"},
		{"undeclared tag", func(d map[string]any) { op(d, "/api/v1/grants", "post")["tags"] = []any{"sharing"} }, `tag "sharing" is not declared`},
		{"unused declared tag", func(d map[string]any) {
			d["tags"] = append(d["tags"].([]any), map[string]any{"name": "spare", "description": "nothing"})
		}, `tag "spare" is declared but no operation uses it`},
		{"undescribed 200 body", func(d map[string]any) {
			delete(op(d, "/api/v1/tasks/success", "post")["responses"].(map[string]any)["200"].(map[string]any), "content")
		}, "POST /api/v1/tasks/success: response 200 does not describe its body"},
		{"unreferenced schema", func(d map[string]any) { schemas(d)["Spare"] = map[string]any{"type": "object"} }, `schema "Spare" is not referenced`},
		{"schema referenced only by an unreferenced one", func(d map[string]any) {
			schemas(d)["Spare"] = map[string]any{"type": "object", "properties": map[string]any{"x": map[string]any{"$ref": "#/components/schemas/Spare2"}}}
			schemas(d)["Spare2"] = map[string]any{"type": "string"}
		}, `schema "Spare2" is not referenced`},
		{"dangling reference", func(d map[string]any) {
			op(d, "/api/v1/grants", "post")["requestBody"] = map[string]any{"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Nope"}}}}
		}, `failed to resolve "Nope"`},
		{"typed parameter without 400", func(d map[string]any) {
			delete(op(d, "/api/v1/mailbox/{id}", "get")["responses"].(map[string]any), "400")
		}, "GET /api/v1/mailbox/{id}: takes a body, a path or query parameter or a number, boolean or enum parameter but lists no 400"},
		{"path parameter without 400", func(d map[string]any) {
			delete(op(d, "/api/v1/accounts/{id}", "get")["responses"].(map[string]any), "400")
		}, "GET /api/v1/accounts/{id}: takes a body"},
		{"body without 400", func(d map[string]any) {
			delete(op(d, "/api/v1/tasks/heartbeat", "post")["responses"].(map[string]any), "400")
		}, "POST /api/v1/tasks/heartbeat: takes a body"},
		{"signed-in operation without 401", func(d map[string]any) {
			delete(op(d, "/api/v1/mailbox/{id}", "get")["responses"].(map[string]any), "401")
		}, "GET /api/v1/mailbox/{id}: needs a token or a session but lists no 401"},
		{"undeclared path parameter", func(d map[string]any) {
			delete(op(d, "/api/v1/invitations/{id}/accept", "post"), "parameters")
		}, "must define exactly all path parameters (missing: [id])"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := OpenAPI()
			if err != nil {
				t.Fatal(err)
			}
			tt.seed(doc)
			problems := lintOpenAPI(context.Background(), doc)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tt.want) }) {
				t.Errorf("got %q, want a problem containing %q", problems, tt.want)
			}
		})
	}
}

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// lintOpenAPI returns what is wrong with doc: what kin-openapi's loader and
// validator find, and every operation without a unique lowerCamelCase
// operationId or a declared tag, every operation that takes typed input
// (takesTypedInput) but lists no 400, every operation that needs a token
// or a session (the document's security, unless its own is empty) but
// lists no 401, every 2xx answer but 204 that does
// not describe its body, and every component schema no operation reaches.
func lintOpenAPI(ctx context.Context, doc map[string]any) []string {
	var problems []string
	add := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }

	raw, err := json.Marshal(doc)
	if err != nil {
		return []string{err.Error()}
	}
	loaded, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		add("load: %v", err)
	} else if err := loaded.Validate(ctx); err != nil {
		add("validate: %v", err)
	}

	declared := map[string]bool{}
	for _, tg := range asSlice(doc["tags"]) {
		if name, _ := asMap(tg)["name"].(string); name != "" {
			declared[name] = true
		}
	}
	used := map[string]bool{}
	ids := map[string]string{}
	paths := asMap(doc["paths"])
	for _, path := range sortedKeys(paths) {
		item := asMap(paths[path])
		for _, method := range httpMethods {
			op, ok := item[method].(map[string]any)
			if !ok {
				continue
			}
			where := strings.ToUpper(method) + " " + path
			switch id, _ := op["operationId"].(string); {
			case id == "":
				add("%s: no operationId", where)
			case !isLowerCamel(id):
				add("%s: operationId %q is not lowerCamelCase", where, id)
			case ids[id] != "":
				add("%s: operationId %q is also %s's", where, id, ids[id])
			default:
				ids[id] = where
			}
			tags := asSlice(op["tags"])
			if len(tags) == 0 {
				add("%s: no tag", where)
			}
			for _, tg := range tags {
				name, _ := tg.(string)
				used[name] = true
				if !declared[name] {
					add("%s: tag %q is not declared in the document's tags (base.json)", where, name)
				}
			}
			responses := asMap(op["responses"])
			security, own := op["security"]
			if !own {
				security = doc["security"]
			}
			if len(asSlice(security)) > 0 && responses["401"] == nil {
				add("%s: needs a token or a session but lists no 401", where)
			}
			if responses["400"] == nil && takesTypedInput(item, op) {
				add("%s: takes a body, a path or query parameter or a number, boolean or enum parameter but lists no 400", where)
			}
			for _, code := range sortedKeys(responses) {
				if !strings.HasPrefix(code, "2") || code == "204" {
					continue
				}
				if len(asMap(asMap(responses[code])["content"])) == 0 {
					add("%s: response %s does not describe its body", where, code)
				}
			}
		}
	}
	for _, name := range sortedKeys(declared) {
		if !used[name] {
			add("tag %q is declared but no operation uses it", name)
		}
	}

	// Component schemas must be reachable from an operation, through any
	// number of references.
	components := asMap(doc["components"])
	reached := map[string]bool{}
	queue := refsIn(paths, nil)
	for len(queue) > 0 {
		ref := queue[0]
		queue = queue[1:]
		if reached[ref] {
			continue
		}
		reached[ref] = true
		kind, name, ok := strings.Cut(strings.TrimPrefix(ref, "#/components/"), "/")
		if ok {
			queue = refsIn(asMap(components[kind])[name], queue)
		}
	}
	for _, name := range sortedKeys(asMap(components["schemas"])) {
		if !reached["#/components/schemas/"+name] {
			add("schema %q is not referenced by any operation", name)
		}
	}
	return problems
}

// takesTypedInput reports whether an operation reads a body, a path or
// query parameter, or a parameter (its own or its path's) that is a number, a
// boolean or one of an enum's values: input the server parses, and refuses
// with a 400 when it does not parse. Every path and query parameter counts:
// the router refuses a path value longer than its identifier can be, and a
// value holding NUL or bytes that are not UTF-8 (web.checkPathValues). Other
// free strings (headers) are left out: the document does not say which of
// them the server checks.
func takesTypedInput(item, op map[string]any) bool {
	if op["requestBody"] != nil {
		return true
	}
	for _, p := range slices.Concat(asSlice(item["parameters"]), asSlice(op["parameters"])) {
		if in := asMap(p)["in"]; in == "path" || in == "query" {
			return true
		}
		schema := asMap(asMap(p)["schema"])
		if t, _ := schema["type"].(string); (t != "" && t != "string") || schema["enum"] != nil {
			return true
		}
	}
	return false
}

// refsIn appends every "$ref" found in v to refs.
func refsIn(v any, refs []string) []string {
	switch v := v.(type) {
	case map[string]any:
		if r, ok := v["$ref"].(string); ok {
			refs = append(refs, r)
		}
		for _, k := range sortedKeys(v) {
			refs = refsIn(v[k], refs)
		}
	case []any:
		for _, e := range v {
			refs = refsIn(e, refs)
		}
	}
	return refs
}

func isLowerCamel(s string) bool {
	for i, r := range s {
		lower, upper, digit := r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9'
		if !(lower || (i > 0 && (upper || digit))) {
			return false
		}
	}
	return s != ""
}

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }

func asSlice(v any) []any { s, _ := v.([]any); return s }

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
