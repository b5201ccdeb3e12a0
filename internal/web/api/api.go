// Package api is meshgate's JSON REST API under /api/v1. Each area registers
// its routes from the file named after it; every route names its policy.
package api

import (
	"net/http"

	"github.com/meshgate/meshgate/internal/access"
	"github.com/meshgate/meshgate/internal/account"
	"github.com/meshgate/meshgate/internal/auth"
	"github.com/meshgate/meshgate/internal/auth/oidc"
	"github.com/meshgate/meshgate/internal/catalog"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/notify"
	"github.com/meshgate/meshgate/internal/platform"
	"github.com/meshgate/meshgate/internal/sharing"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/web"
	"github.com/meshgate/meshgate/internal/workflow"
)

// Deps are the services the handlers call.
type Deps struct {
	Store    store.Store
	Clock    mesh.Clock
	Pages    *web.PageTokens
	Auth     *auth.Service
	Accounts *account.Service
	Catalog  *catalog.Service
	Access   *access.Service
	// CentralAccountID names the server's own account.
	CentralAccountID string
	// Workflow is the state machine engine.
	Workflow *workflow.Engine
	// Sharing runs access requests and approvals.
	Sharing *sharing.Service
	// Notify manages topics and subscriptions and queues notifications.
	Notify *notify.Service
	// OIDC signs users in through identity providers; nil when none is configured.
	OIDC *oidc.Service
	// SignInRefused, when set, answers a browser whose sign-in through an
	// identity provider failed with the web interface's own error page.
	SignInRefused func(w http.ResponseWriter, r *http.Request, err error) error
	// Platforms manages data platforms (nil leaves their routes out).
	Platforms *platform.Service
}

// Register adds every API route to rt.
func Register(rt *web.Router, d *Deps) {
	registerOpenAPI(rt, d)
	registerIdentity(rt, d)
	registerAudit(rt, d)
	registerCatalog(rt, d)
	registerWorkflow(rt, d)
	registerAccess(rt, d)
	registerSharing(rt, d)
	registerApprovalLinks(rt, d)
	registerNotify(rt, d)
	registerOIDC(rt, d)
	registerPlatform(rt, d)
}
