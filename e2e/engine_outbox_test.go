package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/testbin"
)

// TestExternalTasksSurviveKills runs HTTP tasks through the outbox while
// `meshgate serve` is killed: every execution must still succeed, each
// task having reached the receiver at least once, always with the same
// dedupe key for one attempt.
func TestExternalTasksSurviveKills(t *testing.T) {
	var mu sync.Mutex
	keys := map[string]map[string]int{} // execution name → Idempotency-Key → deliveries
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Name string }
		json.NewDecoder(r.Body).Decode(&body)
		time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
		mu.Lock()
		if keys[body.Name] == nil {
			keys[body.Name] = map[string]int{}
		}
		keys[body.Name][r.Header.Get("Idempotency-Key")]++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"received": true}`))
	}))
	defer receiver.Close()

	const n, kills = 200, 8
	p := startCrashServer(t, testbin.Options{})
	c := p.Client()
	def := `{"StartAt": "Notify", "States": {"Notify": {"Type": "Task", "Resource": "meshgate:http:invoke", "TimeoutSeconds": 10,
		"Parameters": {"Method": "POST", "Url": "` + receiver.URL + `", "Body": {"Name.$": "$$.Execution.Name"}},
		"Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 5}],
		"ResultSelector": {"received.$": "$.Body.received"}, "End": true}}}`
	if _, err := c.CreateStateMachine(context.Background(), "notify", "", json.RawMessage(def)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var started atomic.Int64
	done := make(chan error, 1)
	go func() {
		for i := 1; i <= n; i++ {
			for {
				_, err := c.StartExecution(ctx, client.StartExecutionInput{StateMachine: "notify", Name: fmt.Sprintf("x-%d", i), Input: json.RawMessage(`{}`)})
				if err == nil {
					started.Add(1)
					break
				}
				if ctx.Err() != nil {
					done <- ctx.Err()
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		done <- nil
	}()
	loading, k := true, 0
	for ; k < kills || loading; k++ {
		time.Sleep(time.Duration(50+rand.IntN(250)) * time.Millisecond)
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			loading = false
		default:
		}
		p.Kill(t)
		p.Restart(t)
	}
	waitExecutionsEnded(t, c, "notify", 60*time.Second)
	xs, _, err := c.Executions(ctx, client.ExecutionFilter{StateMachine: "notify", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(xs) != n {
		t.Fatalf("executions: got %v, want %v", len(xs), n)
	}
	mu.Lock()
	defer mu.Unlock()
	duplicates := 0
	for _, x := range xs {
		if x.Status != "SUCCEEDED" || string(x.Output) != `{"received":true}` {
			t.Errorf("%s: got %s %s (%s), want SUCCEEDED {\"received\":true}", x.Name, x.Status, x.Output, x.Cause)
		}
		got := keys[x.Name]
		if len(got) == 0 {
			t.Errorf("%s: the receiver never got its task", x.Name)
		}
		for key, deliveries := range got {
			if !strings.HasPrefix(key, x.ID+"/Notify/") {
				t.Errorf("%s: dedupe key %q does not name the execution and state", x.Name, key)
			}
			duplicates += deliveries - 1
		}
	}
	t.Logf("%d executions, %d kills, %d repeated deliveries, each with its attempt's dedupe key for the receiver to drop", n, k, duplicates)
}
