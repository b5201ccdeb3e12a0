package testbin_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/testbin"
)

func TestMain(m *testing.M) { os.Exit(testbin.Main(m)) }

func TestBuildOnce(t *testing.T) {
	first := testbin.Build(t)
	if got := testbin.Build(t); got != first {
		t.Errorf("second Build: got %q, want %q", got, first)
	}
	if _, err := os.Stat(first); err != nil {
		t.Errorf("binary: %v", err)
	}
}

func TestRun(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{name: "version", args: []string{"version"}, wantCode: 0, wantOut: "meshgate "},
		{name: "unknown command", args: []string{"no-such-command"}, wantCode: 2, wantErr: "no-such-command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := testbin.Run(t, testbin.RunOptions{}, tt.args...)
			if res.Code != tt.wantCode {
				t.Errorf("exit code: got %d, want %d (stderr %q)", res.Code, tt.wantCode, res.Stderr)
			}
			if !strings.Contains(res.Stdout, tt.wantOut) {
				t.Errorf("stdout: got %q, want it to contain %q", res.Stdout, tt.wantOut)
			}
			if !strings.Contains(res.Stderr, tt.wantErr) {
				t.Errorf("stderr: got %q, want it to contain %q", res.Stderr, tt.wantErr)
			}
		})
	}
}

func TestCommand(t *testing.T) {
	t.Setenv("MESHGATE_ADDR", "127.0.0.1:1")
	cmd := testbin.Command(t, "version")
	for _, kv := range cmd.Env {
		if strings.HasPrefix(kv, "MESHGATE_") {
			t.Errorf("environment: got %q, want no MESHGATE_ variables", kv)
		}
	}
	out, err := cmd.Output()
	if err != nil || !strings.HasPrefix(string(out), "meshgate ") {
		t.Errorf("version: got %q, %v; want meshgate's version", out, err)
	}
}

func TestServerLifecycle(t *testing.T) {
	srv := testbin.StartServer(t, testbin.Options{})
	ctx := context.Background()
	if err := srv.Client().Ready(ctx); err != nil {
		t.Fatalf("ready after start: %v", err)
	}
	if !strings.HasPrefix(srv.Addr, "127.0.0.1:") {
		t.Errorf("addr: got %q, want a loopback address", srv.Addr)
	}
	if _, err := os.Stat(filepath.Join(srv.DataDir, "meshgate.db")); err != nil {
		t.Errorf("sqlite store in data dir: %v", err)
	}
	if rss, err := srv.ResidentMemory(); err != nil || rss <= 0 {
		t.Errorf("resident memory: got %d, %v; want a positive size", rss, err)
	}

	srv.Stop(t)
	if srv.Running() {
		t.Fatal("running after Stop")
	}
	if err := srv.Client().Health(ctx); err == nil {
		t.Error("health after Stop: got nil error, want the connection refused")
	}

	srv.Restart(t)
	if err := srv.Client().Ready(ctx); err != nil {
		t.Fatalf("ready after restart: %v", err)
	}
	// One client serves across a kill and a restart, even for a request
	// that cannot be retried.
	c := srv.Client()
	if _, err := c.OnboardAccount(ctx, client.AccountInput{ID: "111122223333", Name: "Sales"}); err != nil {
		t.Fatalf("onboard: %v", err)
	}
	srv.Kill(t)
	if srv.Running() {
		t.Fatal("running after Kill")
	}
	srv.Restart(t)
	if _, err := c.OnboardAccount(ctx, client.AccountInput{ID: "222233334444", Name: "Analytics"}); err != nil {
		t.Fatalf("onboard after kill and restart: %v", err)
	}
}

func TestCLIExitError(t *testing.T) {
	srv := testbin.StartServer(t, testbin.Options{})
	out, err := srv.CLI(t, "version")
	if err != nil || !strings.HasPrefix(out, "meshgate ") {
		t.Errorf("version: got %q, %v; want meshgate's version", out, err)
	}
	_, err = srv.CLI(t, "no-such-command")
	var exit *testbin.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("unknown command: got %v, want an *ExitError", err)
	}
	if exit.Code != 2 || !strings.Contains(exit.Stderr, "no-such-command") {
		t.Errorf("unknown command: got code %d stderr %q, want code 2 naming the command", exit.Code, exit.Stderr)
	}
}

func TestPostgresServer(t *testing.T) {
	srv := testbin.StartServer(t, testbin.Options{Postgres: true})
	var ready struct{ Store string }
	if err := srv.Client().Do(context.Background(), "GET", "/readyz", nil, nil, &ready); err != nil {
		t.Fatalf("ready: %v", err)
	}
	if ready.Store != "postgres" {
		t.Errorf("store: got %q, want postgres", ready.Store)
	}
	srv.Stop(t)
}

func TestPostgresReplica(t *testing.T) {
	first := testbin.StartServer(t, testbin.Options{Postgres: true})
	second := first.Replica(t)
	if second.URL == first.URL {
		t.Fatalf("replica URL: got %q, the first server's", second.URL)
	}
	// The replica shares the store: an account onboarded through one is seen by the other.
	if _, err := first.CLI(t, "account", "onboard", "--id", "111122223333", "--name", "Sales"); err != nil {
		t.Fatal(err)
	}
	out, err := second.CLI(t, "account", "show", "--id", "111122223333")
	if err != nil || !strings.Contains(out, "Sales") {
		t.Errorf("account through the replica: got %q, %v; want Sales", out, err)
	}
}
