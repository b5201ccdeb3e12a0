package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/catalog"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/server/servertest"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/web"
	"github.com/meshgate/meshgate/internal/web/api"
)

// tokenAuth maps bearer tokens to test actors.
type tokenAuth map[string]*mesh.Actor

func (a tokenAuth) Authenticate(_ context.Context, r *http.Request) (*mesh.Actor, error) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return nil, nil
	}
	actor, ok := a[tok]
	if !ok {
		return nil, mesh.Errorf(mesh.EUNAUTHORIZED, "invalid token")
	}
	cp := *actor
	return &cp, nil
}

var actors = tokenAuth{
	"admin":    {Username: "root", AccountID: "central", CentralAccountID: "central", Roles: []string{mesh.RoleAdmin}},
	"producer": {Username: "pa", AccountID: "111122223333", CentralAccountID: "central", Roles: []string{mesh.RoleAdmin}},
	"member":   {Username: "pm", AccountID: "111122223333", CentralAccountID: "central", Roles: []string{mesh.RoleMember}},
}

func newCatalogServer(t *testing.T) http.Handler {
	t.Helper()
	clock := mesh.NewFakeClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	st := storetest.OpenSQLite(t, clock)
	storetest.CreateAccounts(t, st, "111122223333", "444455556666")
	rt := web.NewRouter(actors, nil)
	api.Register(rt, &api.Deps{Store: st, Clock: clock, Pages: web.NewPageTokens([]byte("test key")),
		Catalog: catalog.NewService(st, clock), CentralAccountID: "central"})
	return web.Middleware(rt, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func call(t *testing.T, h http.Handler, token, method, path, body string, headers ...string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := response{status: rec.Code, header: rec.Header(), raw: rec.Body.String()}
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &res.body); err != nil {
			t.Fatalf("%s %s: body %q is not a JSON object: %v", method, path, rec.Body.String(), err)
		}
	}
	return res
}

func (r response) errField() string {
	e, _ := r.body["error"].(map[string]any)
	f, _ := e["field"].(string)
	return f
}

func keys(m any) []string {
	mm, _ := m.(map[string]any)
	var out []string
	for k := range mm {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// callCase is one call of a table-driven test and the status and error
// field it should answer with.
type callCase struct {
	name, token, method, path, body, ifMatch string
	status                                   int
	field                                    string
}

// runCalls makes each call, in order, as a subtest.
func runCalls(t *testing.T, h http.Handler, tests []callCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hdr []string
			if tt.ifMatch != "" {
				hdr = []string{"If-Match", tt.ifMatch}
			}
			res := call(t, h, tt.token, tt.method, tt.path, tt.body, hdr...)
			if res.status != tt.status || res.errField() != tt.field {
				t.Errorf("got %d field %q (%s), want %d field %q", res.status, res.errField(), res.raw, tt.status, tt.field)
			}
		})
	}
}

const seedDB = `{"Name": "sales", "Parameters": {"data_owner": "111122223333", "data_owner_name": "Sales", "pii_flag": "true"}}`

func TestGlueDatabaseShapes(t *testing.T) {
	h := newCatalogServer(t)
	res := call(t, h, "admin", "POST", "/api/v1/catalog/databases?shape=glue", `{"Name": "sales", "Description": "Sales data", "CreateTableDefaultPermissions": []}`)
	if res.status != 201 {
		t.Fatalf("create: got %d %s, want 201", res.status, res.raw)
	}
	res = call(t, h, "producer", "GET", "/api/v1/catalog/databases/sales", "")
	if res.status != 200 || res.header.Get("ETag") != `"1"` {
		t.Fatalf("get: got %d etag %q, want 200 and \"1\"", res.status, res.header.Get("ETag"))
	}
	// The seed's update-database input, with the version read.
	res = call(t, h, "admin", "PUT", "/api/v1/catalog/databases/sales?shape=glue", seedDB, "If-Match", `"1"`)
	if res.status != 200 {
		t.Fatalf("update: got %d %s, want 200", res.status, res.raw)
	}
	res = call(t, h, "member", "GET", "/api/v1/catalog/databases/sales?shape=glue", "")
	db, _ := res.body["Database"].(map[string]any)
	if got, want := keys(db), []string{"CatalogId", "CreateTableDefaultPermissions", "CreateTime", "Name", "Parameters"}; !reflect.DeepEqual(got, want) {
		t.Errorf("GetDatabase keys: got %v, want %v (Glue replaces the description too)", got, want)
	}
	if db["Name"] != "sales" || db["CatalogId"] != "central" || db["CreateTime"] != "2026-03-01T12:00:00+00:00" {
		t.Errorf("got %v, want sales in catalog central created 2026-03-01T12:00:00+00:00", db)
	}
	if p := db["Parameters"].(map[string]any); p["pii_flag"] != "true" || p["data_owner"] != "111122223333" {
		t.Errorf("parameters: got %v, want the seed's", p)
	}
	if perms, ok := db["CreateTableDefaultPermissions"].([]any); !ok || len(perms) != 0 {
		t.Errorf("CreateTableDefaultPermissions: got %v, want []", db["CreateTableDefaultPermissions"])
	}

	runCalls(t, h, []callCase{
		{"stale version", "admin", "PUT", "/api/v1/catalog/databases/sales?shape=glue", seedDB, `"1"`, 409, ""},
		{"no version", "admin", "PUT", "/api/v1/catalog/databases/sales?shape=glue", seedDB, "", 400, "version"},
		{"bad If-Match", "admin", "PUT", "/api/v1/catalog/databases/sales?shape=glue", seedDB, "abc", 400, "If-Match"},
		{"rename", "admin", "PUT", "/api/v1/catalog/databases/sales?shape=glue", `{"Name": "other"}`, `"2"`, 400, "database_input.Name"},
		{"unknown field", "admin", "PUT", "/api/v1/catalog/databases/sales?shape=glue", `{"Name": "sales", "Colour": "red"}`, `"2"`, 400, "Colour"},
		{"unsupported Glue field", "admin", "PUT", "/api/v1/catalog/databases/sales?shape=glue", `{"Name": "sales", "TargetDatabase": {"DatabaseName": "x"}}`, `"2"`, 400, "database_input.TargetDatabase"},
		{"bad data_owner", "admin", "PUT", "/api/v1/catalog/databases/sales?shape=glue", `{"Name": "sales", "Parameters": {"data_owner": "Bob"}}`, `"2"`, 400, "database_input.Parameters.data_owner"},
		{"member may not edit", "member", "PUT", "/api/v1/catalog/databases/sales?shape=glue", seedDB, `"2"`, 403, ""},
		{"anonymous", "", "GET", "/api/v1/catalog/databases/sales", "", "", 401, ""},
		{"patch in glue shape", "admin", "PATCH", "/api/v1/catalog/databases/sales?shape=glue", seedDB, `"2"`, 400, "shape"},
		{"producer patches its own", "producer", "PATCH", "/api/v1/catalog/databases/sales", `{"description": "Orders", "version": 2}`, "", 200, ""},
		{"version disagrees", "producer", "PATCH", "/api/v1/catalog/databases/sales", `{"description": "x", "version": 2}`, `"3"`, 400, "version"},
		{"missing", "admin", "GET", "/api/v1/catalog/databases/nope", "", "", 404, ""},
		{"bad name", "admin", "GET", "/api/v1/catalog/databases/No%20Such", "", "", 400, "name"},
		{"delete", "admin", "DELETE", "/api/v1/catalog/databases/sales", "", "", 204, ""},
	})
}

// TestDataOwnerMustBeOnboarded: a data_owner naming an account the mesh
// does not have (999900001111 was never onboarded) is refused, in either
// shape, on a create and on an update, with 400 naming the field and the
// account, and changes nothing: a PII request on such a database would wait
// for approvers who do not exist until its approval expired.
func TestDataOwnerMustBeOnboarded(t *testing.T) {
	h := newCatalogServer(t)
	if res := call(t, h, "admin", "POST", "/api/v1/catalog/databases?shape=glue", seedDB); res.status != 201 {
		t.Fatalf("create sales: got %d %s, want 201", res.status, res.raw)
	}
	const ghost = "999900001111"
	tests := []struct {
		name, method, path, body, ifMatch, field string
	}{
		{"create", "POST", "/api/v1/catalog/databases",
			`{"name": "ghost", "parameters": {"data_owner": "` + ghost + `"}}`, "", "parameters.data_owner"},
		{"create in glue shape", "POST", "/api/v1/catalog/databases?shape=glue",
			`{"Name": "ghost", "Parameters": {"data_owner": "` + ghost + `"}}`, "", "database_input.Parameters.data_owner"},
		{"update", "PATCH", "/api/v1/catalog/databases/sales",
			`{"parameters": {"data_owner": "` + ghost + `"}, "version": 1}`, "", "parameters.data_owner"},
		{"update in glue shape", "PUT", "/api/v1/catalog/databases/sales?shape=glue",
			`{"Name": "sales", "Parameters": {"data_owner": "` + ghost + `"}}`, `"1"`, "database_input.Parameters.data_owner"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hdr []string
			if tt.ifMatch != "" {
				hdr = []string{"If-Match", tt.ifMatch}
			}
			res := call(t, h, "admin", tt.method, tt.path, tt.body, hdr...)
			e, _ := res.body["error"].(map[string]any)
			msg, _ := e["message"].(string)
			if res.status != 400 || res.errField() != tt.field || !strings.Contains(msg, ghost) {
				t.Errorf("got %d field %q (%s), want 400 naming %s and account %s", res.status, res.errField(), res.raw, tt.field, ghost)
			}
		})
	}
	if res := call(t, h, "admin", "GET", "/api/v1/catalog/databases/ghost", ""); res.status != 404 {
		t.Errorf("database ghost: got %d %s, want 404 (not created)", res.status, res.raw)
	}
	res := call(t, h, "admin", "GET", "/api/v1/catalog/databases/sales", "")
	if p, _ := res.body["parameters"].(map[string]any); res.header.Get("ETag") != `"1"` || p["data_owner"] != "111122223333" {
		t.Errorf("database sales: got etag %s %s, want version 1 owned by 111122223333", res.header.Get("ETag"), res.raw)
	}
}

func TestGlueTableShapes(t *testing.T) {
	h := newCatalogServer(t)
	call(t, h, "admin", "POST", "/api/v1/catalog/databases?shape=glue", seedDB)
	table := `{"Name": "orders", "TableType": "EXTERNAL_TABLE", "Owner": "hadoop", "Retention": 0,
		"Parameters": {"classification": "parquet"},
		"PartitionKeys": [{"Name": "dt", "Type": "string"}],
		"StorageDescriptor": {"Columns": [
			{"Name": "id", "Type": "bigint"},
			{"Name": "email", "Type": "string", "Comment": "contact", "Parameters": {"pii_flag": "true"}}],
		  "Location": "s3://sales/orders/", "Compressed": false, "NumberOfBuckets": -1,
		  "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
		  "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe", "Parameters": {"serialization.format": "1"}}}}`
	res := call(t, h, "producer", "POST", "/api/v1/catalog/databases/sales/tables?shape=glue", table)
	if res.status != 201 {
		t.Fatalf("create table: got %d %s, want 201", res.status, res.raw)
	}
	res = call(t, h, "member", "GET", "/api/v1/catalog/databases/sales/tables/orders?shape=glue", "")
	tbl, _ := res.body["Table"].(map[string]any)
	sd, _ := tbl["StorageDescriptor"].(map[string]any)
	cols, _ := sd["Columns"].([]any)
	if tbl["Name"] != "orders" || tbl["DatabaseName"] != "sales" || len(cols) != 2 || tbl["VersionId"] != "1" {
		t.Fatalf("GetTable: got %v, want orders in sales with 2 columns at version 1", res.raw)
	}
	email := cols[1].(map[string]any)
	if email["Parameters"].(map[string]any)["pii_flag"] != "true" || email["Comment"] != "contact" {
		t.Errorf("column: got %v, want pii_flag true and its comment", email)
	}
	if serde := sd["SerdeInfo"].(map[string]any); !strings.HasSuffix(serde["SerializationLibrary"].(string), "ParquetHiveSerDe") {
		t.Errorf("serde: got %v", serde)
	}
	res = call(t, h, "member", "GET", "/api/v1/catalog/databases/sales/tables?shape=glue", "")
	if list, _ := res.body["TableList"].([]any); len(list) != 1 {
		t.Errorf("GetTables: got %s, want one table", res.raw)
	}
	res = call(t, h, "member", "GET", "/api/v1/catalog/databases/sales/tables/orders", "")
	if res.body["format"].(map[string]any)["serde"].(map[string]any)["parameters"].(map[string]any)["serialization.format"] != "1" {
		t.Errorf("meshgate shape: got %s", res.raw)
	}

	runCalls(t, h, []callCase{
		{"column without type", "producer", "POST", "/api/v1/catalog/databases/sales/tables?shape=glue",
			`{"Name": "t2", "StorageDescriptor": {"Columns": [{"Name": "a", "Type": "int"}, {"Name": "b"}]}}`, "", 400, "table_input.StorageDescriptor.Columns[1].Type"},
		{"partition key name", "producer", "POST", "/api/v1/catalog/databases/sales/tables?shape=glue",
			`{"Name": "t2", "PartitionKeys": [{"Name": "Bad Name", "Type": "int"}]}`, "", 400, "table_input.PartitionKeys[0].Name"},
		{"unknown nested field", "producer", "POST", "/api/v1/catalog/databases/sales/tables?shape=glue",
			`{"Name": "t2", "StorageDescriptor": {"Colums": []}}`, "", 400, "Colums"},
		{"view definition unsupported", "producer", "POST", "/api/v1/catalog/databases/sales/tables?shape=glue",
			`{"Name": "t2", "ViewDefinition": {"IsProtected": true}}`, "", 400, "table_input.ViewDefinition"},
		{"duplicate", "producer", "POST", "/api/v1/catalog/databases/sales/tables?shape=glue", `{"Name": "orders"}`, "", 409, ""},
		{"no database", "admin", "POST", "/api/v1/catalog/databases/nope/tables?shape=glue", `{"Name": "t"}`, "", 404, ""},
		{"update replaces", "producer", "PUT", "/api/v1/catalog/databases/sales/tables/orders?shape=glue",
			`{"Name": "orders", "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "bigint"}]}}`, `"1"`, 200, ""},
		{"stale update", "producer", "PUT", "/api/v1/catalog/databases/sales/tables/orders?shape=glue",
			`{"Name": "orders"}`, `"1"`, 409, ""},
		{"member may not edit", "member", "DELETE", "/api/v1/catalog/databases/sales/tables/orders", "", "", 403, ""},
		{"delete database refused", "admin", "DELETE", "/api/v1/catalog/databases/sales", "", "", 409, ""},
		{"bad force", "admin", "DELETE", "/api/v1/catalog/databases/sales?force=yes", "", "", 400, "force"},
		{"delete database forced", "admin", "DELETE", "/api/v1/catalog/databases/sales?force=true", "", "", 204, ""},
	})
}

func TestBatchCreateTables(t *testing.T) {
	h := newCatalogServer(t)
	call(t, h, "admin", "POST", "/api/v1/catalog/databases?shape=glue", seedDB)
	res := call(t, h, "producer", "POST", "/api/v1/catalog/databases/sales/tables:batch",
		`{"tables": [{"name": "a", "columns": [{"name": "x", "type": "int"}]}, {"name": "b", "columns": []}]}`)
	if res.status != 201 || len(res.body["tables"].([]any)) != 2 {
		t.Fatalf("batch: got %d %s, want 201 with 2 tables", res.status, res.raw)
	}
	res = call(t, h, "producer", "POST", "/api/v1/catalog/databases/sales/tables:batch?shape=glue",
		`{"TableInputs": [{"Name": "c"}, {"Name": "d", "StorageDescriptor": {"Columns": [{"Name": "x"}]}}]}`)
	if res.status != 400 || res.errField() != "TableInputs[1].StorageDescriptor.Columns[0].Type" {
		t.Errorf("bad batch: got %d field %q, want 400 naming TableInputs[1].StorageDescriptor.Columns[0].Type", res.status, res.errField())
	}
	res = call(t, h, "producer", "GET", "/api/v1/catalog/databases/sales/tables/c", "")
	if res.status != 404 {
		t.Errorf("a rejected batch left table c: got %d, want 404", res.status)
	}
}

func TestListPagination(t *testing.T) {
	h := newCatalogServer(t)
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		owner := "111122223333"
		if n == "c" {
			owner = "444455556666"
		}
		res := call(t, h, "admin", "POST", "/api/v1/catalog/databases", `{"name": "`+n+`", "parameters": {"data_owner": "`+owner+`"}}`)
		if res.status != 201 {
			t.Fatalf("create %s: got %d %s", n, res.status, res.raw)
		}
	}
	var got []string
	path := "/api/v1/catalog/databases?limit=2&owner=111122223333"
	var lastToken string
	for range 5 {
		res := call(t, h, "member", "GET", path, "")
		if res.status != 200 {
			t.Fatalf("list: got %d %s", res.status, res.raw)
		}
		for _, d := range res.body["databases"].([]any) {
			got = append(got, d.(map[string]any)["name"].(string))
		}
		tok, _ := res.body["next_token"].(string)
		if tok == "" {
			break
		}
		lastToken = tok
		path = "/api/v1/catalog/databases?limit=2&owner=111122223333&next_token=" + url.QueryEscape(tok)
	}
	if want := []string{"a", "b", "d", "e"}; !reflect.DeepEqual(got, want) {
		t.Errorf("pages: got %v, want %v", got, want)
	}
	payload, sig, _ := strings.Cut(lastToken, ".")
	tampered := strings.Map(func(r rune) rune {
		if r == 'A' {
			return 'B'
		}
		return r
	}, payload) + "x." + sig
	for _, tok := range []string{"garbage", tampered, payload + ".", "." + sig} {
		res := call(t, h, "member", "GET", "/api/v1/catalog/databases?next_token="+url.QueryEscape(tok), "")
		if res.status != 400 || res.errField() != "next_token" {
			t.Errorf("token %q: got %d field %q, want 400 naming next_token", tok, res.status, res.errField())
		}
	}
	for _, q := range []string{"limit=0", "limit=x", "limit=100000", "pii=maybe", "owner=Not%20An%20Account", "shape=xml"} {
		res := call(t, h, "member", "GET", "/api/v1/catalog/databases?"+q, "")
		if res.status != 400 || res.errField() == "" {
			t.Errorf("%s: got %d field %q, want 400 naming the field", q, res.status, res.errField())
		}
	}
	res := call(t, h, "member", "GET", "/api/v1/catalog/databases?shape=glue&limit=1", "")
	if list, _ := res.body["DatabaseList"].([]any); len(list) != 1 || res.body["NextToken"] == "" {
		t.Errorf("GetDatabases: got %s, want one database and a NextToken", res.raw)
	}
}

func TestSearchAPI(t *testing.T) {
	h := newCatalogServer(t)
	call(t, h, "admin", "POST", "/api/v1/catalog/databases", `{"name": "sales", "description": "orders and invoices"}`)
	call(t, h, "admin", "POST", "/api/v1/catalog/databases/sales/tables", `{"name": "orders", "columns": [{"name": "order_id", "type": "bigint"}]}`)
	call(t, h, "admin", "POST", "/api/v1/catalog/databases/sales/tables", `{"name": "customers", "description": "who orders", "columns": [{"name": "id", "type": "bigint"}]}`)
	res := call(t, h, "member", "GET", "/api/v1/catalog/search?q=orders", "")
	if res.status != 200 {
		t.Fatalf("search: got %d %s", res.status, res.raw)
	}
	var got []string
	for _, hit := range res.body["hits"].([]any) {
		m := hit.(map[string]any)
		got = append(got, m["kind"].(string)+":"+m["database"].(string)+"/"+str(m["table"])+"/"+str(m["column"]))
	}
	if len(got) < 2 || got[0] != "table:sales/orders/" {
		t.Errorf("hits: got %v, want table sales/orders first", got)
	}
	for _, q := range []string{"", "q=", "q=%20", "q=x&limit=0", "q=x&limit=101"} {
		res := call(t, h, "member", "GET", "/api/v1/catalog/search?"+q, "")
		if res.status != 400 {
			t.Errorf("%q: got %d, want 400", q, res.status)
		}
	}
	if res := call(t, h, "", "GET", "/api/v1/catalog/search?q=orders", ""); res.status != 401 {
		t.Errorf("anonymous search: got %d, want 401", res.status)
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// TestCatalogRoutesDocumented checks every catalog route is in the OpenAPI document.
func TestCatalogRoutesDocumented(t *testing.T) {
	doc, err := api.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	paths := doc["paths"].(map[string]any)
	rt := web.NewRouter(nil, nil)
	api.Register(rt, &api.Deps{Pages: web.NewPageTokens([]byte("k"))})
	n := 0
	for _, r := range rt.Routes() {
		if !strings.HasPrefix(r.Pattern, "/api/v1/catalog") {
			continue
		}
		n++
		item, _ := paths[r.Pattern].(map[string]any)
		if _, ok := item[strings.ToLower(r.Method)]; !ok {
			t.Errorf("%s %s is not documented", r.Method, r.Pattern)
		}
	}
	if n == 0 {
		t.Error("no catalog routes registered")
	}
}

func TestTablePatchAndPut(t *testing.T) {
	h := newCatalogServer(t)
	call(t, h, "admin", "POST", "/api/v1/catalog/databases", `{"name": "sales"}`)
	res := call(t, h, "admin", "POST", "/api/v1/catalog/databases/sales/tables",
		`{"name": "orders", "description": "v1", "columns": [{"name": "id", "type": "bigint"}, {"name": "email", "type": "string"}]}`)
	if res.status != 201 || res.header.Get("Location") != "/api/v1/catalog/databases/sales/tables/orders" {
		t.Fatalf("create: got %d %s", res.status, res.raw)
	}
	columns := func(r response) int { c, _ := r.body["columns"].([]any); return len(c) }
	res = call(t, h, "admin", "PATCH", "/api/v1/catalog/databases/sales/tables/orders", `{"description": "v2", "version": 1}`)
	if res.status != 200 || res.body["description"] != "v2" || columns(res) != 2 || res.body["version"] != 2.0 {
		t.Errorf("patch: got %d %s, want v2 with both columns kept at version 2", res.status, res.raw)
	}
	res = call(t, h, "admin", "PUT", "/api/v1/catalog/databases/sales/tables/orders", `{"name": "orders", "columns": [{"name": "id", "type": "bigint"}]}`, "If-Match", `W/"2"`)
	if res.status != 200 || res.body["description"] != nil || columns(res) != 1 {
		t.Errorf("put: got %d %s, want the description cleared and one column", res.status, res.raw)
	}
	res = call(t, h, "admin", "PATCH", "/api/v1/catalog/databases/sales/tables/orders", `{"columns": [{"name": "id"}], "version": 3}`)
	if res.status != 400 || res.errField() != "columns[0].type" {
		t.Errorf("bad patch: got %d field %q, want 400 naming columns[0].type", res.status, res.errField())
	}
	res = call(t, h, "admin", "PATCH", "/api/v1/catalog/databases/sales/tables/orders", `{"database_name": "hr", "version": 3}`)
	if res.status != 400 || res.errField() != "database_name" {
		t.Errorf("move: got %d field %q, want 400 naming database_name", res.status, res.errField())
	}
	res = call(t, h, "admin", "POST", "/api/v1/catalog/databases/sales/tables", `{"name": "x", "version": 4}`)
	if res.status != 400 || res.errField() != "version" {
		t.Errorf("create with a version: got %d field %q, want 400 naming version", res.status, res.errField())
	}
}

// TestCreateTableInPathDatabase: a table is created in the database the
// path names; a body whose database_name names another is refused (400
// naming database_name, as PUT and PATCH refuse a move) and creates nothing
// in either database.
func TestCreateTableInPathDatabase(t *testing.T) {
	h := newCatalogServer(t)
	call(t, h, "admin", "POST", "/api/v1/catalog/databases", `{"name": "sales"}`)
	call(t, h, "admin", "POST", "/api/v1/catalog/databases", `{"name": "other"}`)
	runCalls(t, h, []callCase{
		{"another database", "admin", "POST", "/api/v1/catalog/databases/sales/tables",
			`{"name": "t1", "database_name": "other", "columns": [{"name": "id", "type": "int"}]}`, "", 400, "database_name"},
		{"nothing in the other", "admin", "GET", "/api/v1/catalog/databases/other/tables/t1", "", "", 404, ""},
		{"nothing in the path's", "admin", "GET", "/api/v1/catalog/databases/sales/tables/t1", "", "", 404, ""},
		{"the path's database named", "admin", "POST", "/api/v1/catalog/databases/sales/tables",
			`{"name": "t1", "database_name": "sales"}`, "", 201, ""},
	})
}

// TestListTablesOfMalformedDatabase: a malformed database name is bad input
// (400 naming it) when listing its tables, as when reading the database,
// not an unknown database (404).
func TestListTablesOfMalformedDatabase(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			_, admin := servertest.New(t, servertest.Options{Store: kind})
			_, err := admin.GetDatabase(ctx, "Sales")
			wantAPIError(t, err, http.StatusBadRequest, mesh.EINVALID, "name")
			_, err = admin.ListTables(ctx, "Sales", client.CatalogListOptions{})
			wantAPIError(t, err, http.StatusBadRequest, mesh.EINVALID, "database")
			err = admin.Do(ctx, http.MethodGet, "/api/v1/catalog/tables", url.Values{"database": {"Sales!"}}, nil, nil)
			wantAPIError(t, err, http.StatusBadRequest, mesh.EINVALID, "database")
			_, err = admin.ListTables(ctx, "nope", client.CatalogListOptions{})
			wantAPIError(t, err, http.StatusNotFound, mesh.ENOTFOUND, "")
		})
	}
}

// TestParametersRefuseControlCharacters: a parameter key or value holding
// NUL, CR or LF is bad input (400 naming the parameter) on both stores;
// PostgreSQL's jsonb would refuse NUL with a 500, SQLite would keep it.
func TestParametersRefuseControlCharacters(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			_, admin := servertest.New(t, servertest.Options{Store: kind})
			for _, tt := range []struct {
				params map[string]string
				field  string
			}{
				{map[string]string{"note": "a\x00b"}, "parameters.note"},
				{map[string]string{"a\x00b": "x"}, "parameters"},
				{map[string]string{"note": "line one\nline two"}, "parameters.note"},
			} {
				_, err := admin.CreateDatabase(ctx, &client.Database{Name: "d", Parameters: tt.params})
				wantAPIError(t, err, http.StatusBadRequest, mesh.EINVALID, tt.field)
			}
			if _, err := admin.CreateDatabase(ctx, &client.Database{Name: "d"}); err != nil {
				t.Fatal(err)
			}
			body := `{"name": "t", "columns": [{"name": "c", "type": "int", "parameters": {"note": "a\u0000b"}}]}`
			err := admin.Do(ctx, http.MethodPost, "/api/v1/catalog/databases/d/tables", nil, json.RawMessage(body), nil)
			wantAPIError(t, err, http.StatusBadRequest, mesh.EINVALID, "columns[0].parameters.note")
			body = `{"name": "t", "format": {"serde": {"parameters": {"field.delim": "\u0000"}}}}`
			err = admin.Do(ctx, http.MethodPost, "/api/v1/catalog/databases/d/tables", nil, json.RawMessage(body), nil)
			wantAPIError(t, err, http.StatusBadRequest, mesh.EINVALID, "format.serde.parameters.field.delim")
		})
	}
}

// TestGluePIIFlagRefusedNamesGlueField: a Glue TableInput whose column
// says pii_flag "yes" is refused with 400 naming the field in Glue's shape,
// and creates nothing.
func TestGluePIIFlagRefusedNamesGlueField(t *testing.T) {
	ctx := context.Background()
	_, admin := servertest.New(t, servertest.Options{})
	if _, err := admin.CreateDatabase(ctx, &client.Database{Name: "d"}); err != nil {
		t.Fatal(err)
	}
	body := `{"Name": "t", "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "int"}, {"Name": "email", "Type": "string", "Parameters": {"pii_flag": "yes"}}]}}`
	err := admin.Do(ctx, http.MethodPost, "/api/v1/catalog/databases/d/tables?shape=glue", nil, json.RawMessage(body), nil)
	wantAPIError(t, err, http.StatusBadRequest, mesh.EINVALID, "table_input.StorageDescriptor.Columns[1].Parameters.pii_flag")
	if _, err := admin.GetTable(ctx, "d", "t"); err == nil {
		t.Errorf("a refused table was created")
	}
}
