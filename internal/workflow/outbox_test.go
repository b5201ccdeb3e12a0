package workflow_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/workflow"
)

func TestHTTPTaskThroughOutbox(t *testing.T) {
	var mu sync.Mutex
	var keys []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		mu.Unlock()
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/missing" {
			http.Error(w, "no such ticket", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ticket": 42, "got": ` + string(body) + `}`))
	}))
	defer srv.Close()
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ev := newEnv(t, s)
		ev.create("ticket", `{"StartAt": "Open", "States": {
			"Open": {"Type": "Task", "Resource": "meshgate:http:invoke", "TimeoutSeconds": 10,
				"Parameters": {"Method": "POST", "Url.$": "$.url", "Body": {"title": "access"}},
				"ResultSelector": {"ticket.$": "$.Body.ticket", "status.$": "$.StatusCode"}, "End": true,
				"Catch": [{"ErrorEquals": ["HTTP.StatusCode.404"], "Next": "Missing"}]},
			"Missing": {"Type": "Pass", "Result": "missing", "End": true}}}`)
		ok := ev.start("ticket", "", `{"url": "`+srv.URL+`/tickets"}`)
		missing := ev.start("ticket", "", `{"url": "`+srv.URL+`/missing"}`)
		bad := ev.start("ticket", "", `{"url": "file:///etc/passwd"}`)
		ev.drain()
		ev.wantStatus(ok.ID, mesh.ExecutionRunning)
		if n, err := ev.engine.SendOutboxOnce(ev.ctx); err != nil || n != 3 {
			t.Fatalf("send outbox: got %v %v, want 3 tasks", n, err)
		}
		if n, _ := ev.engine.SendOutboxOnce(ev.ctx); n != 0 {
			t.Errorf("second send: got %v tasks, want %v", n, 0)
		}
		ev.drain()
		if got := ev.wantStatus(ok.ID, mesh.ExecutionSucceeded); string(got.Output) != `{"status":200,"ticket":42}` {
			t.Errorf("output: got %s, want %s", got.Output, `{"status":200,"ticket":42}`)
		}
		if got := ev.wantStatus(missing.ID, mesh.ExecutionSucceeded); string(got.Output) != `"missing"` {
			t.Errorf("caught 404: got %s, want %s", got.Output, `"missing"`)
		}
		if got := ev.wantStatus(bad.ID, mesh.ExecutionFailed); got.Error != "HTTP.InvalidParameters" {
			t.Errorf("file URL: got %v, want %v", got.Error, "HTTP.InvalidParameters")
		}
	})
	mu.Lock()
	defer mu.Unlock()
	for _, k := range keys {
		if k == "" {
			t.Errorf("a request had no Idempotency-Key")
		}
	}
}

func TestLoopsRunExecutionsToTheEnd(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok": true}`))
	}))
	defer srv.Close()
	ev := newEnv(t, storetest.OpenSQLite(t, nil))
	ev.create("call", `{"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "meshgate:http:invoke",
		"Parameters": {"Url": "`+srv.URL+`"}, "OutputPath": "$.Body", "End": true}}}`)
	ctx, cancel := context.WithCancel(ev.ctx)
	done := make(chan struct{}, 2)
	go func() { ev.engine.Dispatcher().Run(ctx); done <- struct{}{} }()
	go func() { ev.engine.Sender().Run(ctx); done <- struct{}{} }()
	x := ev.start("call", "", `{}`)
	// the loops react to the start and to the task's result at once;
	// the deadline only guards against a hang
	deadline := time.Now().Add(10 * time.Second)
	for ev.get(x.ID).Status == mesh.ExecutionRunning && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	cancel()
	<-done
	<-done
	if got := ev.wantStatus(x.ID, mesh.ExecutionSucceeded); string(got.Output) != `{"ok":true}` {
		t.Errorf("output: got %s, want %s", got.Output, `{"ok":true}`)
	}
}

func TestHTTPCallbackTask(t *testing.T) {
	tokens := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Token string }
		json.NewDecoder(r.Body).Decode(&body)
		tokens <- body.Token
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ev := newEnv(t, s)
		ev.create("approve", `{"StartAt": "Ask", "States": {"Ask": {"Type": "Task", "Resource": "meshgate:http:invoke.waitForTaskToken",
			"Parameters": {"Method": "POST", "Url": "`+srv.URL+`", "Body": {"Token.$": "$$.Task.Token"}}, "End": true}}}`)
		x := ev.start("approve", "", `{}`)
		if n, err := ev.engine.SendOutboxOnce(ev.ctx); err != nil || n != 1 {
			t.Fatalf("send outbox: got %v %v, want 1 task", n, err)
		}
		tok := <-tokens
		ev.drain()
		ev.wantStatus(x.ID, mesh.ExecutionRunning) // the answer of the call only says the token left
		if err := ev.engine.SendTaskSuccess(ev.ctx, tok, json.RawMessage(`{"approved": true}`)); err != nil {
			t.Fatalf("success: %v", err)
		}
		if got := ev.wantStatus(x.ID, mesh.ExecutionSucceeded); string(got.Output) != `{"approved":true}` {
			t.Errorf("output: got %s, want %s", got.Output, `{"approved":true}`)
		}
	})
}

// An external task that panics fails with States.Runtime, as a panicking
// in-transaction task does, and its outbox entry is done; the panic, in
// the sender's goroutine, used to end the process, and the entry would
// run again, and panic again, after each restart.
func TestPanickingExternalTask(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ev := newEnv(t, s)
		reg := workflow.NewRegistry()
		reg.RegisterExternal("test:ext-panics", func(ctx context.Context, input any, meta workflow.TaskMeta) (any, error) {
			panic("bug in external task")
		})
		ev.engine = workflow.New(s, workflow.Options{Registry: reg, Clock: ev.clock})
		ev.create("p", `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "test:ext-panics", "End": true}}}`)
		x := ev.start("p", "", `{}`)
		if n, err := ev.engine.SendOutboxOnce(ev.ctx); err != nil || n != 1 {
			t.Fatalf("send outbox: got %v %v, want 1 task", n, err)
		}
		ev.drain()
		if got := ev.get(x.ID); got.Status != mesh.ExecutionFailed || got.Error != "States.Runtime" || got.Cause != "internal error: bug in external task" {
			t.Errorf("got %v (%s: %s), want FAILED (States.Runtime: internal error: bug in external task)", got.Status, got.Error, got.Cause)
		}
		// once its lease would have expired, nothing is left to run
		ev.clock.Add(time.Hour)
		if n, err := ev.engine.SendOutboxOnce(ev.ctx); err != nil || n != 0 {
			t.Errorf("send outbox again: got %v %v, want 0 tasks", n, err)
		}
	})
}

// slowCommit is a store whose write transactions wait between their work
// and their commit.
type slowCommit struct {
	store.Store
	delay   time.Duration
	updates atomic.Int64 // write transactions ended
}

func (s *slowCommit) Unwrap() store.Store { return s.Store }

func (s *slowCommit) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	defer s.updates.Add(1)
	return s.Store.Update(ctx, func(tx store.Tx) error {
		err := fn(tx)
		time.Sleep(s.delay)
		return err
	})
}

// TestAnswerWakesSenderAfterCommit: an answered task token whose execution
// goes on to an external task wakes the outbox sender once the answer has
// committed. Woken before, the sender found nothing it could see yet
// (PostgreSQL) and slept its poll interval. The poll interval is an hour,
// so only a wake after the commit calls the task within the test.
func TestAnswerWakesSenderAfterCommit(t *testing.T) {
	pg := storetest.OpenPostgres(t, nil) // SQLite's claim waits for the answer's commit
	slow := &slowCommit{Store: pg, delay: 200 * time.Millisecond}
	ev := newEnv(t, slow)
	ev.engine = workflow.New(slow, workflow.Options{Registry: ev.engine.Registry(), Clock: ev.clock, PollInterval: time.Hour})
	called := make(chan struct{}, 1)
	ev.engine.Registry().RegisterExternal("test:after", func(ctx context.Context, input any, meta workflow.TaskMeta) (any, error) {
		called <- struct{}{}
		return nil, nil
	})
	ev.create("then", `{"StartAt": "Ask", "States": {
		"Ask": {"Type": "Task", "Resource": "test:token.waitForTaskToken", "Parameters": {"token.$": "$$.Task.Token"}, "Next": "Call"},
		"Call": {"Type": "Task", "Resource": "test:after", "End": true}}}`)
	x := ev.start("then", "", `{}`)
	ctx, cancel := context.WithCancel(ev.ctx)
	done := make(chan struct{})
	before := slow.updates.Load()
	go func() { ev.engine.Sender().Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	// the sender's first claim, which finds nothing, has ended: it waits
	// for news, and a wake from now on is kept for it
	for deadline := time.Now().Add(10 * time.Second); slow.updates.Load() == before; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the sender made no claim")
		}
	}
	if err := ev.engine.SendTaskSuccess(ev.ctx, ev.lastToken(), nil); err != nil {
		t.Fatalf("success: %v", err)
	}
	select {
	case <-called:
	case <-time.After(10 * time.Second):
		t.Fatal("the external task was not called: the sender, woken before the answer's commit, found nothing and slept its poll interval")
	}
	for deadline := time.Now().Add(5 * time.Second); ev.get(x.ID).Status == mesh.ExecutionRunning && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	ev.wantStatus(x.ID, mesh.ExecutionSucceeded)
}

// TestHTTPTaskSecretsNotInHistory: an HTTP task's URL path and query and
// its headers' values, which may be secrets of the state machine's
// definition, are kept out of the history (its TaskScheduled events name
// the URL by scheme, host and digest and the headers by name), while every
// attempt, the retry included, still calls the whole URL with the headers.
func TestHTTPTaskSecretsNotInHistory(t *testing.T) {
	type call struct{ uri, auth string }
	var mu sync.Mutex
	var calls []call
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, call{r.URL.RequestURI(), r.Header.Get("Authorization")})
		if len(calls)%2 == 1 {
			http.Error(w, "busy", http.StatusInternalServerError) // each execution's first attempt
			return
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	const uri, auth = "/hooks/PATHSECRET?token=QUERYSECRET", "Bearer HEADERSECRET"
	storetest.Each(t, func(t *testing.T, s store.Store) {
		mu.Lock()
		calls = nil
		mu.Unlock()
		ev := newEnv(t, s)
		ev.create("hook", `{"StartAt": "Post", "States": {
			"Post": {"Type": "Task", "Resource": "meshgate:http:invoke", "TimeoutSeconds": 10,
				"Parameters": {"Method": "POST", "Url": "`+srv.URL+uri+`", "Headers": {"Authorization": "`+auth+`"}, "Body": {"text": "a request"}},
				"Retry": [{"ErrorEquals": ["HTTP.StatusCode.500"], "IntervalSeconds": 1, "MaxAttempts": 1}], "End": true}}}`)
		x := ev.start("hook", "", `{}`)
		ev.drain()
		for i := range 2 {
			if n, err := ev.engine.SendOutboxOnce(ev.ctx); err != nil || n != 1 {
				t.Fatalf("attempt %d: got %v %v, want 1 task sent", i+1, n, err)
			}
			ev.drain()
			ev.clock.Add(time.Second) // the retry's interval
			ev.drain()
		}
		ev.wantStatus(x.ID, mesh.ExecutionSucceeded)
		mu.Lock()
		got := calls
		mu.Unlock()
		want := []call{{uri, auth}, {uri, auth}}
		if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("calls: got %v, want %v", got, want)
		}
		evs, err := ev.engine.History(ev.ctx, x.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		scheduled := 0
		for _, e := range evs {
			if strings.Contains(string(e.Details), "SECRET") {
				t.Errorf("%s event: got %s, want no secret of the URL or headers", e.Type, e.Details)
			}
			if e.Type != "TaskScheduled" {
				continue
			}
			scheduled++
			var d struct {
				Parameters struct {
					URL     string            `json:"Url"`
					Headers map[string]string `json:"Headers"`
				} `json:"parameters"`
			}
			if err := json.Unmarshal(e.Details, &d); err != nil {
				t.Fatal(err)
			}
			if got, want := d.Parameters.URL, mesh.RedactURL(srv.URL+uri); got != want {
				t.Errorf("TaskScheduled Url: got %q, want %q", got, want)
			}
			if got := d.Parameters.Headers["Authorization"]; got != mesh.HiddenHeader {
				t.Errorf("TaskScheduled Authorization: got %q, want %q", got, mesh.HiddenHeader)
			}
		}
		if scheduled != 2 {
			t.Errorf("TaskScheduled events: got %d, want 2", scheduled)
		}
	})
}
