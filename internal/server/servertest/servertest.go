// Package servertest starts a real meshgate server for tests: the store,
// every service and the router, serving HTTP on a loopback port, with a
// bootstrap admin token so the test can act at once.
//
//	srv, admin := servertest.New(t, servertest.Options{})
//	err := admin.Do(ctx, "GET", "/api/v1/accounts", nil, nil, &out)
//
// The server uses SQLite in a temporary directory unless Options.Store is
// "postgres" (then MESHGATE_TEST_POSTGRES must be set; a fresh schema is
// created and dropped). Use storetest.Kinds to run a test on both. Password
// hashing is cheap (auth.TestArgon2) unless Options.Config.Auth says otherwise.
// Everything stops when the test ends.
package servertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/auth"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/server"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// Options shape the test server. The zero value is a SQLite server with the
// system clock.
type Options struct {
	// Store is "sqlite" (default) or "postgres".
	Store string
	// Clock is the server's clock (for example a *mesh.FakeClock); default the system clock.
	Clock mesh.Clock
	// Config is the starting configuration; Addr, DataDir, DatabaseURL,
	// BootstrapToken and Clock are set by New.
	Config server.Config
	// Log receives the server's logs (default: discarded; set os.Stderr to see them).
	Log io.Writer
	// Replicate, with Store "postgres", makes the server a replica of
	// another test server: it uses that server's database instead of a
	// fresh schema. Use the first server's AdminToken on both.
	Replicate *Server
}

// Server is a running test server.
type Server struct {
	*server.Server
	// URL is the server's base URL, such as http://127.0.0.1:41234.
	URL string
	// DataDir is the server's data directory (its SQLite file and bootstrap-admin.txt).
	DataDir string
	// AdminToken is the bootstrap mesh admin's API token.
	AdminToken string
	// DatabaseURL is the PostgreSQL database of a "postgres" server.
	DatabaseURL string
}

// New starts a server and returns it with a client authenticated as the
// bootstrap mesh admin (user "admin" of the central account).
func New(t testing.TB, opts Options) (*Server, *client.Client) {
	t.Helper()
	cfg := opts.Config
	cfg.Addr = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Clock = opts.Clock
	cfg.BootstrapToken = "mgt_test_" + randomHex(16)
	if cfg.Auth.Argon2 == (auth.Argon2Params{}) {
		cfg.Auth.Argon2 = auth.TestArgon2
	}
	switch opts.Store {
	case "", "sqlite":
		if cfg.Synchronous == "" {
			cfg.Synchronous = "NORMAL"
		}
	case "postgres":
		if opts.Replicate != nil {
			cfg.DatabaseURL = opts.Replicate.DatabaseURL
		} else {
			cfg.DatabaseURL = storetest.PostgresSchemaURL(t)
		}
	default:
		t.Fatalf("servertest: unknown store %q", opts.Store)
	}
	var logw io.Writer = io.Discard
	if opts.Log != nil {
		logw = opts.Log
	}
	log := slog.New(slog.NewTextHandler(logw, nil))

	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, log)
	if err != nil {
		cancel()
		t.Fatalf("servertest: start server: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		srv.Store.Close()
		t.Fatalf("servertest: listen: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("servertest: serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("servertest: the server did not stop within 30s")
		}
	})
	s := &Server{Server: srv, URL: "http://" + ln.Addr().String(), DataDir: cfg.DataDir, AdminToken: cfg.BootstrapToken, DatabaseURL: cfg.DatabaseURL}
	return s, client.New(s.URL, s.AdminToken)
}

// Client returns an unauthenticated client of the server.
func (s *Server) Client() *client.Client { return client.New(s.URL, "") }

// BootstrapPassword returns the bootstrap admin's temporary password, read
// from DATA/bootstrap-admin.txt (SQLite servers only).
func (s *Server) BootstrapPassword(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.DataDir, auth.BootstrapFile))
	if err != nil {
		t.Fatalf("servertest: read bootstrap credentials: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if pw, ok := strings.CutPrefix(line, "password: "); ok {
			return pw
		}
	}
	t.Fatalf("servertest: no password in %s", auth.BootstrapFile)
	return ""
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
