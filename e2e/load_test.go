package e2e

import (
	"encoding/json"
	"runtime"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/testbin"
)

// TestLoadAuthorizePlacements runs the authorization load with the server in
// each of its placements, on a small store, and checks every answer was the
// expected one and the server ran where it was asked to.
func TestLoadAuthorizePlacements(t *testing.T) {
	for _, tc := range []struct {
		placement       string
		process, pinned bool
	}{
		{"shared", false, false},
		{"process", true, false},
		{"isolated", true, runtime.NumCPU() >= 2},
	} {
		t.Run(tc.placement, func(t *testing.T) {
			res := testbin.Run(t, testbin.RunOptions{Timeout: 2 * time.Minute},
				"load", "authorize", "--grants", "2000", "--concurrency", "2", "--requests", "400",
				"--placement", tc.placement, "-o", "json")
			if res.Code != 0 {
				t.Fatalf("exit code %d\nstderr:\n%s", res.Code, res.Stderr)
			}
			var out struct {
				Requests      int   `json:"requests"`
				Allowed       int64 `json:"allowed"`
				Errors        int64 `json:"errors"`
				ServerProcess bool  `json:"server_process"`
				Pinned        bool  `json:"pinned"`
			}
			if err := json.Unmarshal([]byte(res.Stdout), &out); err != nil {
				t.Fatalf("decode %q: %v", res.Stdout, err)
			}
			if out.Errors != 0 || out.Allowed != 200 || out.Requests != 400 {
				t.Errorf("got %d requests, %d allowed, %d errors; want 400, 200 (half), 0", out.Requests, out.Allowed, out.Errors)
			}
			if out.ServerProcess != tc.process || out.Pinned != tc.pinned {
				t.Errorf("got server_process %v, pinned %v; want %v, %v", out.ServerProcess, out.Pinned, tc.process, tc.pinned)
			}
		})
	}
}
