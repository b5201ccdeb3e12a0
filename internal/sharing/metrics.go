package sharing

import (
	"context"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics returns Prometheus collectors of the service's counters in this process.
func (s *Service) Metrics() []prometheus.Collector { return []prometheus.Collector{s.requests.vec} }

// requestCounter counts the requests reaching each status in this process.
type requestCounter struct{ vec *prometheus.CounterVec }

// newRequestCounter returns the counter with every status at zero, so that
// a rate has a start.
func newRequestCounter() requestCounter {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meshgate_sharing_requests_total",
		Help: "Access requests that reached each status in this process's transactions (SUBMITTED: made), counted once the transaction committed."},
		[]string{"status"})
	for _, st := range mesh.RequestStatuses {
		c.WithLabelValues(st)
	}
	return requestCounter{c}
}

// count counts status once tx commits: nothing when it rolls back, or
// when a rollback to a savepoint (a failed task's) undoes the write.
func (c requestCounter) count(tx store.Tx, status string) {
	tx.AfterCommit(c.vec.WithLabelValues(status).Inc)
}

// addRequest is tx.InsertAccessRequest, counting the request made.
func (s *Service) addRequest(ctx context.Context, tx store.Tx, r *mesh.AccessRequest) (bool, error) {
	ok, err := tx.InsertAccessRequest(ctx, r)
	if ok && err == nil {
		s.requests.count(tx, r.Status)
	}
	return ok, err
}

// saveRequest is tx.UpdateAccessRequest, counting the status r reaches
// when it changes. Every status a request takes after it is made is
// written through here.
func (s *Service) saveRequest(ctx context.Context, tx store.Tx, r *mesh.AccessRequest, from string) error {
	if err := tx.UpdateAccessRequest(ctx, r, from); err != nil {
		return err
	}
	if r.Status != from {
		s.requests.count(tx, r.Status)
	}
	return nil
}
