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
// comments, descriptions and parameters refuse NUL, CR, LF and other
// controls, naming the field, and keep tabs and other text; a SerDe's
// parameter values keep Hive's delimiters but not NUL.
func TestTextFieldsRefuseControlCharacters(t *testing.T) {
	col := func(typ, comment string) *mesh.Table {
		return &mesh.Table{Name: "t", Columns: []mesh.Column{{Name: "c", Type: typ, Comment: comment}}}
	}
	serde := func(p map[string]string) *mesh.Table {
		return &mesh.Table{Name: "t", Format: mesh.StorageFormat{SerDe: mesh.SerDe{Parameters: p}}}
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
		{"NUL in a parameter value", &mesh.Table{Name: "t", Parameters: map[string]string{"note": "a\x00b"}}, "parameters.note"},
		{"LF in a parameter value", &mesh.Table{Name: "t", Parameters: map[string]string{"note": "line\nline"}}, "parameters.note"},
		{"NUL in a parameter key", &mesh.Table{Name: "t", Parameters: map[string]string{"a\x00b": "x"}}, "parameters"},
		{"tab in a parameter value kept", &mesh.Table{Name: "t", Parameters: map[string]string{"delimiter": "\t"}}, ""},
		{"CR in a column parameter", &mesh.Table{Name: "t", Columns: []mesh.Column{{Name: "c", Type: "int", Parameters: map[string]string{"note": "a\rb"}}}}, "columns[0].parameters.note"},
		{"LF in a SerDe parameter key", serde(map[string]string{"a\nb": "x"}), "format.serde.parameters"},
		{"NUL in a SerDe parameter value", serde(map[string]string{"field.delim": "\x00"}), "format.serde.parameters.field.delim"},
		{"Hive's delimiters kept in SerDe parameters", serde(map[string]string{"field.delim": "\x01", "collection.delim": "\x02", "line.delim": "\n"}), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateTable("", tt.table, nil)
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
	if err := validateDatabase("", &mesh.Database{Name: "d", Description: "a\x00b"}, nil); !mesh.IsCode(err, mesh.EINVALID) {
		t.Errorf("NUL in a database description: got %v, want invalid", err)
	}
	var me *mesh.Error
	if err := validateDatabase("", &mesh.Database{Name: "d", Parameters: map[string]string{"note": "a\nb"}}, nil); !errors.As(err, &me) || me.Field != "parameters.note" {
		t.Errorf("LF in a database parameter: got %v, want invalid parameters.note", err)
	}
}
