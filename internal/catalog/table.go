package catalog

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// TableUpdate changes a table. Nil fields are left as they are; a non-nil
// map or slice replaces the whole field (empty clears it).
type TableUpdate struct {
	Description   *string
	TableType     *string
	Location      *string
	Format        *mesh.StorageFormat
	Parameters    map[string]string
	Columns       []mesh.Column
	PartitionKeys []mesh.Column
	// AllowLocationOverlap: see WriteOptions.
	AllowLocationOverlap bool
}

// FindTable returns the table database.name.
// Errors: EUNAUTHORIZED, EINVALID (a malformed name), ENOTFOUND.
func (s *Service) FindTable(ctx context.Context, database, name string) (*mesh.Table, error) {
	if err := authorizeRead(mesh.ActorFromContext(ctx)); err != nil {
		return nil, err
	}
	if err := validateTableName(database, name); err != nil {
		return nil, err
	}
	return view(ctx, s.store, func(tx store.Tx) (*mesh.Table, error) {
		return tx.FindTable(ctx, database, name)
	})
}

// validateTableName checks the names that identify a table.
func validateTableName(database, name string) error {
	if err := mesh.ValidateName("database_name", database); err != nil {
		return err
	}
	return mesh.ValidateName("name", name)
}

// FindTables returns one page of tables matching f, in (database, name)
// order. When f.Database is set and the database does not exist, ENOTFOUND;
// a malformed f.Database is bad input, as for FindDatabase, not a missing
// database.
// Errors: EUNAUTHORIZED, EINVALID (a malformed database or owner), ENOTFOUND.
func (s *Service) FindTables(ctx context.Context, f TableFilter) ([]*mesh.Table, error) {
	if err := authorizeRead(mesh.ActorFromContext(ctx)); err != nil {
		return nil, err
	}
	if f.Database != "" {
		if err := mesh.ValidateName("database", f.Database); err != nil {
			return nil, err
		}
	}
	if err := validateOwnerFilter(f.Owner); err != nil {
		return nil, err
	}
	f.Limit = clampLimit(f.Limit)
	return view(ctx, s.store, func(tx store.Tx) ([]*mesh.Table, error) {
		if f.Database != "" {
			if _, err := tx.FindDatabase(ctx, f.Database); err != nil {
				return nil, err
			}
		}
		return tx.FindTables(ctx, f)
	})
}

// CreateTable creates t in its database (t.DatabaseName). Its location may
// not overlap another owner's (see checkLocation).
// Errors: EUNAUTHORIZED, EFORBIDDEN (also naming the owner of an overlapping
// location: then it matches ErrLocationOverlap), EINVALID naming the field, ENOTFOUND (no such database),
// ECONFLICT (the name is taken).
func (s *Service) CreateTable(ctx context.Context, t *mesh.Table, opts ...WriteOptions) (*mesh.Table, error) {
	ts, err := s.CreateTables(ctx, t.DatabaseName, []*mesh.Table{t}, opts...)
	if err != nil {
		return nil, err
	}
	return ts[0], nil
}

// CreateTables creates several tables of one database in one transaction:
// all of them or, on any error, none. Field paths in errors start with
// "tables[i]." when there is more than one table.
// Errors: as CreateTable; EINVALID when more than MaxBatch tables are given.
func (s *Service) CreateTables(ctx context.Context, database string, tables []*mesh.Table, opts ...WriteOptions) ([]*mesh.Table, error) {
	actor := mesh.ActorFromContext(ctx)
	if err := authorizeRead(actor); err != nil {
		return nil, err
	}
	if err := mesh.ValidateName("database_name", database); err != nil {
		return nil, err
	}
	if len(tables) == 0 {
		return nil, mesh.Invalid("tables", "is empty")
	}
	if len(tables) > MaxBatch {
		return nil, mesh.Invalid("tables", "has %d tables, more than %d", len(tables), MaxBatch)
	}
	out := make([]*mesh.Table, len(tables))
	names := make(map[string]int, len(tables))
	for i, t := range tables {
		prefix := ""
		if len(tables) > 1 {
			prefix = fmt.Sprintf("tables[%d].", i)
		}
		if t.DatabaseName != "" && t.DatabaseName != database {
			return nil, mesh.Invalid(prefix+"database_name", "is %q, not the database %q it is created in", t.DatabaseName, database)
		}
		if err := validateTable(prefix, t, nil); err != nil {
			return nil, err
		}
		if j, dup := names[t.Name]; dup {
			return nil, mesh.Invalid(prefix+"name", "table %q is also tables[%d]", t.Name, j)
		}
		names[t.Name] = i
		out[i] = t.Clone()
		out[i].DatabaseName = database
	}
	err := store.UpdateRetrying(ctx, s.store, func(tx store.Tx) error {
		d, err := heldDatabase(ctx, tx, actor, database)
		if err != nil {
			return err
		}
		notes, err := checkTableLocations(ctx, tx, d, out, writeOptions(opts))
		if err != nil {
			return err
		}
		if err := tx.CreateTables(ctx, database, out); err != nil {
			return err
		}
		if len(out) == 1 {
			return store.Audit(ctx, tx, s.clock.Now(), "catalog.create-table", "table/"+database+"/"+out[0].Name, auditNote(piiDetail(out[0]), notes))
		}
		// One call, one audit entry: the batch, naming its tables.
		return store.Audit(ctx, tx, s.clock.Now(), "catalog.create-tables", "database/"+database, auditNote(batchDetail(out), notes))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateTable applies upd to the table if it is still at expectedVersion.
// Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID naming the field (version 0
// too), ENOTFOUND, ECONFLICT if the table changed since expectedVersion.
func (s *Service) UpdateTable(ctx context.Context, database, name string, upd TableUpdate, expectedVersion int64) (*mesh.Table, error) {
	actor := mesh.ActorFromContext(ctx)
	if err := authorizeRead(actor); err != nil {
		return nil, err
	}
	if err := validateTableName(database, name); err != nil {
		return nil, err
	}
	if err := requireVersion(expectedVersion); err != nil {
		return nil, err
	}
	var out *mesh.Table
	err := store.UpdateRetrying(ctx, s.store, func(tx store.Tx) error {
		d, err := heldDatabase(ctx, tx, actor, database)
		if err != nil {
			return err
		}
		cur, err := tx.FindTable(ctx, database, name)
		if err != nil {
			return err
		}
		t := applyTableUpdate(cur, upd)
		if err := validateTable("", t, cur); err != nil {
			return err
		}
		var note string
		if mesh.LocationKey(t.Location) != mesh.LocationKey(cur.Location) || upd.AllowLocationOverlap {
			if note, err = checkLocation(ctx, tx, "location", t.Location, d.DataOwner(), database,
				WriteOptions{AllowLocationOverlap: upd.AllowLocationOverlap}, setLocation); err != nil {
				return err
			}
		}
		if err := tx.UpdateTable(ctx, t, expectedVersion); err != nil {
			return err
		}
		out = t
		return store.Audit(ctx, tx, s.clock.Now(), "catalog.update-table", "table/"+database+"/"+name,
			auditNote(fmt.Sprintf("version %d; %s", t.Version, piiDetail(t)), note))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func applyTableUpdate(cur *mesh.Table, upd TableUpdate) *mesh.Table {
	t := cur.Clone()
	if upd.Description != nil {
		t.Description = *upd.Description
	}
	if upd.TableType != nil {
		t.TableType = *upd.TableType
	}
	if upd.Location != nil {
		t.Location = *upd.Location
	}
	if upd.Format != nil {
		t.Format = *upd.Format
		t.Format.SerDe.Parameters = maps.Clone(upd.Format.SerDe.Parameters)
	}
	if upd.Parameters != nil {
		t.Parameters = maps.Clone(upd.Parameters)
	}
	if upd.Columns != nil {
		t.Columns = mesh.CloneColumns(upd.Columns)
	}
	if upd.PartitionKeys != nil {
		t.PartitionKeys = mesh.CloneColumns(upd.PartitionKeys)
	}
	return t
}

// DeleteTable deletes the table, running the delete hooks in the same transaction.
// Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID, ENOTFOUND.
func (s *Service) DeleteTable(ctx context.Context, database, name string) error {
	actor := mesh.ActorFromContext(ctx)
	if err := authorizeRead(actor); err != nil {
		return err
	}
	if err := validateTableName(database, name); err != nil {
		return err
	}
	// Its grants go, so PostgreSQL may abort it to break a deadlock with a
	// sharing transaction: it then runs again.
	return store.UpdateRetrying(ctx, s.store, func(tx store.Tx) error {
		if _, err := editableDatabase(ctx, tx, actor, database); err != nil {
			return err
		}
		if _, err := tx.FindTable(ctx, database, name); err != nil {
			return err
		}
		if err := s.runDeleteHooks(ctx, tx, database, name); err != nil {
			return err
		}
		if _, err := heldDatabase(ctx, tx, actor, database); err != nil {
			return err
		}
		if err := tx.DeleteTable(ctx, database, name); err != nil {
			return err
		}
		return store.Audit(ctx, tx, s.clock.Now(), "catalog.delete-table", "table/"+database+"/"+name, "")
	})
}

// piiDetail is the audit detail of a table change: its personal-data columns.
func piiDetail(t *mesh.Table) string {
	return fmt.Sprintf("pii_flag=%q pii_columns=%v", t.Parameters[mesh.ParamPIIFlag], t.PIIColumns())
}

// batchDetail is the audit detail of a batch creation: how many tables, and
// their names (shortened past a few kilobytes).
func batchDetail(ts []*mesh.Table) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d tables:", len(ts))
	for _, t := range ts {
		if b.Len() > 4000 {
			b.WriteString(" …")
			break
		}
		b.WriteString(" " + t.Name)
	}
	return b.String()
}
