package mesh_test

import (
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
)

func TestCleanDisplayName(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // "" when refused
	}{
		{"plain", "Sales", "Sales"},
		{"accents kept", "Ventes Île-de-France", "Ventes Île-de-France"},
		{"stored in NFC", "Cafe\u0301", "Caf\u00e9"},
		{"CJK kept", "販売部", "販売部"},
		{"empty", "", ""},
		{"NUL", "Sa\x00les", ""},
		{"LF", "Sales\nAdmin", ""},
		{"tab", "Sales\tA", ""},
		{"DEL", "Sales\x7f", ""},
		{"C1 control", "Sales\u0085", ""},
		{"right-to-left override", "Sales\u202Egnp.exe", ""},
		{"left-to-right embedding", "\u202ASales", ""},
		{"pop directional isolate", "Sales\u2069", ""},
		{"right-to-left mark", "Sales\u200F", ""},
		{"Arabic letter mark", "Sales\u061C", ""},
		{"zero-width space", "Sa\u200Bles", ""},
		{"zero-width joiner", "Sa\u200Dles", ""},
		{"word joiner", "Sa\u2060les", ""},
		{"byte order mark", "\uFEFFSales", ""},
		{"not UTF-8", "Sa\xffles", ""},
		{"too long", strings.Repeat("a", mesh.MaxAccountNameLen+1), ""},
		{"as long as allowed", strings.Repeat("a", mesh.MaxAccountNameLen), strings.Repeat("a", mesh.MaxAccountNameLen)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mesh.CleanAccountName("name", tt.in)
			if tt.want == "" {
				if !mesh.IsCode(err, mesh.EINVALID) || err.(*mesh.Error).Field != "name" {
					t.Errorf("got %q, %v; want invalid name", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestTokenNameRefusesInvisibleCharacters(t *testing.T) {
	for _, name := range []string{"ci\u202Etoken", "ci\u200Btoken", "ci\ntoken"} {
		if err := mesh.ValidateTokenName("name", name); !mesh.IsCode(err, mesh.EINVALID) {
			t.Errorf("%q: got %v, want invalid", name, err)
		}
	}
	if err := mesh.ValidateTokenName("name", "laptop (Jürgen)"); err != nil {
		t.Errorf("got %v, want valid", err)
	}
}

func TestCheckSingleLine(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"array<struct<a:int>>", true},
		{"a\tb", true},
		{"ünïcödé €", true},
		{"a\x00b", false},
		{"a\rb", false},
		{"a\nb", false},
		{"a\u0085b", false},
		{"a\u009fb", false},
		{"a\x7fb", false},
	}
	for _, tt := range tests {
		if got := mesh.CheckSingleLine("type", tt.in) == nil; got != tt.want {
			t.Errorf("%q: got valid %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestNameSkeleton(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"alice", "alice", true},
		{"alice", "Alice", true},
		{"alice", "\u0430lice", true}, // Cyrillic а
		{"sales-admin", "s\u0430les-\u0430dmin", true},
		{"paypal", "\u0440\u0430yp\u0430l", true}, // Cyrillic р and а
		{"alice", "aIice", true},                  // capital I for l
		{"alice", "a1ice", true},                  // digit 1 for l
		{"bob", "b0b", true},                      // digit 0 for o
		{"admin", "adrnin", true},                 // rn for m
		{"wendy", "vvendy", true},                 // vv for w
		{"omega", "\u03bfmega", true},             // Greek ο
		{"sales", "ｓａｌｅｓ", true},                  // full-width, folded by NFKC
		{"alice", "al\u200Bice", true},            // a zero-width space changes nothing
		{"alice", "alicia", false},
		{"ann", "anne", false},
		{"alice", "allce", false}, // i and l differ in lower case
		{"sales-admin", "sales-approver", false},
	}
	for _, tt := range tests {
		ka, kb := mesh.NameSkeleton(tt.a), mesh.NameSkeleton(tt.b)
		if (ka == kb) != tt.same {
			t.Errorf("%q (%q) and %q (%q): got same %v, want %v", tt.a, ka, tt.b, kb, ka == kb, tt.same)
		}
	}
}
