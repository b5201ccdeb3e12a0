package web

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
)

func TestDecodeJSONFunc(t *testing.T) {
	type thing struct {
		Name string `json:"name"`
	}
	// fast handles exactly {"name":"fast"}, as a route's parser would handle its common shape.
	fast := func(v *thing) func([]byte) bool {
		return func(b []byte) bool {
			if string(b) != `{"name":"fast"}` {
				return false
			}
			v.Name = "fast"
			return true
		}
	}
	tests := []struct {
		name, body, wantName string
		wantCode, wantField  string
	}{
		{"parsed by hand", `{"name":"fast"}`, "fast", "", ""},
		{"left to the strict decoding", ` {"name":"slow"} `, "slow", "", ""},
		{"unknown field named", `{"name":"a","colour":"red"}`, "", mesh.EINVALID, "colour"},
		{"unknown field without a name", `{"name":"a","":"red"}`, "", mesh.EINVALID, "body"},
		{"wrong type named", `{"name":5}`, "", mesh.EINVALID, "name"},
		{"malformed", `{"name":`, "", mesh.EINVALID, "body"},
		{"trailing data", `{"name":"a"} {}`, "", mesh.EINVALID, "body"},
		{"empty", ``, "", mesh.EINVALID, "body"},
		{"too large", `{"name":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, "", mesh.ETOOLARGE, ""},
		{"too large with the value early", `{"name":"a"}` + strings.Repeat(" ", MaxBodyBytes), "", mesh.ETOOLARGE, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v thing
			r := httptest.NewRequest("POST", "/things", strings.NewReader(tt.body))
			err := DecodeJSONFunc(httptest.NewRecorder(), r, &v, fast(&v))
			if tt.wantCode == "" {
				if err != nil || v.Name != tt.wantName {
					t.Fatalf("got %+v, %v; want name %q", v, err, tt.wantName)
				}
				return
			}
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

// TestUnmarshalerErrorNamesItsField: a value that a type's own UnmarshalJSON
// refuses is an EINVALID error of the field that holds it, as the body
// names it, wherever the field sits; the decoder's own errors keep theirs.
func TestUnmarshalerErrorNamesItsField(t *testing.T) {
	type Common struct {
		Every mesh.Duration `json:"every"`
	}
	type item struct {
		Perms mesh.Permissions `json:"perms"`
	}
	type thing struct {
		Common
		Permissions mesh.Permissions `json:"permissions"`
		Grantable   mesh.Permissions `json:"grantable,omitempty"`
		Inner       *item            `json:"inner"`
		Items       []item           `json:"items"`
		ByName      map[string]item  `json:"by_name"`
		Untagged    mesh.Permissions
	}
	tests := []struct {
		name, body, wantField, wantMessage string
	}{
		{"top level", `{"permissions":["BOGUS"]}`, "permissions", "BOGUS"},
		{"another field of the type", `{"permissions":["SELECT"],"grantable":["BOGUS"]}`, "grantable", "BOGUS"},
		{"the first in the body's order", `{"grantable":["NOPE"],"permissions":["BOGUS"]}`, "grantable", "NOPE"},
		{"nested", `{"inner":{"perms":["BOGUS"]}}`, "inner.perms", "BOGUS"},
		{"in a list", `{"items":[{"perms":["SELECT"]},{"perms":["BOGUS"]}]}`, "items.perms", "BOGUS"},
		// a map's keys are not in the path, as in the decoder's own type errors
		{"in a map", `{"by_name":{"a":{"perms":["BOGUS"]}}}`, "by_name.perms", "BOGUS"},
		{"embedded", `{"every":"soon"}`, "every", "soon"},
		{"name folding case", `{"UNTAGGED":["BOGUS"]}`, "Untagged", "BOGUS"},
		// The decoder goes on past its own errors but stops at a type's.
		{"after an unknown field", `{"colour":"red","permissions":["BOGUS"]}`, "permissions", "BOGUS"},
		{"the decoder's own", `{"inner":5,"permissions":["SELECT"]}`, "inner", "must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v thing
			r := httptest.NewRequest("POST", "/things", strings.NewReader(tt.body))
			err := DecodeJSON(httptest.NewRecorder(), r, &v)
			var e *mesh.Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want an EINVALID error", err)
			}
			if e.Code != mesh.EINVALID || e.Field != tt.wantField || !strings.Contains(e.Message, tt.wantMessage) {
				t.Errorf("got %s field %q (%s), want %s field %q naming %q", e.Code, e.Field, e.Message, mesh.EINVALID, tt.wantField, tt.wantMessage)
			}
		})
	}
	var v thing
	r := httptest.NewRequest("POST", "/things", strings.NewReader(`{"inner":null,"permissions":["SELECT"],"every":"1h"}`))
	if err := DecodeJSON(httptest.NewRecorder(), r, &v); err != nil {
		t.Errorf("a valid body: got %v, want it decoded", err)
	}
}

// TestDecodeJSONNotAnObject checks that a body that is not the JSON value a
// route reads is refused naming the body, with a message that speaks JSON
// rather than the server's type names, and that null is refused too rather
// than read as an empty request.
func TestDecodeJSONNotAnObject(t *testing.T) {
	type inner struct {
		A int `json:"a"`
	}
	type thing struct {
		Name  string  `json:"name"`
		Inner inner   `json:"inner"`
		List  []inner `json:"list"`
	}
	tests := []struct{ body, wantField, wantMessage string }{
		{`null`, "body", "must be a JSON object, not null"},
		{` null `, "body", "must be a JSON object, not null"},
		{`[]`, "body", "must be a JSON object, not array"},
		{`"x"`, "body", "must be a JSON object, not string"},
		{`1`, "body", "must be a JSON object, not number"},
		{`{"inner": "x"}`, "inner", "must be a JSON object, not string"},
		{`{"list": {}}`, "list", "must be a JSON array, not object"},
		{`{"list": [1]}`, "list", "must be a JSON object, not number"},
		{`{"name": []}`, "name", "must be a string, not array"},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			var v thing
			r := httptest.NewRequest("POST", "/things", strings.NewReader(tt.body))
			err := DecodeJSON(httptest.NewRecorder(), r, &v)
			var e *mesh.Error
			if !errors.As(err, &e) || e.Code != mesh.EINVALID || e.Field == "" {
				t.Fatalf("got %v, want an invalid error naming a field", err)
			}
			if !strings.HasPrefix(e.Field, tt.wantField) {
				t.Errorf("got field %q, want %q", e.Field, tt.wantField)
			}
			if tt.wantMessage != "" && e.Message != tt.wantMessage {
				t.Errorf("got message %q, want %q", e.Message, tt.wantMessage)
			}
			if strings.Contains(e.Message, "thing") || strings.Contains(e.Message, "inner") || strings.Contains(e.Message, "struct") {
				t.Errorf("got message %q, which names the server's types", e.Message)
			}
		})
	}
}
