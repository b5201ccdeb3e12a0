package ui

import (
	"net/http"
	"net/url"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// auditPageSize is how many entries one audit page lists.
const auditPageSize = 100

// AuditPage lists the audit log, newest first, filtered by principal,
// action, resource and result.
type AuditPage struct {
	Page
	Filter      AuditForm
	Entries     []*mesh.AuditEntry
	Next, First string
}

// AuditForm is the audit filter form's fields.
type AuditForm struct {
	Principal, Action, Resource, Result string
}

// auditCursor continues the listing before an entry.
type auditCursor struct {
	BeforeID int64 `json:"b"`
}

func (u *UI) auditPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := AuditPage{Page: u.page(r, "Audit log", "audit"),
		Filter: AuditForm{Principal: q.Get("principal"), Action: q.Get("action"), Resource: q.Get("resource"), Result: q.Get("result")}}
	filter := map[string]string{"principal": p.Filter.Principal, "action": p.Filter.Action, "resource": p.Filter.Resource, "result": p.Filter.Result}
	f := store.AuditFilter{Principal: p.Filter.Principal, Action: p.Filter.Action, Resource: p.Filter.Resource, Result: p.Filter.Result, Limit: auditPageSize + 1}
	if tok := q.Get("page"); tok != "" {
		var c auditCursor
		if err := u.Pages.Decode("page", tok, &c); err != nil {
			return err
		}
		f.BeforeID = c.BeforeID
		p.First = listLink("/admin/audit", filter)
	}
	es, err := u.Auth.FindAuditEntries(r.Context(), f)
	if err != nil {
		return err
	}
	if len(es) > auditPageSize {
		es = es[:auditPageSize]
		filter["page"] = u.Pages.Encode(auditCursor{BeforeID: es[len(es)-1].ID})
		p.Next = listLink("/admin/audit", filter)
	}
	p.Entries = es
	return u.render(w, http.StatusOK, "audit", p)
}

// listLink is a listing's link with its non-empty query parameters.
func listLink(path string, params map[string]string) string {
	v := url.Values{}
	for k, s := range params {
		if s != "" {
			v.Set(k, s)
		}
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}
