package sqlite_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/sqlite"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// TestWriterMetrics: the writer's counters count its transactions, the
// calls they ran (several in a group) and the time it spent in them, the
// commit's part included.
func TestWriterMetrics(t *testing.T) {
	ctx := context.Background()
	db, _ := openFile(t)
	read := writerMetrics(t, db)
	before := read()

	// one write that holds the writer for a while, then a group of the
	// writes that queued meanwhile
	const queued = 10
	const hold = 30 * time.Millisecond
	held, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		err := db.Update(ctx, func(tx store.Tx) error {
			close(held)
			<-release
			return tx.PutSetting(ctx, "metrics.first", "v")
		})
		if err != nil {
			t.Error(err)
		}
	})
	<-held
	begin := time.Now()
	for i := range queued {
		wg.Go(func() {
			if err := db.Update(ctx, func(tx store.Tx) error { return tx.PutSetting(ctx, fmt.Sprint("metrics.", i), "v") }); err != nil {
				t.Error(err)
			}
		})
	}
	for sqlite.Queued(db) < queued {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(hold - time.Since(begin))
	close(release)
	wg.Wait()

	after := read()
	if got := after["write_transactions_total"] - before["write_transactions_total"]; got != 2 {
		t.Errorf("transactions: got %v, want 2 (the held write's, then the group of the %d queued)", got, queued)
	}
	if got, want := after["write_calls_total"]-before["write_calls_total"], float64(1+queued); got != want {
		t.Errorf("calls: got %v, want %v", got, want)
	}
	busy := after["writer_busy_seconds_total"] - before["writer_busy_seconds_total"]
	if busy < hold.Seconds() {
		t.Errorf("busy: got %vs, want at least the %v the first write held the writer", busy, hold)
	}
	commit := after["writer_commit_seconds_total"] - before["writer_commit_seconds_total"]
	if commit <= 0 || commit >= busy {
		t.Errorf("commit: got %vs of %vs busy, want a part of it", commit, busy)
	}
}

// writerMetrics returns a function that reads db's writer counters by name
// (without the meshgate_sqlite_ prefix).
func writerMetrics(t *testing.T, db *sqlite.DB) func() map[string]float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(db.Metrics()...)
	return func() map[string]float64 {
		t.Helper()
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, f := range families {
			for _, m := range f.Metric {
				got[f.GetName()[len("meshgate_sqlite_"):]] = counterValue(m)
			}
		}
		if len(got) != 4 {
			t.Fatalf("writer metrics: got %v, want 4 counters", got)
		}
		return got
	}
}

func counterValue(m *dto.Metric) float64 { return m.GetCounter().GetValue() }
