package sqlite

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics returns Prometheus collectors of the writer's work in this
// process. The writer is one connection: when its busy seconds grow about
// as fast as the clock, it bounds the store's write rate, whatever the
// cores have left.
func (db *DB) Metrics() []prometheus.Collector {
	st := &db.group.stats
	counter := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "meshgate", Subsystem: "sqlite", Name: name, Help: help}, f)
	}
	seconds := func(ns int64) float64 { return time.Duration(ns).Seconds() }
	return []prometheus.Collector{
		counter("write_transactions_total", "Write transactions the writer began (each commits a group of calls).",
			func() float64 { return float64(st.commits.Load()) }),
		counter("write_calls_total", "Update calls the write transactions ran.",
			func() float64 { return float64(st.calls.Load()) }),
		counter("writer_busy_seconds_total", "Time the writer spent in write transactions, from BEGIN to the end of COMMIT.",
			func() float64 { return seconds(st.busy.Load()) }),
		counter("writer_commit_seconds_total", "Time the writer spent in COMMIT: writing the log and syncing it.",
			func() float64 { return seconds(st.commit.Load()) }),
	}
}
