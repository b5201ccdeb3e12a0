package platform_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/access"
	"github.com/meshgate/meshgate/internal/mesh"
)

func benchFixture(b *testing.B) *fixture {
	kind := os.Getenv("MESHGATE_BENCH_PLATFORM")
	switch kind {
	case "", "postgres":
		return pgFixture(b)
	case "mariadb":
		return mariaFixture(b)
	}
	b.Fatalf("MESHGATE_BENCH_PLATFORM=%s: want postgres or mariadb", kind)
	return nil
}

// BenchmarkGrantToInForce measures the time from a grant's (or revoke's)
// commit to the privilege being in force on the platform, as the platform
// answers (polled every 200µs), and reports p50 and p99.
// MESHGATE_BENCH_PLATFORM picks postgres (default) or mariadb.
func BenchmarkGrantToInForce(b *testing.B) {
	e := newEnv(b, "sqlite", benchFixture(b))
	ctx := context.Background()
	e.register(b)
	if _, err := e.admin.SyncPlatform(ctx, e.name); err != nil {
		b.Fatal(err)
	}
	db := e.database(b)
	res := client.Resource{Database: db, Table: "*"}
	if _, err := e.admin.Grant(ctx, client.GrantInput{Principal: e.consumerID, Resource: res, Permissions: []string{"SELECT"}, Grantable: []string{"SELECT"}}); err != nil {
		b.Fatal(err)
	}
	alice := client.GrantInput{Principal: e.consumerID + "/" + e.alice, Resource: res, Permissions: []string{"SELECT"}}
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		grant := i%2 == 0
		var err error
		if grant {
			_, err = e.consumer.Grant(ctx, alice)
		} else {
			_, err = e.consumer.Revoke(ctx, alice)
		}
		// The answer comes once the commit is durable: measure from there.
		start := time.Now()
		if err != nil {
			b.Fatal(err)
		}
		for e.f.held(b, e.role(), e.schema, e.other) != grant {
			if time.Since(start) > 30*time.Second {
				b.Fatalf("the privilege did not follow the grant within 30s")
			}
			time.Sleep(200 * time.Microsecond)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	// The privilege polled may be in force before the apply's last
	// statements ran: let the applier finish before the cleanup drops
	// the role, which would race it ("tuple concurrently updated").
	e.waitApplied(b)
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkReconcile10kGrants reconciles 10,000 grants (10 users × 1,000
// tables) on one platform: "clean" when nothing drifted, "repair" after
// every privilege was revoked by hand. MESHGATE_BENCH_PLATFORM picks the platform.
func BenchmarkReconcile10kGrants(b *testing.B) {
	const tables, users = 1000, 10
	e := newEnv(b, "sqlite", benchFixture(b))
	ctx := context.Background()
	for i := range tables {
		e.f.exec(b, "CREATE TABLE "+e.f.q(e.schema, "t"+strconv.Itoa(i))+" (a int, b int)")
	}
	e.register(b)
	if _, err := e.admin.SyncPlatform(ctx, e.name); err != nil {
		b.Fatal(err)
	}
	db := e.database(b)
	names := make([]string, users)
	for u := range users {
		names[u] = fmt.Sprintf("u%d-%s", u, randomHex(3))
		if _, err := e.admin.CreateUser(ctx, e.producer, client.UserInput{Username: names[u], Roles: []string{"member"}}); err != nil {
			b.Fatal(err)
		}
		role := "mg_" + e.producer + "_" + names[u]
		b.Cleanup(func() { dropRole(b, e.f, role) })
	}
	sys := mesh.NewContext(ctx, mesh.SystemActor("central"))
	for i := range tables {
		for u := range users {
			_, err := e.srv.Access.Grant(sys, access.GrantInput{Principal: mesh.UserPrincipal(e.producer, names[u]),
				Resource: mesh.Resource{Database: db, Table: "t" + strconv.Itoa(i)}, Permissions: mesh.PermSelect.Bit()})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	e.waitApplied(b)
	b.Run("clean", func(b *testing.B) {
		for b.Loop() {
			r, err := e.admin.ReconcilePlatform(ctx, e.name)
			if err != nil || r.Databases[0].Found != 0 {
				b.Fatalf("got %+v (%v), want no drift", r, err)
			}
		}
	})
	b.Run("repair", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			for u := range users {
				role := e.f.q("mg_" + e.producer + "_" + names[u])
				if e.f.kind == "postgres" {
					e.f.exec(b, "REVOKE ALL ON ALL TABLES IN SCHEMA "+e.f.q(e.schema)+" FROM "+role)
				} else {
					e.f.exec(b, "REVOKE ALL PRIVILEGES, GRANT OPTION FROM "+role)
				}
			}
			b.StartTimer()
			r, err := e.admin.ReconcilePlatform(ctx, e.name)
			if err != nil || r.Databases[0].Found != tables*users {
				b.Fatalf("got %d found (%v), want %d", r.Databases[0].Found, err, tables*users)
			}
		}
	})
}
