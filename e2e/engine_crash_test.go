package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/testbin"
)

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

// startCrashServer starts `meshgate serve` with warnings-only logs, which
// the test kills and restarts.
func startCrashServer(t *testing.T, opts testbin.Options) *testbin.Server {
	t.Helper()
	opts.Args = append([]string{"--log-level", "warn"}, opts.Args...)
	return testbin.StartServer(t, opts)
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

// waitExecutionsEnded waits until no execution of sm runs, failing the test
// if some still do after within.
func waitExecutionsEnded(t *testing.T, c *client.Client, sm string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		running, _, err := c.Executions(context.Background(), client.ExecutionFilter{StateMachine: sm, Status: "RUNNING", Limit: 1})
		if err == nil && len(running) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("executions of %s still running %s after the load (err %v)", sm, within, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkCrashOutcome waits until no execution of sm runs, then checks every one
// ended as it would have without crashes and every counter increment
// happened exactly once.
func checkCrashOutcome(t *testing.T, c *client.Client, sm string, n int) {
	t.Helper()
	ctx := context.Background()
	waitExecutionsEnded(t, c, sm, 90*time.Second)
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
	t.Run("sqlite", func(t *testing.T) {
		const n, kills = 600, 20
		p := startCrashServer(t, testbin.Options{})
		c := p.Client()
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
			p.Kill(t)
			p.Restart(t)
			k++
		}
		if loadErr != nil {
			t.Fatal(loadErr)
		}
		t.Logf("%d kills, %d of them while the %d executions were being started", k, duringStarts, started.Load())
		checkCrashOutcome(t, c, "crash", n)
	})

	t.Run("postgres replicas", func(t *testing.T) {
		const n = 300
		a := startCrashServer(t, testbin.Options{Postgres: true})
		b := a.Replica(t)
		if _, err := a.Client().CreateStateMachine(context.Background(), "crash", "", json.RawMessage(crashDefinition)); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		live := []*client.Client{a.Client(), b.Client()}
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
		a.Kill(t)
		mu.Lock()
		live = []*client.Client{b.Client()}
		mu.Unlock()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		checkCrashOutcome(t, b.Client(), "crash", n)
	})
}
