package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/web"
	"github.com/meshgate/meshgate/internal/web/api"
	"github.com/meshgate/meshgate/internal/workflow"
)

// TestHistoryShowsTaskTokensByPrefix checks that a definition passing
// $$.Task.Token to its task leaves only the token's first characters in the
// execution's history, while the task gets the whole token and a callback
// with it completes the task.
func TestHistoryShowsTaskTokensByPrefix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		reg := workflow.NewRegistry()
		got := make(chan map[string]any, 1)
		reg.Register("test:ask", func(ctx context.Context, tx store.Tx, input any) (any, error) {
			got <- input.(map[string]any)
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
			"Parameters": {"token.$": "$$.Task.Token", "callback": {"token.$": "$$.Task.Token"},
				"all.$": "States.Array($$.Task.Token)", "url.$": "States.Format('https://approve.example/?t={}', $$.Task.Token)"},
			"End": true}}}`
		if _, err := c.CreateStateMachine(ctx, "ask", "", json.RawMessage(def)); err != nil {
			t.Fatal(err)
		}
		x, err := c.StartExecution(ctx, client.StartExecutionInput{StateMachine: "ask"})
		if err != nil {
			t.Fatal(err)
		}
		in := <-got
		token, _ := in["token"].(string)
		if len(token) < 40 || in["url"] != "https://approve.example/?t="+token || in["callback"].(map[string]any)["token"] != token {
			t.Fatalf("the task got %v, want the whole token in every place the definition put it", in)
		}

		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/executions/"+x.ID+"/history", nil)
		req.Header.Set("Authorization", "Bearer admin-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("history: got %d, want 200 (%s)", resp.StatusCode, body)
		}
		if strings.Contains(string(body), token) {
			t.Errorf("the history holds the whole task token: %s", body)
		}
		if n := strings.Count(string(body), token[:16]+"…"); n != 4 {
			t.Errorf("got the token's prefix %d times in the history, want 4: %s", n, body)
		}

		if err := c.SendTaskSuccess(ctx, token, json.RawMessage(`{"approved": true}`)); err != nil {
			t.Fatalf("success with the whole token: %v", err)
		}
		done, err := c.Execution(ctx, x.ID)
		if err != nil || done.Status != mesh.ExecutionSucceeded {
			t.Errorf("got %+v, %v; want the execution succeeded", done, err)
		}
		if err := c.SendTaskSuccess(ctx, token[:16]+"…", nil); err == nil {
			t.Error("the prefix shown in history completed a task")
		}
	})
}
