package api

import (
	"net/http"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/platform"
	"github.com/meshgate/meshgate/internal/web"
)

func registerPlatform(rt *web.Router, d *Deps) {
	rt.Handle("POST", "/api/v1/platforms", web.MeshAdmin, d.registerPlatform)
	rt.Handle("GET", "/api/v1/platforms", web.MeshAdmin, d.listPlatforms)
	rt.Handle("GET", "/api/v1/platforms/{name}", web.MeshAdmin, d.showPlatform)
	rt.Handle("DELETE", "/api/v1/platforms/{name}", web.MeshAdmin, d.removePlatform)
	rt.Handle("POST", "/api/v1/platforms/{name}/sync", web.MeshAdmin, d.syncPlatform)
	rt.Handle("POST", "/api/v1/platforms/{name}/reconcile", web.MeshAdmin, d.reconcilePlatform)
	rt.Handle("GET", "/api/v1/platforms/{name}/grants", web.MeshAdmin, d.platformGrants)
	rt.Handle("POST", "/api/v1/platforms/plan", web.Authenticated, d.planPlatform)
}

func (d *Deps) registerPlatform(w http.ResponseWriter, r *http.Request) error {
	var in platform.RegisterInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := d.Platforms.Register(r.Context(), in)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, p)
	return nil
}

func (d *Deps) listPlatforms(w http.ResponseWriter, r *http.Request) error {
	ps, err := d.Platforms.Platforms(r.Context())
	if err != nil {
		return err
	}
	if ps == nil {
		ps = []*platform.Platform{}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"platforms": ps})
	return nil
}

func (d *Deps) showPlatform(w http.ResponseWriter, r *http.Request) error {
	p, err := d.Platforms.FindPlatform(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, p)
	return nil
}

func (d *Deps) removePlatform(w http.ResponseWriter, r *http.Request) error {
	if err := d.Platforms.Remove(r.Context(), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (d *Deps) syncPlatform(w http.ResponseWriter, r *http.Request) error {
	rep, err := d.Platforms.Sync(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, rep)
	return nil
}

func (d *Deps) reconcilePlatform(w http.ResponseWriter, r *http.Request) error {
	rep, err := d.Platforms.Reconcile(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, rep)
	return nil
}

func (d *Deps) platformGrants(w http.ResponseWriter, r *http.Request) error {
	sts, err := d.Platforms.GrantStatuses(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	if sts == nil {
		sts = []platform.GrantStatus{}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"grants": sts})
	return nil
}

// planInput is a plan request: permissions by name, as grants take them.
type planInput struct {
	Principal   mesh.Principal   `json:"principal"`
	Resource    mesh.Resource    `json:"resource"`
	Permissions mesh.Permissions `json:"permissions"`
	Revoke      bool             `json:"revoke"`
}

func (d *Deps) planPlatform(w http.ResponseWriter, r *http.Request) error {
	var in planInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	plan, err := d.Platforms.Plan(r.Context(), platform.PlanInput(in))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"platforms": plan})
	return nil
}
