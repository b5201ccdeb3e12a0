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
