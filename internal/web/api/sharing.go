package api

import (
	"net/http"
	"strconv"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/sharing"
	"github.com/meshgate/meshgate/internal/web"
)

func registerSharing(rt *web.Router, d *Deps) {
	rt.Handle("POST", "/api/v1/requests", web.Authenticated, d.createRequest)
	rt.Handle("GET", "/api/v1/requests", web.Authenticated, d.listRequests)
	rt.Handle("GET", "/api/v1/requests/{id}", web.Authenticated, d.getRequest)
	rt.Handle("POST", "/api/v1/requests/{id}/cancel", web.Authenticated, d.cancelRequest)
	rt.Handle("POST", "/api/v1/requests/{id}/revoke", web.Authenticated, d.revokeRequest)
	rt.Handle("GET", "/api/v1/approvals", web.Authenticated, d.listApprovals)
	rt.Handle("POST", "/api/v1/approvals/{id}/approve", web.Authenticated, d.approve)
	rt.Handle("POST", "/api/v1/approvals/{id}/deny", web.Authenticated, d.deny)
}

func requestID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, mesh.Invalid("id", "request id %q must be a positive number", r.PathValue("id"))
	}
	return id, nil
}

func (d *Deps) createRequest(w http.ResponseWriter, r *http.Request) error {
	var in sharing.RequestInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if keys := r.Header.Values("Idempotency-Key"); len(keys) > 0 {
		if len(keys) > 1 || keys[0] == "" {
			return mesh.Invalid("Idempotency-Key", "must be one value of 1 to %d characters", sharing.MaxIdempotencyKeyLen)
		}
		in.IdempotencyKey = keys[0]
	}
	req, created, err := d.Sharing.CreateRequest(r.Context(), in)
	if err != nil {
		return err
	}
	status := http.StatusOK // the open request for the same resource and account, or the key's
	if created {
		status = http.StatusCreated
	}
	web.WriteJSON(w, status, req)
	return nil
}

func (d *Deps) listRequests(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := sharing.RequestFilter{Status: q.Get("status")}
	switch q.Get("mine") {
	case "", "false":
	case "true":
		f.Mine = true
	default:
		return mesh.Invalid("mine", "must be true or false")
	}
	var err error
	if f.Limit, err = identLimit(q.Get("limit"), 100, 1000); err != nil {
		return err
	}
	if f.BeforeID, err = identBefore(q.Get("before"), "request"); err != nil {
		return err
	}
	rs, err := d.Sharing.FindRequests(r.Context(), f)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"requests": rs})
	return nil
}

func (d *Deps) getRequest(w http.ResponseWriter, r *http.Request) error {
	id, err := requestID(r)
	if err != nil {
		return err
	}
	v, err := d.Sharing.FindRequest(r.Context(), id)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, v)
	return nil
}

func (d *Deps) cancelRequest(w http.ResponseWriter, r *http.Request) error {
	id, err := requestID(r)
	if err != nil {
		return err
	}
	req, err := d.Sharing.CancelRequest(r.Context(), id)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, req)
	return nil
}

func (d *Deps) revokeRequest(w http.ResponseWriter, r *http.Request) error {
	id, err := requestID(r)
	if err != nil {
		return err
	}
	req, err := d.Sharing.RevokeRequest(r.Context(), id)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, req)
	return nil
}

func (d *Deps) listApprovals(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := sharing.ApprovalFilter{Status: q.Get("status")}
	var err error
	if f.Limit, err = identLimit(q.Get("limit"), 100, 1000); err != nil {
		return err
	}
	if f.BeforeID, err = identBefore(q.Get("before"), "request"); err != nil {
		return err
	}
	as, err := d.Sharing.FindApprovals(r.Context(), f)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"approvals": as})
	return nil
}

// decisionBody is the optional body of a decision.
type decisionBody struct {
	Comment string `json:"comment"`
	// Channel says how the decision came: api (the default), cli or web.
	Channel string `json:"channel"`
}

func (d *Deps) decide(w http.ResponseWriter, r *http.Request, approve bool) error {
	id, err := requestID(r)
	if err != nil {
		return err
	}
	var b decisionBody
	if r.ContentLength != 0 {
		if err := web.DecodeJSON(w, r, &b); err != nil {
			return err
		}
	}
	switch b.Channel {
	case "", mesh.ChannelAPI, mesh.ChannelCLI, mesh.ChannelWeb:
	default:
		return mesh.Invalid("channel", "must be api, cli or web")
	}
	req, err := d.Sharing.Decide(r.Context(), sharing.DecisionInput{RequestID: id, Approve: approve, Comment: b.Comment, Channel: b.Channel})
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, req)
	return nil
}

func (d *Deps) approve(w http.ResponseWriter, r *http.Request) error { return d.decide(w, r, true) }

func (d *Deps) deny(w http.ResponseWriter, r *http.Request) error { return d.decide(w, r, false) }
