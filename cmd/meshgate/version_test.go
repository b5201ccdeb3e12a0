package main

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionOf(t *testing.T) {
	platform := runtime.GOOS + "/" + runtime.GOARCH
	build := func(version string, settings ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/meshgate/meshgate", Version: version}}
		for _, kv := range settings {
			k, v, _ := strings.Cut(kv, "=")
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: k, Value: v})
		}
		return bi
	}
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		ok   bool
		want string
	}{
		{"release", build("v1.2.0"), true, "meshgate v1.2.0 (go1.26.8 " + platform + ")"},
		{"pseudo-version from a dirty checkout", build("v0.0.0-20261206051310-17aed0e1a2b3+dirty",
			"vcs=git", "vcs.revision=17aed0e1a2b3c4d5e6f708192a3b4c5d6e7f8091", "vcs.time=2026-12-06T05:13:10Z", "vcs.modified=true"), true,
			"meshgate v0.0.0-20261206051310-17aed0e1a2b3+dirty (revision 17aed0e1a2b3, modified, 2026-12-06T05:13:10Z; go1.26.8 " + platform + ")"},
		{"checkout build with VCS stamping", build("(devel)",
			"vcs.revision=17aed0e1a2b3c4d5e6f708192a3b4c5d6e7f8091", "vcs.time=2026-12-06T05:13:10Z", "vcs.modified=false"), true,
			"meshgate (devel) (revision 17aed0e1a2b3, 2026-12-06T05:13:10Z; go1.26.8 " + platform + ")"},
		{"checkout build without VCS stamping", build("(devel)"), true,
			"meshgate (devel) (no revision recorded: built outside a git checkout or with -buildvcs=false; go1.26.8 " + platform + ")"},
		{"no build info", nil, false, "meshgate unknown (" + runtime.Version() + " " + platform + ")"},
	}
	for _, tt := range tests {
		if got := versionOf(tt.bi, tt.ok).String(); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}
