package server

import (
	"context"

	"github.com/meshgate/meshgate/internal/access"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// newAccess builds the access service and adds its refresh loop to the
// background work.
func (s *Server) newAccess(ctx context.Context) error {
	s.Access = access.NewService(s.Store, s.cfg.Clock, access.Config{
		CentralAccountID: s.cfg.CentralAccountID,
		Organization:     s.cfg.Organization,
		InvitationTTL:    s.cfg.InvitationTTL,
	}, s.Catalog, accessAccounts{})
	s.background = append(s.background, s.Access)
	return s.Access.Load(ctx)
}

// followChanges registers the sharing and access services with the
// services whose changes they follow, in the transactions of those
// changes. The sharing service's hooks run first: they lock the executions
// of open requests before the access hooks lock the access version, the
// order the workflow's tasks take them in.
func (s *Server) followChanges() {
	s.Catalog.OnDelete(s.Sharing.OnCatalogDelete)
	s.Catalog.OnDelete(s.Access.OnCatalogDelete)
	s.Catalog.OnOwnerChange(s.Sharing.OnOwnerChange)
	s.Catalog.OnOwnerChange(s.Access.OnOwnerChange)
	// A deleted user's grants end with it: a user given its name later
	// would otherwise hold them.
	s.Auth.OnDeleteUser(s.Access.OnUserDelete)
	// Offboarding lists the account's products, then what access holds of
	// it; it ends the open requests, then the grants, shares, invitations
	// and links, then deletes or hands over the products.
	s.Accounts.RegisterDependents(s.Catalog.OffboardDependents)
	s.Accounts.RegisterDependents(s.Access.OffboardDependents)
	s.Accounts.RegisterCleanup(s.Sharing.Offboard)
	s.Accounts.RegisterCleanup(s.Access.Offboard)
	s.Accounts.RegisterCleanup(s.Catalog.Offboard)
}

// accessAccounts reads accounts and users for the access service.
type accessAccounts struct{}

// AccountOrganization returns an account's organization, or ENOTFOUND.
func (accessAccounts) AccountOrganization(ctx context.Context, tx store.Tx, id string) (string, error) {
	a, err := tx.FindAccountByID(ctx, id)
	if err != nil {
		return "", err
	}
	return a.Organization, nil
}

// CheckUser returns ENOTFOUND unless the account has the user.
func (accessAccounts) CheckUser(ctx context.Context, tx store.Tx, id, username string) error {
	u, _, err := tx.FindUserByUsername(ctx, username)
	if err != nil {
		return err
	}
	if u.AccountID != id {
		return mesh.NotFound("user", id+"/"+username)
	}
	return nil
}
