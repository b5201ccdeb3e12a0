package catalog

import (
	"context"
	"fmt"
	"maps"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// OwnedDatabases returns the databases whose data_owner is accountID, in
// name order, as tx sees them.
func OwnedDatabases(ctx context.Context, tx store.Tx, accountID string) ([]*mesh.Database, error) {
	var out []*mesh.Database
	f := store.DatabaseFilter{Owner: accountID, Limit: MaxListLimit}
	for {
		ds, err := tx.FindDatabases(ctx, f)
		if err != nil {
			return nil, err
		}
		out = append(out, ds...)
		if len(ds) < f.Limit {
			return out, nil
		}
		f.After = ds[len(ds)-1].Name
	}
}

func productLine(d *mesh.Database, tables int) string {
	if tables == 1 {
		return fmt.Sprintf("database/%s: data product with 1 table", d.Name)
	}
	return fmt.Sprintf("database/%s: data product with %d tables", d.Name, tables)
}

// OffboardDependents lists the account's data products (the databases whose
// data_owner it is), one "database/NAME: ..." line each, for the account
// service's offboarding.
func (s *Service) OffboardDependents(ctx context.Context, tx store.Tx, accountID string) ([]string, error) {
	ds, err := OwnedDatabases(ctx, tx, accountID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range ds {
		n, err := tx.CountTables(ctx, d.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, productLine(d, n))
	}
	return out, nil
}

// Offboard deletes the data products of an account being offboarded, with
// their tables, running the delete hooks (so that whatever still refers to
// them ends); or, when transferTo is set, hands them to that account:
// data_owner and data_owner_name are rewritten on the database and on its
// tables that name the old owner. Each database is audited, and its change
// of owner goes through the owner hooks as any other (so that other
// replicas follow it at once, not at their next full reread of owners). It
// runs inside the account service's offboarding transaction and checks no
// permissions.
func (s *Service) Offboard(ctx context.Context, tx store.Tx, accountID, transferTo string) ([]string, error) {
	ds, err := OwnedDatabases(ctx, tx, accountID)
	if err != nil || len(ds) == 0 {
		return nil, err
	}
	reason := "account " + accountID + " was offboarded"
	var out []string
	if transferTo == "" {
		for _, d := range ds {
			n, err := tx.CountTables(ctx, d.Name)
			if err != nil {
				return nil, err
			}
			if err := s.deleteWithTables(ctx, tx, d.Name); err != nil {
				return nil, err
			}
			if err := tx.DeleteDatabase(ctx, d.Name); err != nil {
				return nil, err
			}
			if err := s.ownerChanged(ctx, tx, d.Name, accountID, ""); err != nil {
				return nil, err
			}
			if err := store.Audit(ctx, tx, s.clock.Now(), "catalog.delete-database", "database/"+d.Name,
				fmt.Sprintf("with %d tables: %s", n, reason)); err != nil {
				return nil, err
			}
			out = append(out, productLine(d, n)+": deleted")
		}
		return out, nil
	}
	to, err := tx.FindAccountByID(ctx, transferTo)
	if err != nil {
		return nil, err
	}
	// The owner hooks go first, as in UpdateDatabase, once for all the
	// databases: what they do for each (the requests of each following
	// its owner) is one statement for all.
	names := make([]string, len(ds))
	for i, d := range ds {
		names[i] = d.Name
	}
	if err := s.ownersChanged(ctx, tx, names, accountID, to.ID); err != nil {
		return nil, err
	}
	for _, d := range ds {
		d.Parameters = maps.Clone(d.Parameters)
		d.Parameters[mesh.ParamDataOwner] = to.ID
		d.Parameters[mesh.ParamDataOwnerName] = to.Name
		if err := tx.UpdateDatabase(ctx, d, d.Version); err != nil {
			return nil, err
		}
		detail := fmt.Sprintf("data_owner %s → %s: %s", accountID, to.ID, reason)
		if err := store.Audit(ctx, tx, s.clock.Now(), "catalog.transfer-database", "database/"+d.Name, detail); err != nil {
			return nil, err
		}
		n, err := s.transferTables(ctx, tx, d.Name, accountID, to)
		if err != nil {
			return nil, err
		}
		out = append(out, productLine(d, n)+": handed to account "+to.ID)
	}
	return out, nil
}

// transferTables rewrites the data_owner of the database's tables that name
// the old owner, and returns how many tables the database has.
func (s *Service) transferTables(ctx context.Context, tx store.Tx, database, from string, to *mesh.Account) (int, error) {
	n := 0
	f := store.TableFilter{Database: database, Limit: MaxListLimit}
	for {
		ts, err := tx.FindTables(ctx, f)
		if err != nil {
			return 0, err
		}
		n += len(ts)
		for _, t := range ts {
			if t.DataOwner() != from {
				continue
			}
			t.Parameters = maps.Clone(t.Parameters)
			t.Parameters[mesh.ParamDataOwner] = to.ID
			if _, ok := t.Parameters[mesh.ParamDataOwnerName]; ok {
				t.Parameters[mesh.ParamDataOwnerName] = to.Name
			}
			if err := tx.UpdateTable(ctx, t, t.Version); err != nil {
				return 0, err
			}
			if err := store.Audit(ctx, tx, s.clock.Now(), "catalog.transfer-table", "table/"+database+"/"+t.Name,
				fmt.Sprintf("data_owner %s → %s", from, to.ID)); err != nil {
				return 0, err
			}
		}
		if len(ts) < f.Limit {
			return n, nil
		}
		f.AfterDatabase, f.AfterName = ts[len(ts)-1].DatabaseName, ts[len(ts)-1].Name
	}
}
