package workflow

import "github.com/prometheus/client_golang/prometheus"

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
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "meshgate", Subsystem: "workflow", Name: "starts_waiting",
			Help: "Starts waiting for the batch under way to commit before theirs begins."},
			func() float64 { return float64(e.StartsWaiting()) }),
	}
}
