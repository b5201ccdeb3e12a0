package catalog

import (
	"context"
	"fmt"
	"maps"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// DatabaseUpdate changes a database. Nil fields are left as they are; a
// non-nil Parameters map replaces all parameters (an empty map clears them).
type DatabaseUpdate struct {
	Description *string
	LocationURI *string
	Parameters  map[string]string
	// AllowLocationOverlap: see WriteOptions.
	AllowLocationOverlap bool
}

// FindDatabase returns the database named name.
// Errors: EUNAUTHORIZED, EINVALID (a malformed name), ENOTFOUND.
func (s *Service) FindDatabase(ctx context.Context, name string) (*mesh.Database, error) {
	if err := authorizeRead(mesh.ActorFromContext(ctx)); err != nil {
		return nil, err
	}
	if err := mesh.ValidateName("name", name); err != nil {
		return nil, err
	}
	return view(ctx, s.store, func(tx store.Tx) (*mesh.Database, error) {
		return tx.FindDatabase(ctx, name)
	})
}

// FindDatabases returns one page of databases matching f, in name order.
// Errors: EUNAUTHORIZED, EINVALID (a malformed owner).
func (s *Service) FindDatabases(ctx context.Context, f DatabaseFilter) ([]*mesh.Database, error) {
	if err := authorizeRead(mesh.ActorFromContext(ctx)); err != nil {
		return nil, err
	}
	if err := validateOwnerFilter(f.Owner); err != nil {
		return nil, err
	}
	f.Limit = clampLimit(f.Limit)
	return view(ctx, s.store, func(tx store.Tx) ([]*mesh.Database, error) {
		return tx.FindDatabases(ctx, f)
	})
}

// CreateDatabase creates d (its times and version are set), running the
// owner hooks in the same transaction. A producer account's admins may
// create databases only with their account as data_owner. Its location may not overlap another owner's (see
// checkLocation), and its data_owner may not be an offboarded account.
// Errors: EUNAUTHORIZED, EFORBIDDEN (also naming the owner of an overlapping
// location: then it matches ErrLocationOverlap), EINVALID naming the field, ECONFLICT if the name is taken.
func (s *Service) CreateDatabase(ctx context.Context, d *mesh.Database, opts ...WriteOptions) (*mesh.Database, error) {
	if err := validateDatabase("", d, nil); err != nil {
		return nil, err
	}
	if err := authorizeEdit(mesh.ActorFromContext(ctx), d.DataOwner()); err != nil {
		return nil, err
	}
	d = d.Clone()
	err := store.UpdateRetrying(ctx, s.store, func(tx store.Tx) error {
		if err := checkOwner(ctx, tx, "parameters."+mesh.ParamDataOwner, d.DataOwner()); err != nil {
			return err
		}
		note, err := checkLocation(ctx, tx, "location_uri", d.LocationURI, d.DataOwner(), d.Name, writeOptions(opts), setLocation)
		if err != nil {
			return err
		}
		if err := tx.CreateDatabase(ctx, d); err != nil {
			return err
		}
		if err := s.ownerChanged(ctx, tx, d.Name, "", d.DataOwner()); err != nil {
			return err
		}
		return store.Audit(ctx, tx, s.clock.Now(), "catalog.create-database", "database/"+d.Name, auditNote(ownerDetail(d.Parameters), note))
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// UpdateDatabase applies upd to the database if it is still at
// expectedVersion. Changing data_owner needs edit rights on both the old and
// the new owner, and runs the owner hooks in the same transaction. Its
// location, and on a change of data_owner its tables' locations too, may not
// overlap another owner's (see checkLocation).
// Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID naming the field (version 0 too),
// ENOTFOUND, ECONFLICT if the database changed since expectedVersion.
func (s *Service) UpdateDatabase(ctx context.Context, name string, upd DatabaseUpdate, expectedVersion int64) (*mesh.Database, error) {
	actor := mesh.ActorFromContext(ctx)
	if err := authorizeRead(actor); err != nil {
		return nil, err
	}
	if err := mesh.ValidateName("name", name); err != nil {
		return nil, err
	}
	if err := requireVersion(expectedVersion); err != nil {
		return nil, err
	}
	var out *mesh.Database
	err := store.UpdateRetrying(ctx, s.store, func(tx store.Tx) error {
		cur, err := editableDatabase(ctx, tx, actor, name)
		if err == nil && upd.Parameters != nil && upd.Parameters[mesh.ParamDataOwner] != cur.DataOwner() {
			// a change of owner holds the former owner's account, as a
			// delete does, before its hooks find the requests to hand over
			cur, err = ownerHeldDatabase(ctx, tx, actor, name)
		}
		if err != nil {
			return err
		}
		d := cur.Clone()
		if upd.Description != nil {
			d.Description = *upd.Description
		}
		if upd.LocationURI != nil {
			d.LocationURI = *upd.LocationURI
		}
		if upd.Parameters != nil {
			d.Parameters = maps.Clone(upd.Parameters)
		}
		if err := validateDatabase("", d, cur); err != nil {
			return err
		}
		if d.DataOwner() != cur.DataOwner() {
			if err := authorizeOwnerChange(actor, name, cur.DataOwner(), d.DataOwner()); err != nil {
				return err
			}
			if err := checkOwner(ctx, tx, "parameters."+mesh.ParamDataOwner, d.DataOwner()); err != nil {
				return err
			}
		}
		var note string
		opts := WriteOptions{AllowLocationOverlap: upd.AllowLocationOverlap}
		moved := mesh.LocationKey(d.LocationURI) != mesh.LocationKey(cur.LocationURI)
		if d.DataOwner() != cur.DataOwner() || moved || upd.AllowLocationOverlap {
			text := setLocation
			if !moved && d.DataOwner() != cur.DataOwner() {
				// kept, perhaps from before locations were checked: the
				// new owner would hold it
				text = passing("database "+name, d.DataOwner(), "set location_uri outside it in this update or before it")
			}
			if note, err = checkLocation(ctx, tx, "location_uri", d.LocationURI, d.DataOwner(), d.Name, opts, text); err != nil {
				return err
			}
		}
		// The owner hooks go first: they take the access lock, which a
		// delete takes before the database's row too.
		if err := s.ownerChanged(ctx, tx, name, cur.DataOwner(), d.DataOwner()); err != nil {
			return err
		}
		if err := tx.UpdateDatabase(ctx, d, expectedVersion); err != nil {
			return err
		}
		if d.DataOwner() != cur.DataOwner() {
			// Its tables pass to the new owner with it. They are read once
			// the update holds the database's row: a table write holds it
			// from its start (heldDatabase), so one that held it first has
			// committed and is read here, and one that comes after reads
			// the new owner and is checked against it.
			tables, err := checkOwnerTables(ctx, tx, "parameters."+mesh.ParamDataOwner, d, opts)
			if err != nil {
				return err
			}
			note = auditNote(note, tables)
		}
		out = d
		detail := fmt.Sprintf("version %d; %s", d.Version, ownerDetail(d.Parameters))
		if d.DataOwner() != cur.DataOwner() {
			// the former owner too: the entry that named it may have aged out
			detail += fmt.Sprintf("; data_owner changed from %s to %s", ownerOrNone(cur.DataOwner()), ownerOrNone(d.DataOwner()))
		}
		return store.Audit(ctx, tx, s.clock.Now(), "catalog.update-database", "database/"+name, auditNote(detail, note))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// authorizeOwnerChange checks, with authorizeEdit, that actor may give
// database name, which it may change, from owner old to owner new, and
// says what the update would do when it may not: a producer's admin who
// sent Glue's input without Parameters would otherwise read that only mesh
// admins may change a database without a data_owner, of one that has one.
func authorizeOwnerChange(actor *mesh.Actor, name, old, new string) error {
	if authorizeEdit(actor, new) == nil {
		return nil
	}
	field := "parameters." + mesh.ParamDataOwner
	if new == "" {
		return &mesh.Error{Code: mesh.EFORBIDDEN, Field: field, Message: fmt.Sprintf(
			"the update leaves out data_owner, which would take database %s from account %s: only mesh admins may leave a database without one (Glue's UpdateDatabase replaces all the parameters: send data_owner with them)", name, old)}
	}
	return &mesh.Error{Code: mesh.EFORBIDDEN, Field: field, Message: fmt.Sprintf(
		"the update gives database %s to account %s: only mesh admins and admins of account %s may give it a database", name, new, new)}
}

// DeleteOptions tune a deletion.
type DeleteOptions struct {
	// Force deletes a database together with its tables. Without it a
	// database that has tables is not deleted (ECONFLICT), so nothing
	// disappears by accident.
	Force bool
}

// DeleteDatabase deletes the database, running the delete hooks in the same
// transaction (for each table first when Force takes them along), then the
// owner hooks.
// Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, ECONFLICT (it has tables and
// Force is not set; Details: {"tables": n}).
func (s *Service) DeleteDatabase(ctx context.Context, name string, opts DeleteOptions) error {
	actor := mesh.ActorFromContext(ctx)
	if err := authorizeRead(actor); err != nil {
		return err
	}
	if err := mesh.ValidateName("name", name); err != nil {
		return err
	}
	// Its grants go, so PostgreSQL may abort it to break a deadlock with a
	// sharing transaction: it then runs again.
	return store.UpdateRetrying(ctx, s.store, func(tx store.Tx) error {
		cur, err := ownerHeldDatabase(ctx, tx, actor, name)
		if err != nil {
			return err
		}
		n, err := tx.CountTables(ctx, name)
		if err != nil {
			return err
		}
		if n > 0 && !opts.Force {
			return &mesh.Error{Code: mesh.ECONFLICT, Details: map[string]int{"tables": n},
				Message: fmt.Sprintf("database %q has %d tables: delete them first, or delete with force to take them along", name, n)}
		}
		if err := s.deleteWithTables(ctx, tx, name); err != nil {
			return err
		}
		if cur, err = heldDatabase(ctx, tx, actor, name); err != nil {
			return err
		}
		if err := tx.DeleteDatabase(ctx, name); err != nil {
			return err
		}
		if err := s.ownerChanged(ctx, tx, name, cur.DataOwner(), ""); err != nil {
			return err
		}
		return store.Audit(ctx, tx, s.clock.Now(), "catalog.delete-database", "database/"+name, fmt.Sprintf("with %d tables", n))
	})
}

// ownerHeldDatabase is editableDatabase for a delete or a change of
// owner, which first holds the account that owns the database
// (exclusive), as an offboarding holds its own, before its hooks find the
// open requests it ends or hands over and take the access version: a
// request being made for the database holds that account shared from its
// start, so it commits before the hooks read, and they find it then, or
// waits and then finds the database gone or handed over. An owner read as
// changed is held too, and the database read again.
func ownerHeldDatabase(ctx context.Context, tx store.Tx, actor *mesh.Actor, name string) (*mesh.Database, error) {
	held := map[string]bool{}
	for {
		d, err := editableDatabase(ctx, tx, actor, name)
		owner := ""
		if err == nil {
			owner = d.DataOwner()
		}
		if err != nil || owner == "" || held[owner] {
			return d, err
		}
		// an owner never onboarded has no requests made under it
		if err := tx.LockAccount(ctx, owner, true); err != nil && !mesh.IsCode(err, mesh.ENOTFOUND) {
			return nil, err
		}
		held[owner] = true
	}
}

// deleteWithTables runs the delete hooks for every table of a database
// about to be deleted and for the database, and audits the tables (the
// store removes their rows with the database).
func (s *Service) deleteWithTables(ctx context.Context, tx store.Tx, database string) error {
	names, err := s.Tables(ctx, tx, database)
	if err != nil {
		return err
	}
	if err := s.runDeleteHooks(ctx, tx, database, append(names, "")...); err != nil {
		return err
	}
	for _, name := range names {
		if err := store.Audit(ctx, tx, s.clock.Now(), "catalog.delete-table", "table/"+database+"/"+name, "with its database"); err != nil {
			return err
		}
	}
	return nil
}

// ownerOrNone names an owner in an audit detail.
func ownerOrNone(owner string) string {
	if owner == "" {
		return "none"
	}
	return "account " + owner
}

// ownerDetail is the audit detail of a change: who owns the resource and its flag.
func ownerDetail(p map[string]string) string {
	return fmt.Sprintf("data_owner=%q pii_flag=%q", p[mesh.ParamDataOwner], p[mesh.ParamPIIFlag])
}
