package catalog

import (
	"errors"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
)

// TestValidateNameAgrees checks the fast path decides as mesh.ValidateName does.
func TestValidateNameAgrees(t *testing.T) {
	for _, name := range []string{"sales", "a", "_x", "orders_2024", "a-b", "-a", "", "Sales", "a b", "ü", "a.b",
		strings.Repeat("a", mesh.MaxNameLen), strings.Repeat("a", mesh.MaxNameLen+1)} {
		got, want := validateName("f", name), mesh.ValidateName("f", name)
		if (got == nil) != (want == nil) {
			t.Errorf("%q: got %v, want %v", name, got, want)
		}
	}
}

// TestTextFieldsRefuseControlCharacters checks that column types,
// comments and descriptions refuse NUL, CR, LF and other controls, naming
// the field, and keep tabs and other text.
func TestTextFieldsRefuseControlCharacters(t *testing.T) {
	col := func(typ, comment string) *mesh.Table {
		return &mesh.Table{Name: "t", Columns: []mesh.Column{{Name: "c", Type: typ, Comment: comment}}}
	}
	tests := []struct {
		name      string
		table     *mesh.Table
		wantField string // "" for valid
	}{
		{"plain", col("struct<a:int,b:string>", "the customer's id"), ""},
		{"tab kept", col("string", "a\tb"), ""},
		{"unicode kept", col("string", "Kundennummer (€)"), ""},
		{"NUL in type", col("string\x00", ""), "columns[0].type"},
		{"LF in type", col("int\nDROP", ""), "columns[0].type"},
		{"CR in comment", col("int", "a\rb"), "columns[0].comment"},
		{"C1 control in comment", col("int", "a\u0085b"), "columns[0].comment"},
		{"DEL in comment", col("int", "a\x7fb"), "columns[0].comment"},
		{"LF in description", &mesh.Table{Name: "t", Description: "line\nline"}, "description"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateTable("", tt.table)
			if tt.wantField == "" {
				if err != nil {
					t.Errorf("got %v, want valid", err)
				}
				return
			}
			var me *mesh.Error
			if !errors.As(err, &me) || me.Code != mesh.EINVALID || me.Field != tt.wantField {
				t.Errorf("got %v, want invalid %s", err, tt.wantField)
			}
		})
	}
	if err := validateDatabase("", &mesh.Database{Name: "d", Description: "a\x00b"}); !mesh.IsCode(err, mesh.EINVALID) {
		t.Errorf("NUL in a database description: got %v, want invalid", err)
	}
}
