package mesh

import (
	"slices"
	"testing"
)

func TestCatalogPII(t *testing.T) {
	flag := func(v string) map[string]string { return map[string]string{ParamPIIFlag: v} }
	tests := []struct {
		name  string
		db    *Database
		table *Table
		want  bool // DatabaseHasPII
	}{
		{"nothing flagged", &Database{}, &Table{Columns: []Column{{Name: "a"}}}, false},
		{"database flag, any case", &Database{Parameters: flag("TRUE")}, &Table{}, true},
		{"table flag", &Database{}, &Table{Parameters: flag("true")}, true},
		{"column flag", &Database{}, &Table{Columns: []Column{{Name: "a"}, {Name: "b", Parameters: flag(" true ")}}}, true},
		{"partition key flag", &Database{}, &Table{PartitionKeys: []Column{{Name: "dt", Parameters: flag("true")}}}, true},
		{"false is false", &Database{Parameters: flag("false")}, &Table{Columns: []Column{{Name: "a", Parameters: flag("yes")}}}, false},
	}
	for _, tt := range tests {
		if got := DatabaseHasPII(tt.db, []*Table{{Name: "plain"}, tt.table}); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
	tb := &Table{Columns: []Column{{Name: "a"}, {Name: "email", Parameters: flag("true")}}, PartitionKeys: []Column{{Name: "dt", Parameters: flag("true")}}}
	if got := tb.PIIColumns(); !slices.Equal(got, []string{"email", "dt"}) {
		t.Errorf("PIIColumns: got %v, want [email dt]", got)
	}
	d := &Database{Parameters: map[string]string{ParamDataOwner: "111122223333"}}
	if got := d.DataOwner(); got != "111122223333" {
		t.Errorf("DataOwner: got %q, want 111122223333", got)
	}
}
