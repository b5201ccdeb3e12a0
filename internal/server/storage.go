package server

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/prometheus/client_golang/prometheus"
)

// DefaultAuditRetention is how long audit entries are kept unless told
// otherwise: a year and a month, so that a yearly review finds the whole year.
const DefaultAuditRetention = 400 * 24 * time.Hour

// auditRetentionBatch bounds the entries one transaction deletes, so that
// retention never holds the store's writer for long.
const auditRetentionBatch = 1000

// AuditRetention is a background loop that deletes audit entries older than
// the retention, in batches, once an interval (and once at start).
//
// Each batch leaves one entry of its own (audit.retention, by the system,
// saying how many entries older than when it deleted), in the transaction
// that deletes them: an entry per deleted row would only be deleted in its
// turn, but without any the log could lose entries and not show it.
type AuditRetention struct {
	store    store.Store
	clock    mesh.Clock
	keep     time.Duration
	interval time.Duration
	system   context.Context // carries the system actor, for the entries of the retention itself
	log      *slog.Logger
	deleted  prometheus.Counter
}

// NewAuditRetention returns a loop keeping keep of st's audit log; its own
// entries name the system actor of the central account.
func NewAuditRetention(st store.Store, clock mesh.Clock, keep, interval time.Duration, centralAccountID string, log *slog.Logger) *AuditRetention {
	return &AuditRetention{store: st, clock: clock, keep: keep, interval: interval, log: log,
		system: mesh.NewContext(context.Background(), mesh.SystemActor(centralAccountID)),
		deleted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "meshgate_audit_retention_deleted_total",
			Help: "Audit entries deleted because they were older than the retention.",
		})}
}

// Run sweeps until ctx ends.
func (a *AuditRetention) Run(ctx context.Context) error {
	t := time.NewTicker(a.interval)
	defer t.Stop()
	for {
		if n, err := a.Sweep(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("audit retention", "err", err)
		} else if n > 0 {
			a.log.Info("deleted audit entries past the retention", "count", n, "retention", a.keep.String())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Sweep deletes the entries older than the retention, a batch per
// transaction, and returns how many.
func (a *AuditRetention) Sweep(ctx context.Context) (int, error) {
	before := a.clock.Now().Add(-a.keep)
	total := 0
	for ctx.Err() == nil {
		var n int
		err := a.store.Update(ctx, func(tx store.Tx) error {
			var err error
			if n, err = tx.DeleteAuditBefore(ctx, before, auditRetentionBatch); err != nil || n == 0 {
				return err
			}
			return store.Audit(a.system, tx, a.clock.Now(), "audit.retention", "audit_log",
				fmt.Sprintf("deleted %d entries older than %s", n, before.UTC().Format(time.RFC3339)))
		})
		if err != nil {
			return total, err
		}
		total += n
		a.deleted.Add(float64(n))
		if n < auditRetentionBatch {
			break
		}
	}
	return total, ctx.Err()
}

// storeSizeGauge reports the store's size on disk at each scrape.
func storeSizeGauge(st store.Store, log *slog.Logger) prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "meshgate_store_size_bytes",
		Help: "Bytes the store takes on disk: SQLite's database file and WAL, or the PostgreSQL schema's tables and indexes.",
	}, func() float64 {
		sz, ok := store.As[store.Sizer](st)
		if !ok {
			return 0
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		n, err := sz.Size(ctx)
		if err != nil {
			log.Warn("store size", "err", err)
			return 0
		}
		return float64(n)
	})
}
