package e2e

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/testbin"
)

// TestVersion checks that the built binary reports the module version, VCS
// revision and Go version that `go version -m` reads from it.
func TestVersion(t *testing.T) {
	bin := testbin.Build(t)
	raw, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	var want struct{ version, revision, goVersion string }
	for i, line := range strings.Split(string(raw), "\n") {
		f := strings.Split(strings.TrimSpace(line), "\t")
		switch {
		case i == 0:
			_, want.goVersion, _ = strings.Cut(line, ": ")
		case len(f) >= 3 && f[0] == "mod":
			want.version = f[2]
		case len(f) == 2 && f[0] == "build" && strings.HasPrefix(f[1], "vcs.revision="):
			want.revision = strings.TrimPrefix(f[1], "vcs.revision=")
		}
	}
	if want.version == "" || want.goVersion == "" {
		t.Fatalf("go version -m: got %q, want the module and Go versions", raw)
	}

	res := testbin.Run(t, testbin.RunOptions{}, "-o", "json", "version")
	var got struct{ Version, Revision, Go string }
	if err := json.Unmarshal([]byte(res.Stdout), &got); res.Code != 0 || err != nil {
		t.Fatalf("version -o json: exit %d, %q, %v", res.Code, res.Stdout, err)
	}
	if got.Version != want.version || got.Revision != want.revision || got.Go != want.goVersion {
		t.Errorf("version -o json: got %+v, want %+v", got, want)
	}

	res = testbin.Run(t, testbin.RunOptions{}, "version")
	prefix := "meshgate " + want.version + " ("
	if res.Code != 0 || !strings.HasPrefix(res.Stdout, prefix) || !strings.Contains(res.Stdout, want.goVersion) {
		t.Errorf("version: got %q, want %q… naming %s", res.Stdout, prefix, want.goVersion)
	}
	if want.revision != "" && !strings.Contains(res.Stdout, want.revision[:12]) {
		t.Errorf("version: got %q, want revision %.12s", res.Stdout, want.revision)
	}
}
