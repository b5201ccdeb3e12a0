package testbin

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// Generous bounds for a loaded two-core machine; nothing here asserts timing.
const (
	readyTimeout = 60 * time.Second // from start to /readyz answering 200
	stopTimeout  = 30 * time.Second // from SIGTERM to exit
)

// Options configure StartServer. The zero value starts a server on an
// embedded SQLite store in a fresh temporary directory.
type Options struct {
	// Postgres runs the server on the PostgreSQL server named by
	// MESHGATE_TEST_POSTGRES, in a schema of its own that is dropped when the
	// test ends. Without that variable the test is skipped, or fails when
	// MESHGATE_TEST_REQUIRE demands postgres.
	Postgres bool
	// Database, when set, is passed as MESHGATE_DATABASE as it is (it
	// overrides Postgres; the test owns the database).
	Database string
	// DataDir is the server's --data directory (default a fresh t.TempDir()).
	// Pass an earlier server's DataDir to start on its store.
	DataDir string
	// Args are extra `meshgate serve` flags, such as "--demo".
	Args []string
	// Env are extra environment variables ("KEY=value") for the server.
	Env []string
	// BootstrapToken is MESHGATE_BOOTSTRAP_TOKEN: on a fresh store it becomes
	// a mesh admin's API token (default a random one; see Server.Token).
	BootstrapToken string
}

// Server is a meshgate server process started by StartServer.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:PORT.
	URL string
	// Addr is its listen address, 127.0.0.1:PORT.
	Addr string
	// DataDir is its --data directory (bootstrap-admin.txt, meshgate.db, ...).
	DataDir string
	// Database is its MESHGATE_DATABASE ("" for SQLite).
	Database string
	// Token is the bootstrap token: a mesh admin's API token on a fresh store.
	// CLI passes it as --token.
	Token string
	// WorkDir is the directory CLI commands run in, so that relative inputs
	// such as --database-input file://db.json resolve there.
	WorkDir string

	bin      string
	extra    []string // Options.Args
	extraEnv []string // Options.Env
	logs     syncBuffer
	// transport serves Client; its idle connections are closed whenever the
	// process ends, so that no request goes to a dead connection.
	transport *http.Transport

	mu   sync.Mutex
	proc *process // nil when not running
}

// process is one run of the server.
type process struct {
	cmd   *exec.Cmd
	done  chan struct{} // closed when the process has exited
	state *os.ProcessState
}

// StartServer builds meshgate, starts `meshgate serve` on a free loopback
// port and waits until GET /readyz answers 200. The server is stopped
// (SIGTERM, then SIGKILL if it hangs) when the test ends, and its logs are
// written to the test's output if the test failed.
func StartServer(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{
		bin:      Build(t),
		DataDir:  opts.DataDir,
		Database: opts.Database,
		Token:    opts.BootstrapToken,
		WorkDir:  t.TempDir(),
		extra:    opts.Args,
		extraEnv: opts.Env,
		transport: &http.Transport{
			MaxIdleConnsPerHost: 16,
			IdleConnTimeout:     30 * time.Second,
		},
	}
	if s.DataDir == "" {
		s.DataDir = t.TempDir()
	}
	if s.Token == "" {
		s.Token = randomToken()
	}
	if s.Database == "" && opts.Postgres {
		s.Database = storetest.PostgresSchemaURL(t)
	}
	t.Cleanup(func() {
		if s.Running() {
			s.terminate()
		}
		if t.Failed() {
			t.Logf("meshgate server %s logs:\n%s", s.Addr, tail(s.Logs(), maxLoggedBytes))
		}
	})
	// A port found free may be taken before the server binds it; try another.
	var err error
	for range 3 {
		s.Addr = freeAddr(t)
		s.URL = "http://" + s.Addr
		if err = s.start(); err == nil || !strings.Contains(s.Logs(), "address already in use") {
			break
		}
	}
	if err != nil {
		t.Fatalf("start meshgate server: %v\n%s", err, s.Logs())
	}
	return s
}

// start runs the server process and waits for readiness.
func (s *Server) start() error {
	args := append([]string{"serve", "--data", s.DataDir}, s.extra...)
	cmd := exec.Command(s.bin, append(args, "--addr", s.Addr)...)
	cmd.Env = append(cleanEnv(), "MESHGATE_BOOTSTRAP_TOKEN="+s.Token)
	if s.Database != "" {
		cmd.Env = append(cmd.Env, "MESHGATE_DATABASE="+s.Database)
	}
	cmd.Env = append(cmd.Env, s.extraEnv...)
	cmd.Stdout = &s.logs
	cmd.Stderr = &s.logs
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("exec %s: %w", s.bin, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		p.state = cmd.ProcessState
		s.transport.CloseIdleConnections()
		close(p.done)
	}()
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()
	return s.waitReady(p)
}

// waitReady polls /readyz until it answers 200, the process exits or the
// deadline passes.
func (s *Server) waitReady(p *process) error {
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(readyTimeout)
	for {
		resp, err := hc.Get(s.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			s.mu.Lock()
			s.proc = nil
			s.mu.Unlock()
			return fmt.Errorf("server exited with code %d before it was ready", p.state.ExitCode())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.terminate()
			return fmt.Errorf("server not ready after %s", readyTimeout)
		}
	}
}

// Replica starts another server on the same PostgreSQL database, with the
// same bootstrap token (which the first server's fresh store made valid) and
// the same extra flags, for scale-out and take-over tests. SQLite serves one
// process only, so Replica fails the test for a SQLite server.
func (s *Server) Replica(t testing.TB) *Server {
	t.Helper()
	if s.Database == "" {
		t.Fatal("replica: a SQLite store serves one process; start the first server with Options.Postgres")
	}
	return StartServer(t, Options{Database: s.Database, BootstrapToken: s.Token, Args: s.extra, Env: s.extraEnv})
}

// Running reports whether the server process is running.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return false
	}
	select {
	case <-s.proc.done:
		return false
	default:
		return true
	}
}

// PID returns the server's process id (0 when not running).
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return 0
	}
	return s.proc.cmd.Process.Pid
}

// Signal sends sig to the server and waits for it to exit, returning its
// exit code (-1 when a signal killed it). It fails the test if the server is
// not running or does not exit within 30s (it is then killed).
func (s *Server) Signal(t testing.TB, sig os.Signal) int {
	t.Helper()
	s.mu.Lock()
	p := s.proc
	s.mu.Unlock()
	if p == nil {
		t.Fatalf("signal %v: server %s is not running", sig, s.Addr)
	}
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("signal %v: %v", sig, err)
	}
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("server did not exit within %s of %v; killed", stopTimeout, sig)
	}
	s.mu.Lock()
	s.proc = nil
	s.mu.Unlock()
	return p.state.ExitCode()
}

// Stop shuts the server down gracefully with SIGTERM and fails the test
// unless it exits with code 0.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if code := s.Signal(t, syscall.SIGTERM); code != 0 {
		t.Errorf("server exited with code %d after SIGTERM, want 0\n%s", code, s.Logs())
	}
}

// Kill stops the server abruptly with SIGKILL, as a crash or power cut would.
func (s *Server) Kill(t testing.TB) {
	t.Helper()
	s.Signal(t, syscall.SIGKILL)
}

// Restart starts the server again on the same address, data directory and
// database, stopping it gracefully first if it is still running. The
// bootstrap token only applies to a fresh store, so on a restarted store
// Token stays valid only because the first run created it.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if s.Running() {
		s.Stop(t)
	}
	if err := s.start(); err != nil {
		t.Fatalf("restart meshgate server: %v\n%s", err, s.Logs())
	}
}

// terminate stops the process without a test: SIGTERM, then SIGKILL.
func (s *Server) terminate() {
	s.mu.Lock()
	p := s.proc
	s.proc = nil
	s.mu.Unlock()
	if p == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// maxLoggedBytes bounds the logs copied into a failed test's output.
const maxLoggedBytes = 64 << 10

// tail returns the last n bytes of s, saying when it cut.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("[... %d earlier bytes left out; Logs has them all]\n%s", len(s)-n, s[len(s)-n:])
}

// Logs returns everything the server has written to stdout and stderr, over
// all its runs. A failed test's output gets the last 64 KiB of it.
func (s *Server) Logs() string { return s.logs.String() }

// Client returns an API client of the server authenticated with Token.
// Its connections survive Kill, Stop and Restart: idle ones are dropped
// when the process ends.
func (s *Server) Client() *client.Client {
	return client.New(s.URL, s.Token).WithHTTPClient(&http.Client{Transport: s.transport, Timeout: commandTimeout})
}

// ResidentMemory returns the server's resident set size in bytes (VmRSS from
// /proc/PID/status; Linux only).
func (s *Server) ResidentMemory() (int64, error) {
	pid := s.PID()
	if pid == 0 {
		return 0, errors.New("server is not running")
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read process status: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest) // "12345 kB"
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("unexpected VmRSS line %q", sc.Text())
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse VmRSS: %w", err)
		}
		return kb * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("read process status: %w", err)
	}
	return 0, errors.New("no VmRSS in process status")
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// cleanEnv returns this process's environment without MESHGATE_ variables,
// so that a developer's shell settings do not leak into the processes tests run.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MESHGATE_") {
			env = append(env, kv)
		}
	}
	return env
}

func randomToken() string {
	b := make([]byte, 24)
	rand.Read(b)
	return "mgt_test_" + hex.EncodeToString(b)
}

// syncBuffer is a bytes.Buffer safe for the process's writers and readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
