// Package ui is meshgate's web interface: server-rendered pages under /,
// one handler per file, a typed struct per page, templates parsed once at
// start-up. Pages call the domain services directly, never the JSON API.
// Every core flow works without JavaScript; forms are same-origin POSTs
// carrying a per-session token, and pages send a strict
// Content-Security-Policy.
package ui

import (
	"fmt"
	"net/http"

	"github.com/meshgate/meshgate/internal/access"
	"github.com/meshgate/meshgate/internal/account"
	"github.com/meshgate/meshgate/internal/auth"
	"github.com/meshgate/meshgate/internal/auth/oidc"
	"github.com/meshgate/meshgate/internal/catalog"
	"github.com/meshgate/meshgate/internal/notify"
	"github.com/meshgate/meshgate/internal/sharing"
	"github.com/meshgate/meshgate/internal/web"
	"github.com/meshgate/meshgate/internal/workflow"
)

// Deps are the services the pages call.
type Deps struct {
	Auth     *auth.Service
	Accounts *account.Service
	Catalog  *catalog.Service
	Access   *access.Service
	Workflow *workflow.Engine
	Sharing  *sharing.Service
	Notify   *notify.Service
	// OIDC lists the identity providers the sign-in page links to (nil: none).
	OIDC *oidc.Service
	// Pages encodes opaque page tokens for the listings' "next" links.
	Pages *web.PageTokens
	// CSRFKey keys the per-session form tokens (a server-wide secret).
	CSRFKey []byte
}

// UI serves the pages.
type UI struct {
	Deps
	tpl    *engine
	static *assets
	cop    *http.CrossOriginProtection
}

// New parses the templates and hashes the static files; a template that
// does not parse stops the server at start-up rather than on first use.
func New(d Deps) (*UI, error) {
	if len(d.CSRFKey) < 16 {
		return nil, fmt.Errorf("ui: the form token key must be at least 16 bytes")
	}
	st, err := loadAssets()
	if err != nil {
		return nil, err
	}
	tpl, err := parseTemplates(st)
	if err != nil {
		return nil, err
	}
	return &UI{Deps: d, tpl: tpl, static: st, cop: http.NewCrossOriginProtection()}, nil
}

// Register adds every page route to rt. Each route names its policy as the
// API's do; the pages' own error writer turns a missing session into the
// sign-in page and other refusals into an error page.
func (u *UI) Register(rt *web.Router) {
	page := func(method, pattern string, policy web.Policy, h web.HandlerFunc) {
		if method == http.MethodPost {
			h = u.protect(h)
		}
		rt.HandleWith(method, pattern, policy, u.writeError, u.secure(h))
	}
	rt.HandleHTTP("GET", "/static/{name}", web.Public, u.static)
	rt.PageNotFound(u.writeError)

	page("GET", "/{$}", web.Authenticated, u.home)
	page("GET", "/login", web.Public, u.loginPage)
	page("POST", "/login", web.Public, u.login)
	page("POST", "/logout", web.Authenticated, u.logout)
	page("GET", "/password", web.Authenticated, u.passwordPage)
	page("POST", "/password", web.Authenticated, u.changePassword)
	page("GET", "/tokens", web.Authenticated, u.tokensPage)
	page("POST", "/tokens", web.Authenticated, u.createToken)
	page("POST", "/tokens/{token}/revoke", web.Authenticated, u.revokeToken)

	page("GET", "/catalog", web.Authenticated, u.catalogPage)
	page("GET", "/catalog/{database}", web.Authenticated, u.databasePage)
	page("GET", "/catalog/{database}/{table}", web.Authenticated, u.tablePage)

	page("POST", "/requests", web.Authenticated, u.createRequest)
	page("GET", "/requests", web.Authenticated, u.requestsPage)
	page("GET", "/requests/{id}", web.Authenticated, u.requestPage)
	page("POST", "/requests/{id}/cancel", web.Authenticated, u.cancelRequest)
	page("POST", "/requests/{id}/revoke", web.Authenticated, u.revokeRequest)
	page("GET", "/approvals", web.Authenticated, u.approvalsPage)
	page("POST", "/approvals/{id}/approve", web.Authenticated, u.approve)
	page("POST", "/approvals/{id}/deny", web.Authenticated, u.deny)

	page("GET", "/invitations", web.AccountAdmin, u.invitationsPage)
	page("POST", "/invitations/{id}/accept", web.AccountAdmin, u.acceptInvitation)
	page("POST", "/invitations/{id}/reject", web.AccountAdmin, u.rejectInvitation)
	page("GET", "/shared", web.Authenticated, u.sharedPage)
	page("GET", "/shared/{name}", web.Authenticated, u.linkPage)
	page("POST", "/shared/{name}/grants", web.Authenticated, u.grantLink)

	page("GET", "/admin/accounts", web.MeshAdmin, u.accountsPage)
	page("POST", "/admin/accounts", web.MeshAdmin, u.onboardAccount)
	page("GET", "/admin/accounts/{id}", web.MeshAdmin, u.accountPage)
	page("POST", "/admin/accounts/{id}/offboard", web.MeshAdmin, u.offboardAccount)
	page("GET", "/admin/users", web.AccountAdmin, u.usersPage)
	page("POST", "/admin/users", web.AccountAdmin, u.createUser)
	page("POST", "/admin/users/{user}/roles", web.AccountAdmin, u.updateRoles)
	page("GET", "/admin/users/{user}/delete", web.AccountAdmin, u.deleteUserPage)
	page("POST", "/admin/users/{user}/delete", web.AccountAdmin, u.deleteUser)
	page("GET", "/admin/state-machines", web.MeshAdmin, u.stateMachinesPage)
	page("GET", "/admin/state-machines/new", web.MeshAdmin, u.newStateMachinePage)
	page("POST", "/admin/state-machines", web.MeshAdmin, u.createStateMachine)
	page("GET", "/admin/state-machines/{name}", web.MeshAdmin, u.stateMachinePage)
	page("GET", "/admin/state-machines/{name}/edit", web.MeshAdmin, u.editStateMachinePage)
	page("POST", "/admin/state-machines/{name}", web.MeshAdmin, u.updateStateMachine)
	page("POST", "/admin/state-machines/{name}/rollback", web.MeshAdmin, u.rollbackStateMachine)
	page("GET", "/admin/executions", web.MeshAdmin, u.executionsPage)
	page("GET", "/admin/executions/{id}", web.MeshAdmin, u.executionPage)
	page("GET", "/admin/audit", web.MeshAdmin, u.auditPage)
	page("GET", "/admin/notifications", web.AccountAdmin, u.notificationsPage)
	page("POST", "/admin/notifications", web.AccountAdmin, u.subscribe)
	page("POST", "/admin/notifications/subscriptions/{id}/unsubscribe", web.AccountAdmin, u.unsubscribe)
	page("GET", "/admin/deliveries", web.AccountAdmin, u.deliveriesPage)
	page("POST", "/admin/deliveries/{id}/retry", web.AccountAdmin, u.retryDelivery)
	page("GET", "/admin/mailbox", web.MeshAdmin, u.mailboxPage)
	page("GET", "/admin/mailbox/{id}", web.MeshAdmin, u.mailboxMessagePage)
}

// home sends a signed-in user to the catalog, the start of every flow.
func (u *UI) home(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, "/catalog", http.StatusSeeOther)
	return nil
}
