package e2e

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/testbin"
	_ "modernc.org/sqlite" // to edit a stopped server's store
)

func TestMain(m *testing.M) { os.Exit(testbin.Main(m)) }

// TestHealthNeedsNoAuth checks that probes answer without credentials.
func TestHealthNeedsNoAuth(t *testing.T) {
	srv := testbin.StartServer(t, testbin.Options{})
	tests := []struct {
		path       string
		wantStatus string
	}{
		{path: "/healthz", wantStatus: "ok"},
		{path: "/readyz", wantStatus: "ready"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			status, body := get(t, srv.URL+tt.path, "")
			if status != http.StatusOK {
				t.Fatalf("status: got %d, want 200 (body %s)", status, body)
			}
			var got struct{ Status string }
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("decode %s: %v", body, err)
			}
			if got.Status != tt.wantStatus {
				t.Errorf("status field: got %q, want %q", got.Status, tt.wantStatus)
			}
		})
	}
}

// TestAPINeedsAuth checks that the API answers 401 in the one error shape
// without valid credentials, and serves the bootstrap token.
func TestAPINeedsAuth(t *testing.T) {
	srv := testbin.StartServer(t, testbin.Options{})
	paths := []string{"/api/v1/openapi.json", "/api/v1/me", "/api/v1/accounts", "/api/v1/catalog/databases", "/api/v1/catalog/search?q=sales"}
	tokens := []struct {
		name  string
		token string
	}{
		{name: "no token", token: ""},
		{name: "unknown token", token: "mgt_not_a_real_token_0123456789"},
	}
	for _, path := range paths {
		for _, tt := range tokens {
			t.Run(path+"/"+tt.name, func(t *testing.T) {
				status, body := get(t, srv.URL+path, tt.token)
				if status != http.StatusUnauthorized {
					t.Fatalf("status: got %d, want 401 (body %s)", status, body)
				}
				var got struct {
					Error struct{ Code, Message string }
				}
				if err := json.Unmarshal(body, &got); err != nil {
					t.Fatalf("decode %s: %v", body, err)
				}
				if got.Error.Code != "unauthorized" || got.Error.Message == "" {
					t.Errorf("error: got %+v, want code unauthorized with a message", got.Error)
				}
			})
		}
		t.Run(path+"/bootstrap token", func(t *testing.T) {
			if status, body := get(t, srv.URL+path, srv.Token); status != http.StatusOK {
				t.Errorf("status: got %d, want 200 (body %s)", status, body)
			}
		})
	}
}

// TestMetrics checks that /metrics is for mesh admins and counts requests by route.
func TestMetrics(t *testing.T) {
	srv := testbin.StartServer(t, testbin.Options{})
	if status, body := get(t, srv.URL+"/metrics", ""); status != http.StatusUnauthorized {
		t.Errorf("metrics without a token: got %d, want 401 (%s)", status, body)
	}
	get(t, srv.URL+"/api/v1/accounts", srv.Token)
	status, body := get(t, srv.URL+"/metrics", srv.Token)
	if status != http.StatusOK {
		t.Fatalf("metrics with the bootstrap token: got %d, want 200 (%s)", status, body)
	}
	if !strings.Contains(string(body), `route="GET /api/v1/accounts"`) {
		t.Errorf("metrics: got %s, want a series labelled with the route /api/v1/accounts", body)
	}
}

// TestGracefulShutdown checks that SIGTERM and SIGINT stop the server with
// exit code 0 and that its store opens again afterwards.
func TestGracefulShutdown(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			srv := testbin.StartServer(t, testbin.Options{})
			if err := srv.Client().Health(context.Background()); err != nil {
				t.Fatalf("health: %v", err)
			}
			if code := srv.Signal(t, sig); code != 0 {
				t.Fatalf("exit code after %v: got %d, want 0\n%s", sig, code, srv.Logs())
			}
			srv.Restart(t)
			if err := srv.Client().Ready(context.Background()); err != nil {
				t.Errorf("ready after restart: %v", err)
			}
		})
	}
}

// TestRefusesNewerSchema checks that a store migrated by a newer meshgate
// makes serve and migrate refuse to start, saying why.
func TestRefusesNewerSchema(t *testing.T) {
	srv := testbin.StartServer(t, testbin.Options{})
	srv.Stop(t)

	db, err := sql.Open("sqlite", filepath.Join(srv.DataDir, "meshgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', '2030-01-01T00:00:00Z')`)
	db.Close()
	if err != nil {
		t.Fatalf("insert future migration: %v", err)
	}

	for _, args := range [][]string{
		{"serve", "--data", srv.DataDir, "--addr", srv.Addr},
		{"migrate", "--data", srv.DataDir},
	} {
		t.Run(args[0], func(t *testing.T) {
			res := testbin.Run(t, testbin.RunOptions{}, args...)
			if res.Code != 1 {
				t.Errorf("exit code: got %d, want 1", res.Code)
			}
			for _, want := range []string{"newer than this meshgate binary", "9999"} {
				if !strings.Contains(res.Stderr, want) {
					t.Errorf("stderr: got %q, want it to contain %q", res.Stderr, want)
				}
			}
		})
	}
}

// TestListensOnLoopbackByDefault starts serve without --addr and reads the
// address it listens on (or, when another program holds the default port,
// the address it tried) from its log.
func TestListensOnLoopbackByDefault(t *testing.T) {
	cmd := testbin.Command(t, "serve", "--data", t.TempDir())
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	const want = "127.0.0.1:8080"
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		line := sc.Text()
		var entry struct{ Msg, Addr string }
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "meshgate listening" {
			if entry.Addr != want {
				t.Errorf("listening on %q, want %q", entry.Addr, want)
			}
			return
		}
		if strings.Contains(line, "listen on ") {
			if !strings.Contains(line, "listen on "+want) {
				t.Errorf("tried to listen: got %q, want %s", line, want)
			}
			return
		}
	}
	t.Fatalf("serve ended without saying where it listens: %v", sc.Err())
}

// TestIdleMemory holds the server's resident memory after start-up and a few
// requests to the 50 MiB. It is stable because the server hands
// start-up's argon2id work areas back to the system before it idles.
func TestIdleMemory(t *testing.T) {
	srv := testbin.StartServer(t, testbin.Options{})
	ctx := context.Background()
	c := srv.Client()
	for range 20 {
		if err := c.Ready(ctx); err != nil {
			t.Fatalf("ready: %v", err)
		}
		var doc map[string]any
		if err := c.Do(ctx, "GET", "/api/v1/openapi.json", nil, nil, &doc); err != nil {
			t.Fatalf("openapi: %v", err)
		}
	}
	rss, err := srv.ResidentMemory()
	if err != nil {
		t.Fatalf("resident memory: %v", err)
	}
	t.Logf("idle resident memory: %.1f MiB (target ≤ 50 MiB)", float64(rss)/(1<<20))
	const ceiling = 50 << 20
	if rss > ceiling {
		t.Errorf("idle resident memory: got %.1f MiB, want ≤ %d MiB", float64(rss)/(1<<20), ceiling>>20)
	}
}

// get fetches url with an optional bearer token and returns the status and body.
func get(t *testing.T, url, token string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", url, err)
	}
	return resp.StatusCode, body
}

// TestHelpRunsNothing checks that --help describes a command and exits
// without running it (serve would otherwise start a server).
func TestHelpRunsNothing(t *testing.T) {
	dir := t.TempDir()
	res := testbin.Run(t, testbin.RunOptions{Dir: dir, Timeout: 30 * time.Second}, "serve", "--help")
	if res.Code != 0 || !strings.Contains(res.Stdout, "--addr") {
		t.Errorf("serve --help: got code %d, stdout %q; want 0 and the flags", res.Code, res.Stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "meshgate-data")); !os.IsNotExist(err) {
		t.Errorf("serve --help created a store: %v", err)
	}
}
