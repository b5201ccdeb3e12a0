package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/web"
	"github.com/meshgate/meshgate/internal/web/api"
	"github.com/meshgate/meshgate/internal/workflow"
	"github.com/meshgate/meshgate/internal/workflow/task"
)

// adminAuth authenticates every request as a mesh admin.
type adminAuth struct{}

func (adminAuth) Authenticate(ctx context.Context, r *http.Request) (*mesh.Actor, error) {
	if r.Header.Get("Authorization") == "" {
		return nil, nil
	}
	return &mesh.Actor{UserID: 1, Username: "admin", AccountID: "central", CentralAccountID: "central", Roles: []string{mesh.RoleAdmin}}, nil
}

func newWorkflowServer(t *testing.T, s store.Store) (*client.Client, *workflow.Engine) {
	t.Helper()
	reg := workflow.NewRegistry()
	task.Register(reg, task.HTTPOptions{})
	e := workflow.New(s, workflow.Options{Registry: reg})
	rt := web.NewRouter(adminAuth{}, nil)
	api.Register(rt, &api.Deps{Store: s, Clock: mesh.SystemClock{}, Pages: web.NewPageTokens([]byte("k")), Workflow: e})
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	return client.New(srv.URL, "admin-token"), e
}

func wantStatus(t *testing.T, err error, status int) *client.Error {
	t.Helper()
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != status {
		t.Fatalf("got %v, want status %d", err, status)
	}
	return ce
}

func TestWorkflowAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		c, e := newWorkflowServer(t, s)
		ctx := context.Background()

		_, err := c.CreateStateMachine(ctx, "bad", "", json.RawMessage(`{"StartAt": "X", "States": {"A": {"Type": "Pass", "Next": "Nope"}}}`))
		ce := wantStatus(t, err, http.StatusBadRequest)
		if d, _ := ce.Details.([]any); len(d) < 2 {
			t.Errorf("details: got %v, want every problem", ce.Details)
		}
		def := `{"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": {"ok": true}, "End": true}}}`
		sm, err := c.CreateStateMachine(ctx, "hello", "greets", json.RawMessage(def))
		if err != nil || sm.Version != 1 {
			t.Fatalf("create: got %v %v, want version 1", sm, err)
		}
		x, err := c.StartExecution(ctx, client.StartExecutionInput{StateMachine: "hello", Name: "first", Input: json.RawMessage(`{"a": 1}`)})
		if err != nil {
			t.Fatalf("start: %v", err)
		}
		again, err := c.StartExecution(ctx, client.StartExecutionInput{StateMachine: "hello", Name: "first", Input: json.RawMessage(`{"a":1}`)})
		if err != nil || again.ID != x.ID {
			t.Fatalf("start again: got %v %v, want %s", again, err, x.ID)
		}
		_, err = c.StartExecution(ctx, client.StartExecutionInput{StateMachine: "hello", Name: "first", Input: json.RawMessage(`{"a": 2}`)})
		wantStatus(t, err, http.StatusConflict)
		_, err = c.StartExecution(ctx, client.StartExecutionInput{StateMachine: "nope"})
		wantStatus(t, err, http.StatusNotFound)
		_, err = c.StartExecution(ctx, client.StartExecutionInput{StateMachine: "hello", Version: -1})
		if ce := wantStatus(t, err, http.StatusBadRequest); ce.Field != "version" {
			t.Errorf("start with version -1: got field %q, want %q", ce.Field, "version")
		}
		_, err = c.StartExecution(ctx, client.StartExecutionInput{StateMachine: "hello", Input: json.RawMessage(`{"a": "` + strings.Repeat("x", 300<<10) + `"}`)})
		wantStatus(t, err, http.StatusRequestEntityTooLarge)

		if err := e.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := c.Execution(ctx, x.ID)
		if err != nil || got.Status != "SUCCEEDED" || string(got.Output) != `{"ok":true}` {
			t.Fatalf("execution: got %+v %v, want SUCCEEDED with {\"ok\":true}", got, err)
		}
		xs, _, err := c.Executions(ctx, client.ExecutionFilter{StateMachine: "hello", Status: "SUCCEEDED"})
		if err != nil || len(xs) != 1 {
			t.Errorf("list: got %d %v, want 1", len(xs), err)
		}
		_, _, err = c.Executions(ctx, client.ExecutionFilter{Status: "DONE"})
		wantStatus(t, err, http.StatusBadRequest)
		evs, err := c.History(ctx, x.ID, 0)
		if err != nil || len(evs) != 4 || evs[0].Type != "ExecutionStarted" || evs[3].Type != "ExecutionSucceeded" {
			t.Errorf("history: got %d events %v", len(evs), err)
		}
		_, err = c.Execution(ctx, "nope")
		wantStatus(t, err, http.StatusNotFound)
		_, err = c.StopExecution(ctx, x.ID, "", "")
		wantStatus(t, err, http.StatusConflict)
		err = c.SendTaskSuccess(ctx, "unknown-token-unknown-token", nil)
		wantStatus(t, err, http.StatusNotFound)
		err = c.WithToken("").SendTaskSuccess(ctx, "unknown-token-unknown-token", nil)
		wantStatus(t, err, http.StatusUnauthorized)
		if _, err := c.UpdateStateMachine(ctx, "hello", "", json.RawMessage(def)); err != nil {
			t.Fatalf("update: %v", err)
		}
		if sm, err := c.StateMachine(ctx, "hello", 0); err != nil || sm.Version != 2 {
			t.Errorf("describe: got %v %v, want version 2", sm, err)
		}
		if rs, err := c.TaskResources(ctx); err != nil || !slices.Contains(rs, "meshgate:http:invoke") {
			t.Errorf("task resources: got %v %v, want meshgate:http:invoke among them", rs, err)
		}
		err = c.Do(ctx, "DELETE", "/api/v1/state-machines/hello", url.Values{"force": {"maybe"}}, nil, nil)
		if e := wantStatus(t, err, 400); e.Field != "force" {
			t.Errorf("delete with force=maybe: got field %q, want force", e.Field)
		}
		if err := c.DeleteStateMachine(ctx, "hello", false); err != nil {
			t.Errorf("delete: %v", err)
		}
	})
}

func TestWorkflowCallbacksAndPagesAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		reg := workflow.NewRegistry()
		tokens := make(chan string, 10)
		reg.Register("test:ask", func(ctx context.Context, tx store.Tx, input any) (any, error) {
			tokens <- input.(map[string]any)["token"].(string)
			return nil, nil
		})
		e := workflow.New(s, workflow.Options{Registry: reg})
		rt := web.NewRouter(adminAuth{}, nil)
		api.Register(rt, &api.Deps{Store: s, Clock: mesh.SystemClock{}, Pages: web.NewPageTokens([]byte("k")), Workflow: e})
		srv := httptest.NewServer(rt)
		defer srv.Close()
		c := client.New(srv.URL, "admin-token")
		ctx := context.Background()
		def := `{"StartAt": "Ask", "States": {"Ask": {"Type": "Task", "Resource": "test:ask.waitForTaskToken",
			"Parameters": {"token.$": "$$.Task.Token"}, "HeartbeatSeconds": 60, "End": true}}}`
		if _, err := c.CreateStateMachine(ctx, "ask", "", json.RawMessage(def)); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for range 3 {
			x, err := c.StartExecution(ctx, client.StartExecutionInput{StateMachine: "ask"})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, x.ID)
		}
		ok, fail, stop := <-tokens, <-tokens, <-tokens
		if err := c.SendTaskHeartbeat(ctx, ok); err != nil {
			t.Errorf("heartbeat: %v", err)
		}
		if err := c.SendTaskSuccess(ctx, ok, json.RawMessage(`{"yes": 1}`)); err != nil {
			t.Errorf("success: %v", err)
		}
		wantStatus(t, c.SendTaskSuccess(ctx, ok, nil), http.StatusConflict)
		if err := c.SendTaskFailure(ctx, fail, "No", "denied"); err != nil {
			t.Errorf("failure: %v", err)
		}
		if _, err := c.StopExecution(ctx, ids[2], "Stop", "by hand"); err != nil {
			t.Errorf("stop: %v", err)
		}
		wantStatus(t, c.SendTaskHeartbeat(ctx, stop), http.StatusConflict)
		want := map[string]string{ids[0]: "SUCCEEDED", ids[1]: "FAILED", ids[2]: "ABORTED"}
		seen := map[string]bool{}
		for token := ""; ; {
			xs, next, err := c.Executions(ctx, client.ExecutionFilter{StateMachine: "ask", Limit: 1, PageToken: token})
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range xs {
				if seen[x.ID] {
					t.Errorf("%s listed twice", x.ID)
				}
				seen[x.ID] = true
				if x.Status != want[x.ID] {
					t.Errorf("%s: got %v, want %v", x.ID, x.Status, want[x.ID])
				}
			}
			if token = next; token == "" {
				break
			}
		}
		if len(seen) != 3 {
			t.Errorf("listed: got %d executions, want 3", len(seen))
		}
		_, _, err := c.Executions(ctx, client.ExecutionFilter{PageToken: "forged"})
		wantStatus(t, err, http.StatusBadRequest)
	})
}

// TestExecutionListsRefuseLimitOutOfRange: GET /api/v1/executions and
// GET /api/v1/executions/{id}/history refuse a limit outside 1 to 1000 with
// a 400 naming limit, as every other list does, instead of clamping it.
func TestExecutionListsRefuseLimitOutOfRange(t *testing.T) {
	c, _ := newWorkflowServer(t, storetest.OpenSQLite(t, nil))
	ctx := context.Background()
	def := `{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}`
	if _, err := c.CreateStateMachine(ctx, "hello", "", json.RawMessage(def)); err != nil {
		t.Fatal(err)
	}
	x, err := c.StartExecution(ctx, client.StartExecutionInput{StateMachine: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/executions", "/api/v1/executions/" + x.ID + "/history"} {
		for _, limit := range []string{"0", "1001", "5000", "-1", "ten"} {
			err := c.Do(ctx, "GET", path, url.Values{"limit": {limit}}, nil, nil)
			if e := wantStatus(t, err, http.StatusBadRequest); e.Field != "limit" {
				t.Errorf("GET %s?limit=%s: got field %q, want limit", path, limit, e.Field)
			}
		}
		if err := c.Do(ctx, "GET", path, url.Values{"limit": {"1000"}}, nil, nil); err != nil {
			t.Errorf("GET %s?limit=1000: %v", path, err)
		}
	}
}
