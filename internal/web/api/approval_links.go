package api

import (
	"net/http"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/sharing"
	"github.com/meshgate/meshgate/internal/web"
)

// registerApprovalLinks adds an account's approval-link settings: whether
// the signed link in a notification suffices to decide, or its approver
// must sign in as well.
func registerApprovalLinks(rt *web.Router, d *Deps) {
	rt.Handle("GET", "/api/v1/accounts/{id}/approval-links", web.Authenticated, d.getApprovalLinks)
	rt.Handle("PUT", "/api/v1/accounts/{id}/approval-links", web.Authenticated, d.putApprovalLinks)
}

func (d *Deps) getApprovalLinks(w http.ResponseWriter, r *http.Request) error {
	id, err := accountID(r)
	if err != nil {
		return err
	}
	out, err := d.Sharing.FindApprovalLinkSettings(r.Context(), id)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (d *Deps) putApprovalLinks(w http.ResponseWriter, r *http.Request) error {
	id, err := accountID(r)
	if err != nil {
		return err
	}
	var b struct {
		SignInRequired *bool `json:"sign_in_required"`
	}
	if err := web.DecodeJSON(w, r, &b); err != nil {
		return err
	}
	if b.SignInRequired == nil {
		return mesh.Invalid("sign_in_required", "is required (true or false)")
	}
	out, err := d.Sharing.UpdateApprovalLinkSettings(r.Context(), sharing.ApprovalLinkSettings{AccountID: id, SignInRequired: *b.SignInRequired})
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}
