package api

import (
	"net/http"

	"github.com/meshgate/meshgate/internal/auth"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/web"
)

func registerAudit(rt *web.Router, d *Deps) {
	rt.Handle("GET", "/api/v1/audit", web.MeshAdmin, d.listAudit)
}

// AuditList is a page of audit entries, newest first.
type AuditList struct {
	Entries   []*mesh.AuditEntry `json:"entries"`
	NextToken string             `json:"next_token,omitempty"`
}

type auditCursor struct {
	Before int64 `json:"b"`
}

func (d *Deps) listAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := identLimit(q.Get("limit"), 100, auth.MaxAuditPage)
	if err != nil {
		return err
	}
	f := store.AuditFilter{Principal: q.Get("principal"), AccountID: q.Get("account"), Action: q.Get("action"),
		Resource: q.Get("resource"), Result: q.Get("result"), Limit: limit}
	if f.Since, err = identTime(r, "since"); err != nil {
		return err
	}
	if f.Until, err = identTime(r, "until"); err != nil {
		return err
	}
	var c auditCursor
	if err := d.readCursor(r, &c); err != nil {
		return err
	}
	f.BeforeID = c.Before
	es, err := d.Auth.FindAuditEntries(r.Context(), f)
	if err != nil {
		return err
	}
	out := AuditList{Entries: es}
	if len(es) == limit {
		out.NextToken = d.Pages.Encode(auditCursor{Before: es[len(es)-1].ID})
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}
