package sharing_test

import (
	"context"
	"errors"
	"maps"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/sharing"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/prometheus/client_golang/prometheus"
)

// TestRequestsCounted: meshgate_sharing_requests_total counts each status
// requests reach through the service (made, shared at once, waiting for
// approval, denied, cancelled, revoked) once its transaction commits; a
// cancel whose transaction rolls back counts nothing.
func TestRequestsCounted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		rs := &rollbackStore{Store: s}
		f := newFixture(t, rs)
		shared := f.request(siblingCarl, "marketing", "campaigns")
		denied := f.request(consumerAnn, "sales", "orders")
		if _, err := f.decide(approver, denied.ID, false, "no"); err != nil {
			t.Fatalf("deny: %v", err)
		}
		f.wantStatus(denied.ID, mesh.RequestDenied)
		want := map[string]float64{"SUBMITTED": 2, "PENDING_APPROVAL": 1, "SHARED": 1, "DENIED": 1,
			"EXPIRED": 0, "CANCELLED": 0, "FAILED": 0, "REVOKED": 0}
		if got := requestTotals(t, f.svc); !maps.Equal(got, want) {
			t.Errorf("after one shared and one denied: got %v, want %v", got, want)
		}

		cancelled := f.request(consumerAnn, "sales", "orders")
		rs.fail = true
		if _, err := f.svc.CancelRequest(consumerAnn, cancelled.ID); !errors.Is(err, errRolledBack) {
			t.Fatalf("cancel rolled back: got %v, want %v", err, errRolledBack)
		}
		rs.fail = false
		f.wantStatus(cancelled.ID, mesh.RequestPendingApproval)
		want["SUBMITTED"]++
		want["PENDING_APPROVAL"]++
		if got := requestTotals(t, f.svc); !maps.Equal(got, want) {
			t.Errorf("after a cancel rolled back: got %v, want %v", got, want)
		}
		if _, err := f.svc.CancelRequest(consumerAnn, cancelled.ID); err != nil {
			t.Fatalf("cancel: %v", err)
		}
		if _, err := f.svc.RevokeRequest(meshAdmin, shared.ID); err != nil {
			t.Fatalf("revoke: %v", err)
		}
		want["CANCELLED"]++
		want["REVOKED"]++
		if got := requestTotals(t, f.svc); !maps.Equal(got, want) {
			t.Errorf("after a cancel and a revoke: got %v, want %v", got, want)
		}
	})
}

var errRolledBack = errors.New("rolled back by the test")

// rollbackStore rolls back every write transaction while fail is set, once
// its work is done, as a commit that fails would.
type rollbackStore struct {
	store.Store
	fail bool
}

func (s *rollbackStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	fail := s.fail
	return s.Store.Update(ctx, func(tx store.Tx) error {
		if err := fn(tx); err != nil || !fail {
			return err
		}
		return errRolledBack
	})
}

func (s *rollbackStore) Unwrap() store.Store { return s.Store }

// requestTotals reads meshgate_sharing_requests_total, by status, as the
// service's collectors expose it.
func requestTotals(t *testing.T, svc *sharing.Service) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(svc.Metrics()...)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "meshgate_sharing_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			got[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
		}
	}
	return got
}
