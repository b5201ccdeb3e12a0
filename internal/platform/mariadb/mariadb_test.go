package mariadb

import "testing"

// TestCovers matches mysql.db's database name patterns as MariaDB does:
// % and _ are wildcards, \ escapes them, and a pattern naming the database
// itself, escaped or not, is exact.
func TestCovers(t *testing.T) {
	tests := []struct {
		pattern, db  string
		fold         bool
		exact, match bool
	}{
		{"sales", "sales", false, true, true},
		{"sal_s", "sales", false, false, true},
		{"sales%", "sales", false, false, true},
		{"%", "sales", false, false, true},
		{"s%s", "sales", false, false, true},
		{"sal_s", "sal_s", false, true, true},
		{`sal\_s`, "sal_s", false, true, true},
		{`sal\_s`, "sales", false, false, false},
		{`a\%`, "a%", false, true, true},
		{`a\%`, "ab", false, false, false},
		{"sales_", "sales", false, false, false},
		{"sales%", "sale", false, false, false},
		{"Sales", "sales", false, false, false},
		{"Sales", "sales", true, true, true},
		{"_ü", "xü", false, false, true},
	}
	for _, tt := range tests {
		exact, match := covers(tt.pattern, tt.db, tt.fold)
		if exact != tt.exact || match != tt.match {
			t.Errorf("covers(%q, %q, %v): got exact %v, match %v, want %v, %v", tt.pattern, tt.db, tt.fold, exact, match, tt.exact, tt.match)
		}
	}
}
