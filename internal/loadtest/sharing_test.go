package loadtest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/loadtest"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/testbin"
)

// TestRunSharing runs the sharing load briefly, in process, in each mode and
// on each store, and checks that it counts what it ran: every request
// reached its end (authorize said yes), none failed, and memory and store
// growth were measured. It times nothing.
func TestRunSharing(t *testing.T) {
	tests := []struct {
		name, mode string
		postgres   bool
	}{
		{"sqlite nopii", loadtest.SharingNoPII, false},
		{"sqlite pii", loadtest.SharingPII, false},
		{"postgres nopii", loadtest.SharingNoPII, true},
		{"postgres pii", loadtest.SharingPII, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var db string // SQLite
			if tt.postgres {
				db = storetest.PostgresURL(t) // skips, or fails when the run requires PostgreSQL
			}
			const n = 60
			profile := filepath.Join(t.TempDir(), "cpu.prof")
			res, err := loadtest.RunSharing(context.Background(), loadtest.SharingOptions{
				Mode: tt.mode, Concurrency: 4, Requests: n, Accounts: n, DatabaseURL: db,
				Replicas: 1, CommitProbe: 100 * time.Millisecond, SampleEvery: time.Hour, CPUProfile: profile})
			if err != nil {
				t.Fatal(err)
			}
			if res.Requests != n || res.Errors != 0 {
				t.Fatalf("requests, errors: got %v, %v (%s), want %v, 0", res.Requests, res.Errors, res.FirstErr, n)
			}
			if res.Mode != tt.mode {
				t.Errorf("mode: got %v, want %v", res.Mode, tt.mode)
			}
			if res.P50 <= 0 || res.P99 < res.P50 || res.Max < res.P99 {
				t.Errorf("percentiles: got p50 %v, p99 %v, max %v", res.P50, res.P99, res.Max)
			}
			if len(res.Memory) < 2 || res.Memory[len(res.Memory)-1].Requests != n || res.Memory[0].RSS[0] <= 0 || res.Memory[0].Anon[0] <= 0 {
				t.Errorf("memory samples: got %+v", res.Memory)
			}
			if res.StoreBytesAfter <= res.StoreBytesBefore {
				t.Errorf("store bytes: got %v after, %v before; want growth", res.StoreBytesAfter, res.StoreBytesBefore)
			}
			if res.CommitsPerSecond <= 0 {
				t.Errorf("commit rate: got %v, want > 0", res.CommitsPerSecond)
			}
			// PostgreSQL's CPU, when the server runs on this machine (as the
			// suite's does at 127.0.0.1); none on SQLite
			if local := strings.Contains(db, "@127.0.0.1") || strings.Contains(db, "@localhost"); local && res.DBCPUPerRequest <= 0 || db == "" && res.DBCPUPerRequest != 0 {
				t.Errorf("database CPU a request: got %v", res.DBCPUPerRequest)
			}
			// the SQLite writer's figures, read from the server's /metrics;
			// a group begun before the first reading may push Busy a little
			// past 1
			if w := res.Writer; db == "" && (w == nil || w.Busy <= 0 || w.Busy > 1.05 || w.CommitShare <= 0 || w.CommitShare >= 1 ||
				w.TransactionsPerSecond <= 0 || w.CallsPerTransaction < 1 || w.RequestsPerTransaction <= 0) || db != "" && w != nil {
				t.Errorf("SQLite writer: got %+v", w)
			}
			if fi, err := os.Stat(profile); err != nil || fi.Size() == 0 {
				t.Errorf("CPU profile: got %v, %v; want a profile written", fi, err)
			}
		})
	}
}

// TestRunSharingProfilesServers: with server processes and a duration, the
// load writes each server's CPU profile (gzipped, as pprof writes it) next
// to its own.
func TestRunSharingProfilesServers(t *testing.T) {
	profile := filepath.Join(t.TempDir(), "cpu.prof")
	res, err := loadtest.RunSharing(context.Background(), loadtest.SharingOptions{
		Concurrency: 2, Duration: time.Second, Accounts: 10, ServerExecutable: testbin.Build(t),
		SampleEvery: time.Hour, CPUProfile: profile})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests == 0 || res.Errors != 0 {
		t.Fatalf("requests, errors: got %v, %v (%s)", res.Requests, res.Errors, res.FirstErr)
	}
	for _, p := range []string{profile, profile + ".server1"} {
		b, err := os.ReadFile(p)
		if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("%s: got %d bytes (%v), want a gzipped profile", filepath.Base(p), len(b), err)
		}
	}
}
