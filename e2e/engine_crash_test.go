package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/testbin"
)

// crashToken is the bootstrap admin token of the servers these tests run.
const crashToken = "engine-crash-test-token-0123456789"

// crashDefinition counts every execution twice with the built-in counter,
// waits on a durable timer in between, and fails the executions whose n is
// a multiple of 7 before the second count. Each counter value lands in the
// history, so exactly-once shows as values 1..k with no gap or repeat.
const crashDefinition = `{
  "StartAt": "Prepare",
  "States": {
    "Prepare": {"Type": "Pass", "Parameters": {"n.$": "$.n", "seven.$": "$.seven"}, "Next": "CountRun"},
    "CountRun": {"Type": "Task", "Resource": "meshgate:counter:increment", "Parameters": {"Name": "crash-runs"}, "ResultPath": "$.run", "Next": "Pause"},
    "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Route"},
    "Route": {"Type": "Choice", "Choices": [{"Variable": "$.seven", "BooleanEquals": true, "Next": "Seven"}], "Default": "CountDone"},
    "Seven": {"Type": "Fail", "Error": "Seven", "Cause": "n is a multiple of 7"},
    "CountDone": {"Type": "Task", "Resource": "meshgate:counter:increment", "Parameters": {"Name": "crash-done"}, "ResultPath": "$.done", "Next": "Done"},
    "Done": {"Type": "Succeed"}
  }
}`

func crashFreeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// crashProc is one `meshgate serve` process that the test may kill and restart.
type crashProc struct {
	t    *testing.T
	bin  string
	args []string
	addr string
	logs *os.File
	cmd  *exec.Cmd
}

func startCrashProc(t *testing.T, bin, logName string, args ...string) *crashProc {
	t.Helper()
	logs, err := os.Create(filepath.Join(t.TempDir(), logName))
	if err != nil {
		t.Fatal(err)
	}
	p := &crashProc{t: t, bin: bin, addr: crashFreeAddr(t), logs: logs}
	p.args = append([]string{"serve", "--addr", p.addr, "--log-level", "warn"}, args...)
	p.start()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			b, _ := os.ReadFile(logs.Name())
			if len(b) > 4000 {
				b = b[len(b)-4000:]
			}
			t.Logf("%s (tail):\n%s", logName, b)
		}
		logs.Close()
	})
	return p
}

func (p *crashProc) start() {
	p.t.Helper()
	cmd := exec.Command(p.bin, p.args...)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MESHGATE_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "MESHGATE_BOOTSTRAP_TOKEN="+crashToken)
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start meshgate: %v", err)
	}
	p.cmd = cmd
	c := p.client()
	deadline := time.Now().Add(30 * time.Second)
	for c.Ready(context.Background()) != nil {
		if time.Now().After(deadline) {
			p.t.Fatalf("meshgate on %s not ready within 30s", p.addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill sends SIGKILL: no shutdown, no flush, as a crash or kill -9 would.
func (p *crashProc) kill() {
	if p.cmd == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
	p.cmd = nil
}

func (p *crashProc) client() *client.Client {
	return client.New("http://"+p.addr, crashToken).WithHTTPClient(&httpClientNoKeepAlive)
}

// startCrashLoad starts executions e-1..e-n through the given servers, retrying each
// with the same name (the idempotency key) until a server acknowledges it.
func startCrashLoad(ctx context.Context, servers func() []*client.Client, sm string, n int, started *atomic.Int64) <-chan error {
	done := make(chan error, 1)
	go func() {
		var wg sync.WaitGroup
		next := atomic.Int64{}
		for range 8 {
			wg.Go(func() {
				for {
					i := int(next.Add(1))
					if i > n {
						return
					}
					in := json.RawMessage(fmt.Sprintf(`{"n": %d, "seven": %t}`, i, i%7 == 0))
					for attempt := 0; ; attempt++ {
						if ctx.Err() != nil {
							return
						}
						cs := servers()
						c := cs[(i+attempt)%len(cs)]
						_, err := c.StartExecution(ctx, client.StartExecutionInput{StateMachine: sm, Name: fmt.Sprintf("e-%d", i), Input: in})
						if err == nil {
							started.Add(1)
							break
						}
						var ce *client.Error
						if errors.As(err, &ce) && ce.Status < 500 {
							done <- fmt.Errorf("start e-%d: %w", i, err)
							return
						}
						time.Sleep(50 * time.Millisecond)
					}
				}
			})
		}
		wg.Wait()
		done <- nil
	}()
	return done
}

// checkCrashOutcome waits until no execution of sm runs, then checks every one
// ended as it would have without crashes and every counter increment
// happened exactly once.
func checkCrashOutcome(t *testing.T, c *client.Client, sm string, n int) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(90 * time.Second)
	for {
		running, _, err := c.Executions(ctx, client.ExecutionFilter{StateMachine: sm, Status: "RUNNING", Limit: 1})
		if err == nil && len(running) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("executions still running 90s after the load (err %v)", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	var all []*client.Execution
	for token := ""; ; {
		xs, next, err := c.Executions(ctx, client.ExecutionFilter{StateMachine: sm, Limit: 1000, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, xs...)
		if token = next; token == "" {
			break
		}
	}
	if len(all) != n {
		t.Fatalf("executions: got %v, want %v", len(all), n)
	}
	values := map[string]map[int64]int{"crash-runs": {}, "crash-done": {}}
	for _, x := range all {
		var i int
		fmt.Sscanf(x.Name, "e-%d", &i)
		want := "SUCCEEDED"
		if i%7 == 0 {
			want = "FAILED"
		}
		if x.Status != want {
			t.Errorf("%s: got %v (%s: %s), want %v", x.Name, x.Status, x.Error, x.Cause, want)
		}
		evs, err := c.History(ctx, x.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		for k, e := range evs {
			if e.ID != k+1 {
				t.Fatalf("%s: event %d has id %d", x.Name, k+1, e.ID)
			}
			if e.Type != "TaskSucceeded" {
				continue
			}
			var d struct {
				Output struct {
					Name  string
					Value int64
				}
			}
			json.Unmarshal(e.Details, &d)
			values[d.Output.Name][d.Output.Value]++
		}
	}
	wantCounts := map[string]int{"crash-runs": n, "crash-done": n - n/7}
	for name, got := range values {
		if len(got) != wantCounts[name] {
			t.Errorf("counter %s: got %d distinct values, want %d", name, len(got), wantCounts[name])
		}
		for v := int64(1); v <= int64(wantCounts[name]); v++ {
			if got[v] != 1 {
				t.Errorf("counter %s: value %d seen %d times, want exactly once", name, v, got[v])
			}
		}
	}
}

// TestEngineSurvivesKills kills `meshgate serve` with SIGKILL at random
// moments during a load, on SQLite (one process, killed and restarted at
// least 20 times) and on PostgreSQL (two replicas sharing the work, one
// killed mid-load), and checks that no execution is lost or run twice.
func TestEngineSurvivesKills(t *testing.T) {
	bin := testbin.Build(t)

	t.Run("sqlite", func(t *testing.T) {
		const n, kills = 600, 20
		p := startCrashProc(t, bin, "sqlite.log", "--data", t.TempDir())
		c := p.client()
		if _, err := c.CreateStateMachine(context.Background(), "crash", "", json.RawMessage(crashDefinition)); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var started atomic.Int64
		done := startCrashLoad(ctx, func() []*client.Client { return []*client.Client{c} }, "crash", n, &started)
		// kill at random moments until the load has been started and at
		// least `kills` kills happened, the first ones while it is started
		var loadErr error
		loading, k, duringStarts := true, 0, 0
		for k < kills || loading {
			time.Sleep(time.Duration(20+rand.IntN(300)) * time.Millisecond)
			select {
			case loadErr = <-done:
				loading = false
			default:
			}
			if loading {
				duringStarts++
			}
			p.kill()
			p.start()
			k++
		}
		if loadErr != nil {
			t.Fatal(loadErr)
		}
		t.Logf("%d kills, %d of them while the %d executions were being started", k, duringStarts, started.Load())
		checkCrashOutcome(t, c, "crash", n)
	})

	t.Run("postgres replicas", func(t *testing.T) {
		url := storetest.PostgresURL(t)
		schema := storetest.NewSchemaName(t)
		conn, err := pgx.Connect(context.Background(), url)
		if err != nil {
			t.Fatalf("connect postgres: %v", err)
		}
		if _, err := conn.Exec(context.Background(), "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
			t.Fatal(err)
		}
		conn.Close(context.Background())
		t.Cleanup(func() { storetest.DropSchema(t, url, schema) })
		dsn := url + "&search_path=" + schema
		if !strings.Contains(url, "?") {
			dsn = url + "?search_path=" + schema
		}
		const n = 300
		a := startCrashProc(t, bin, "replica-a.log", "--database", dsn, "--data", t.TempDir())
		b := startCrashProc(t, bin, "replica-b.log", "--database", dsn, "--data", t.TempDir())
		if _, err := a.client().CreateStateMachine(context.Background(), "crash", "", json.RawMessage(crashDefinition)); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		live := []*client.Client{a.client(), b.client()}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var started atomic.Int64
		done := startCrashLoad(ctx, func() []*client.Client {
			mu.Lock()
			defer mu.Unlock()
			return live
		}, "crash", n, &started)
		for started.Load() < n/3 {
			time.Sleep(10 * time.Millisecond)
		}
		a.kill()
		mu.Lock()
		live = []*client.Client{b.client()}
		mu.Unlock()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		checkCrashOutcome(t, b.client(), "crash", n)
	})
}
