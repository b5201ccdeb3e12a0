package access

import (
	"context"
	"slices"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// ListLinks returns an account's resource links (every account's for a mesh
// admin asking with accountID empty).
// Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND (account).
func (s *Service) ListLinks(ctx context.Context, accountID string) ([]*mesh.ResourceLink, error) {
	a, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	if accountID, err = listedAccount(a, accountID, "resource links"); err != nil {
		return nil, err
	}
	var out []*mesh.ResourceLink
	err = s.store.View(ctx, func(tx store.Tx) (err error) {
		if accountID != "" {
			// an unknown account is not found, as reading it is, not one without links
			if _, err := s.accounts.AccountOrganization(ctx, tx, accountID); err != nil {
				return err
			}
		}
		out, err = tx.FindResourceLinks(ctx, accountID, 0)
		return err
	})
	if out == nil {
		out = []*mesh.ResourceLink{}
	}
	return out, err
}

// LinkedTable is a table seen through a resource link: the columns the
// account may select (all of them when the share gives SELECT on the whole
// table), or, when it holds only DESCRIBE, every column.
type LinkedTable struct {
	Database string   `json:"database"`
	Name     string   `json:"name"`
	Columns  []string `json:"columns"`
}

// LinkTables lists the tables a resource link shows, resolved through the
// catalog now: tables and columns the producer adds show through at once,
// within what the account's grants cover. Errors: EUNAUTHORIZED, ENOTFOUND, EFORBIDDEN.
func (s *Service) LinkTables(ctx context.Context, accountID, name string) ([]LinkedTable, error) {
	a, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	if accountID != a.AccountID && !a.IsMeshAdmin() {
		return nil, mesh.Errorf(mesh.EFORBIDDEN, "you may read only your own account's resource links")
	}
	acct := mesh.Principal(accountID)
	out := []LinkedTable{}
	err = s.store.View(ctx, func(tx store.Tx) error {
		l, err := tx.FindResourceLink(ctx, accountID, name)
		if err != nil {
			return err
		}
		tables := []string{l.Table}
		if l.Table == "" {
			if tables, err = s.catalog.Tables(ctx, tx, l.Database); err != nil {
				return err
			}
		}
		for _, t := range tables {
			r := mesh.Resource{Database: l.Database, Table: t}
			if !s.index.Allowed(acct, mesh.PermDescribe, r).Allowed {
				continue
			}
			cols, err := s.catalog.TableColumns(ctx, tx, l.Database, t)
			if mesh.IsCode(err, mesh.ENOTFOUND) {
				continue // deleted meanwhile
			}
			if err != nil {
				return err
			}
			var visible []string
			for _, c := range cols {
				r.Columns = []string{c}
				if s.index.Allowed(acct, mesh.PermSelect, r).Allowed {
					visible = append(visible, c)
				}
			}
			if visible == nil {
				visible = slices.Clone(cols)
			}
			out = append(out, LinkedTable{Database: l.Database, Name: t, Columns: visible})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
