package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/testbin"
)

const (
	crashProducer = "100000000001"
	crashOrg      = "o-crash"
)

// crashAccount is the consumer account request i is for: one each, so each
// account must end with exactly one grant.
func crashAccount(i int) string { return fmt.Sprintf("3%011d", i) }

// crashDatabase: even requests ask for a product without personal data
// (shared at once), odd ones for one flagged pii_flag (approved).
func crashDatabase(i int) string {
	if i%2 == 1 {
		return "crash_pii"
	}
	return "crash_open"
}

// seedSharingCrash onboards the producer and n consumers in the central
// account's organization, catalogs the two databases and returns an
// approver's token.
func seedSharingCrash(t *testing.T, c *client.Client, n int) string {
	t.Helper()
	ctx := context.Background()
	if _, err := c.OnboardAccount(ctx, client.AccountInput{ID: crashProducer, Name: "Producer", Organization: crashOrg}); err != nil {
		t.Fatal(err)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				if _, err := c.OnboardAccount(ctx, client.AccountInput{ID: crashAccount(i), Name: fmt.Sprint("Consumer ", i), Organization: crashOrg}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	for _, d := range []*client.Database{
		{Name: "crash_open", Parameters: map[string]string{mesh.ParamDataOwner: crashProducer}},
		{Name: "crash_pii", Parameters: map[string]string{mesh.ParamDataOwner: crashProducer, mesh.ParamPIIFlag: "true"}},
	} {
		if _, err := c.CreateDatabase(ctx, d); err != nil {
			t.Fatal(err)
		}
		if err := c.CreateTables(ctx, d.Name, []client.Table{{Name: "events", Columns: []client.Column{{Name: "id", Type: "bigint"}}}}); err != nil {
			t.Fatal(err)
		}
	}
	u, err := c.CreateUser(ctx, crashProducer, client.UserInput{Username: "crash-approver", Roles: []string{mesh.RoleApprover}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.IssueToken(ctx, u.User.ID, "crash", 0)
	if err != nil {
		t.Fatal(err)
	}
	return tok.Secret
}

// retryable tells whether a call may have failed only because its server
// died: no answer, or a 5xx.
func retryable(err error) bool {
	var ce *client.Error
	return !errors.As(err, &ce) || ce.Status >= 500
}

// startSharingCrashLoad runs requests 0..n-1 through the live servers as
// their mesh admin, and approves the PII ones as the approver, retrying
// each call through a server that answers. A request whose answer was lost
// is asked again with the same Idempotency-Key, which returns the request
// made, open or shared. A decision whose answer was lost is sent again and
// answered 409 with the recorded decision.
func startSharingCrashLoad(ctx context.Context, servers func() []*testbin.Server, approverToken string, n int, acked *atomic.Int64) <-chan error {
	done := make(chan error, 1)
	go func() {
		var wg sync.WaitGroup
		var next atomic.Int64
		var first atomic.Value
		call := func(i int, f func(s *testbin.Server) error) error {
			for attempt := 0; ; attempt++ {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				ss := servers()
				err := f(ss[(i+attempt)%len(ss)])
				if err == nil || !retryable(err) {
					return err
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		for range 8 {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= n || ctx.Err() != nil {
						return
					}
					var r *client.AccessRequest
					// one key for every attempt: a retry after a lost answer returns the request made
					key := client.NewIdempotencyKey()
					err := call(i, func(s *testbin.Server) (err error) {
						r, _, err = s.Client().CreateRequest(ctx, client.RequestInput{Database: crashDatabase(i), Table: "events",
							TargetAccount: crashAccount(i), Justification: "crash test", IdempotencyKey: key})
						return err
					})
					if err == nil && i%2 == 1 {
						err = call(i, func(s *testbin.Server) error {
							_, err := s.Client().WithToken(approverToken).Decide(ctx, r.ID, true, "", "")
							var ce *client.Error
							if errors.As(err, &ce) && ce.Status == http.StatusConflict {
								return nil // decided already, by the call whose answer was lost
							}
							return err
						})
					}
					if err != nil {
						first.CompareAndSwap(nil, fmt.Errorf("request %d: %w", i, err))
						return
					}
					acked.Add(1)
				}
			})
		}
		wg.Wait()
		err, _ := first.Load().(error)
		done <- err
	}()
	return done
}

// checkSharingCrashOutcome checks, after the load, that every request
// reached its final status (SHARED: each was answered, and approved when it
// needed approval), no execution still runs, each consumer account has
// exactly one request (no duplicate from a retried create) and one grant,
// and authorize says yes for it.
func checkSharingCrashOutcome(t *testing.T, c *client.Client, n int) {
	t.Helper()
	ctx := context.Background()
	waitExecutionsEnded(t, c, "data-sharing", 90*time.Second)
	perAccount := map[string]int{}
	var before int64
	for {
		rs, err := c.Requests(ctx, client.RequestsFilter{Before: before, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.Status != mesh.RequestShared {
				t.Errorf("request %d for %s: got %s (%s: %s), want SHARED", r.ID, r.TargetAccount, r.Status, r.Error, r.Cause)
			}
			perAccount[r.TargetAccount]++
			before = r.ID
		}
		if len(rs) < 1000 {
			break
		}
	}
	for i := range n {
		acct := crashAccount(i)
		// a create retried after a lost answer sent the same Idempotency-Key,
		// so even one shared at once is one request
		if k := perAccount[acct]; k != 1 {
			t.Errorf("account %s: got %d requests, want exactly one", acct, k)
		}
		gs, _, err := c.Grants(ctx, client.GrantsFilter{Principal: acct, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(gs) != 1 || gs[0].Resource.Database != crashDatabase(i) {
			t.Errorf("account %s: got grants %+v, want exactly one on %s", acct, gs, crashDatabase(i))
		}
		d, err := c.Authorize(ctx, client.AuthorizeRequest{Principal: acct, Action: string(mesh.PermSelect),
			Resource: client.Resource{Database: crashDatabase(i), Table: "events"}})
		if err != nil || !d.Allowed {
			t.Errorf("authorize %s: got %+v, %v; want allowed", acct, d, err)
		}
	}
}

// TestSharingSurvivesKills kills `meshgate serve` with SIGKILL at random
// moments during a mixed load of requests shared at once and requests
// approved by the producer's approver, and checks afterwards that every
// request is SHARED with exactly one grant for its account: on SQLite (one
// process, killed and restarted again and again) and on PostgreSQL (two
// replicas sharing the load, one killed and restarted again and again).
func TestSharingSurvivesKills(t *testing.T) {
	env := []string{"MESHGATE_ORGANIZATION=" + crashOrg}
	t.Run("sqlite", func(t *testing.T) {
		const n, kills = 1500, 10
		p := startCrashServer(t, testbin.Options{Env: env})
		approver := seedSharingCrash(t, p.Client(), n)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var acked atomic.Int64
		done := startSharingCrashLoad(ctx, func() []*testbin.Server { return []*testbin.Server{p} }, approver, n, &acked)
		var loadErr error
		loading, k, during := true, 0, 0
		for k < kills || loading {
			time.Sleep(time.Duration(20+rand.IntN(250)) * time.Millisecond)
			select {
			case loadErr = <-done:
				loading = false
			default:
			}
			if loading {
				during++
			}
			p.Kill(t)
			p.Restart(t)
			k++
		}
		if loadErr != nil {
			t.Fatal(loadErr)
		}
		t.Logf("%d kills, %d of them during the load (%d requests acknowledged)", k, during, acked.Load())
		if during == 0 {
			t.Error("no kill happened during the load")
		}
		checkSharingCrashOutcome(t, p.Client(), n)
	})

	t.Run("postgres replicas", func(t *testing.T) {
		const n, kills = 1000, 5
		a := startCrashServer(t, testbin.Options{Postgres: true, Env: env})
		b := a.Replica(t)
		approver := seedSharingCrash(t, a.Client(), n)
		var mu sync.Mutex
		live := []*testbin.Server{a, b}
		servers := func() []*testbin.Server {
			mu.Lock()
			defer mu.Unlock()
			return live
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var acked atomic.Int64
		done := startSharingCrashLoad(ctx, servers, approver, n, &acked)
		var loadErr error
		loading, k, during := true, 0, 0
		for k < kills || loading {
			time.Sleep(time.Duration(50+rand.IntN(250)) * time.Millisecond)
			select {
			case loadErr = <-done:
				loading = false
			default:
			}
			if loading {
				during++
			}
			mu.Lock()
			live = []*testbin.Server{b}
			mu.Unlock()
			a.Kill(t)
			a.Restart(t)
			mu.Lock()
			live = []*testbin.Server{a, b}
			mu.Unlock()
			k++
		}
		if loadErr != nil {
			t.Fatal(loadErr)
		}
		t.Logf("%d kills of one replica, %d of them during the load (%d requests acknowledged)", k, during, acked.Load())
		checkSharingCrashOutcome(t, b.Client(), n)
	})
}

// TestSharedRequestEndsWithItsGrant: through the real server, on both
// stores, a shared request whose grant a catalog delete or an offboarding
// takes away is REVOKED, its cause naming why; one not touched stays SHARED.
func TestSharedRequestEndsWithItsGrant(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			p := startCrashServer(t, testbin.Options{Postgres: pg, Env: []string{"MESHGATE_ORGANIZATION=" + crashOrg}})
			c := p.Client()
			ctx := context.Background()
			seedSharingCrash(t, c, 3)
			request := func(i int) *client.AccessRequest {
				t.Helper()
				r, _, err := c.CreateRequest(ctx, client.RequestInput{Database: "crash_open", Table: "events", TargetAccount: crashAccount(i), Justification: "ends"})
				if err != nil || r.Status != mesh.RequestShared {
					t.Fatalf("request for %s: got %+v, %v; want SHARED", crashAccount(i), r, err)
				}
				return r
			}
			offboarded, kept := request(0), request(1)
			if _, err := c.OffboardAccount(ctx, crashAccount(0), client.OffboardOptions{Force: true}); err != nil {
				t.Fatal(err)
			}
			want := func(r *client.AccessRequest, status, why string) {
				t.Helper()
				v, err := c.Request(ctx, r.ID)
				if err != nil {
					t.Fatal(err)
				}
				if v.Status != status || !strings.Contains(v.Cause, why) {
					t.Errorf("request %d: got %s (%q), want %s naming %q", r.ID, v.Status, v.Cause, status, why)
				}
			}
			want(offboarded, mesh.RequestRevoked, "offboarded")
			want(kept, mesh.RequestShared, "")
			if err := c.DeleteDatabase(ctx, "crash_open", true); err != nil {
				t.Fatal(err)
			}
			want(kept, mesh.RequestRevoked, "table crash_open.events was deleted") // a forced delete takes the tables first
		})
	}
}
