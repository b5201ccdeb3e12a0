package platform_test

import (
	"testing"

	"github.com/meshgate/meshgate/internal/platform/mariadb"
	"github.com/meshgate/meshgate/internal/platform/pgplatform"
)

func TestStatementsQuoteEveryName(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"postgres columns", pgplatform.Driver{}.Grant(`mg_a_b"c`, `My "S"`, "T t", []string{`x"`, "Y"}, "SELECT"),
			`GRANT SELECT ("x""", "Y") ON TABLE "My ""S"""."T t" TO "mg_a_b""c"`},
		{"postgres schema usage", pgplatform.Driver{}.Revoke("r", `s"; DROP TABLE x; --`, "", nil, "USAGE"),
			`REVOKE USAGE ON SCHEMA "s""; DROP TABLE x; --" FROM "r" CASCADE`},
		{"postgres role", pgplatform.Driver{}.CreateRole(`r"`), `CREATE ROLE "r""" NOLOGIN`},
		{"postgres membership", pgplatform.Driver{}.RevokeRole(`mg_a"; --`, `Read"er`), `REVOKE "Read""er" FROM "mg_a""; --" CASCADE`},
		{"mariadb columns", mariadb.Driver{}.Grant("mg_a_b`c", "My `S`", "T t", []string{"x`", "Y"}, "SELECT"),
			"GRANT SELECT (`x```, `Y`) ON `My ``S```.`T t` TO `mg_a_b``c`"},
		{"mariadb table", mariadb.Driver{}.Revoke("r", "d", `t'`, nil, "INSERT"), "REVOKE INSERT ON `d`.`t'` FROM `r`"},
		{"mariadb role", mariadb.Driver{}.CreateRole("r`"), "CREATE ROLE IF NOT EXISTS `r```"},
		{"mariadb wider", mariadb.Driver{}.RevokeOn("mg_a`; --", "`sales%`.*", "SELECT"), "REVOKE SELECT ON `sales%`.* FROM `mg_a``; --`"},
		{"mariadb membership", mariadb.Driver{}.RevokeRole("mg_a`; --", "Read`er"), "REVOKE `Read``er` FROM `mg_a``; --`"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, tt.got, tt.want)
		}
	}
}
