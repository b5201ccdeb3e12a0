package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// VersionCmd prints what this binary was built from.
type VersionCmd struct{}

// Run prints the version line, or its parts with -o json.
func (VersionCmd) Run(g *Globals) error {
	v := versionOf(debug.ReadBuildInfo())
	if g.JSON() {
		return g.PrintJSON(v)
	}
	_, err := fmt.Fprintln(g.stdout, v)
	return err
}

// buildVersion is what the Go toolchain recorded in the binary: the module
// version (a release such as v1.2.0, a pseudo-version, or "(devel)" for a
// build in a checkout that recorded none) and, when built in a git checkout
// with VCS stamping, the commit and whether the tree had uncommitted changes.
type buildVersion struct {
	Version  string `json:"version"`
	Revision string `json:"revision,omitempty"`
	Time     string `json:"time,omitempty"`
	Modified bool   `json:"modified"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

// versionOf reads bi, the result of debug.ReadBuildInfo.
func versionOf(bi *debug.BuildInfo, ok bool) buildVersion {
	v := buildVersion{Version: "unknown", Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if !ok {
		return v
	}
	v.Version, v.Go = bi.Main.Version, bi.GoVersion
	if v.Version == "" {
		v.Version = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// String is the one line `meshgate version` prints, such as
// "meshgate (devel) (revision 17aed0e1a2b3, modified, 2026-12-06T05:13:10Z; go1.26.8 linux/amd64)".
func (v buildVersion) String() string {
	var about []string
	switch {
	case v.Revision != "":
		rev := "revision " + v.Revision[:min(12, len(v.Revision))]
		if v.Modified {
			rev += ", modified"
		}
		if v.Time != "" {
			rev += ", " + v.Time
		}
		about = append(about, rev)
	case v.Version == "(devel)":
		about = append(about, "no revision recorded: built outside a git checkout or with -buildvcs=false")
	}
	about = append(about, v.Go+" "+v.Platform)
	return "meshgate " + v.Version + " (" + strings.Join(about, "; ") + ")"
}
