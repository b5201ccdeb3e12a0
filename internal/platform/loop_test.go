package platform_test

import (
	"context"
	"testing"
	"time"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/server"
	"github.com/meshgate/meshgate/internal/server/servertest"
)

// TestPeriodicReconcileRepairsDrift checks the server's own loop: a
// privilege granted by hand to a managed role is taken back within a few
// intervals, and the repair is audited as the system's.
func TestPeriodicReconcileRepairsDrift(t *testing.T) {
	f := pgFixture(t)
	e := newEnv(t, "sqlite", f)
	// A second server on its own store with a short interval; the env's
	// accounts are made again there.
	srv, admin := servertest.New(t, servertest.Options{Config: server.Config{PlatformReconcileInterval: 100 * time.Millisecond}})
	ctx := context.Background()
	if _, err := admin.OnboardAccount(ctx, client.AccountInput{ID: e.producer, Name: "p"}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateUser(ctx, e.producer, client.UserInput{Username: e.alice, Roles: []string{"member"}}); err != nil {
		t.Fatal(err)
	}
	e.srv, e.admin = srv, admin
	e.register(t)
	if _, err := admin.SyncPlatform(ctx, e.name); err != nil {
		t.Fatal(err)
	}
	role := "mg_" + e.producer + "_" + e.alice
	t.Cleanup(func() { dropRole(t, f, role) })
	db := e.database(t)
	if _, err := admin.Grant(ctx, client.GrantInput{Principal: e.producer + "/" + e.alice, Resource: client.Resource{Database: db, Table: "*"}, Permissions: []string{"SELECT"}}); err != nil {
		t.Fatal(err)
	}
	e.waitApplied(t)
	f.exec(t, "REVOKE SELECT ON "+f.q(e.schema, e.other)+" FROM "+f.q(role))
	deadline := time.Now().Add(20 * time.Second)
	for !f.held(t, role, e.schema, e.other) {
		if time.Now().After(deadline) {
			t.Fatal("the periodic reconcile did not repair a revoke made by hand")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The repair shows on the platform before its audit entry commits in
	// the store: wait for the entry too.
	for {
		audit, err := admin.ListAudit(ctx, client.AuditFilter{Action: "platform.repair"}, client.ListOptions{})
		if err == nil && len(audit.Entries) > 0 {
			if p := audit.Entries[0].Principal; p != "central/system" && p != "system" {
				t.Errorf("audit: got %+v, want the system's repair", audit)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("audit: got %+v (%v), want the system's repair", audit, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
