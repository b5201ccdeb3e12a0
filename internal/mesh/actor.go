package mesh

import (
	"context"
	"slices"
)

// Roles a user holds in its account.
const (
	RoleAdmin    = "admin"
	RoleApprover = "approver"
	RoleMember   = "member"
)

// Actor is the authenticated principal behind a call: a user of an account,
// signed in with a session or an API token. Services read it from the context
// to authorize and to audit.
type Actor struct {
	UserID    int64
	Username  string
	AccountID string
	Roles     []string
	// CentralAccountID is the id of the mesh's central account; its admins are mesh admins.
	CentralAccountID string
	// TokenID is set when the call used an API token.
	TokenID int64
	// SessionID is set when the call used a browser session (the hash's id, never the secret).
	SessionID int64
	// RemoteAddr and RequestID identify where the call came from, for the audit log.
	RemoteAddr string
	RequestID  string
}

// HasRole reports whether the actor holds role in its own account.
func (a *Actor) HasRole(role string) bool {
	return a != nil && slices.Contains(a.Roles, role)
}

// IsMeshAdmin reports whether the actor is an admin of the central account.
func (a *Actor) IsMeshAdmin() bool {
	return a != nil && a.AccountID == a.CentralAccountID && a.HasRole(RoleAdmin)
}

// IsAdminOf reports whether the actor is an admin of the given account.
func (a *Actor) IsAdminOf(accountID string) bool {
	return a != nil && a.AccountID == accountID && a.HasRole(RoleAdmin)
}

// Principal returns how the actor appears in the audit log.
func (a *Actor) Principal() string {
	if a == nil {
		return "anonymous"
	}
	return a.AccountID + "/" + a.Username
}

type actorKey struct{}

// NewContext returns ctx carrying actor.
func NewContext(ctx context.Context, actor *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorFromContext returns the actor in ctx, or nil for an anonymous call.
func ActorFromContext(ctx context.Context) *Actor {
	a, _ := ctx.Value(actorKey{}).(*Actor)
	return a
}

// SystemActor is the actor used for work the server does on its own behalf
// (bootstrap, timers, the workflow engine's built-in tasks).
func SystemActor(centralAccountID string) *Actor {
	return &Actor{Username: "system", AccountID: centralAccountID, CentralAccountID: centralAccountID, Roles: []string{RoleAdmin}}
}

// ErrSignInRequired is the error for a call that needs an actor and has none.
func ErrSignInRequired() *Error {
	return Errorf(EUNAUTHORIZED, "sign in or send an API token")
}

// RequireActor returns the actor in ctx, or EUNAUTHORIZED when nobody signed in.
func RequireActor(ctx context.Context) (*Actor, error) {
	if a := ActorFromContext(ctx); a != nil {
		return a, nil
	}
	return nil, ErrSignInRequired()
}
