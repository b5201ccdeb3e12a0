package mesh

import (
	"maps"
	"net/url"
)

// The HTTP task's (meshgate:http:invoke) texts that the workflow history
// keeps, here so that the task, which writes them, and the store's
// migrations, which rewrite what older versions wrote, share one form.

// HiddenHeader stands for each header's value in the history.
const HiddenHeader = "(hidden)"

// RedactHTTPParameters returns an HTTP task's Parameters as the history
// keeps them (workflow.Registry.RedactParameters): the Url named by
// RedactTaskURL, and each header by its name alone, its value
// HiddenHeader. A URL's path and query and a header's value
// (Authorization, an API key) may be secrets that only those who read the
// state machine's definition may hold, and the history is read by a
// request's requester and approvers. The rest is kept as given; params is
// left as it is.
func RedactHTTPParameters(params any) any {
	in, ok := params.(map[string]any)
	if !ok {
		return params
	}
	out := maps.Clone(in)
	if raw, ok := in["Url"].(string); ok {
		out["Url"] = RedactTaskURL(raw)
	}
	if hs, ok := in["Headers"].(map[string]any); ok {
		shown := make(map[string]any, len(hs))
		for k := range hs {
			shown[k] = HiddenHeader
		}
		out["Headers"] = shown
	}
	return out
}

// RedactTaskURL names an HTTP task's Url by RedactURL, its digest that of
// the URL the task calls (as parsed and written again).
func RedactTaskURL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		raw = u.String()
	}
	return RedactURL(raw)
}

// HTTPTaskURLRefused is the start of the cause of an HTTP task whose Url
// is not an absolute http or https URL.
const HTTPTaskURLRefused = "Url must be an absolute http or https URL, got "

// HTTPTaskURLCause returns the cause of an HTTP task whose Url, raw, is
// not an absolute http or https URL. It names raw by RedactTaskURL, as the
// task's TaskScheduled event does: a Url without its scheme, say
// hooks.example.com/SECRET, still holds a webhook's secret.
func HTTPTaskURLCause(raw string) string {
	return HTTPTaskURLRefused + RedactTaskURL(raw)
}
