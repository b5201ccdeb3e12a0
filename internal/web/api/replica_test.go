package api_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/server/servertest"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// replicas starts two servers on one PostgreSQL database and returns the
// mesh of the first, and a mesh admin client of the second.
func replicas(t testing.TB) (*meshTest, *client.Client) {
	t.Helper()
	if !slices.Contains(storetest.Kinds(), "postgres") {
		t.Skip("replicas need PostgreSQL: set MESHGATE_TEST_POSTGRES")
	}
	m := newMeshTest(t, servertest.Options{Store: "postgres"})
	other, _ := servertest.New(t, servertest.Options{Store: "postgres", Replicate: m.srv})
	return m, client.New(other.URL, m.srv.AdminToken)
}

// allowedOn asks c, as a mesh admin, whether principal may DESCRIBE r.
func allowedOn(t testing.TB, c *client.Client, principal string, r client.Resource) bool {
	t.Helper()
	d, err := c.Authorize(context.Background(), client.AuthorizeRequest{Principal: principal, Action: "DESCRIBE", Resource: r})
	if err != nil {
		t.Fatalf("authorize %s on %+v: %v", principal, r, err)
	}
	return d.Allowed
}

// converge waits for cond to hold, checking until bound has passed, and
// returns how long it took; false if it never held.
func converge(bound time.Duration, cond func() bool) (time.Duration, bool) {
	start := time.Now()
	for {
		if cond() {
			return time.Since(start), true
		}
		if time.Since(start) > bound {
			return 0, false
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// TestReplicasConverge: changes acknowledged by one replica reach the other
// replica's decisions: a new database's owner, a change of owner, a grant
// and its revocation. It asserts that they get there, not how fast (see
// BenchmarkReplicaLag).
func TestReplicasConverge(t *testing.T) {
	m, b := replicas(t)
	ctx := context.Background()
	db := client.Resource{Database: "replicated"}
	const bound = 30 * time.Second
	eventually := func(what, principal string, want bool) {
		t.Helper()
		_, ok := converge(bound, func() bool { return allowedOn(t, b, principal, db) == want })
		if !ok {
			t.Fatalf("%s: the other replica still answers %v for %s after %s", what, !want, principal, bound)
		}
	}
	v := m.createDatabase(t, m.admin, "replicated", meshSales)
	eventually("created", meshSales, true)
	m.setOwner(t, "replicated", meshMarketing, v)
	eventually("owner changed", meshMarketing, true)
	eventually("owner changed", meshSales, false)
	grant := client.GrantInput{Principal: meshSales, Resource: db, Permissions: []string{"DESCRIBE"}}
	if _, err := m.marketing.Grant(ctx, grant); err != nil {
		t.Fatal(err)
	}
	eventually("granted", meshSales, true)
	if _, err := m.marketing.Revoke(ctx, grant); err != nil {
		t.Fatal(err)
	}
	eventually("revoked", meshSales, false)
}

// BenchmarkReplicaLag measures how long a change acknowledged by one
// replica takes to show in the other replica's decisions (two servers on
// one PostgreSQL database; each operation is one change, timed from its
// acknowledgement until the other replica's /authorize answers the new way,
// asking about every 0.2 ms). Reports the mean, median, 99th percentile and
// slowest lag.
//
//	MESHGATE_TEST_POSTGRES=... go test -run XXX -bench ReplicaLag ./internal/web/api/
func BenchmarkReplicaLag(b *testing.B) {
	m, other := replicas(b)
	ctx := context.Background()
	db := client.Resource{Database: "lag"}
	version := m.createDatabase(b, m.admin, "lag", meshMarketing)
	report := func(b *testing.B, lags []time.Duration) {
		slices.Sort(lags)
		var sum time.Duration
		for _, l := range lags {
			sum += l
		}
		b.ReportMetric(0, "ns/op")
		b.ReportMetric(float64(sum.Microseconds())/float64(len(lags))/1000, "mean-ms")
		b.ReportMetric(float64(lags[len(lags)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lags[len(lags)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(lags[len(lags)-1].Microseconds())/1000, "max-ms")
	}
	measure := func(b *testing.B, principal string, change func(i int) bool) {
		var lags []time.Duration
		for i := 0; b.Loop(); i++ {
			want := change(i)
			lag, ok := converge(10*time.Second, func() bool { return allowedOn(b, other, principal, db) == want })
			if !ok {
				b.Fatalf("change %d did not reach the other replica within 10s", i)
			}
			lags = append(lags, lag)
		}
		report(b, lags)
	}
	b.Run("grant", func(b *testing.B) {
		grant := client.GrantInput{Principal: meshSales, Resource: db, Permissions: []string{"DESCRIBE"}}
		granted := false
		measure(b, meshSales, func(i int) bool {
			var err error
			if granted {
				_, err = m.marketing.Revoke(ctx, grant)
			} else {
				_, err = m.marketing.Grant(ctx, grant)
			}
			if err != nil {
				b.Fatal(err)
			}
			granted = !granted
			return granted
		})
	})
	b.Run("owner", func(b *testing.B) {
		owned := false
		measure(b, meshConsumer, func(i int) bool {
			owner := meshConsumer
			if owned {
				owner = meshMarketing
			}
			version = m.setOwner(b, "lag", owner, version)
			owned = !owned
			return owned
		})
	})
}

// TestReplicasFollowOffboarding: an offboarding that hands an account's
// databases to another account, or deletes them, changes their owner as a
// change of data_owner does, and the other replica follows it as it follows
// that change: on the notification, or at the latest at its next periodic
// refresh (a second). The bound is three times that, well short of the
// periodic full reread of every owner (10s), which would otherwise hide an
// owner change the other replica was never told of.
func TestReplicasFollowOffboarding(t *testing.T) {
	m, b := replicas(t)
	ctx := context.Background()
	const bound = 3 * time.Second
	eventually := func(what, principal string, db client.Resource, want bool) {
		t.Helper()
		if _, ok := converge(bound, func() bool { return allowedOn(t, b, principal, db) == want }); !ok {
			t.Errorf("%s: the other replica still answers %v for %s on %s after %s", what, !want, principal, db.Database, bound)
		}
	}
	handed, dropped := client.Resource{Database: "handed"}, client.Resource{Database: "dropped"}
	m.createDatabase(t, m.admin, "handed", meshSales)
	m.createDatabase(t, m.admin, "dropped", meshConsumer)
	eventually("created", meshSales, handed, true)
	eventually("created", meshConsumer, dropped, true)

	if _, err := m.admin.OffboardAccount(ctx, meshSales, client.OffboardOptions{Force: true, TransferTo: meshMarketing}); err != nil {
		t.Fatal(err)
	}
	if !allowedOn(t, m.admin, meshMarketing, handed) {
		t.Fatalf("first replica: %s is not the owner of %s after the transfer", meshMarketing, handed.Database)
	}
	eventually("handed to another account", meshMarketing, handed, true)

	if _, err := m.admin.OffboardAccount(ctx, meshConsumer, client.OffboardOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if allowedOn(t, m.admin, meshConsumer, dropped) {
		t.Fatalf("first replica: %s still owns %s after it was deleted", meshConsumer, dropped.Database)
	}
	eventually("deleted", meshConsumer, dropped, false)
}
