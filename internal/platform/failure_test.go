package platform_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/client"
)

// TestPlatformFailedApplyIsRetried maps a user to a role that does not
// exist and that meshgate may not create: the grant fails on the platform
// with a reason naming the role, and once the role exists the retry puts it
// in force.
func TestPlatformFailedApplyIsRetried(t *testing.T) {
	f := pgFixture(t)
	e := newEnv(t, "sqlite", f)
	ctx := context.Background()
	role := "Fixed Role " + randomHex(4)
	in := client.PlatformInput{Name: e.name, Kind: f.kind, DSN: f.dsn, AccountID: e.producer, Schemas: []string{e.schema},
		Roles: map[string]string{e.consumerID + "/" + e.alice: role}}
	p, err := e.admin.RegisterPlatform(ctx, in)
	if err != nil || p.RoleMode != "fixed" || p.CreateRoles {
		t.Fatalf("register: got %+v (%v), want a fixed mapping that creates no roles", p, err)
	}
	if _, err := e.admin.SyncPlatform(ctx, e.name); err != nil {
		t.Fatal(err)
	}
	res := client.Resource{Database: e.database(t), Table: "*"}
	if _, err := e.admin.Grant(ctx, client.GrantInput{Principal: e.consumerID, Resource: res, Permissions: []string{"SELECT"}, Grantable: []string{"SELECT"}}); err != nil {
		t.Fatal(err)
	}
	g, err := e.consumer.Grant(ctx, client.GrantInput{Principal: e.consumerID + "/" + e.alice, Resource: res, Permissions: []string{"SELECT"}})
	if err != nil {
		t.Fatal(err)
	}
	state := func(want string) client.PlatformGrantStatus {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			sts, err := e.admin.PlatformGrants(ctx, e.name)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range sts {
				if s.GrantID == g.ID && s.State == want {
					return s
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("grant %d: got %+v, want %s", g.ID, sts, want)
			}
		}
	}
	st := state("failed")
	if !strings.Contains(st.Error, role) || !strings.Contains(st.Error, "may not create roles") {
		t.Errorf("failure: got %q, want it to name the missing role", st.Error)
	}
	f.exec(t, "CREATE ROLE "+f.q(role))
	t.Cleanup(func() { dropRole(t, f, role) })
	state("in_force")
	if !f.held(t, role, e.schema, e.other) {
		t.Error("after the retry the role holds nothing")
	}
}
