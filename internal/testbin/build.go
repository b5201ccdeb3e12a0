// Package testbin runs the real meshgate binary in tests: it builds
// cmd/meshgate once per test process, starts servers on free loopback ports
// with fresh stores, and runs CLI commands against them. Process-level tests
// (e2e/, crash and restart tests, browser tests) use it to check what a user
// of the binary sees: exit codes, files written, signals, the CLI's output.
//
// A typical test:
//
//	srv := testbin.StartServer(t, testbin.Options{})
//	out, err := srv.CLI(t, "catalog", "get-database", "--name", "sales")
//	if err != nil {
//		t.Fatal(err) // err carries the exit code and stderr
//	}
//	srv.Stop(t) // SIGTERM; fails the test unless the server exits 0
//
// StartServer waits until /readyz answers, stops the server when the test
// ends, and copies its logs into the test's output when the test fails.
// Options.Postgres runs it on PostgreSQL (MESHGATE_TEST_POSTGRES) in a
// fresh schema; storetest.Kinds lists the stores a run has.
//
// For crash and restart tests: Kill (SIGKILL) and Stop (SIGTERM, must exit
// 0), then Restart on the same address and store; Signal sends any signal
// and returns the exit code; Replica starts a second server on the same
// PostgreSQL database. For everything else: Run runs the binary without a
// server (migrate, a serve that must refuse to start), Command gives the
// process itself to a test that reads its output as it runs, Client is a Go
// API client with the admin token, ResidentMemory reads the server's RSS, Logs
// returns what it printed, and DataDir holds its files.
// Packages using testbin may call Main from TestMain so that the built binary
// is removed when the tests end:
//
//	func TestMain(m *testing.M) { os.Exit(testbin.Main(m)) }
//
// Set MESHGATE_TEST_BINARY to the path of an already built meshgate to test
// that binary instead of building one.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// BinaryEnv names the environment variable that points the tests at a
// prebuilt meshgate binary instead of building one.
const BinaryEnv = "MESHGATE_TEST_BINARY"

var build struct {
	once sync.Once
	dir  string // temporary directory holding the binary, removed by Main
	path string
	err  error
}

// Build returns the path of the meshgate binary, compiling ./cmd/meshgate of
// this module once per test process (the first call takes a few seconds; the
// others return at once). A build failure fails the test.
func Build(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		if p := os.Getenv(BinaryEnv); p != "" {
			build.path, build.err = filepath.Abs(p)
			return
		}
		build.path, build.err = compile()
	})
	if build.err != nil {
		t.Fatalf("build meshgate: %v", build.err)
	}
	return build.path
}

// compile runs go build into a fresh temporary directory.
func compile() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "meshgate-testbin-")
	if err != nil {
		return "", fmt.Errorf("temp dir: %w", err)
	}
	build.dir = dir
	name := "meshgate"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	bin := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/meshgate")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/meshgate: %w\n%s", err, out)
	}
	return bin, nil
}

// moduleRoot finds the directory of this module's go.mod (tests run in their
// package's directory, somewhere below it).
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside the meshgate module")
	}
	return filepath.Dir(gomod), nil
}

// Main runs the tests and then removes the binary Build compiled. Call it
// from TestMain: os.Exit(testbin.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
	return code
}
