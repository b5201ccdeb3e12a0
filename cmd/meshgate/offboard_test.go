package main

import (
	"context"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestOffboardCommands drives offboarding through the CLI: a producer with a
// pending outgoing share is refused without --force, listing its product,
// the grant, the share and the invitation; --force ends them (the consumer
// can no longer accept) and deletes the product; the id comes back only
// with --reonboard.
func TestOffboardCommands(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			m := newAccessMesh(t, kind)
			run := func(token string, wantCode int, want []string, args ...string) string {
				t.Helper()
				out, code := m.run(t, token, args...)
				if code != wantCode {
					t.Fatalf("%s: got exit %d, want %d:\n%s", strings.Join(args, " "), code, wantCode, out)
				}
				for _, w := range want {
					if !strings.Contains(out, w) {
						t.Errorf("%s: got\n%s\nwant it to contain %q", strings.Join(args, " "), out, w)
					}
				}
				return out
			}
			run(m.producer, 0, []string{"pending"},
				"grant", "--principal", "222233334444", "--database", "sales", "--table", "orders", "--permissions", "SELECT")
			invs, err := m.consumerClient.Invitations(context.Background(), "", "pending")
			if err != nil || len(invs) != 1 {
				t.Fatalf("got %d invitations (%v), want 1", len(invs), err)
			}

			run(m.admin, 1, []string{"4 dependents", "database/sales: ", "grant/1: ", "share/1: ", "invitation/1: ", "--force", "--transfer-to"},
				"account", "offboard", "--id", "111122223333")
			run(m.admin, 0, []string{"offboarded account 111122223333", "database/sales: ", "deleted", "invitation/1: ", "withdrawn"},
				"account", "offboard", "--id", "111122223333", "--force")
			run(m.consumer, 1, []string{"409", "withdrawn"}, "invitation", "accept", "--id", "1")

			run(m.admin, 1, []string{"409", "reonboard"}, "account", "onboard", "--id", "111122223333", "--name", "Sales again")
			run(m.admin, 0, []string{"111122223333", "Sales again"}, "account", "onboard", "--id", "111122223333", "--name", "Sales again", "--reonboard")
		})
	}
}
