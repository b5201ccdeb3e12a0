package e2e

import (
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/testbin"
)

// TestAcknowledgedWritesSurviveKill checks that what the CLI was told is done
// is still there after the server is killed (SIGKILL, no shutdown) and
// started again, on every available store.
func TestAcknowledgedWritesSurviveKill(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			srv := testbin.StartServer(t, testbin.Options{Postgres: kind == "postgres"})
			cli(t, srv, "account", "onboard", "--id", "111122223333", "--name", "Sales")
			cli(t, srv, "catalog", "create-database", "--database-input", salesDatabaseInput)

			srv.Kill(t)
			srv.Restart(t)

			out := cli(t, srv, "account", "show", "--id", "111122223333")
			if !strings.Contains(out, "Sales") {
				t.Errorf("account after kill: got %q, want Sales", out)
			}
			var db glueDatabase
			decode(t, cli(t, srv, "catalog", "get-database", "--name", "sales", "-o", "json"), &db)
			if got := db.Database.Parameters["pii_flag"]; got != "true" {
				t.Errorf("sales pii_flag after kill: got %q, want true", got)
			}
		})
	}
}
