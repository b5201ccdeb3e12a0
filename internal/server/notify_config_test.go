package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/server"
)

// TestNotifyLeaseConfig checks the delivery timeout and lease defaults and
// that a lease too short for an attempt and its recording is refused with a
// message naming both settings.
func TestNotifyLeaseConfig(t *testing.T) {
	tests := []struct {
		timeout, lease         time.Duration
		wantTimeout, wantLease time.Duration
		wantErr                string
	}{
		{0, 0, 15 * time.Second, 2 * time.Minute, ""},
		{time.Second, 0, time.Second, 2 * time.Minute, ""},
		{2 * time.Minute, 0, 2 * time.Minute, 4 * time.Minute, ""},
		{2 * time.Second, 4 * time.Second, 2 * time.Second, 4 * time.Second, ""},
		{0, 10 * time.Second, 0, 0, "notify-lease 10s is shorter than twice notify-timeout 15s"},
		{5 * time.Second, 9 * time.Second, 0, 0, "use at least 10s"},
		{0, 29 * time.Second, 0, 0, "shorter than twice notify-timeout"},
		{-time.Second, 0, 0, 0, "notify-timeout -1s"},
		{0, -time.Second, 0, 0, "notify-lease -1s"},
	}
	for _, tt := range tests {
		cfg := server.Config{NotifyTimeout: tt.timeout, NotifyLease: tt.lease}
		err := cfg.Validate()
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("timeout %v, lease %v: got error %v, want one containing %q", tt.timeout, tt.lease, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("timeout %v, lease %v: got error %v", tt.timeout, tt.lease, err)
			continue
		}
		if cfg.NotifyTimeout != tt.wantTimeout || cfg.NotifyLease != tt.wantLease {
			t.Errorf("timeout %v, lease %v: got %v, %v; want %v, %v", tt.timeout, tt.lease, cfg.NotifyTimeout, cfg.NotifyLease, tt.wantTimeout, tt.wantLease)
		}
	}
}
