package catalog

import (
	"context"

	"github.com/meshgate/meshgate/internal/store"
)

// The lookups below read the catalog inside a caller's transaction and check
// no permissions: they serve other services (access, the workflow's tasks),
// which decide permissions themselves. *Service satisfies access.Catalog.

// DatabaseOwner returns the database's data_owner ("" when it has none), or ENOTFOUND.
func (s *Service) DatabaseOwner(ctx context.Context, tx store.Tx, database string) (string, error) {
	d, err := tx.FindDatabase(ctx, database)
	if err != nil {
		return "", err
	}
	return d.DataOwner(), nil
}

// TableColumns returns the names of a table's columns and partition keys, or ENOTFOUND.
func (s *Service) TableColumns(ctx context.Context, tx store.Tx, database, table string) ([]string, error) {
	t, err := tx.FindTable(ctx, database, table)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(t.Columns)+len(t.PartitionKeys))
	for _, c := range t.Columns {
		out = append(out, c.Name)
	}
	for _, c := range t.PartitionKeys {
		out = append(out, c.Name)
	}
	return out, nil
}

// Tables returns the names of a database's tables, in name order.
func (s *Service) Tables(ctx context.Context, tx store.Tx, database string) ([]string, error) {
	var out []string
	f := store.TableFilter{Database: database, Limit: MaxListLimit}
	for {
		ts, err := tx.FindTables(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			out = append(out, t.Name)
		}
		if len(ts) < f.Limit {
			return out, nil
		}
		f.AfterName = ts[len(ts)-1].Name
	}
}

// Owners returns every database's data_owner, by database name.
func (s *Service) Owners(ctx context.Context, tx store.Tx) (map[string]string, error) {
	out := map[string]string{}
	f := store.DatabaseFilter{Limit: MaxListLimit}
	for {
		ds, err := tx.FindDatabases(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			out[d.Name] = d.DataOwner()
		}
		if len(ds) < f.Limit {
			return out, nil
		}
		f.After = ds[len(ds)-1].Name
	}
}
