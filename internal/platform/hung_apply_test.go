package platform_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/platform"
	"github.com/meshgate/meshgate/internal/tcptest"
)

// TestApplyGivesUpOnAHungPlatform: a platform that stops answering (a
// proxy freezes its connections) fails the apply of a grant after the
// apply's time limit, naming it, where the applier waited on it for as
// long as it hung, and every other platform's changes with it, and then
// for the connection's close; once the platform answers again, the retry
// puts the grant in force. A sync gives up on it as an apply does.
func TestApplyGivesUpOnAHungPlatform(t *testing.T) {
	f := *pgFixture(t)
	px, dsn := tcptest.ProxyURL(t, f.dsn)
	f.dsn = dsn
	e := newEnv(t, "sqlite", &f)
	t.Cleanup(func() { px.Set(tcptest.Forwarding) })
	platform.SetApplyTimeout(e.srv.Platforms, 2*time.Second)
	ctx := context.Background()
	e.register(t)
	if _, err := e.admin.SyncPlatform(ctx, e.name); err != nil {
		t.Fatalf("sync: %v", err)
	}
	e.grantAliceAll(t) // a connection is open
	bob := "bob" + randomHex(4)
	if _, err := e.admin.CreateUser(ctx, e.consumerID, client.UserInput{Username: bob, Roles: []string{"member"}}); err != nil {
		t.Fatal(err)
	}

	px.Set(tcptest.Frozen)
	if _, err := e.consumer.Grant(ctx, client.GrantInput{Principal: e.consumerID + "/" + bob,
		Resource: client.Resource{Database: e.database(t), Table: "*"}, Permissions: []string{"SELECT"}}); err != nil {
		t.Fatal(err)
	}
	// well inside the 15 s pgx gives a cancel request on closing the
	// connection, which the applier once waited for
	start := time.Now()
	deadline := start.Add(10 * time.Second)
	var failed string
	for failed == "" {
		sts, err := e.admin.PlatformGrants(ctx, e.name)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range sts {
			if st.State == "failed" {
				failed = st.Error
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("bob's grant did not fail within 10s of the platform hanging (limit 2s): the applier waits on it")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("the grant failed %s after it was made", time.Since(start).Round(time.Millisecond))

	// a sync, which reads the platform's schemas, gives up as an apply does
	sctx, cancel := context.WithTimeout(ctx, patience)
	defer cancel()
	if _, err := e.admin.SyncPlatform(sctx, e.name); err == nil || !strings.Contains(err.Error(), "did not answer within 2s") {
		t.Errorf("sync of the hung platform: got %v, want an error saying it did not answer within 2s", err)
	}
	if !strings.Contains(failed, "did not answer within 2s") {
		t.Errorf("failed grant's error: got %q, want it to say the platform did not answer within 2s", failed)
	}

	px.Set(tcptest.Forwarding)
	// the retry, a few seconds later, reconnects
	for deadline := time.Now().Add(patience); ; time.Sleep(50 * time.Millisecond) {
		sts, err := e.admin.PlatformGrants(ctx, e.name)
		if err != nil {
			t.Fatal(err)
		}
		inForce := 0
		for _, st := range sts {
			if st.State == "in_force" {
				inForce++
			}
		}
		if inForce == len(sts) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the grants are not in force %s after the platform answers again: %+v", patience, sts)
		}
	}
}
