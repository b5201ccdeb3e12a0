package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/meshgate/meshgate/internal/access"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/web"
)

// MaxAuthorizeBatch bounds the requests of one batch authorization.
const MaxAuthorizeBatch = 1000

func registerAccess(rt *web.Router, d *Deps) {
	rt.Handle("POST", "/api/v1/grants", web.Authenticated, d.grant)
	rt.Handle("POST", "/api/v1/grants/revoke", web.Authenticated, d.revoke)
	rt.Handle("GET", "/api/v1/grants", web.Authenticated, d.listGrants)
	rt.Handle("GET", "/api/v1/invitations", web.Authenticated, d.listInvitations)
	rt.Handle("POST", "/api/v1/invitations/{id}/accept", web.Authenticated, d.acceptInvitation)
	rt.Handle("POST", "/api/v1/invitations/{id}/reject", web.Authenticated, d.rejectInvitation)
	rt.Handle("POST", "/api/v1/invitations/{id}/resend", web.Authenticated, d.resendInvitation)
	rt.Handle("GET", "/api/v1/links", web.Authenticated, d.listLinks)
	rt.Handle("GET", "/api/v1/accounts/{id}/links", web.Authenticated, d.listAccountLinks)
	rt.Handle("GET", "/api/v1/accounts/{id}/links/{name}/tables", web.Authenticated, d.linkTables)
	rt.Handle("POST", "/api/v1/authorize", web.Authenticated, d.authorize)
}

func (d *Deps) grant(w http.ResponseWriter, r *http.Request) error {
	var in access.GrantInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	g, err := d.Access.Grant(r.Context(), in)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, g)
	return nil
}

func (d *Deps) revoke(w http.ResponseWriter, r *http.Request) error {
	var in access.GrantInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	g, err := d.Access.Revoke(r.Context(), in)
	if err != nil {
		return err
	}
	if g.Permissions == 0 {
		web.WriteJSON(w, http.StatusOK, map[string]any{"revoked": true, "grant": nil})
		return nil
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"revoked": true, "grant": g})
	return nil
}

// grantCursor continues a grant listing after an id.
type grantCursor struct {
	AfterID int64 `json:"a"`
}

func (d *Deps) listGrants(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := access.GrantFilter{
		AccountID: q.Get("account"),
		Database:  q.Get("database"),
		Table:     q.Get("table"),
	}
	if p := q.Get("principal"); p != "" {
		pr, err := mesh.ParsePrincipal("principal", p)
		if err != nil {
			return err
		}
		f.Principal = pr
	}
	var err error
	if f.Limit, err = identLimit(q.Get("limit"), 100, 1000); err != nil {
		return err
	}
	if t := q.Get("page_token"); t != "" {
		var c grantCursor
		if err := d.Pages.Decode("page_token", t, &c); err != nil {
			return err
		}
		f.AfterID = c.AfterID
	}
	gs, next, err := d.Access.ListGrants(r.Context(), f)
	if err != nil {
		return err
	}
	out := map[string]any{"grants": accessItems(gs)}
	if next != 0 {
		out["next_page_token"] = d.Pages.Encode(grantCursor{AfterID: next})
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

func accessItems[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// invitationCursor continues an invitation listing (newest first) before an id.
type invitationCursor struct {
	BeforeID int64 `json:"b"`
}

func (d *Deps) listInvitations(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := access.InvitationFilter{AccountID: q.Get("account"), Status: q.Get("status")}
	var err error
	if f.Limit, err = identLimit(q.Get("limit"), 100, 1000); err != nil {
		return err
	}
	if t := q.Get("page_token"); t != "" {
		var c invitationCursor
		if err := d.Pages.Decode("page_token", t, &c); err != nil {
			return err
		}
		f.BeforeID = c.BeforeID
	}
	invs, next, err := d.Access.ListInvitations(r.Context(), f)
	if err != nil {
		return err
	}
	out := map[string]any{"invitations": accessItems(invs)}
	if next != 0 {
		out["next_page_token"] = d.Pages.Encode(invitationCursor{BeforeID: next})
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

func invitationID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, mesh.Invalid("id", "invitation id %q must be a positive number", r.PathValue("id"))
	}
	return id, nil
}

// acceptInput is the optional body of an acceptance.
type acceptInput struct {
	LinkName string `json:"link_name"`
}

func (d *Deps) acceptInvitation(w http.ResponseWriter, r *http.Request) error {
	id, err := invitationID(r)
	if err != nil {
		return err
	}
	var in acceptInput
	if r.ContentLength != 0 {
		if err := web.DecodeJSON(w, r, &in); err != nil {
			return err
		}
	}
	dec, err := d.Access.AcceptInvitation(r.Context(), id, in.LinkName)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, dec)
	return nil
}

func (d *Deps) rejectInvitation(w http.ResponseWriter, r *http.Request) error {
	id, err := invitationID(r)
	if err != nil {
		return err
	}
	dec, err := d.Access.RejectInvitation(r.Context(), id)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, dec)
	return nil
}

func (d *Deps) resendInvitation(w http.ResponseWriter, r *http.Request) error {
	id, err := invitationID(r)
	if err != nil {
		return err
	}
	inv, err := d.Access.ResendInvitation(r.Context(), id)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, inv)
	return nil
}

func (d *Deps) listLinks(w http.ResponseWriter, r *http.Request) error {
	return d.writeLinks(w, r, "")
}

func (d *Deps) listAccountLinks(w http.ResponseWriter, r *http.Request) error {
	id, err := accountID(r)
	if err != nil {
		return err
	}
	return d.writeLinks(w, r, id)
}

func (d *Deps) writeLinks(w http.ResponseWriter, r *http.Request, accountID string) error {
	links, err := d.Access.ListLinks(r.Context(), accountID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"links": links})
	return nil
}

func (d *Deps) linkTables(w http.ResponseWriter, r *http.Request) error {
	id, err := accountID(r)
	if err != nil {
		return err
	}
	tables, err := d.Access.LinkTables(r.Context(), id, r.PathValue("name"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"tables": tables})
	return nil
}

// AuthorizeRequest is one question: may principal do action on resource?
// An omitted principal is the caller itself.
type AuthorizeRequest struct {
	Principal mesh.Principal  `json:"principal"`
	Action    mesh.Permission `json:"action"`
	Resource  mesh.Resource   `json:"resource"`
}

// authorizeBody is a single request or, with Requests, a batch.
type authorizeBody struct {
	AuthorizeRequest
	Requests []AuthorizeRequest `json:"requests"`
}

func (d *Deps) authorize(w http.ResponseWriter, r *http.Request) error {
	var body authorizeBody
	if err := web.DecodeJSONFunc(w, r, &body, func(b []byte) bool { return parseAuthorize(b, &body) }); err != nil {
		// The embedded request's fields are the body's own: name them so.
		if e, ok := err.(*mesh.Error); ok {
			e.Field = strings.TrimPrefix(e.Field, "AuthorizeRequest.")
		}
		return err
	}
	if body.Requests == nil {
		dec, err := d.decideOne(r, body.AuthorizeRequest)
		if err != nil {
			return err
		}
		if b, ok := appendDecision(make([]byte, 0, 128), dec); ok {
			web.WriteJSONBytes(w, http.StatusOK, b)
			return nil
		}
		web.WriteJSON(w, http.StatusOK, dec)
		return nil
	}
	if body.Principal != "" || body.Action != "" || body.Resource.Database != "" {
		return mesh.Invalid("requests", "send one request or a list of requests, not both")
	}
	if len(body.Requests) > MaxAuthorizeBatch {
		return mesh.Invalid("requests", "at most %d requests per batch", MaxAuthorizeBatch)
	}
	out := make([]mesh.Decision, len(body.Requests))
	for i, q := range body.Requests {
		dec, err := d.decideOne(r, q)
		if err != nil {
			if e, ok := err.(*mesh.Error); ok && e.Field != "" {
				e.Field = "requests[" + strconv.Itoa(i) + "]." + e.Field
			}
			return err
		}
		out[i] = dec
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"decisions": out})
	return nil
}

func (d *Deps) decideOne(r *http.Request, q AuthorizeRequest) (mesh.Decision, error) {
	return d.Access.Authorize(r.Context(), q.Principal, q.Action, q.Resource)
}
