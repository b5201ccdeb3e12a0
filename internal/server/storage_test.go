package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/notify"
	"github.com/meshgate/meshgate/internal/server"
	"github.com/meshgate/meshgate/internal/server/servertest"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/postgres"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/web"
)

// TestAuditRetentionSweep checks that a sweep deletes every entry older than
// the retention, across several batches, and keeps the rest.
func TestAuditRetentionSweep(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
		clock := mesh.NewFakeClock(now)
		const old, recent = 2500, 7 // old spans three batches
		err := st.Update(ctx, func(tx store.Tx) error {
			for i := range old + recent {
				at := now.Add(-31 * 24 * time.Hour).Add(-time.Duration(i) * time.Second)
				if i >= old {
					// within the retention by j+1 hours less a second
					at = now.Add(-30 * 24 * time.Hour).Add(time.Duration(i-old+1)*time.Hour - time.Second)
				}
				e := mesh.NewAuditEntry(nil, at, "test", "")
				if err := tx.InsertAudit(ctx, &e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		r := server.NewAuditRetention(st, clock, 30*24*time.Hour, time.Hour, "central", slog.New(slog.NewTextHandler(io.Discard, nil)))
		n, err := r.Sweep(ctx)
		if err != nil || n != old {
			t.Fatalf("sweep: got %d, %v; want %d deleted", n, err, old)
		}
		var left []*mesh.AuditEntry
		st.View(ctx, func(tx store.Tx) error {
			left, err = tx.FindAuditEntries(ctx, store.AuditFilter{Action: "test", Limit: 1000})
			return err
		})
		if len(left) != recent {
			t.Errorf("got %d entries left, want %d", len(left), recent)
		}
		clock.Add(4 * time.Hour) // four more pass the retention
		if n, err := r.Sweep(ctx); err != nil || n != 4 {
			t.Errorf("second sweep: got %d, %v; want 4", n, err)
		}
		// Each batch is in the log, as the system, with what it deleted.
		var got []string
		st.View(ctx, func(tx store.Tx) error {
			es, err := tx.FindAuditEntries(ctx, store.AuditFilter{Action: "audit.retention"})
			for _, e := range es {
				got = append(got, e.Principal+" "+e.Resource+" "+e.Detail)
			}
			return err
		})
		cut := func(h time.Duration) string {
			return now.Add(h - 30*24*time.Hour).Format(time.RFC3339)
		}
		want := []string{ // newest first
			"central/system audit_log deleted 4 entries older than " + cut(4*time.Hour),
			"central/system audit_log deleted 500 entries older than " + cut(0),
			"central/system audit_log deleted 1000 entries older than " + cut(0),
			"central/system audit_log deleted 1000 entries older than " + cut(0),
		}
		if !slices.Equal(got, want) {
			t.Errorf("got retention entries %q, want %q", got, want)
		}
		if n, err := r.Sweep(ctx); err != nil || n != 0 {
			t.Errorf("third sweep: got %d, %v; want 0", n, err)
		}
		st.View(ctx, func(tx store.Tx) error {
			es, err := tx.FindAuditEntries(ctx, store.AuditFilter{Action: "audit.retention"})
			if len(es) != len(want) {
				t.Errorf("a sweep that deleted nothing: got %d retention entries, want %d", len(es), len(want))
			}
			return err
		})
	})
}

func TestAuditRetentionConfig(t *testing.T) {
	tests := []struct {
		in      time.Duration
		want    time.Duration
		wantErr bool
	}{
		{0, server.DefaultAuditRetention, false},
		{-1, -1, false},
		{48 * time.Hour, 48 * time.Hour, false},
		{time.Hour, 0, true},
	}
	for _, tt := range tests {
		cfg := server.Config{AuditRetention: tt.in}
		err := cfg.Validate()
		if (err != nil) != tt.wantErr {
			t.Errorf("%v: got error %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && cfg.AuditRetention != tt.want {
			t.Errorf("%v: got %v, want %v", tt.in, cfg.AuditRetention, tt.want)
		}
	}
}

func TestNotifyRetentionConfig(t *testing.T) {
	tests := []struct {
		in      time.Duration
		want    time.Duration
		wantErr bool
	}{
		{0, notify.DefaultRetention, false},
		{-1, -1, false},
		{48 * time.Hour, 48 * time.Hour, false},
		{time.Hour, 0, true},
	}
	for _, tt := range tests {
		cfg := server.Config{NotifyRetention: tt.in}
		err := cfg.Validate()
		if (err != nil) != tt.wantErr {
			t.Errorf("%v: got error %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && cfg.NotifyRetention != tt.want {
			t.Errorf("%v: got %v, want %v", tt.in, cfg.NotifyRetention, tt.want)
		}
	}
}

// TestPostgresTimeoutsConfig checks PostgreSQL's idle-in-transaction and
// TCP user timeouts: a minute by default, negative for PostgreSQL's own
// setting, and neither under a second nor longer than PostgreSQL takes.
func TestPostgresTimeoutsConfig(t *testing.T) {
	fields := []struct {
		name     string
		field    func(*server.Config) *time.Duration
		def, max time.Duration
	}{
		{"idle-in-transaction", func(c *server.Config) *time.Duration { return &c.IdleInTransactionTimeout },
			postgres.DefaultIdleInTransactionTimeout, postgres.MaxIdleInTransactionTimeout},
		{"tcp-user", func(c *server.Config) *time.Duration { return &c.TCPUserTimeout },
			postgres.DefaultTCPUserTimeout, postgres.MaxTCPUserTimeout},
	}
	for _, f := range fields {
		tests := []struct {
			in      time.Duration
			want    time.Duration
			wantErr bool
		}{
			{0, f.def, false},
			{-1, -1, false},
			{time.Second, time.Second, false},
			{10 * time.Minute, 10 * time.Minute, false},
			{f.max, f.max, false},
			{500 * time.Millisecond, 0, true},
			{f.max + time.Millisecond, 0, true},
		}
		for _, tt := range tests {
			var cfg server.Config
			*f.field(&cfg) = tt.in
			err := cfg.Validate()
			if (err != nil) != tt.wantErr {
				t.Errorf("%s %v: got error %v, want error %v", f.name, tt.in, err, tt.wantErr)
				continue
			}
			if got := *f.field(&cfg); err == nil && got != tt.want {
				t.Errorf("%s %v: got %v, want %v", f.name, tt.in, got, tt.want)
			}
		}
	}
}

// TestCentralAccountNameChecked checks the configured central account name
// follows the rules of every account name.
func TestCentralAccountNameChecked(t *testing.T) {
	cfg := server.Config{CentralAccountName: "Central\u202E"}
	if err := cfg.Validate(); !mesh.IsCode(err, mesh.EINVALID) {
		t.Errorf("got %v, want the name refused", err)
	}
	cfg = server.Config{CentralAccountName: "Cafe\u0301"}
	if err := cfg.Validate(); err != nil || cfg.CentralAccountName != "Caf\u00e9" {
		t.Errorf("got %q, %v; want the name in NFC", cfg.CentralAccountName, err)
	}
}

// TestAnonymousFloodCostsBoundedDisk replays the flood of a review (3,000
// unauthenticated accepts of an invitation named by 60,000 nines, which
// once added 180 MB of audit text) at a smaller count, over real HTTP, and
// checks the audit log and the store's size stay within a small bound.
func TestAnonymousFloodCostsBoundedDisk(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			srv, _ := servertest.New(t, servertest.Options{Store: kind})
			ctx := context.Background()
			before := storeSize(t, srv)
			count := func() (n, text int) {
				t.Helper()
				err := srv.Store.View(ctx, func(tx store.Tx) error {
					es, err := tx.FindAuditEntries(ctx, store.AuditFilter{Limit: 1000})
					for _, e := range es {
						n++
						text += len(e.Action) + len(e.Resource) + len(e.Detail) + len(e.Principal) + len(e.RemoteAddr) + len(e.RequestID)
					}
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				return n, text
			}
			n0, _ := count()
			nines := strings.Repeat("9", 60000)
			post := func(path string) int {
				resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader("{}"))
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return resp.StatusCode
			}
			for range 200 {
				if got := post("/api/v1/invitations/" + nines + "/accept"); got != http.StatusRequestURITooLong {
					t.Fatalf("huge id: got %d, want 414", got)
				}
			}
			for i := range 300 {
				if got := post(fmt.Sprintf("/api/v1/invitations/%019d/accept", i)); got != http.StatusUnauthorized {
					t.Fatalf("anonymous accept: got %d, want 401", got)
				}
			}
			n, text := count()
			if added := n - n0; added > web.RejectedAuditPerMinute*2 { // a minute boundary may fall inside the flood
				t.Errorf("the flood added %d audit entries, want at most %d", added, 2*web.RejectedAuditPerMinute)
			}
			if text > 40*1024 {
				t.Errorf("the audit log holds %d bytes of text, want at most 40 KiB", text)
			}
			if after := storeSize(t, srv); after-before > 4<<20 {
				t.Errorf("the store grew from %.0f to %.0f bytes, want at most 4 MiB more", before, after)
			}
		})
	}
}

var storeSizeRe = regexp.MustCompile(`(?m)^meshgate_store_size_bytes (\S+)$`)

// storeSize reads meshgate_store_size_bytes from /metrics.
func storeSize(t *testing.T, srv *servertest.Server) float64 {
	t.Helper()
	m := storeSizeRe.FindStringSubmatch(scrape(t, srv))
	if m == nil {
		t.Fatalf("/metrics has no meshgate_store_size_bytes")
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestMetricsReportStoreSize checks the store size gauge on both stores.
func TestMetricsReportStoreSize(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			srv, _ := servertest.New(t, servertest.Options{Store: kind})
			if got := storeSize(t, srv); got <= 0 {
				t.Errorf("got store size %v, want a positive number of bytes", got)
			}
		})
	}
}

// TestApprovalTimeoutConfig: an approval timeout the state machine cannot
// wait (under a second, over 99,999,999 seconds) is refused at start, with
// the range it takes, rather than failing every personal-data request.
func TestApprovalTimeoutConfig(t *testing.T) {
	for _, tt := range []struct {
		in      time.Duration
		wantErr bool
	}{
		{0, false},
		{time.Second, false},
		{168 * time.Hour, false},
		{500 * time.Millisecond, true},
		{4 * 365 * 24 * time.Hour, true},
	} {
		cfg := server.Config{ApprovalTimeout: tt.in}
		err := cfg.Validate()
		if (err != nil) != tt.wantErr || (err != nil && !strings.Contains(err.Error(), "approval timeout")) {
			t.Errorf("%v: got error %v, want an error naming the approval timeout: %v", tt.in, err, tt.wantErr)
		}
	}
}
