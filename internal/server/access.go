package server

import (
	"context"

	"github.com/meshgate/meshgate/internal/access"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// newAccess builds the access service, registers its hooks with the services
// whose deletions it follows, and adds its refresh loop to the background work.
func (s *Server) newAccess(ctx context.Context) error {
	s.Access = access.NewService(s.Store, s.cfg.Clock, access.Config{
		CentralAccountID: s.cfg.CentralAccountID,
		Organization:     s.cfg.Organization,
		InvitationTTL:    s.cfg.InvitationTTL,
	}, emptyCatalog{}, noAccounts{})
	s.background = append(s.background, s.Access)
	return s.Access.Load(ctx)
}

// emptyCatalog and noAccounts stand in until the catalog and accounts land.
type emptyCatalog struct{}

func (emptyCatalog) DatabaseOwner(_ context.Context, _ store.Tx, db string) (string, error) {
	return "", mesh.NotFound("database", db)
}
func (emptyCatalog) TableColumns(_ context.Context, _ store.Tx, db, t string) ([]string, error) {
	return nil, mesh.NotFound("table", db+"."+t)
}
func (emptyCatalog) Tables(_ context.Context, _ store.Tx, db string) ([]string, error) {
	return nil, mesh.NotFound("database", db)
}
func (emptyCatalog) Owners(context.Context, store.Tx) (map[string]string, error) { return nil, nil }

type noAccounts struct{}

func (noAccounts) AccountOrganization(_ context.Context, _ store.Tx, id string) (string, error) {
	return "", mesh.NotFound("account", id)
}
func (noAccounts) CheckUser(_ context.Context, _ store.Tx, id, u string) error {
	return mesh.NotFound("user", id+"/"+u)
}
