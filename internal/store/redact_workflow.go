package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/ohler55/ojg"

	"github.com/meshgate/meshgate/internal/mesh"
)

// URLs that the workflow engine and the data-sharing workflow kept whole
// before meshgate named them by scheme, host and digest (mesh.RedactURL).
// Each store's migration (SQLite 0028, PostgreSQL 0030) rewrites them with
// RedactWorkflowURLs, in Go as the webhook rewrite before it (redact.go):
//
//   - A failed HTTP task's cause (meshgate:http:invoke) named the URL the
//     task called: whole until ac7b42e (the client's error, Get "URL":
//     REASON, or METHOD URL answered STATUS: BODY), then without its query
//     but with its path, which may be a webhook's secret, until bd296e4.
//   - A decision through a webhook's approval link named the webhook by
//     its whole URL in its by (URL (subscription N)), and its actor
//     account/link:URL, until d7bd4f2; from then until 7c1f379 it named
//     only the scheme and host, which holds no secret and stays.
//
// The engine and the workflow copied those texts as they were: the cause
// into the history's later events (a Catch's result, ExecutionFailed),
// the execution's cause, output and running state, and a request's cause;
// the by into the approval task's output, a denial's cause ("denied by
// BY"), the request's and the approval's decided_by. A request's audit
// entries and notifications quote its cause and its decision. The rewrite
// follows every copy in these rows, so a text reads the same wherever it
// is shown.
//
// An execution's history is otherwise append-only, and so is the audit
// log. This one rewrite is allowed because it only takes out a secret
// that the history's and the log's readers (a request's requester and
// approvers read its timeline) were never meant to hold: each event keeps
// its type, time, ids and the rest of its text, and the URL gives way to
// what new code writes in its place, its scheme and host with the digest
// of the whole URL. Where the whole URL cannot be known, a cause names it
// by its scheme and host alone: a callback task's Url as scheduled shows
// its token cut (redactToken), and the cause of before bd296e4 had
// dropped the query.

// httpInvoke is the HTTP task's resource (task.HTTPInvoke, which imports
// the engine and so this package).
const httpInvoke = "meshgate:http:invoke"

// callbackSuffix ends a callback task's resource (workflow.CallbackSuffix).
const callbackSuffix = ".waitForTaskToken"

// httpMethods are the methods the HTTP task sends.
var httpMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true}

// RedactedHTTPTaskCause returns the cause of a failed HTTP task (its error
// name, and called, the URL the task called, "" when unknown) as meshgate
// writes it now, where older versions named the URL whole or by its path,
// and whether it differs from cause.
func RedactedHTTPTaskCause(errName, called, cause string) (string, bool) {
	method, target, tail, quotedURL, ok := oldHTTPCause(errName, cause)
	if !ok {
		return cause, false
	}
	var name string
	if u, err := url.Parse(called); called != "" && err == nil {
		name = mesh.RedactURL(u.String()) // as the task names it
	} else if wholeTarget(target, quotedURL) {
		name = mesh.RedactURL(target)
	} else {
		name = cutURLName(target)
	}
	out := method + " " + name + tail
	return out, out != cause
}

// oldHTTPCause splits a cause in a shape older versions wrote: the
// method, the URL as written, and what follows it, for the error
// HTTP.Error (METHOD URL: REASON, or the client's Method "URL": REASON)
// and HTTP.StatusCode.N (METHOD URL answered STATUS: BODY). whole is set
// for the client's error, which quoted the URL whole.
func oldHTTPCause(errName, cause string) (method, target, tail string, whole, ok bool) {
	status := strings.HasPrefix(errName, "HTTP.StatusCode.")
	if !status && errName != "HTTP.Error" {
		return "", "", "", false, false
	}
	op, rest, _ := strings.Cut(cause, " ")
	method = strings.ToUpper(op)
	if !httpMethods[method] {
		return "", "", "", false, false
	}
	if !status && op != method && strings.HasPrefix(rest, `"`) {
		// *url.Error: Get "URL": REASON, whose URL the client wrote
		raw, after, ok := quoted(rest)
		if !ok || !strings.HasPrefix(after, ": ") || !isHTTPURL(raw) {
			return "", "", "", false, false
		}
		return method, raw, after, true, true
	}
	if op != method {
		return "", "", "", false, false
	}
	// a URL as the task wrote it holds no space
	target, after, _ := strings.Cut(rest, " ")
	switch {
	case status && strings.HasPrefix(after, "answered "):
		tail = " " + after
	case !status && strings.HasSuffix(target, ":"):
		target, tail = target[:len(target)-1], ": "+after
	default:
		return "", "", "", false, false
	}
	if !isHTTPURL(target) {
		return "", "", "", false, false
	}
	return method, target, tail, false, true
}

// isHTTPURL reports whether s starts as an http or https URL does; a name
// mesh.RedactURL made starts so too, but holds a space.
func isHTTPURL(s string) bool {
	scheme := urlScheme(s)
	return (scheme == "http" || scheme == "https") && strings.HasPrefix(s[len(scheme):], "://") && !strings.Contains(s, " ")
}

// wholeTarget reports whether a URL as an old cause wrote it is the URL
// the task called, which the digest is of: one with no password, which
// the cause masked, quoted by the client or holding its query, which only
// the causes of before ac7b42e kept.
func wholeTarget(target string, quoted bool) bool {
	u, err := url.Parse(target)
	if err != nil {
		return false
	}
	if _, masked := u.User.Password(); masked {
		return false
	}
	return quoted || u.RawQuery != ""
}

// linkDecider matches a decision's by that names a webhook by its whole
// URL, as versions before d7bd4f2 wrote it: URL (subscription N), after
// "P via " when an approver signed in.
var linkDecider = regexp.MustCompile(`^(.+ via )?([a-zA-Z][a-zA-Z0-9+.-]*://\S*) (\(subscription \d+\))$`)

// RedactedLinkDecider returns the by of a decision made through a
// webhook's approval link as meshgate writes it now (webhook NAME
// (subscription N)), and its actor's username (link:webhook NAME), where
// older versions named the webhook's whole URL; ok is false for any other
// by, which stays.
func RedactedLinkDecider(by string) (newBy, username, oldUsername string, ok bool) {
	m := linkDecider.FindStringSubmatch(by)
	if m == nil || !isHTTPURL(m[2]) {
		return by, "", "", false
	}
	recipient := "webhook " + mesh.RedactURL(m[2])
	return m[1] + recipient + " " + m[3], "link:" + recipient, "link:" + m[2], true
}

// WorkflowRedactor rewrites the texts of one execution as new code writes
// them: its history, a chunk at a time in order, then the rows beyond it
// that copy what the history says (ExecutionTexts).
type WorkflowRedactor struct {
	// parameters is set for migration SQLite 0029, PostgreSQL 0031
	// (RedactHTTPTaskParameters): the HTTP tasks' parameters and refused
	// Urls, where it is unset for 0028 and 0030 (RedactWorkflowURLs): the
	// failed tasks' URLs and the link decisions
	parameters bool
	tasks      map[int]httpTask  // the TaskScheduled and TaskStarted events of HTTP tasks, by id
	texts      map[string]string // the old texts, each with what new code writes
	repl       *strings.Replacer // of texts, made when first needed
}

// httpTask is an HTTP task's TaskScheduled or TaskStarted event.
type httpTask struct {
	scheduled int    // a TaskStarted's TaskScheduled event
	url       string // the Url a TaskScheduled event shows, "" when it is not the one called
}

// NewWorkflowRedactor returns a redactor for one execution.
func NewWorkflowRedactor() *WorkflowRedactor {
	return &WorkflowRedactor{tasks: map[int]httpTask{}, texts: map[string]string{}}
}

// Changed reports whether the execution held a text to rewrite.
func (w *WorkflowRedactor) Changed() bool { return len(w.texts) > 0 }

func (w *WorkflowRedactor) replace(old, new string) {
	if _, ok := w.texts[old]; !ok {
		w.texts[old], w.repl = new, nil
	}
}

// replacer returns the replacer of w's texts, nil when it has none. Of two
// texts found at one place, the longer is replaced.
func (w *WorkflowRedactor) replacer() *strings.Replacer {
	if w.repl == nil && len(w.texts) > 0 {
		olds := slices.SortedFunc(maps.Keys(w.texts), func(a, b string) int { return cmp.Compare(len(b), len(a)) })
		pairs := make([]string, 0, 2*len(olds))
		for _, old := range olds {
			pairs = append(pairs, old, w.texts[old])
		}
		w.repl = strings.NewReplacer(pairs...)
	}
	return w.repl
}

// Decision takes the by of the decision of the execution's request; it
// reports whether the by names a webhook's whole URL, which the
// execution's texts then name as new code does.
func (w *WorkflowRedactor) Decision(by string) bool {
	newBy, username, oldUsername, ok := RedactedLinkDecider(by)
	if !ok {
		return false
	}
	// the by is quoted whole (a denial's cause, an audit entry's detail);
	// the username is the actor of a decision nobody signed in for
	w.replace(by, newBy)
	w.replace(oldUsername, username)
	return true
}

// Chunk returns the execution's next chunk of history (raw, its JSON) with
// the texts it and the chunks before it named a URL in, as new code writes
// them, and whether it changed.
func (w *WorkflowRedactor) Chunk(executionID string, raw []byte) ([]byte, bool, error) {
	evs, err := DecodeHistoryChunk(executionID, raw)
	if err != nil {
		return nil, false, err
	}
	if w.parameters {
		for _, ev := range evs {
			w.seeRefused(ev)
		}
		out, changed, err := w.JSON(raw)
		if err != nil {
			return nil, false, err
		}
		out, scheduled, err := redactScheduledChunk(out)
		return out, changed || scheduled, err
	}
	for _, ev := range evs {
		w.see(ev)
	}
	return w.JSON(raw)
}

// taskDetails are the details of a task's events that name its URL.
type taskDetails struct {
	Resource   string         `json:"resource"`
	Error      string         `json:"error"`
	Cause      string         `json:"cause"`
	Parameters map[string]any `json:"parameters"`
}

// see notes an HTTP task's events: the Url it was scheduled with, and a
// failure's cause in an old shape, which the texts after it may copy.
func (w *WorkflowRedactor) see(ev *mesh.HistoryEvent) {
	switch ev.Type {
	case "TaskScheduled", "TaskStarted", "TaskFailed":
	default:
		return
	}
	var d taskDetails
	if json.Unmarshal(ev.Details, &d) != nil {
		return
	}
	resource, callback := strings.CutSuffix(d.Resource, callbackSuffix)
	if resource != httpInvoke {
		return
	}
	switch ev.Type {
	case "TaskScheduled":
		u, _ := d.Parameters["Url"].(string)
		if callback && strings.Contains(u, "…") {
			u = "" // its token cut: not the URL called
		}
		w.tasks[ev.ID] = httpTask{url: u}
	case "TaskStarted":
		w.tasks[ev.ID] = httpTask{scheduled: ev.PreviousID}
	case "TaskFailed":
		t := w.tasks[ev.PreviousID]
		if t.scheduled != 0 {
			t = w.tasks[t.scheduled]
		}
		if out, changed := RedactedHTTPTaskCause(d.Error, t.url, d.Cause); changed {
			w.replace(d.Cause, out)
		}
	}
}

// JSON returns raw, a JSON document, with the execution's old texts
// rewritten in its strings, and whether any changed. The rest of the
// document stays as it is, byte for byte.
func (w *WorkflowRedactor) JSON(raw []byte) ([]byte, bool, error) {
	repl := w.replacer()
	if repl == nil {
		return raw, false, nil
	}
	var out []byte
	last := 0
	for i := 0; i < len(raw); i++ {
		if raw[i] != '"' {
			continue
		}
		end := i + 1
		for end < len(raw) && raw[end] != '"' {
			if raw[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(raw) {
			return nil, false, errUnterminated
		}
		lit := raw[i : end+1]
		start := i
		i = end
		var s string
		if err := json.Unmarshal(lit, &s); err != nil {
			return nil, false, err
		}
		if rs := repl.Replace(s); rs != s {
			out = append(out, raw[last:start]...)
			out = ojg.AppendJSONString(out, rs, false)
			last = end + 1
		}
	}
	if out == nil {
		return raw, false, nil
	}
	return append(out, raw[last:]...), true, nil
}

var errUnterminated = errors.New("a JSON string is not terminated")

// Text returns s with the execution's old texts rewritten.
func (w *WorkflowRedactor) Text(s string) string {
	if repl := w.replacer(); repl != nil {
		return repl.Replace(s)
	}
	return s
}

// ExecutionTexts are the texts beyond its history that may copy what an
// execution's history says: the execution's, its request's, the request's
// approval's, audit entries' and notifications'.
type ExecutionTexts struct {
	ExecutionID string
	// Output and State are JSON; Output is "" when the execution has none.
	Output, Cause string
	State         []byte
	// RequestID is the access request the execution runs, 0 for none.
	RequestID             int64
	RequestCause          string
	DecidedBy, ApprovalBy string // the request's and its approval's decided_by
	Audit                 []AuditText
	Notifications         []NotificationText
}

// AuditText is the principal and the detail of an audit entry of a request.
type AuditText struct {
	ID                int64
	Principal, Detail string
}

// NotificationText is the body of a notification of a request.
type NotificationText struct {
	ID   int64
	Body string
}

// Texts returns t with the execution's old texts rewritten.
func (w *WorkflowRedactor) Texts(t ExecutionTexts) (ExecutionTexts, error) {
	out := t
	output, _, err := w.JSON([]byte(t.Output))
	if err != nil {
		return t, fmt.Errorf("output: %w", err)
	}
	out.Output = string(output)
	if out.State, _, err = w.JSON(t.State); err != nil {
		return t, fmt.Errorf("state: %w", err)
	}
	out.Cause, out.RequestCause = w.Text(t.Cause), w.Text(t.RequestCause)
	out.DecidedBy, out.ApprovalBy = w.Text(t.DecidedBy), w.Text(t.ApprovalBy)
	out.Audit = make([]AuditText, len(t.Audit))
	for i, a := range t.Audit {
		out.Audit[i] = AuditText{a.ID, w.Text(a.Principal), w.Text(a.Detail)}
	}
	out.Notifications = make([]NotificationText, len(t.Notifications))
	for i, n := range t.Notifications {
		out.Notifications[i] = NotificationText{n.ID, w.Text(n.Body)}
	}
	return out, nil
}

// LinkDecision is a request decided through a webhook's approval link.
type LinkDecision struct {
	RequestID   int64
	ExecutionID string
	DecidedBy   string
}

// WorkflowURLsTx is a migration's transaction as RedactWorkflowURLs reads
// and writes it, each store in its own SQL. Each read returns its rows
// before the next statement runs.
type WorkflowURLsTx interface {
	// HTTPFailedExecutions returns the next up to limit executions, in
	// order of id, with a chunk of history that may hold an HTTP task's
	// failure naming a URL (a superset, found in SQL); none once it
	// returned them all.
	HTTPFailedExecutions(ctx context.Context, limit int) ([]string, error)
	// HTTPScheduledExecutions returns the next up to limit executions, in
	// order of id, with a chunk of history that may hold an HTTP task's
	// parameters or a cause naming its Url as older versions wrote them (a
	// superset, found in SQL); none once it returned them all.
	HTTPScheduledExecutions(ctx context.Context, limit int) ([]string, error)
	// LinkDecisions returns the next up to limit requests, in order of id,
	// decided through a webhook's link whose decided_by may name its whole
	// URL (a superset, found in SQL); none once it returned them all.
	LinkDecisions(ctx context.Context, limit int) ([]LinkDecision, error)
	// HistoryChunks returns up to limit chunks of the executions ids after
	// after (its execution and last id), by execution, then last id.
	HistoryChunks(ctx context.Context, ids []string, after HistoryChunk, limit int) ([]HistoryChunk, error)
	// UpdateHistoryChunk saves a chunk's events.
	UpdateHistoryChunk(ctx context.Context, c HistoryChunk) error
	// ExecutionTexts returns an execution's texts beyond its history.
	ExecutionTexts(ctx context.Context, executionID string) (ExecutionTexts, error)
	// UpdateExecutionTexts saves an execution's output, cause and state.
	UpdateExecutionTexts(ctx context.Context, executionID, output, cause string, state []byte) error
	// UpdateRequestTexts saves a request's cause and decided_by.
	UpdateRequestTexts(ctx context.Context, id int64, cause, decidedBy string) error
	// UpdateApprovalTexts saves the decided_by of a request's approval.
	UpdateApprovalTexts(ctx context.Context, requestID int64, decidedBy string) error
	// UpdateAuditTexts saves an audit entry's principal and detail.
	UpdateAuditTexts(ctx context.Context, a AuditText) error
	// UpdateNotificationTexts saves a notification's body.
	UpdateNotificationTexts(ctx context.Context, n NotificationText) error
}

// Batches of the rewrite: executions, and chunks of their history, read
// at a time.
const (
	redactExecutions = 100
	redactChunks     = 200
)

// RedactWorkflowURLs rewrites the texts in which the workflow engine and
// the data-sharing workflow named a URL whole as new code writes them (see
// above), in batches: the executions whose history holds an HTTP task's
// failure, then those whose request was decided through a webhook's link.
// Only what changes is written.
func RedactWorkflowURLs(ctx context.Context, tx WorkflowURLsTx) error {
	for {
		ids, err := tx.HTTPFailedExecutions(ctx, redactExecutions)
		if err != nil {
			return fmt.Errorf("executions with failed HTTP tasks: %w", err)
		}
		if len(ids) == 0 {
			break
		}
		if err := redactExecutionTexts(ctx, tx, ids, map[string]*WorkflowRedactor{}, NewWorkflowRedactor); err != nil {
			return err
		}
	}
	for {
		ds, err := tx.LinkDecisions(ctx, redactExecutions)
		if err != nil {
			return fmt.Errorf("requests decided through a webhook's link: %w", err)
		}
		if len(ds) == 0 {
			return nil
		}
		var ids []string
		ws := map[string]*WorkflowRedactor{}
		for _, d := range ds {
			w := NewWorkflowRedactor()
			if d.ExecutionID != "" && w.Decision(d.DecidedBy) {
				ids, ws[d.ExecutionID] = append(ids, d.ExecutionID), w
			}
		}
		if err := redactExecutionTexts(ctx, tx, ids, ws, NewWorkflowRedactor); err != nil {
			return err
		}
	}
}

// redactExecutionTexts rewrites the texts of executions ids, their history
// a page of chunks at a time, with ws's redactors, or new ones that
// newRedactor returns.
func redactExecutionTexts(ctx context.Context, tx WorkflowURLsTx, ids []string, ws map[string]*WorkflowRedactor, newRedactor func() *WorkflowRedactor) error {
	if len(ids) == 0 {
		return nil
	}
	for after := (HistoryChunk{}); ; {
		cs, err := tx.HistoryChunks(ctx, ids, after, redactChunks)
		if err != nil {
			return fmt.Errorf("history chunks: %w", err)
		}
		for _, c := range cs {
			w := ws[c.ExecutionID]
			if w == nil {
				w = newRedactor()
				ws[c.ExecutionID] = w
			}
			events, changed, err := w.Chunk(c.ExecutionID, []byte(c.Events))
			if err != nil {
				return fmt.Errorf("history of execution %s, chunk %d: %w", c.ExecutionID, c.LastID, err)
			}
			if changed {
				c.Events = string(events)
				if err := tx.UpdateHistoryChunk(ctx, c); err != nil {
					return fmt.Errorf("history of execution %s: %w", c.ExecutionID, err)
				}
			}
		}
		if len(cs) < redactChunks {
			break
		}
		after = HistoryChunk{ExecutionID: cs[len(cs)-1].ExecutionID, LastID: cs[len(cs)-1].LastID}
	}
	for _, id := range ids {
		w := ws[id]
		if w == nil || !w.Changed() {
			continue
		}
		t, err := tx.ExecutionTexts(ctx, id)
		if err != nil {
			return fmt.Errorf("execution %s: %w", id, err)
		}
		nt, err := w.Texts(t)
		if err != nil {
			return fmt.Errorf("execution %s: %w", id, err)
		}
		if err := saveExecutionTexts(ctx, tx, t, nt); err != nil {
			return fmt.Errorf("execution %s: %w", id, err)
		}
	}
	return nil
}

// saveExecutionTexts saves the rows whose texts differ between old and t.
func saveExecutionTexts(ctx context.Context, tx WorkflowURLsTx, old, t ExecutionTexts) error {
	if t.Output != old.Output || t.Cause != old.Cause || !bytes.Equal(t.State, old.State) {
		if err := tx.UpdateExecutionTexts(ctx, t.ExecutionID, t.Output, t.Cause, t.State); err != nil {
			return err
		}
	}
	if t.RequestCause != old.RequestCause || t.DecidedBy != old.DecidedBy {
		if err := tx.UpdateRequestTexts(ctx, t.RequestID, t.RequestCause, t.DecidedBy); err != nil {
			return err
		}
	}
	if t.ApprovalBy != old.ApprovalBy {
		if err := tx.UpdateApprovalTexts(ctx, t.RequestID, t.ApprovalBy); err != nil {
			return err
		}
	}
	for i, a := range t.Audit {
		if a != old.Audit[i] {
			if err := tx.UpdateAuditTexts(ctx, a); err != nil {
				return err
			}
		}
	}
	for i, n := range t.Notifications {
		if n != old.Notifications[i] {
			if err := tx.UpdateNotificationTexts(ctx, n); err != nil {
				return err
			}
		}
	}
	return nil
}
