package ui

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/meshgate/meshgate/internal/mesh"
)

// Lists of the newest first go a page at a time: a page reads one item more
// than it shows, to tell whether another page follows, which starts below
// the last item's id (the "before" parameter).

// beforeParam reads a page's "before" parameter, the id its list continues
// below (0 on the first page); what names the id in the error.
func beforeParam(q url.Values, what string) (int64, error) {
	b := q.Get("before")
	if b == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(b, 10, 64)
	if err != nil || id <= 0 {
		return 0, mesh.Invalid("before", "must be a %s", what)
	}
	return id, nil
}

// nextPage trims items, read one past size, to size, and returns with them
// the link to the next page: path with params and the last item's id (by
// id) as before; "" on the last page.
func nextPage[T any](items []T, size int, path string, params map[string]string, id func(T) int64) ([]T, string) {
	if len(items) <= size {
		return items, ""
	}
	items = items[:size]
	next := maps.Clone(params)
	if next == nil {
		next = map[string]string{}
	}
	next["before"] = strconv.FormatInt(id(items[size-1]), 10)
	return items, listLink(path, next)
}

// A form on a page of a list sends, in its "return" field, the page's own
// link (the page struct's Here), so that its answer, a redirect or the
// list shown again with the form's errors, is the page it was on, with its
// filters, rather than the first.

// returnQuery reads a form's "return" field as the query of a page of
// list (a path on this server). A link that localPath refuses or that
// leads elsewhere than list reads as no query (the list's first page), as
// do a "page" token or a "before" id the list would refuse; callers take
// from it only the parameters their list has.
func (u *UI) returnQuery(r *http.Request, list string) url.Values {
	back := localPath(r.FormValue("return"))
	if back == "" {
		return url.Values{}
	}
	l, err := url.Parse(back)
	if err != nil || l.Path != list {
		return url.Values{}
	}
	q, err := url.ParseQuery(l.RawQuery)
	if err != nil {
		return url.Values{}
	}
	var c json.RawMessage
	if tok := q.Get("page"); tok != "" && u.Pages.Decode("page", tok, &c) != nil {
		q.Del("page")
	}
	if _, err := beforeParam(q, "id"); err != nil {
		q.Del("before")
	}
	return q
}

// keepFilter drops q's key unless it holds one of values, those the list
// filters by, so that a form's return leads to no page the list refuses.
func keepFilter(q url.Values, key string, values []string) url.Values {
	if v := q.Get(key); v != "" && !slices.Contains(values, v) {
		q.Del(key)
	}
	return q
}
