package server

import (
	"context"
	"errors"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/prometheus/client_golang/prometheus"
)

// instrumentedStore counts the store's failures: errors that are not a
// meshgate domain error (not found, conflict, ...) and not a cancelled request.
type instrumentedStore struct {
	store.Store
	errors *prometheus.CounterVec
}

func instrumentStore(s store.Store, reg prometheus.Registerer) *instrumentedStore {
	errs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "meshgate_store_errors_total",
		Help: "Store operations that failed for a reason other than a domain error, by operation.",
	}, []string{"op"})
	reg.MustRegister(errs)
	for _, op := range []string{"update", "view", "ping"} {
		errs.WithLabelValues(op) // export zeros so alerts can rate() from the start
	}
	// a store's own collectors, such as SQLite's writer's
	if m, ok := s.(interface{ Metrics() []prometheus.Collector }); ok {
		reg.MustRegister(m.Metrics()...)
	}
	return &instrumentedStore{Store: s, errors: errs}
}

func (s *instrumentedStore) count(op string, err error) error {
	if err != nil && !errors.Is(err, context.Canceled) && mesh.ErrorCode(err) == mesh.EINTERNAL {
		s.errors.WithLabelValues(op).Inc()
	}
	return err
}

func (s *instrumentedStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	return s.count("update", s.Store.Update(ctx, fn))
}

func (s *instrumentedStore) View(ctx context.Context, fn func(store.Tx) error) error {
	return s.count("view", s.Store.View(ctx, fn))
}

func (s *instrumentedStore) Ping(ctx context.Context) error {
	return s.count("ping", s.Store.Ping(ctx))
}

// Unwrap returns the store underneath, for code that needs its dialect's own API.
func (s *instrumentedStore) Unwrap() store.Store { return s.Store }
