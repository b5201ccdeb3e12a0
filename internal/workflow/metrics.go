package workflow

import (
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics returns Prometheus collectors of the engine's counters in this process.
func (e *Engine) Metrics() []prometheus.Collector {
	counter := func(name, help string, f func() int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "meshgate", Subsystem: "workflow", Name: name, Help: help},
			func() float64 { return float64(f()) })
	}
	return []prometheus.Collector{
		counter("transitions_total", "States entered.", e.transitions.Load),
		counter("executions_started_total", "Executions started.", e.starts.Load),
		counter("start_commits_total", "Transactions that committed started executions (group commit).", e.startCommits.Load),
		counter("dispatcher_passes_total", "Dispatcher transactions that advanced executions.", e.passes.Load),
		e.ended,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "meshgate", Subsystem: "workflow", Name: "starts_waiting",
			Help: "Starts waiting for the batch under way to commit before theirs begins."},
			func() float64 { return float64(e.StartsWaiting()) }),
	}
}

// newEndedCounter returns the count of executions ended, by status, with
// every status at zero so that a rate has a start.
func newEndedCounter() *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "meshgate", Subsystem: "workflow", Name: "executions_ended_total",
		Help: "Executions that ended in this process's transactions, by status (SUCCEEDED, FAILED, TIMED_OUT, ABORTED), counted once the transaction committed."},
		[]string{"status"})
	for _, s := range []string{mesh.ExecutionSucceeded, mesh.ExecutionFailed, mesh.ExecutionTimedOut, mesh.ExecutionAborted} {
		c.WithLabelValues(s)
	}
	return c
}

// countEnd counts the execution's end once the transaction commits: a
// transition rolled back, and run again, ends it once.
func (s *stepper) countEnd() {
	s.tx.AfterCommit(s.e.ended.WithLabelValues(s.r.rec.Status).Inc)
}
