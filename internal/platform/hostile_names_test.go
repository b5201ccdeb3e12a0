package platform_test

import (
	"context"
	"strings"
	"testing"
)

// TestPlatformHostileNames imports tables and columns whose names hold
// quotes, backquotes, backslashes, statement ends, unicode and the longest
// name the platform allows, grants them on all tables and by column, and
// checks that each is granted as itself and that nothing else ran.
func TestPlatformHostileNames(t *testing.T) {
	for _, kind := range []string{"postgres", "mariadb"} {
		t.Run(kind, func(t *testing.T) {
			f := map[string]func(testing.TB) *fixture{"postgres": pgFixture, "mariadb": mariaFixture}[kind](t)
			e := newEnv(t, "sqlite", f)
			ctx := context.Background()
			q := f.q
			names := []string{
				`x"; DROP TABLE "` + e.other + `"; --`,
				"y`; DROP TABLE `" + e.other + "`; --",
				`z\'); DROP TABLE t; --`,
				"Ünïcödé 表",
				strings.Repeat("L", 63),
			}
			for _, n := range names {
				f.exec(t, "CREATE TABLE "+q(e.schema, n)+" ("+q(`c"`+"`\\")+" int, "+q("ok")+" int)")
			}
			e.register(t)
			if _, err := e.admin.SyncPlatform(ctx, e.name); err != nil {
				t.Fatal(err)
			}
			alice := e.grantAliceAll(t)
			for _, n := range append(names, e.other) {
				if !f.held(t, e.role(), e.schema, n) {
					t.Errorf("table %q: not granted", n)
				}
				if err := f.queryAs(t, e.role(), "SELECT "+q(`c"`+"`\\")+" FROM "+q(e.schema, n)); err != nil && n != e.other {
					t.Errorf("table %q: %v", n, err)
				}
			}
			if rec, err := e.admin.ReconcilePlatform(ctx, e.name); err != nil || rec.Databases[0].Found != 0 || rec.Databases[0].Error != "" {
				t.Errorf("reconcile: got %+v (%v), want nothing to repair", rec, err)
			}
			if _, err := e.consumer.Revoke(ctx, alice); err != nil {
				t.Fatal(err)
			}
			e.waitApplied(t)
			for _, n := range names {
				if f.held(t, e.role(), e.schema, n) {
					t.Errorf("table %q: still granted after the revoke", n)
				}
			}
		})
	}
}
