package task_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/workflow"
	"github.com/meshgate/meshgate/internal/workflow/task"
)

func TestHTTPInvoke(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/echo":
			body, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"method": "` + r.Method + `", "key": "` + r.Header.Get("Idempotency-Key") + `", "x": "` + r.Header.Get("X-Ticket") + `", "body": ` + string(body) + `}`))
		case "/text":
			w.Write([]byte("plain"))
		default:
			http.Error(w, "gone", http.StatusGone)
		}
	}))
	defer srv.Close()
	h := task.NewHTTP(task.HTTPOptions{})
	meta := workflow.TaskMeta{DedupeKey: "exec/State/1"}
	tests := []struct {
		name    string
		input   any
		wantErr string
		check   func(t *testing.T, out map[string]any)
	}{
		{"json", map[string]any{"Method": "post", "Url": srv.URL + "/echo", "Headers": map[string]any{"X-Ticket": "T-1"}, "Body": map[string]any{"a": int64(1)}}, "",
			func(t *testing.T, out map[string]any) {
				body := out["Body"].(map[string]any)
				if body["method"] != "POST" || body["key"] != "exec/State/1" || body["x"] != "T-1" || body["body"].(map[string]any)["a"] != int64(1) {
					t.Errorf("got %v", body)
				}
				if out["StatusCode"] != int64(200) {
					t.Errorf("status: got %v, want %v", out["StatusCode"], 200)
				}
			}},
		{"text", map[string]any{"Url": srv.URL + "/text"}, "", func(t *testing.T, out map[string]any) {
			if out["Body"] != "plain" {
				t.Errorf("body: got %v, want %v", out["Body"], "plain")
			}
		}},
		{"status", map[string]any{"Url": srv.URL + "/missing"}, "HTTP.StatusCode.410", nil},
		{"file scheme", map[string]any{"Url": "file:///etc/passwd"}, "HTTP.InvalidParameters", nil},
		{"no url", map[string]any{"Method": "GET"}, "HTTP.InvalidParameters", nil},
		{"bad method", map[string]any{"Method": "BREW", "Url": srv.URL}, "HTTP.InvalidParameters", nil},
		{"not an object", "http://x", "HTTP.InvalidParameters", nil},
		{"unreachable", map[string]any{"Url": "http://127.0.0.1:1/"}, "HTTP.Error", nil},
	}
	// a failed task's cause, which the history keeps, names the endpoint
	// without the query, where a task token may travel, or the path, which
	// may be a webhook's secret
	for _, u := range []string{srv.URL + "/missing?task_token=SECRET", "http://u:SECRET@127.0.0.1:1/?task_token=SECRET", srv.URL + "/hooks/SECRET"} {
		_, err := h.Invoke(context.Background(), map[string]any{"Url": u}, meta)
		var te *workflow.TaskError
		if !errors.As(err, &te) || strings.Contains(te.Cause, "SECRET") || !strings.Contains(te.Cause, "127.0.0.1") {
			t.Errorf("%s: got cause %v, want the endpoint named without its path, query or credentials", u, err)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := h.Invoke(context.Background(), tt.input, meta)
			var te *workflow.TaskError
			switch {
			case tt.wantErr != "":
				if !errors.As(err, &te) || te.Name != tt.wantErr {
					t.Fatalf("got %v, want %s", err, tt.wantErr)
				}
			case err != nil:
				t.Fatalf("got %v, want no error", err)
			default:
				tt.check(t, out.(map[string]any))
			}
		})
	}
}

// TestHTTPOldCausesRewritten: the causes that older versions wrote for a
// failed HTTP task, with the URL whole (before ac7b42e) or by its path
// (before bd296e4), are rewritten by the stores' migration
// (store.RedactedHTTPTaskCause) to the cause the task writes now.
func TestHTTPOldCausesRewritten(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "gone", http.StatusGone)
	}))
	defer srv.Close()
	h := task.NewHTTP(task.HTTPOptions{})
	meta := workflow.TaskMeta{DedupeKey: "exec/State/1"}
	for _, raw := range []string{
		// answers 410
		strings.Replace(srv.URL, "http://", "http://mesh:SECRET@", 1) + "/hooks/SECRET?token=SECRET",
		// refuses the connection
		"http://127.0.0.1:1/hooks/SECRET?token=SECRET",
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		_, err = h.Invoke(context.Background(), map[string]any{"Method": "put", "Url": raw}, meta)
		var te *workflow.TaskError
		if !errors.As(err, &te) {
			t.Fatalf("%s: got %v, want a task error", raw, err)
		}
		// what the versions before wrote
		path := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
		var olds []string
		if te.Name == "HTTP.Error" {
			req, _ := http.NewRequest(http.MethodPut, raw, nil)
			_, uerr := http.DefaultClient.Do(req)
			var ue *url.Error
			if !errors.As(uerr, &ue) {
				t.Fatalf("%s: got %v, want a *url.Error", raw, uerr)
			}
			olds = []string{uerr.Error(), "PUT " + path + ": " + ue.Err.Error()}
		} else {
			olds = []string{"PUT " + u.Redacted() + " answered 410 Gone: gone\n", "PUT " + path + " answered 410 Gone: gone\n"}
		}
		for _, old := range olds {
			if got, _ := store.RedactedHTTPTaskCause(te.Name, raw, old); got != te.Cause {
				t.Errorf("%q: got %q, want %q", old, got, te.Cause)
			}
		}
	}
}

// TestHTTPRefusedURLCause: the cause of an HTTP task whose Url is not an
// absolute http or https URL names it as its TaskScheduled event does, by
// digest (and scheme and host where it has them), not whole: a Url
// without its scheme may still hold a webhook's secret. The cause older
// versions wrote, which quoted the Url, is rewritten by the stores'
// migration (store.RedactedHTTPTaskURLCause) to the cause written now.
func TestHTTPRefusedURLCause(t *testing.T) {
	h := task.NewHTTP(task.HTTPOptions{})
	for _, raw := range []string{"hooks.example.com/SECRET", "hooks.example.com?token=SECRET", "/hooks/SECRET", "ftp://files.example.com/SECRET", ""} {
		_, err := h.Invoke(context.Background(), map[string]any{"Method": "POST", "Url": raw}, workflow.TaskMeta{})
		var te *workflow.TaskError
		if !errors.As(err, &te) || te.Name != task.ErrHTTPInvalid {
			t.Fatalf("%q: got %v, want %s", raw, err, task.ErrHTTPInvalid)
		}
		shown := mesh.RedactHTTPParameters(map[string]any{"Url": raw}).(map[string]any)["Url"].(string)
		if strings.Contains(te.Cause, "SECRET") || !strings.Contains(te.Cause, shown) {
			t.Errorf("%q: got cause %q, want it to name the Url %s, as its TaskScheduled event does", raw, te.Cause, shown)
		}
		old := fmt.Sprintf("Url must be an absolute http or https URL, got %q", raw)
		if got, _ := store.RedactedHTTPTaskURLCause(te.Name, old); got != te.Cause {
			t.Errorf("%q: got %q, want %q", old, got, te.Cause)
		}
	}
}
