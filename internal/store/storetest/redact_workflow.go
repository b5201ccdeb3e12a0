package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// Texts that older versions of the workflow engine and the data-sharing
// workflow wrote with a URL whole or by its path, where new code names it
// by mesh.RedactURL; secrets are spelled SECRET, as in redact.go.
var (
	// oldTaskPath is oldHook as a failed HTTP task's cause named it from
	// ac7b42e to bd296e4: without its query.
	oldTaskPath = "https://hooks.example.com/services/T000/B000/SECRETPATH"
	// oldBasicHook carries a password, which the causes masked.
	oldBasicHook = "https://mesh:SECRETPASS@hooks.example.com/in/SECRETPATH"
	// oldTokenHook is a callback HTTP task's URL with its task token, which
	// its TaskScheduled event shows cut (the token's first 16 characters).
	oldTokenHook      = "http://127.0.0.1:9000/hook/SECRETPATH?task_token=0123456789abcdefSECRETTOKEN"
	oldTokenHookShown = "http://127.0.0.1:9000/hook/SECRETPATH?task_token=0123456789abcdef…"
)

// oldWorkflowTexts are the old texts of CreateOldWorkflowRows and what new
// code writes in their place.
var oldWorkflowTexts = []struct{ old, want string }{
	// 0, 1: a failed HTTP task's cause: the client's error, before ac7b42e;
	// the URL's path, before bd296e4
	{`Post "` + oldHook + `": dial tcp 10.0.0.1:443: connect: connection refused`,
		"POST " + mesh.RedactURL(oldHook) + ": dial tcp 10.0.0.1:443: connect: connection refused"},
	{"POST " + oldTaskPath + " answered 404 Not Found: no such hook",
		"POST " + mesh.RedactURL(oldHook) + " answered 404 Not Found: no such hook"},
	// 2: the URL whole, its password masked, before ac7b42e
	{"PUT https://mesh:xxxxx@hooks.example.com/in/SECRETPATH answered 503 Service Unavailable: busy",
		"PUT " + mesh.RedactURL(oldBasicHook) + " answered 503 Service Unavailable: busy"},
	// 3, 4: a callback task, whose Url as scheduled shows its token cut:
	// the client's error quoted the URL whole; the path alone names the
	// URL by scheme and host, its digest unknown
	{`Get "` + oldTokenHook + `": dial tcp 127.0.0.1:9000: connect: connection refused`,
		"GET " + mesh.RedactURL(oldTokenHook) + ": dial tcp 127.0.0.1:9000: connect: connection refused"},
	{"GET http://127.0.0.1:9000/hook/SECRETPATH answered 500 Internal Server Error: oops",
		"GET http://127.0.0.1:9000 answered 500 Internal Server Error: oops"},
	// 5, 6: a decision's by through a webhook's link, before d7bd4f2, and
	// its actor's username; 7: a signed-in approver's
	{oldHTTPHook + " (subscription 7)", "webhook " + mesh.RedactURL(oldHTTPHook) + " (subscription 7)"},
	{"link:" + oldHTTPHook, "link:webhook " + mesh.RedactURL(oldHTTPHook)},
	{"111122223333/carol via " + oldHook + " (subscription 8)",
		"111122223333/carol via webhook " + mesh.RedactURL(oldHook) + " (subscription 8)"},
	// 8: a denial's cause, which quotes the by
	{"denied by 111122223333/carol via " + oldHook + " (subscription 8)",
		"denied by 111122223333/carol via webhook " + mesh.RedactURL(oldHook) + " (subscription 8)"},
	// texts that stay: what new code writes
	{"POST " + mesh.RedactURL(oldHook) + " answered 404 Not Found: gone", ""},
	// 10: a refused Url's cause, which this rewrite of failed requests'
	// URLs leaves to the rewrite of the tasks' parameters
	// (HTTPTaskParametersRedacted, parametersTexts)
	{`Url must be an absolute http or https URL, got "ftp://files.example.com/SECRETKEPT"`, ""},
	{"webhook https://hooks.example.com (subscription 9)", ""}, // from d7bd4f2: no secret, no digest
	{"ann@example.com (subscription 10)", ""},
	// 13: a refused Url without its scheme, quoted whole before this
	// version; 14: as new code writes it
	{`Url must be an absolute http or https URL, got "` + oldRefused + `"`, ""},
	{mesh.HTTPTaskURLCause(oldRefused), ""},
}

// oldRefused is an HTTP task's Url without its scheme, which the task
// refuses, but whose path holds a webhook's secret all the same.
const oldRefused = "hooks.example.com/services/SECRETPATH"

// oldExecution is an execution as CreateOldWorkflowRows writes it, its
// texts (the indexes of oldWorkflowTexts) old or as new code writes them.
type oldExecution struct {
	id, status, errName string
	// history returns its chunks of events, each a type and details
	// (nil: none); an event whose type starts with "^" repeats the
	// previous event's output as its input.
	history func(x func(int) string) [][][2]any
	cause   int // -1: none
	output  func(x func(int) string) any
	state   func(x func(int) string) any
	request *oldRequest
}

// oldRequest is the access request an execution runs.
type oldRequest struct {
	table, status, errName string
	cause                  int // -1: none
	by                     int // -1: undecided
	channel                string
	approved               bool
	// audit are the request's entries: principal (a text's index, or -1
	// for the owner's admin), action, detail
	audit         []func(x func(int) string) [3]string
	notifications []func(x func(int) string) string
}

// httpScheduled is an HTTP task's TaskScheduled event as versions before
// 8602361 wrote it: its Url and its headers' values whole.
func httpScheduled(resource, method, url string) [2]any {
	return [2]any{"TaskScheduled", map[string]any{"resource": resource, "timeoutInSeconds": 10,
		"parameters": map[string]any{"Method": method, "Url": url, "Headers": map[string]any{"Authorization": "Bearer SECRETHEADER"},
			"Body": map[string]any{"text": "a <request> & 1.50"}}}}
}

func taskStarted(resource string) [2]any {
	return [2]any{"TaskStarted", map[string]any{"resource": resource}}
}

func taskFailed(resource, errName, cause string) [2]any {
	return [2]any{"TaskFailed", map[string]any{"resource": resource, "error": errName, "cause": cause}}
}

const (
	oldHTTP     = "meshgate:http:invoke"
	oldCallback = "meshgate:http:invoke.waitForTaskToken"
	oldApproval = "meshgate:sharing:approval.waitForTaskToken"
)

var oldExecutions = withCopies([]oldExecution{
	{id: "old-http", status: mesh.ExecutionFailed, errName: "HTTP.StatusCode.404", cause: 1,
		history: func(x func(int) string) [][][2]any {
			return [][][2]any{
				{{"ExecutionStarted", map[string]any{"input": map[string]any{}}},
					{"TaskStateEntered", map[string]any{"name": "Notify", "input": map[string]any{}}},
					httpScheduled(oldHTTP, "POST", oldHook), taskStarted(oldHTTP)},
				{taskFailed(oldHTTP, "HTTP.Error", x(0)), httpScheduled(oldHTTP, "POST", oldHook), taskStarted(oldHTTP)},
				{taskFailed(oldHTTP, "HTTP.StatusCode.404", x(1)),
					{"TaskStateExited", map[string]any{"name": "Notify", "output": map[string]any{"hook": map[string]any{"Error": "HTTP.StatusCode.404", "Cause": x(1)}}}},
					{"^FailStateEntered", map[string]any{"name": "Failed"}},
					{"ExecutionFailed", map[string]any{"error": "HTTP.StatusCode.404", "cause": x(1)}}},
			}
		}},
	{id: "old-running", status: mesh.ExecutionRunning, cause: -1,
		history: func(x func(int) string) [][][2]any {
			return [][][2]any{
				{{"ExecutionStarted", nil}, httpScheduled(oldHTTP, "PUT", oldBasicHook), taskStarted(oldHTTP)},
				{taskFailed(oldHTTP, "HTTP.StatusCode.503", x(2)), {"WaitStateEntered", map[string]any{"name": "Later"}}},
			}
		},
		state: func(x func(int) string) any {
			return map[string]any{"root": map[string]any{"state": "Later", "input": map[string]any{"hook": map[string]any{"Cause": x(2)}}}}
		}},
	{id: "old-sharing-http", status: mesh.ExecutionFailed, errName: "HTTP.StatusCode.500", cause: 4,
		history: func(x func(int) string) [][][2]any {
			return [][][2]any{
				{httpScheduled(oldCallback, "GET", oldTokenHookShown), taskStarted(oldCallback)},
				{taskFailed(oldCallback, "HTTP.Error", x(3)), httpScheduled(oldCallback, "GET", oldTokenHookShown), taskStarted(oldCallback)},
				{taskFailed(oldCallback, "HTTP.StatusCode.500", x(4)), {"ExecutionFailed", map[string]any{"error": "HTTP.StatusCode.500", "cause": x(4)}}},
			}
		},
		request: &oldRequest{table: "orders", status: mesh.RequestFailed, errName: "HTTP.StatusCode.500", cause: 4, by: -1,
			audit: []func(x func(int) string) [3]string{
				func(x func(int) string) [3]string {
					return [3]string{"999999999999/system", "sharing.request.failed", "HTTP.StatusCode.500: " + x(4)}
				},
			},
			notifications: []func(x func(int) string) string{
				func(x func(int) string) string { return "Request 1 for sales.orders: FAILED (" + x(4) + ")." },
			}}},
	{id: "old-link-approved", status: mesh.ExecutionSucceeded, cause: -1,
		history: func(x func(int) string) [][][2]any {
			return [][][2]any{
				{{"TaskSucceeded", map[string]any{"resource": oldApproval, "output": map[string]any{"approved": true, "by": x(5), "comment": "fine"}}},
					{"ExecutionSucceeded", map[string]any{"output": map[string]any{"approval": map[string]any{"approved": true, "by": x(5), "comment": "fine"}}}}},
			}
		},
		output: func(x func(int) string) any {
			return map[string]any{"approval": map[string]any{"approved": true, "by": x(5), "comment": "fine"}}
		},
		request: &oldRequest{table: "customers", status: mesh.RequestShared, cause: -1, by: 5, channel: "webhook-link", approved: true,
			audit: []func(x func(int) string) [3]string{
				func(x func(int) string) [3]string {
					return [3]string{"111122223333/" + x(6), "sharing.approval.approve", "sales.customers via webhook-link by " + x(5) + ": fine"}
				},
				func(x func(int) string) [3]string {
					return [3]string{"999999999999/system", "sharing.request.shared", "sales.customers for 222233334444"}
				},
			}}},
	{id: "old-link-denied", status: mesh.ExecutionFailed, errName: "AccessDenied", cause: 8,
		history: func(x func(int) string) [][][2]any {
			return [][][2]any{
				{taskFailed(oldApproval, "AccessDenied", x(8)), {"ExecutionFailed", map[string]any{"error": "AccessDenied", "cause": x(8)}}},
			}
		},
		request: &oldRequest{table: "refunds", status: mesh.RequestDenied, errName: "AccessDenied", cause: 8, by: 7, channel: "webhook-link",
			audit: []func(x func(int) string) [3]string{
				func(x func(int) string) [3]string {
					return [3]string{"111122223333/carol", "sharing.approval.deny", "sales.refunds via webhook-link by " + x(7) + ": "}
				},
			},
			notifications: []func(x func(int) string) string{
				func(x func(int) string) string { return "Request 3 for sales.refunds: DENIED (" + x(8) + ")." },
			}}},
	// rows that hold no URL whole, or name it as new code does
	{id: "new-http", status: mesh.ExecutionFailed, errName: "HTTP.StatusCode.404", cause: 9,
		history: func(x func(int) string) [][][2]any {
			return [][][2]any{
				{httpScheduled(oldHTTP, "POST", oldHook), taskStarted(oldHTTP)},
				{taskFailed(oldHTTP, "HTTP.InvalidParameters", x(10)), httpScheduled(oldHTTP, "POST", oldHook), taskStarted(oldHTTP)},
				{taskFailed(oldHTTP, "HTTP.StatusCode.404", x(9)), {"ExecutionFailed", map[string]any{"error": "HTTP.StatusCode.404", "cause": x(9)}}},
			}
		}},
	{id: "host-link-approved", status: mesh.ExecutionSucceeded, cause: -1,
		history: func(x func(int) string) [][][2]any {
			return [][][2]any{{{"TaskSucceeded", map[string]any{"resource": oldApproval, "output": map[string]any{"approved": true, "by": x(11)}}}}}
		},
		request: &oldRequest{table: "items", status: mesh.RequestShared, cause: -1, by: 11, channel: "webhook-link", approved: true}},
	{id: "old-refused", status: mesh.ExecutionFailed, errName: "HTTP.InvalidParameters", cause: 13,
		history: func(x func(int) string) [][][2]any {
			return [][][2]any{
				{httpScheduled(oldHTTP, "POST", oldRefused), taskStarted(oldHTTP)},
				{taskFailed(oldHTTP, "HTTP.InvalidParameters", x(13)), {"ExecutionFailed", map[string]any{"error": "HTTP.InvalidParameters", "cause": x(13)}}},
			}
		}},
	// an HTTP task's parameters and a refused Url's cause as new code writes them
	{id: "new-scheduled", status: mesh.ExecutionFailed, errName: "HTTP.InvalidParameters", cause: 14,
		history: func(x func(int) string) [][][2]any {
			return [][][2]any{
				{{"TaskScheduled", map[string]any{"resource": oldHTTP, "parameters": map[string]any{"Method": "POST",
					"Url": mesh.RedactURL(oldRefused), "Headers": map[string]any{"Authorization": mesh.HiddenHeader}}}}, taskStarted(oldHTTP)},
				{taskFailed(oldHTTP, "HTTP.InvalidParameters", x(14)), {"ExecutionFailed", map[string]any{"error": "HTTP.InvalidParameters", "cause": x(14)}}},
			}
		}},
	{id: "email-link-approved", status: mesh.ExecutionSucceeded, cause: -1,
		history: func(x func(int) string) [][][2]any {
			return [][][2]any{{{"TaskSucceeded", map[string]any{"resource": oldApproval, "output": map[string]any{"approved": true, "by": x(12)}}}}}
		},
		request: &oldRequest{table: "stock", status: mesh.RequestShared, cause: -1, by: 12, channel: "email-link", approved: true}},
})

// withCopies returns es and copies of its executions old-http and
// old-link-denied, enough to take the rewrite past its batches (100
// executions, 200 chunks of history).
func withCopies(es []oldExecution) []oldExecution {
	out := es
	for _, e := range es {
		if e.id != "old-http" && e.id != "old-link-denied" {
			continue
		}
		for i := range 110 {
			c := e
			c.id = fmt.Sprintf("%s-%03d", e.id, i)
			out = append(out, c)
		}
	}
	return out
}

// oldText and newText return a text of oldWorkflowTexts as older versions
// wrote it and as new code writes it.
func oldText(i int) string { return oldWorkflowTexts[i].old }

func newText(i int) string {
	if w := oldWorkflowTexts[i].want; w != "" {
		return w
	}
	return oldWorkflowTexts[i].old
}

// text returns the text i of x, "" for -1.
func text(x func(int) string, i int) string {
	if i < 0 {
		return ""
	}
	return x(i)
}

// oldWorkflowTime is when CreateOldWorkflowRows's rows were written.
var oldWorkflowTime = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// historyEvents returns the events of e's history, its texts by x, a
// slice a chunk.
func historyEvents(t *testing.T, e oldExecution, x func(int) string) [][]*mesh.HistoryEvent {
	t.Helper()
	var out [][]*mesh.HistoryEvent
	id := 0
	for _, chunk := range e.history(x) {
		var evs []*mesh.HistoryEvent
		for _, ev := range chunk {
			id++
			typ := ev[0].(string)
			h := &mesh.HistoryEvent{ExecutionID: e.id, ID: id, PreviousID: id - 1, Type: strings.TrimPrefix(typ, "^"),
				Timestamp: oldWorkflowTime.Add(time.Duration(id) * time.Second)}
			if ev[1] != nil {
				h.Details = mustJSON(t, ev[1])
			}
			if strings.HasPrefix(typ, "^") {
				h.Repeats = map[string]string{"input": "output"}
			}
			evs = append(evs, h)
		}
		out = append(out, evs)
	}
	return out
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// CreateOldWorkflowRows writes into s executions, their histories and
// their requests as older versions of the workflow engine and the
// data-sharing workflow wrote them, naming URLs whole (see
// oldWorkflowTexts); a store keeps them as given. Each store's migration
// test then opens the store again with its migration that redacts them
// still to run.
func CreateOldWorkflowRows(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	mustUpdate(t, s, func(tx store.Tx) error {
		for _, id := range []string{"111122223333", "222233334444"} {
			if err := tx.CreateAccount(ctx, identityAccount(id, "Account "+id, "")); err != nil {
				return err
			}
		}
		for _, e := range oldExecutions {
			rec := &store.ExecutionRecord{Execution: mesh.Execution{ID: e.id, Name: e.id, StateMachine: "hooks", Version: 1,
				Status: e.status, Input: json.RawMessage("{}"), Error: e.errName, Cause: text(oldText, e.cause),
				StartedAt: oldWorkflowTime, Deadline: oldWorkflowTime.Add(time.Hour)}, State: []byte("{}")}
			if e.output != nil {
				rec.Output = mustJSON(t, e.output(oldText))
			}
			if e.state != nil {
				rec.State = mustJSON(t, e.state(oldText))
			}
			if _, err := tx.InsertExecutions(ctx, []*store.ExecutionRecord{rec}); err != nil {
				return err
			}
			for _, chunk := range historyEvents(t, e, oldText) {
				if err := tx.InsertHistoryEvents(ctx, chunk); err != nil {
					return err
				}
			}
			if e.request != nil {
				if err := createOldRequest(ctx, tx, e); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// createOldRequest writes the request e runs, its approval, audit entries
// and notifications, as older versions wrote them.
func createOldRequest(ctx context.Context, tx store.Tx, e oldExecution) error {
	q := e.request
	r := sampleRequest("ann", "222233334444", "sales", q.table, oldWorkflowTime)
	r.ExecutionID, r.StateMachine = e.id, "hooks"
	if _, err := tx.InsertAccessRequest(ctx, r); err != nil {
		return err
	}
	r.Status, r.Error, r.Cause = q.status, q.errName, text(oldText, q.cause)
	var d *mesh.RequestDecision
	if q.by >= 0 {
		d = &mesh.RequestDecision{By: oldText(q.by), At: oldWorkflowTime, Channel: q.channel, Approved: q.approved}
		r.Decision = d
	}
	if err := tx.UpdateAccessRequest(ctx, r, mesh.RequestSubmitted); err != nil {
		return err
	}
	if d != nil {
		status := mesh.ApprovalDenied
		if q.approved {
			status = mesh.ApprovalApproved
		}
		if err := tx.UpsertApproval(ctx, &mesh.Approval{RequestID: r.ID, AccountID: "111122223333", Status: status,
			Decision: d, TokenHash: "hash-" + e.id, CreatedAt: oldWorkflowTime}); err != nil {
			return err
		}
	}
	for _, a := range q.audit {
		f := a(oldText)
		entry := mesh.AuditEntry{Time: oldWorkflowTime, Principal: f[0], AccountID: "111122223333", Action: f[1],
			Resource: fmt.Sprintf("request/%d", r.ID), Result: "ok", Detail: f[2]}
		if err := tx.InsertAudit(ctx, &entry); err != nil {
			return err
		}
	}
	for _, n := range q.notifications {
		if err := tx.InsertNotification(ctx, &mesh.Notification{AccountID: "222233334444", Recipient: "222233334444/ann",
			Event: "request.failed", RequestID: r.ID, Subject: "Request ended", Body: n(oldText), CreatedAt: oldWorkflowTime}); err != nil {
			return err
		}
	}
	return nil
}

// WorkflowURLsRedacted checks that s, opened on a store that held the rows
// of CreateOldWorkflowRows before its migration of the failed HTTP tasks'
// and the link decisions' URLs (SQLite 0028, PostgreSQL 0030), reads them
// as new code writes them: no secret left but in an HTTP task's
// TaskScheduled event and a refused Url's cause, which the next migration
// rewrites (HTTPTaskParametersRedacted), and everything else as it was.
func WorkflowURLsRedacted(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	mustView(t, s, func(tx store.Tx) error {
		for _, e := range oldExecutions {
			got, want, olds := historyAfter(t, tx, e, newText)
			for i, ev := range got {
				w := want[i]
				if ev.ID != w.ID || ev.PreviousID != w.PreviousID || ev.Type != w.Type || !ev.Timestamp.Equal(w.Timestamp) {
					t.Errorf("%s event %d: got %d after %d, %s at %s, want %d after %d, %s at %s", e.id, i,
						ev.ID, ev.PreviousID, ev.Type, ev.Timestamp, w.ID, w.PreviousID, w.Type, w.Timestamp)
				}
				if w.Repeats != nil {
					// the store fills in the input it repeats
					w.Details = withInput(t, w.Details, want[i-1].Details)
				}
				if !equalJSON(ev.Details, w.Details) {
					t.Errorf("%s event %d (%s): got details %s, want %s", e.id, ev.ID, ev.Type, ev.Details, w.Details)
				}
				if old := olds[i]; w.Repeats == nil && string(old.Details) == string(w.Details) && string(ev.Details) != string(old.Details) {
					t.Errorf("%s event %d (%s): got details %s, want them untouched, %s", e.id, ev.ID, ev.Type, ev.Details, old.Details)
				}
				if ev.Type != "TaskScheduled" && !strings.Contains(string(ev.Details), mesh.HTTPTaskURLRefused) && strings.Contains(string(ev.Details), "SECRET") {
					t.Errorf("%s event %d (%s): got details %s, which hold a secret", e.id, ev.ID, ev.Type, ev.Details)
				}
			}
			x, err := tx.FindExecution(ctx, e.id)
			if err != nil {
				return err
			}
			if x.Cause != text(newText, e.cause) || x.Error != e.errName || x.Status != e.status {
				t.Errorf("%s: got %s %s cause %q, want %s %s cause %q", e.id, x.Status, x.Error, x.Cause, e.status, e.errName, text(newText, e.cause))
			}
			if e.output != nil && !equalJSON(x.Output, mustJSON(t, e.output(newText))) {
				t.Errorf("%s: got output %s, want %s", e.id, x.Output, mustJSON(t, e.output(newText)))
			}
			if e.state != nil && !equalJSON(x.State, mustJSON(t, e.state(newText))) {
				t.Errorf("%s: got state %s, want %s", e.id, x.State, mustJSON(t, e.state(newText)))
			}
			if e.request != nil {
				requestRedacted(t, tx, e)
			}
		}
		return nil
	})
}

// requestRedacted checks the texts of the request e runs.
func requestRedacted(t *testing.T, tx store.Tx, e oldExecution) {
	t.Helper()
	ctx := context.Background()
	q := e.request
	r, err := tx.FindAccessRequestByExecution(ctx, e.id)
	if err != nil {
		t.Fatalf("request of %s: %v", e.id, err)
	}
	wantCause := text(newText, q.cause)
	if r.Cause != wantCause || r.Status != q.status || r.Error != q.errName {
		t.Errorf("request of %s: got %s %s cause %q, want %s %s cause %q", e.id, r.Status, r.Error, r.Cause, q.status, q.errName, wantCause)
	}
	if q.by >= 0 {
		a, err := tx.FindApproval(ctx, r.ID)
		if err != nil {
			t.Fatalf("approval of %s: %v", e.id, err)
		}
		for what, d := range map[string]*mesh.RequestDecision{"request": r.Decision, "approval": a.Decision} {
			if d == nil || d.By != newText(q.by) || d.Channel != q.channel || d.Approved != q.approved {
				t.Errorf("%s of %s: got decision %+v, want by %q", what, e.id, d, newText(q.by))
			}
		}
	}
	es, err := tx.FindAuditEntries(ctx, store.AuditFilter{Resource: fmt.Sprintf("request/%d", r.ID), Limit: 100})
	if err != nil || len(es) != len(q.audit) {
		t.Fatalf("audit of %s: got %d entries, %v, want %d", e.id, len(es), err, len(q.audit))
	}
	var got, want [][3]string
	for i, a := range q.audit {
		e := es[len(es)-1-i] // newest first
		got = append(got, [3]string{e.Principal, e.Action, e.Detail})
		want = append(want, a(newText))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("audit of %s: got %q, want %q", e.id, got, want)
	}
	ns, err := tx.FindNotifications(ctx, store.NotificationFilter{RequestID: r.ID})
	if err != nil || len(ns) != len(q.notifications) {
		t.Fatalf("notifications of %s: got %d, %v, want %d", e.id, len(ns), err, len(q.notifications))
	}
	for i, n := range q.notifications {
		if ns[i].Body != n(newText) {
			t.Errorf("notification of %s: got %q, want %q", e.id, ns[i].Body, n(newText))
		}
	}
}

// historyAfter returns the history of e that a migration left in tx, the
// events it should hold, their texts by x, and the events of before it.
func historyAfter(t *testing.T, tx store.Tx, e oldExecution, x func(int) string) (got, want, olds []*mesh.HistoryEvent) {
	t.Helper()
	for _, chunk := range historyEvents(t, e, x) {
		want = append(want, chunk...)
	}
	for _, chunk := range historyEvents(t, e, oldText) {
		olds = append(olds, chunk...)
	}
	got, err := tx.FindHistoryEvents(context.Background(), e.id, 0, 1000)
	if err != nil || len(got) != len(want) {
		t.Fatalf("history of %s: got %d events, %v, want %d", e.id, len(got), err, len(want))
	}
	return got, want, olds
}

// withInput returns details with the output of prev's details as its input.
func withInput(t *testing.T, details, prev json.RawMessage) json.RawMessage {
	t.Helper()
	var d, p map[string]any
	if err := json.Unmarshal(details, &d); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(prev, &p); err != nil {
		t.Fatal(err)
	}
	d["input"] = p["output"]
	return mustJSON(t, d)
}

// equalJSON reports whether a and b are the same JSON value, or both empty.
func equalJSON(a, b []byte) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
