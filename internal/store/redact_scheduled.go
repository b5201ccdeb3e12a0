package store

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/ohler55/ojg"

	"github.com/meshgate/meshgate/internal/mesh"
)

// An HTTP task's TaskScheduled event showed its Parameters as the state
// gave them (a callback task's token cut) until 8602361, its Url and its
// headers' values whole, and the cause of a task whose Url was not an
// absolute http or https URL quoted the Url whole. Each store's migration
// (SQLite 0029, PostgreSQL 0031) rewrites them with
// RedactHTTPTaskParameters as new code writes them
// (mesh.RedactHTTPParameters, mesh.HTTPTaskURLCause), after the rewrite of
// the failed tasks' causes (RedactWorkflowURLs), which reads the Url a task
// was scheduled with; the comment of RedactWorkflowURLs says why a history
// may be rewritten. A callback task's Url, its token cut, is named by its
// scheme and host alone, as that rewrite names its cause: the digest is of
// the whole URL, which is not known.

// httpInvalid is the HTTP task's error of a bad Parameters object
// (task.ErrHTTPInvalid).
const httpInvalid = "HTTP.InvalidParameters"

// redactedURL matches a Url as mesh.RedactURL names it.
var redactedURL = regexp.MustCompile(`^(\S+://\S* )?\(sha256:[0-9a-f]{8}\)$`)

// RedactedHTTPTaskURLCause returns the cause of an HTTP task whose Url was
// not an absolute http or https URL (its error name and cause) as
// meshgate writes it now (mesh.HTTPTaskURLCause), where older versions
// quoted the Url whole, and whether it differs from cause.
func RedactedHTTPTaskURLCause(errName, cause string) (string, bool) {
	rest, ok := strings.CutPrefix(cause, mesh.HTTPTaskURLRefused)
	if errName != httpInvalid || !ok {
		return cause, false
	}
	raw, tail, ok := quoted(rest)
	if !ok || tail != "" {
		return cause, false
	}
	out := mesh.HTTPTaskURLCause(raw)
	return out, out != cause
}

// newParametersRedactor returns a redactor of RedactHTTPTaskParameters.
func newParametersRedactor() *WorkflowRedactor {
	w := NewWorkflowRedactor()
	w.parameters = true
	return w
}

// seeRefused notes the cause of an HTTP task whose Url was refused in the
// shape older versions wrote, which the texts after it may copy.
func (w *WorkflowRedactor) seeRefused(ev *mesh.HistoryEvent) {
	if ev.Type != "TaskFailed" {
		return
	}
	var d taskDetails
	if json.Unmarshal(ev.Details, &d) != nil {
		return
	}
	if resource, _ := strings.CutSuffix(d.Resource, callbackSuffix); resource != httpInvoke {
		return
	}
	if out, changed := RedactedHTTPTaskURLCause(d.Error, d.Cause); changed {
		w.replace(d.Cause, out)
	}
}

// redactScheduledChunk returns a chunk of history (raw, its JSON) with its
// HTTP tasks' TaskScheduled events as new code writes them, and whether it
// changed. The other events stay as they are, byte for byte; no event
// repeats a TaskScheduled event's fields, which holds no input or output.
func redactScheduledChunk(raw []byte) ([]byte, bool, error) {
	var fields [][]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, false, err
	}
	changed := false
	for i, f := range fields {
		if len(f) < 5 || string(f[2]) != `"TaskScheduled"` {
			continue
		}
		details, ok, err := redactScheduledDetails(f[4])
		if err != nil {
			return nil, false, fmt.Errorf("event %d: %w", i, err)
		}
		if ok {
			f[4], changed = details, true
		}
	}
	if !changed {
		return raw, false, nil
	}
	out := make([]byte, 0, len(raw))
	out = append(out, '[')
	for i, f := range fields {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, '[')
		for j, v := range f {
			if j > 0 {
				out = append(out, ',')
			}
			out = append(out, v...)
		}
		out = append(out, ']')
	}
	return append(out, ']'), true, nil
}

// redactScheduledDetails returns the details of a TaskScheduled event with
// an HTTP task's parameters as mesh.RedactHTTPParameters shows them, and
// whether they changed. A Url already named so stays.
func redactScheduledDetails(raw json.RawMessage) (json.RawMessage, bool, error) {
	var d map[string]json.RawMessage
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, false, err
	}
	var resource string
	if json.Unmarshal(d["resource"], &resource) != nil {
		return raw, false, nil
	}
	resource, callback := strings.CutSuffix(resource, callbackSuffix)
	var params map[string]json.RawMessage
	if resource != httpInvoke || json.Unmarshal(d["parameters"], &params) != nil || params == nil {
		return raw, false, nil
	}
	// the Url and the headers' names as the task read them; the rest
	// as written
	in := make(map[string]any, len(params))
	for k, v := range params {
		in[k] = v
	}
	var url string
	if json.Unmarshal(params["Url"], &url) == nil {
		in["Url"] = url
	}
	var headers map[string]json.RawMessage
	if json.Unmarshal(params["Headers"], &headers) == nil && headers != nil {
		hs := make(map[string]any, len(headers))
		for k, v := range headers {
			hs[k] = v
		}
		in["Headers"] = hs
	}
	shown := mesh.RedactHTTPParameters(in).(map[string]any)
	switch name := cutURLName(url); {
	case redactedURL.MatchString(url):
		shown["Url"] = url
	case callback && strings.Contains(url, "…") && name != "":
		shown["Url"] = name // its token cut: not the URL called
	}
	for k, v := range shown {
		switch v := v.(type) {
		case string:
			params[k] = ojg.AppendJSONString(nil, v, false)
		case map[string]any:
			hs := make(map[string]json.RawMessage, len(v))
			for h, hv := range v {
				hs[h] = ojg.AppendJSONString(nil, hv.(string), false)
			}
			params[k] = appendObject(nil, hs)
		}
	}
	d["parameters"] = appendObject(nil, params)
	out := appendObject(nil, d)
	if string(out) == string(raw) {
		return raw, false, nil
	}
	return out, true, nil
}

// RedactHTTPTaskParameters rewrites the HTTP tasks' TaskScheduled events
// and the causes quoting a refused Url that older versions wrote (see
// above) as new code writes them, the causes wherever the engine and the
// workflow copied them, in batches as RedactWorkflowURLs does. Only what
// changes is written.
func RedactHTTPTaskParameters(ctx context.Context, tx WorkflowURLsTx) error {
	for {
		ids, err := tx.HTTPScheduledExecutions(ctx, redactExecutions)
		if err != nil {
			return fmt.Errorf("executions with HTTP tasks: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		if err := redactExecutionTexts(ctx, tx, ids, map[string]*WorkflowRedactor{}, newParametersRedactor); err != nil {
			return err
		}
	}
}
