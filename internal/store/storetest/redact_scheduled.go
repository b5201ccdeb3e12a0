package storetest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// parametersTexts are the texts of oldWorkflowTexts that the rewrite of
// the HTTP tasks' parameters (SQLite 0029, PostgreSQL 0031) gives as new
// code writes them: the causes quoting a refused Url.
var parametersTexts = map[int]string{
	10: mesh.HTTPTaskURLCause("ftp://files.example.com/SECRETKEPT"),
	13: "Url must be an absolute http or https URL, got " + mesh.RedactURL(oldRefused),
}

// scheduledURLs are the Urls of CreateOldWorkflowRows's TaskScheduled
// events as new code shows them.
var scheduledURLs = map[string]string{
	oldHook:      mesh.RedactURL(oldHook),
	oldBasicHook: mesh.RedactURL(oldBasicHook),
	oldRefused:   mesh.RedactURL(oldRefused),
	// its token cut: the URL called, whose digest it would be, is unknown
	oldTokenHookShown:          "http://127.0.0.1:9000",
	mesh.RedactURL(oldRefused): mesh.RedactURL(oldRefused),
}

// parametersText returns a text of oldWorkflowTexts as the rewrite of the
// HTTP tasks' parameters leaves it.
func parametersText(i int) string {
	if s, ok := parametersTexts[i]; ok {
		return s
	}
	return oldText(i)
}

// HTTPTaskParametersRedacted checks that s, opened on a store that held the
// rows of CreateOldWorkflowRows before its migration of the HTTP tasks'
// parameters (SQLite 0029, PostgreSQL 0031), reads them as new code writes
// them: each HTTP task's TaskScheduled event names its Url by scheme, host
// and digest and its headers by name, a refused Url's cause names it so
// too, wherever the cause was copied, and everything else is as it was,
// events already in the new form byte for byte.
func HTTPTaskParametersRedacted(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	mustView(t, s, func(tx store.Tx) error {
		for _, e := range oldExecutions {
			got, want, olds := historyAfter(t, tx, e, parametersText)
			for i, ev := range got {
				w := want[i]
				if w.Repeats != nil {
					w.Details = withInput(t, w.Details, want[i-1].Details)
				}
				if w.Type == "TaskScheduled" {
					w.Details = scheduledShown(t, w.Details)
				}
				if ev.ID != w.ID || ev.Type != w.Type || !ev.Timestamp.Equal(w.Timestamp) || !equalJSON(ev.Details, w.Details) {
					t.Errorf("%s event %d: got %d %s at %s %s, want %d %s at %s %s", e.id, i,
						ev.ID, ev.Type, ev.Timestamp, ev.Details, w.ID, w.Type, w.Timestamp, w.Details)
				}
				if old := olds[i]; old.Repeats == nil && string(old.Details) == string(w.Details) && string(ev.Details) != string(old.Details) {
					t.Errorf("%s event %d (%s): got details %s, want them untouched, %s", e.id, ev.ID, ev.Type, ev.Details, old.Details)
				}
				if (ev.Type == "TaskScheduled" || strings.Contains(string(ev.Details), mesh.HTTPTaskURLRefused)) && strings.Contains(string(ev.Details), "SECRET") {
					t.Errorf("%s event %d (%s): got details %s, which hold a secret", e.id, ev.ID, ev.Type, ev.Details)
				}
			}
			x, err := tx.FindExecution(ctx, e.id)
			if err != nil {
				return err
			}
			if want := text(parametersText, e.cause); x.Cause != want {
				t.Errorf("%s: got cause %q, want %q", e.id, x.Cause, want)
			}
		}
		return nil
	})
}

// scheduledShown returns the details of a TaskScheduled event of
// CreateOldWorkflowRows with an HTTP task's Url and headers as new code
// shows them.
func scheduledShown(t *testing.T, details json.RawMessage) json.RawMessage {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal(details, &d); err != nil {
		t.Fatal(err)
	}
	params, ok := d["parameters"].(map[string]any)
	if !ok || !strings.HasPrefix(d["resource"].(string), oldHTTP) {
		return details
	}
	u, ok := scheduledURLs[params["Url"].(string)]
	if !ok {
		t.Fatalf("TaskScheduled Url %q: no Url shown for it", params["Url"])
	}
	params["Url"] = u
	if hs, ok := params["Headers"].(map[string]any); ok {
		for k := range hs {
			hs[k] = mesh.HiddenHeader
		}
	}
	return mustJSON(t, d)
}
