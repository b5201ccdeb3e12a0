package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/server/servertest"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/web/api"
)

// hostileValues replace one path or query parameter at a time. Each is
// written into the URL as it stands: "%00" and "..%2F" arrive escaped.
var hostileValues = []string{
	"", "0", "-1", "9223372036854775808", "%00", "%FF", "a%0Ab", "..%2F", "..", strings.Repeat("a", 300),
	url.PathEscape("é\u202E漢🙂"), "1e3",
}

// hostileHeaders replace one header parameter (If-Match, Idempotency-Key) at
// a time: a header cannot carry NUL or a line break.
var hostileHeaders = []string{
	"", "0", "-1", "9223372036854775808", "1e3", `W/"1"`, `"1"`, "*", strings.Repeat("a", 300), "\xc3\xa9\xff",
}

// hostileOp is one documented operation.
type hostileOp struct {
	method, tmpl string
	op           *openapi3.Operation
	params       openapi3.Parameters
}

// skipHostile lists the operations the sweep leaves out: they end the
// caller's own session, which the rest of the sweep needs.
var skipHostile = map[string]bool{
	"POST /api/v1/logout":    true,
	"POST /auth/oidc/logout": true,
}

// TestHostileInput sends, as a mesh admin, malformed path and query
// parameters and request bodies to every operation in the API document, and
// checks that none is answered 5xx, that every refusal has the error shape
// (naming the field when the input is invalid), that each answer is one the
// document describes, and that the refused writes changed nothing but the
// audit log, where they appear as refused.
func TestHostileInput(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) { sweepHostile(t, kind) })
	}
}

func sweepHostile(t *testing.T, kind string) {
	srv, admin := servertest.New(t, servertest.Options{Store: kind})
	h := newHostileServer(t, srv, admin)
	ops := documentedOps(h.doc)
	before := h.snapshot()
	lastAudit := h.lastAuditID()

	for _, o := range ops {
		if skipHostile[o.method+" "+o.tmpl] {
			continue
		}
		opAudit := h.lastAuditID()
		// Path and query parameters, one at a time, on resources that do
		// not exist (a valid value could make a DELETE succeed).
		// A GET's path and query are sent on resources that exist too.
		for _, p := range o.params {
			vals := hostileValues
			switch p.Value.In {
			case "path":
			case "query":
				vals = append(slices.Clone(vals), "1&"+p.Value.Name+"=2")
			case "header":
				vals = hostileHeaders
			default:
				continue
			}
			for _, v := range vals {
				h.send(o, map[string]string{p.Value.Name: v}, p.Value.In, nil, "", false)
				if o.method == http.MethodGet && (p.Value.In == "query" || p.Value.In == "path") {
					h.send(o, map[string]string{p.Value.Name: v}, p.Value.In, nil, "", true)
				}
			}
		}
		// Bodies, on resources that exist, so that validation is reached.
		// Each refusal of a signed-in caller's write is audited once, as
		// refused (a public route's are rate-limited, so not counted).
		if o.op.RequestBody != nil {
			bodyAudit := h.lastAuditID()
			bodies := hostileBodies(o.op)
			for _, b := range bodies {
				h.send(o, nil, "", b.body, b.field, true)
			}
			if o.method != http.MethodGet && o.op.Security == nil {
				es := h.auditSince(bodyAudit)
				refused := 0
				for _, e := range es {
					if e.Result != "ok" && e.Action == o.method+" "+o.tmpl {
						refused++
					}
				}
				if refused != len(bodies) || len(es) != len(bodies) {
					t.Errorf("%s %s: %d bodies refused, got %d audit entries, %d of them refusals of the route", o.method, o.tmpl, len(bodies), len(es), refused)
				}
			}
		}
		// A GET changes nothing, whatever it is sent.
		if o.method == http.MethodGet {
			for _, e := range h.auditSince(opAudit) {
				if e.Result == "ok" {
					t.Errorf("GET %s: audited %s %s as done", o.tmpl, e.Action, e.Resource)
				}
			}
		}
	}

	// Every write above was refused: the audit log gained refusals only,
	// and what the lists show is what they showed before.
	for _, e := range h.auditSince(lastAudit) {
		if e.Result == "ok" {
			t.Errorf("audit entry %d: %s %s succeeded (%s)", e.ID, e.Action, e.Resource, e.Detail)
		}
	}
	if after := h.snapshot(); !reflect.DeepEqual(before, after) {
		for k := range before {
			if !bytes.Equal(before[k], after[k]) {
				t.Errorf("GET %s changed:\nbefore %s\nafter  %s", k, before[k], after[k])
			}
		}
	}
	t.Logf("%d operations, %d requests", len(ops)-len(skipHostile), h.sent)
}

type hostile struct {
	t      *testing.T
	url    string
	token  string
	doc    *openapi3.T
	ops    map[string]hostileOp // by "METHOD template"
	header http.Header          // the next request's hostile header, if any
	sent   int
}

// newHostileServer gives srv the resources the sweeps name (account
// 111122223333, database sales, table sales.orders) and returns the sweeps'
// view of it.
func newHostileServer(t *testing.T, srv *servertest.Server, admin *client.Client) *hostile {
	t.Helper()
	ctx := context.Background()
	if _, err := admin.OnboardAccount(ctx, client.AccountInput{ID: "111122223333", Name: "Sales"}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateDatabase(ctx, &client.Database{Name: "sales", Parameters: map[string]string{"data_owner": "111122223333"}}); err != nil {
		t.Fatal(err)
	}
	if err := admin.CreateTables(ctx, "sales", []client.Table{{Name: "orders", Columns: []client.Column{{Name: "id", Type: "int"}}}}); err != nil {
		t.Fatal(err)
	}
	h := &hostile{t: t, url: srv.URL, token: srv.AdminToken, doc: api.LoadDocument(t), ops: map[string]hostileOp{}}
	for _, o := range documentedOps(h.doc) {
		h.ops[o.method+" "+o.tmpl] = o
	}
	return h
}

// send makes one request to o, with the given parameters replaced in path or
// query (in), body (nil for none) and, when the body is wrong in one field,
// that field; it reports what is wrong with the answer.
func (h *hostile) send(o hostileOp, vals map[string]string, in string, body []byte, field string, exists bool) {
	t := h.t
	t.Helper()
	path := o.tmpl
	var query []string
	h.header = nil
	for _, p := range o.params {
		name := p.Value.Name
		switch p.Value.In {
		case "path":
			v, ok := vals[name]
			if !ok || in != "path" {
				v = defaultPathValue(o.tmpl, name, exists)
			}
			path = strings.Replace(path, "{"+name+"}", v, 1)
		case "query":
			if v, ok := vals[name]; ok && in == "query" {
				query = append(query, name+"="+v)
			}
		case "header":
			if v, ok := vals[name]; ok && in == "header" {
				h.header = http.Header{name: {v}}
			}
		}
	}
	if len(query) > 0 {
		path += "?" + strings.Join(query, "&")
	}
	h.sendTo(o, path, body, field, body != nil)
}

// sendTo makes one request to o at path (its template filled in), with body
// (nil for none); field is the body's one wrong field, if any, and
// mustRefuse says that the body must not be accepted.
func (h *hostile) sendTo(o hostileOp, path string, body []byte, field string, mustRefuse bool) {
	t := h.t
	t.Helper()
	target := h.url + path
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(o.method, target, rd)
	if err != nil {
		t.Errorf("%s %s: %v", o.method, target, err)
		return
	}
	for k, v := range h.header {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+h.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultTransport.RoundTrip(req) // no redirects followed
	if err != nil {
		t.Errorf("%s %s: %v", o.method, target, err)
		return
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	h.sent++
	what := fmt.Sprintf("%s %s body %.120q", o.method, shorten(target[len(h.url):]), body)
	if resp.StatusCode >= 500 {
		t.Errorf("%s: got %d %s", what, resp.StatusCode, b)
		return
	}
	if resp.StatusCode < 400 {
		if body != nil && resp.StatusCode < 300 && mustRefuse {
			t.Errorf("%s: got %d %.200s, want a refusal", what, resp.StatusCode, b)
		}
		return
	}
	if resp.StatusCode == http.StatusNotFound && !strings.HasPrefix(o.tmpl, "/api/") {
		return // a page, not the API
	}
	var e struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Field   string `json:"field"`
		} `json:"error"`
	}
	if err := json.Unmarshal(b, &e); err != nil || e.Error == nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Errorf("%s: got %d %.200s, want the error shape", what, resp.StatusCode, b)
		return
	}
	if e.Error.Code == mesh.EINVALID && e.Error.Field == "" {
		t.Errorf("%s: got %d %s, want the field named", what, resp.StatusCode, b)
	}
	if !strings.HasPrefix(e.Error.Message, "route ") { // else the path, cleaned, names no route: not o's answer
		h.checkDocumented(o, resp.StatusCode, b, what)
	}
	if field != "" && e.Error.Code == mesh.EINVALID && e.Error.Field != field && !strings.HasPrefix(e.Error.Field, field+".") {
		t.Errorf("%s: got field %q (%s), want %q", what, e.Error.Field, e.Error.Message, field)
	}
}

// checkDocumented reports an answer the document does not describe for o.
func (h *hostile) checkDocumented(o hostileOp, status int, body []byte, what string) {
	h.t.Helper()
	route := &routers.Route{Spec: h.doc, Path: o.tmpl, PathItem: h.doc.Paths.Value(o.tmpl), Method: o.method, Operation: o.op}
	err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: httptest.NewRequest(o.method, o.tmpl, nil), Route: route},
		Status:                 status,
		Header:                 http.Header{"Content-Type": {"application/json"}},
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	})
	if err != nil {
		h.t.Errorf("%s: got %d %.200s, which the document does not describe: %.300v", what, status, body, err)
	}
}

func shorten(s string) string {
	if len(s) > 160 {
		return s[:150] + "…"
	}
	return s
}

// defaultPathValue is the value of a path parameter the sweep is not
// replacing: an existing resource when a body is sent (so that its checks
// are reached), else one that does not exist.
func defaultPathValue(tmpl, name string, exists bool) string {
	switch {
	case !exists:
		switch {
		case strings.Contains(tmpl, "/accounts/{id}"):
			return "999988887777"
		case strings.Contains(tmpl, "/executions/{id}"):
			return "00000000-0000-0000-0000-000000000000"
		case name == "name" || name == "table" || name == "provider":
			return "nothing"
		}
		return "987654321"
	case strings.Contains(tmpl, "/accounts/{id}"):
		return "111122223333"
	case strings.Contains(tmpl, "/databases/{name}"):
		if name == "table" {
			return "orders"
		}
		return "sales"
	case strings.Contains(tmpl, "/state-machines/{name}"):
		return "data-sharing"
	case strings.Contains(tmpl, "/users/{user}"):
		return "1"
	case name == "provider":
		return "nothing"
	}
	return "1"
}

type hostileBody struct {
	body  []byte
	field string // the field that is wrong, when one is
}

// hostileBodies are the bodies sent to an operation that takes one: the
// same for every operation, then one per top-level field of its schema.
func hostileBodies(op *openapi3.Operation) []hostileBody {
	deep := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	out := []hostileBody{
		{body: []byte{}}, {body: []byte("null")}, {body: []byte("[]")}, {body: []byte(`"x"`)},
		{body: []byte("{}")}, {body: []byte("{")}, {body: []byte(`{"a":` + deep + `}`)},
		{body: []byte(`{"zz_unknown": 1}`), field: "zz_unknown"},
		{body: []byte(`{} {}`)},
	}
	var schema *openapi3.Schema
	if mt := op.RequestBody.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
		schema = mt.Schema.Value
	}
	if schema == nil {
		return out
	}
	if schema.Items != nil && schema.Type.Is("array") {
		out = append(out, hostileBody{body: []byte(`[null]`)}, hostileBody{body: []byte(`[1, "x", {}]`)})
		schema = schema.Items.Value
	}
	names := make([]string, 0, len(schema.Properties))
	for name := range schema.Properties {
		names = append(names, name)
	}
	sort.Strings(names)
	long := `"` + strings.Repeat("x", 100000) + `"`
	for _, name := range names {
		p := schema.Properties[name].Value
		q, _ := json.Marshal(name)
		obj := func(v string) []byte { return []byte(`{` + string(q) + `:` + v + `}`) }
		for _, v := range wrongTypes(p) {
			out = append(out, hostileBody{body: obj(v), field: name})
		}
		// one level down: the fields of an object, or of an array's objects
		inner, wrap := p, func(v string) string { return v }
		if p != nil && p.Type.Is("array") && p.Items != nil {
			inner, wrap = p.Items.Value, func(v string) string { return "[" + v + "]" }
		}
		if inner != nil && inner.Type.Is("object") {
			subs := make([]string, 0, len(inner.Properties))
			for sub := range inner.Properties {
				subs = append(subs, sub)
			}
			sort.Strings(subs)
			for _, sub := range subs {
				sq, _ := json.Marshal(sub)
				for _, v := range wrongTypes(inner.Properties[sub].Value) {
					out = append(out, hostileBody{body: obj(wrap(`{` + string(sq) + `:` + v + `}`)), field: name})
				}
			}
		}
		out = append(out,
			hostileBody{body: obj("1e400")},
			hostileBody{body: obj("99999999999999999999999")},
			hostileBody{body: obj("-9223372036854775809")},
			hostileBody{body: obj(`"a\u0000b"`)},
			hostileBody{body: obj(long)},
			hostileBody{body: obj(deep)},
		)
	}
	return out
}

// wrongTypes are JSON values of a type the schema p does not take.
func wrongTypes(p *openapi3.Schema) []string {
	if p == nil || p.Type == nil || len(p.Type.Slice()) != 1 {
		return nil
	}
	switch p.Type.Slice()[0] {
	case "string":
		return []string{"123", "true", `{}`, `[]`}
	case "integer", "number":
		return []string{`"1"`, "true", `{}`, `[]`, "1.5"}
	case "boolean":
		return []string{`"true"`, "1", `{}`}
	case "array":
		return []string{`"x"`, "1", `{}`}
	case "object":
		return []string{`"x"`, "1", `[]`}
	}
	return nil
}

// documentedOps lists the operations of doc in a stable order.
func documentedOps(doc *openapi3.T) []hostileOp {
	var out []hostileOp
	for _, tmpl := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(tmpl)
		for method, op := range item.Operations() {
			params := slices.Clone(item.Parameters)
			params = append(params, op.Parameters...)
			out = append(out, hostileOp{method: method, tmpl: tmpl, op: op, params: params})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].tmpl != out[j].tmpl {
			return out[i].tmpl < out[j].tmpl
		}
		return out[i].method < out[j].method
	})
	return out
}

// snapshot reads the lists a refused write must leave as they were.
func (h *hostile) snapshot() map[string][]byte {
	out := map[string][]byte{}
	for _, p := range []string{"/api/v1/accounts", "/api/v1/users", "/api/v1/grants", "/api/v1/catalog/databases",
		"/api/v1/catalog/tables", "/api/v1/state-machines", "/api/v1/subscriptions", "/api/v1/platforms",
		"/api/v1/me/tokens", "/api/v1/invitations", "/api/v1/requests", "/api/v1/executions",
		"/api/v1/settings/password-sign-in", "/api/v1/accounts/111122223333/approval-links"} {
		out[p] = h.get(p)
	}
	return out
}

func (h *hostile) get(path string) []byte {
	req, _ := http.NewRequest("GET", h.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+h.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		h.t.Fatalf("GET %s: got %d %s", path, resp.StatusCode, b)
	}
	return b
}

// raw makes a request without a body and returns its status and body.
func (h *hostile) raw(method, path string) (int, []byte) {
	req, _ := http.NewRequest(method, h.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+h.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (h *hostile) lastAuditID() int64 {
	var l api.AuditList
	if err := json.Unmarshal(h.get("/api/v1/audit?limit=1"), &l); err != nil || len(l.Entries) == 0 {
		h.t.Fatalf("audit: %v %+v", err, l)
	}
	return l.Entries[0].ID
}

// auditSince returns the audit entries after the one with id.
func (h *hostile) auditSince(id int64) []*mesh.AuditEntry {
	var out []*mesh.AuditEntry
	next := ""
	for {
		var l api.AuditList
		if err := json.Unmarshal(h.get("/api/v1/audit?limit=1000&next_token="+url.QueryEscape(next)), &l); err != nil {
			h.t.Fatalf("audit: %v", err)
		}
		for _, e := range l.Entries {
			if e.ID <= id {
				return out
			}
			out = append(out, e)
		}
		if l.NextToken == "" {
			return out
		}
		next = l.NextToken
	}
}
