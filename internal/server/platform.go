package server

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshgate/meshgate/internal/platform"
	"github.com/meshgate/meshgate/internal/platform/mariadb"
	"github.com/meshgate/meshgate/internal/platform/pgplatform"
)

// newPlatforms builds the data-platform service, hooks it into access's
// grant transactions, exposes its counters and adds its applier and
// reconcile loop to the background work.
func (s *Server) newPlatforms(reg prometheus.Registerer) {
	s.Platforms = platform.NewService(s.Store, s.Catalog, s.cfg.Clock, platform.Config{
		CentralAccountID:  s.cfg.CentralAccountID,
		ReconcileInterval: s.cfg.PlatformReconcileInterval,
	}, map[string]platform.Driver{platform.KindPostgres: pgplatform.Driver{}, platform.KindMariaDB: mariadb.Driver{}})
	s.Access.OnGrantChange(s.Platforms.OnGrantChange)
	counter := func(name, help string, pick func(found, repaired, applied, failed int64) int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 {
			return float64(pick(s.Platforms.Counters()))
		})
	}
	reg.MustRegister(
		counter("meshgate_platform_drift_found_total", "Differences between a data platform's privileges and meshgate's grants found by reconciling.",
			func(f, _, _, _ int64) int64 { return f }),
		counter("meshgate_platform_drift_repaired_total", "Statements run on data platforms to repair drift.",
			func(_, r, _, _ int64) int64 { return r }),
		counter("meshgate_platform_applies_total", "Platform databases brought in line with meshgate's grants.",
			func(_, _, a, _ int64) int64 { return a }),
		counter("meshgate_platform_apply_failures_total", "Failed attempts to bring a platform database in line (retried with backoff).",
			func(_, _, _, x int64) int64 { return x }),
	)
	s.background = append(s.background, platformLoop{s.Platforms})
}

// platformLoop runs the applier and reconcile loop as a Background.
type platformLoop struct{ p *platform.Service }

func (l platformLoop) Run(ctx context.Context) error {
	l.p.Run(ctx)
	l.p.Close()
	return ctx.Err()
}
