package api

import (
	"errors"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/web"
)

// strictAuthorize decodes body the standard, strict way.
func strictAuthorize(t testing.TB, body string) (authorizeBody, error) {
	t.Helper()
	var out authorizeBody
	r := httptest.NewRequest("POST", "/api/v1/authorize", strings.NewReader(body))
	err := web.DecodeJSON(httptest.NewRecorder(), r, &out)
	return out, err
}

// checkParseAuthorize checks that what parseAuthorize accepts, the strict
// decoding accepts with the same result, and that a refusal leaves body zero.
func checkParseAuthorize(t testing.TB, body string) bool {
	t.Helper()
	var got authorizeBody
	ok := parseAuthorize([]byte(body), &got)
	if !ok {
		if !reflect.DeepEqual(got, authorizeBody{}) {
			t.Fatalf("body %q: refused but left %+v", body, got)
		}
		return false
	}
	want, err := strictAuthorize(t, body)
	if err != nil {
		t.Fatalf("body %q: parsed as %+v, but the strict decoding rejects it: %v", body, got, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("body %q: got %+v, want %+v", body, got, want)
	}
	return true
}

func TestParseAuthorize(t *testing.T) {
	tests := []struct {
		name, body string
		want       bool // parsed without the strict decoding
	}{
		{"single", `{"principal":"111122223333/bob","action":"SELECT","resource":{"database":"sales","table":"orders","columns":["total"]}}`, true},
		{"spaces", " {\n\t\"action\" : \"DESCRIBE\" , \"resource\" : { \"database\" : \"sales\" } }\r\n", true},
		{"empty object", `{}`, true},
		{"empty resource", `{"resource":{}}`, true},
		{"empty column list", `{"resource":{"database":"s","table":"t","columns":[]}}`, true},
		{"excluded columns", `{"resource":{"database":"s","table":"t","excluded_columns":["a","b"]}}`, true},
		{"unknown action kept", `{"action":"FLY"}`, true},
		{"batch", `{"requests":[{"action":"SELECT","resource":{"database":"s"}},{"principal":"p"}]}`, true},
		{"empty batch", `{"requests":[]}`, true},
		{"batch and single", `{"principal":"p","requests":[{}]}`, true},
		{"DEL byte", "{\"principal\":\"a\x7fb\"}", true},
		{"unknown field", `{"principal":"p","colour":"red"}`, false},
		{"unknown resource field", `{"resource":{"database":"s","colour":"red"}}`, false},
		{"unknown batch field", `{"requests":[{"requests":[]}]}`, false},
		{"field in another case", `{"Principal":"p"}`, false},
		{"repeated field", `{"principal":"a","principal":"b"}`, false},
		{"repeated resource field", `{"resource":{"table":"a","table":"b"}}`, false},
		{"repeated requests", `{"requests":[],"requests":[{}]}`, false},
		{"escape", `{"principal":"a\u0062"}`, false},
		{"non-ASCII", `{"principal":"é"}`, false},
		{"control byte", "{\"principal\":\"a\tb\"}", false},
		{"number", `{"principal":5}`, false},
		{"null", `{"principal":null}`, false},
		{"null requests", `{"requests":null}`, false},
		{"null columns", `{"resource":{"columns":null}}`, false},
		{"trailing data", `{"principal":"p"} {}`, false},
		{"trailing comma", `{"principal":"p",}`, false},
		{"trailing list comma", `{"resource":{"columns":["a",]}}`, false},
		{"truncated", `{"principal":"p"`, false},
		{"not an object", `["principal"]`, false},
		{"empty", ``, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := checkParseAuthorize(t, tt.body); got != tt.want {
				t.Errorf("parsed: got %v, want %v", got, tt.want)
			}
		})
	}
}

// FuzzParseAuthorize checks parseAuthorize against the strict decoding on
// any input: it may refuse what it likes, but never accept differently.
func FuzzParseAuthorize(f *testing.F) {
	for _, s := range []string{
		`{"principal":"111122223333/bob","action":"SELECT","resource":{"database":"sales","table":"orders","columns":["total"]}}`,
		`{"requests":[{"action":"SELECT","resource":{"database":"s","excluded_columns":["a"]}},{"principal":"p"}]}`,
		`{"resource":{"columns":[]}}`, ` { } `, `{"principal":"a","principal":"b"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		checkParseAuthorize(t, body)
	})
}

// TestAuthorizeRejectsBadBodies checks the handler's answers to bodies the
// fast parser leaves to the strict decoding.
func TestAuthorizeRejectsBadBodies(t *testing.T) {
	tests := []struct {
		name, body, wantField string
		wantCode              string
	}{
		{"unknown field named", `{"principal":"p","colour":"red"}`, "colour", mesh.EINVALID},
		{"wrong type named", `{"principal":5}`, "principal", mesh.EINVALID},
		{"malformed", `{"principal":`, "body", mesh.EINVALID},
		{"trailing data", `{"principal":"p"} {}`, "body", mesh.EINVALID},
		{"too large", `{"principal":"` + strings.Repeat("x", web.MaxBodyBytes) + `"}`, "", mesh.ETOOLARGE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/api/v1/authorize", strings.NewReader(tt.body))
			err := (&Deps{}).authorize(httptest.NewRecorder(), r) // decoding fails before any decision
			var e *mesh.Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want a %s error", err, tt.wantCode)
			}
			if e.Code != tt.wantCode || e.Field != tt.wantField {
				t.Errorf("got %s field %q, want %s field %q (%s)", e.Code, e.Field, tt.wantCode, tt.wantField, e.Message)
			}
		})
	}
}

func TestAppendDecision(t *testing.T) {
	tests := []struct {
		name  string
		d     mesh.Decision
		plain bool
	}{
		{"allowed", mesh.Decision{Allowed: true, Grants: []int64{7, 42}, Reason: "granted"}, true},
		{"denied", mesh.Decision{Grants: []int64{}, Reason: "no grant gives SELECT on columns email of table sales.orders to 111122223333/bob"}, true},
		{"no grants", mesh.Decision{Reason: "r"}, true},
		{"quote", mesh.Decision{Grants: []int64{}, Reason: `say "no"`}, false},
		{"non-ASCII", mesh.Decision{Grants: []int64{}, Reason: "café"}, false},
		{"html", mesh.Decision{Grants: []int64{}, Reason: "<a&b>"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			web.WriteJSON(rec, 200, tt.d)
			got, ok := appendDecision(nil, tt.d)
			if ok != tt.plain {
				t.Fatalf("plain: got %v, want %v", ok, tt.plain)
			}
			if ok && string(got) != rec.Body.String() {
				t.Errorf("got %q, want %q", got, rec.Body.String())
			}
		})
	}
}
