package store_test

import (
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// TestRedactedHTTPTaskCause: the causes of failed HTTP tasks that older
// versions wrote name the URL as the task names it now, by the URL called
// when it is known, else by the cause's URL when that is whole, else by
// scheme and host; other causes, and causes rewritten once, stay.
func TestRedactedHTTPTaskCause(t *testing.T) {
	const hook = "https://hooks.example.com:8443/services/SECRET?token=SECRET"
	name := mesh.RedactURL(hook)
	tests := []struct{ name, errName, called, cause, want string }{
		{"client error", "HTTP.Error", hook, `Delete "` + hook + `": EOF`, "DELETE " + name + ": EOF"},
		{"client error, redirected", "HTTP.Error", hook, `Get "https://elsewhere.example.com/SECRET": stopped after 5 redirects`,
			"GET " + name + ": stopped after 5 redirects"},
		{"client error, URL unknown", "HTTP.Error", "", `Get "` + hook + `": EOF`, "GET " + name + ": EOF"},
		{"client error, password masked", "HTTP.Error", "", `Get "https://u:***@hooks.example.com/SECRET": EOF`, "GET https://hooks.example.com: EOF"},
		{"path", "HTTP.Error", hook, "PATCH https://hooks.example.com:8443/services/SECRET: dial tcp: i/o timeout",
			"PATCH " + name + ": dial tcp: i/o timeout"},
		{"path, URL unknown", "HTTP.Error", "", "PATCH https://hooks.example.com:8443/services/SECRET: EOF", "PATCH https://hooks.example.com:8443: EOF"},
		{"path ending in a colon", "HTTP.Error", "", "GET https://hooks.example.com/a:: EOF", "GET https://hooks.example.com: EOF"},
		{"status", "HTTP.StatusCode.410", hook, "GET https://hooks.example.com:8443/services/SECRET answered 410 Gone: GET https://x/SECRET",
			"GET " + name + " answered 410 Gone: GET https://x/SECRET"},
		{"status, whole URL unknown", "HTTP.StatusCode.500", "", "GET " + hook + " answered 500 Internal Server Error: ",
			"GET " + name + " answered 500 Internal Server Error: "},
		// causes that name no URL, or name it as new code does
		{"timeout", "States.Timeout", hook, "the HTTP request timed out", "the HTTP request timed out"},
		{"read", "HTTP.Error", hook, "read the answer: unexpected EOF", "read the answer: unexpected EOF"},
		{"invalid", "HTTP.InvalidParameters", hook, `Url must be an absolute http or https URL, got "ftp://x/KEPT"`,
			`Url must be an absolute http or https URL, got "ftp://x/KEPT"`},
		{"new error", "HTTP.Error", hook, "GET " + name + ": EOF", "GET " + name + ": EOF"},
		{"new status", "HTTP.StatusCode.404", hook, "GET " + name + " answered 404 Not Found: x", "GET " + name + " answered 404 Not Found: x"},
		{"new, not a URL", "HTTP.Error", "", "GET (sha256:01234567): EOF", "GET (sha256:01234567): EOF"},
		{"other scheme", "HTTP.Error", "", "GET ftp://x/SECRET: EOF", "GET ftp://x/SECRET: EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, changed := store.RedactedHTTPTaskCause(tt.errName, tt.called, tt.cause)
			if got != tt.want || changed != (tt.want != tt.cause) {
				t.Errorf("got %q (changed %v), want %q", got, changed, tt.want)
			}
			if again, changed := store.RedactedHTTPTaskCause(tt.errName, tt.called, got); changed {
				t.Errorf("got %q rewritten again to %q", got, again)
			}
		})
	}
}

// TestRedactedLinkDecider: a decision's by that names a webhook's whole
// URL names it as new code does; any other by stays.
func TestRedactedLinkDecider(t *testing.T) {
	const hook = "https://hooks.example.com/SECRET"
	name := "webhook " + mesh.RedactURL(hook)
	tests := []struct{ by, want, username string }{
		{hook + " (subscription 3)", name + " (subscription 3)", "link:" + name},
		{"111122223333/carol via " + hook + " (subscription 12)", "111122223333/carol via " + name + " (subscription 12)", "link:" + name},
		{name + " (subscription 3)", "", ""},
		{"webhook https://hooks.example.com (subscription 3)", "", ""},
		{"ann@example.com (subscription 3)", "", ""},
		{"111122223333/carol", "", ""},
	}
	for _, tt := range tests {
		got, username, _, ok := store.RedactedLinkDecider(tt.by)
		if tt.want == "" {
			tt.want = tt.by
		}
		if got != tt.want || username != tt.username || ok != (tt.username != "") {
			t.Errorf("%s: got %q, %q, %v, want %q, %q", tt.by, got, username, ok, tt.want, tt.username)
		}
	}
}

// TestWorkflowRedactorKeepsJSON: a chunk rewritten keeps every byte but
// the strings it rewrites, escapes among them.
func TestWorkflowRedactorKeepsJSON(t *testing.T) {
	const hook = "https://hooks.example.com/SECRET"
	w := store.NewWorkflowRedactor()
	if !w.Decision(hook + " (subscription 3)") {
		t.Fatal("the old by was not taken")
	}
	by := "webhook " + mesh.RedactURL(hook) + " (subscription 3)"
	in := `[[1, 0,"TaskSucceeded","2026-03-01T12:00:00.000000000Z", {"output":{"by":"` + hook + ` (subscription 3)","note":"a \"q\" \u00e9 \\ ` + hook + ` (subscription 3)"}}]]`
	want := `[[1, 0,"TaskSucceeded","2026-03-01T12:00:00.000000000Z", {"output":{"by":"` + by + `","note":"a \"q\" é \\ ` + by + `"}}]]`
	got, changed, err := w.Chunk("x", []byte(in))
	if err != nil || string(got) != want || !changed {
		t.Errorf("got %s, %v, %v, want %s", got, changed, err, want)
	}
}
