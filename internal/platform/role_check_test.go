package platform

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// roleConn is a Conn whose RoleExists is the test's; the rest is unused.
type roleConn struct {
	Conn
	roleExists func(ctx context.Context, role string) (bool, error)
}

func (c roleConn) RoleExists(ctx context.Context, role string) (bool, error) {
	return c.roleExists(ctx, role)
}

func (c roleConn) Close() error { return nil }

// roleCheck asks, as a plan does, whether role exists.
func roleCheck(ctx context.Context, s *Service, rec *store.PlatformRecord, role string, dial bool) (ok bool, err error) {
	err = s.ask(ctx, rec, dial, func(ctx context.Context, c Conn) error {
		ok, err = c.RoleExists(ctx, role)
		return err
	})
	return ok, err
}

// TestRoleCheckLeavesAQuietPlatformAlone: inside a transaction a plan asks
// only on an open connection; a platform that hangs is waited on for
// roleCheckTimeout once, and then left alone until roleCheckQuiet has
// passed or it answered the applier. One that refused a read is asked
// again at once.
func TestRoleCheckLeavesAQuietPlatformAlone(t *testing.T) {
	clock := mesh.NewFakeClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	s := NewService(nil, nil, clock, Config{}, nil)
	rec := &store.PlatformRecord{ID: 7, Name: "warehouse", Kind: KindPostgres}
	ctx := context.Background()

	if _, err := roleCheck(ctx, s, rec, "mg_a_b", false); !errors.Is(err, errNoConn) {
		t.Fatalf("no connection open: got %v, want errNoConn", err)
	}

	var asked atomic.Int64
	hang := roleConn{roleExists: func(ctx context.Context, _ string) (bool, error) {
		asked.Add(1)
		<-ctx.Done()
		return false, ctx.Err()
	}}
	s.conns[rec.ID] = hang
	start := time.Now()
	_, err := roleCheck(ctx, s, rec, "mg_a_b", false)
	if took := time.Since(start); err == nil || took > roleCheckTimeout+time.Second {
		t.Fatalf("a platform that hangs: got %v after %s, want an error after %s", err, took, roleCheckTimeout)
	}
	for range 3 {
		start = time.Now()
		_, err = roleCheck(ctx, s, rec, "mg_a_b", false)
		// asking would wait roleCheckTimeout on the hang; asked counts it too
		if err == nil || !strings.Contains(err.Error(), "ask it again after 2026-05-01T12:00:30Z") || time.Since(start) >= roleCheckTimeout {
			t.Errorf("after it failed to answer: got %v after %s, want at once the time plans ask again", err, time.Since(start))
		}
	}
	if n := asked.Load(); n != 1 {
		t.Errorf("the platform was asked %d times, want once", n)
	}

	answers := roleConn{roleExists: func(context.Context, string) (bool, error) { asked.Add(1); return true, nil }}
	s.conns[rec.ID] = answers
	clock.Add(roleCheckQuiet)
	if ok, err := roleCheck(ctx, s, rec, "mg_a_b", false); !ok || err != nil {
		t.Errorf("after %s: got %v, %v; want the platform asked again", roleCheckQuiet, ok, err)
	}

	// A refusal answers at once: plans ask again at the next one.
	s.conns[rec.ID] = roleConn{roleExists: func(context.Context, string) (bool, error) {
		return false, Refused(errors.New("permission denied for table pg_authid"))
	}}
	if _, err := roleCheck(ctx, s, rec, "mg_a_b", false); !IsRefused(err) {
		t.Fatalf("a refused check: got %v, want the refusal", err)
	}
	s.conns[rec.ID] = answers
	if ok, err := roleCheck(ctx, s, rec, "mg_a_b", false); !ok || err != nil {
		t.Errorf("after the platform refused a read: got %v, %v; want it asked again", ok, err)
	}

	// A failure, then the applier reads the platform: plans ask it again at once.
	s.conns[rec.ID] = roleConn{roleExists: func(context.Context, string) (bool, error) { return false, errors.New("connection reset") }}
	if _, err := roleCheck(ctx, s, rec, "mg_a_b", false); err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("a failed check: got %v, want its error", err)
	}
	s.conns[rec.ID] = answers
	s.answered(rec.ID)
	if ok, err := roleCheck(ctx, s, rec, "mg_a_b", false); !ok || err != nil {
		t.Errorf("after the platform answered the applier: got %v, %v; want it asked again", ok, err)
	}
}
