package catalog

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// WriteOptions tune a creation or an update of a database or table.
type WriteOptions struct {
	// AllowLocationOverlap lets a mesh admin give a resource a storage
	// location equal to, inside or containing the location of another
	// owner's database or table (audited). Anyone else setting it is refused.
	AllowLocationOverlap bool
}

func writeOptions(opts []WriteOptions) WriteOptions {
	if len(opts) == 0 {
		return WriteOptions{}
	}
	return opts[0]
}

// overlapText words checkLocation's refusal: what the refused location is
// (subject, which the message starts with) and how to correct it (fix,
// which ends it).
type overlapText struct{ subject, fix string }

// setLocation words the refusal of a location that a write sets.
var setLocation = overlapText{fix: " (a mesh admin may allow it with allow_location_overlap=true)"}

// passing words the refusal of a change of owner that would hand newOwner
// what, a database or a table ("table sales.orders"), at a location stored
// before the change, even before locations were checked: the change is
// refused while that location overlaps a third owner's data, which the
// new owner would then hold, and correct says how to correct it.
func passing(what, newOwner, correct string) overlapText {
	return overlapText{subject: fmt.Sprintf("%s would pass to %s: its stored ", what, ownerName(newOwner)),
		fix: ": " + correct + ", or a mesh admin may allow it with allow_location_overlap=true"}
}

// checkLocation keeps storage locations from being shadowed: engines that
// map data by location would take a consumer's database at
// s3://sales-data/, or a table inside it, for Sales' data (and its owner
// for the data's owner). A location equal to, inside or containing the
// location of a database or table of another owner (other than owner, the
// data_owner of the database concerned) is refused with EFORBIDDEN naming
// that owner, unless a mesh admin allows it; then it returns what it
// allowed, for the audit record. database is left out of the comparison
// (its own tables are the same owner's, whichever that becomes).
// Locations compare by mesh.LocationKey, on path-segment boundaries, with
// indexed lookups (store.CatalogTx.FindLocationOverlaps). text words the
// refusal: setLocation for a location the write sets, passing for one
// stored before it that a change of owner would hand over.
func checkLocation(ctx context.Context, tx store.Tx, field, location, owner, database string, opts WriteOptions, text overlapText) (string, error) {
	key := mesh.LocationKey(location)
	if key == "" {
		return "", nil
	}
	uses, err := tx.FindLocationOverlaps(ctx, store.LocationFilter{Keys: []string{key}, ExceptOwner: owner, ExceptDatabase: database, Limit: 1})
	if err != nil || len(uses) == 0 {
		return "", err
	}
	u := uses[0]
	what := "database " + u.Database
	if u.Table != "" {
		what = "table " + u.Database + "." + u.Table
	}
	other := mesh.LocationKey(u.Location)
	relation := "contains"
	switch {
	case other == key:
		relation = "is"
	case strings.HasPrefix(key, other):
		relation = "is inside"
	}
	whose := ownerName(u.Owner)
	if opts.AllowLocationOverlap {
		if a := mesh.ActorFromContext(ctx); a == nil || !a.IsMeshAdmin() {
			return "", &mesh.Error{Code: mesh.EFORBIDDEN, Field: "allow_location_overlap",
				Message: "only mesh admins may allow a location that overlaps another owner's"}
		}
		return fmt.Sprintf("location %s %s the location of %s, owned by %s: allowed by a mesh admin", location, relation, what, whose), nil
	}
	return "", locationOverlap{&mesh.Error{Code: mesh.EFORBIDDEN, Field: field,
		Message: fmt.Sprintf("%slocation %s %s the location of %s (%s), owned by %s; a location may not overlap another owner's data%s",
			text.subject, location, relation, what, u.Location, whose, text.fix),
		Details: map[string]string{"owner": u.Owner, "database": u.Database, "table": u.Table, "location": u.Location}}}
}

// ErrLocationOverlap is matched (errors.Is) by checkLocation's refusal
// (EFORBIDDEN) of a location that overlaps another owner's data: a refusal
// of the location, not of the caller, which one importing many resources
// (a platform's sync) reports and goes on. A refusal of the caller (not
// allowed to change the database, or to allow an overlap) does not match.
var ErrLocationOverlap = errors.New("the location overlaps another owner's data")

type locationOverlap struct{ err *mesh.Error }

func (e locationOverlap) Error() string        { return e.err.Error() }
func (e locationOverlap) Unwrap() error        { return e.err }
func (e locationOverlap) Is(target error) bool { return target == ErrLocationOverlap }

// checkOwner refuses a data_owner naming an account the mesh does not
// have: one never onboarded, whose product's PII requests would wait for
// approvers who do not exist until they expire, or one offboarded and not
// onboarded again, whose products would pass to whoever gets the id next.
// It holds the owner's account row (shared) until the write commits.
func checkOwner(ctx context.Context, tx store.Tx, field, owner string) error {
	if owner == "" {
		return nil
	}
	// Shared: offboarding the owner waits for this write, or this write
	// for the offboarding (see account.Service.OffboardAccount).
	err := tx.LockAccount(ctx, owner, false)
	if !mesh.IsCode(err, mesh.ENOTFOUND) {
		return err
	}
	rec, err := tx.FindOffboardedAccount(ctx, owner)
	if mesh.IsCode(err, mesh.ENOTFOUND) {
		return mesh.Invalid(field, "account %s is not onboarded in the mesh; name an onboarded account", owner)
	}
	if err != nil {
		return err
	}
	return mesh.Invalid(field, "account %s was offboarded on %s; name an onboarded account", owner, rec.OffboardedAt.Format("2006-01-02"))
}

// auditNote appends a note to an audit detail.
func auditNote(detail, note string) string {
	if note == "" {
		return detail
	}
	if detail == "" {
		return note
	}
	return detail + "; " + note
}

// checkTableLocations checks the locations of new tables of database d
// (see checkLocation) and returns the notes of what a mesh admin allowed. A
// batch is one query; only when it finds an overlap are the tables checked
// one by one, to name the first that overlaps.
func checkTableLocations(ctx context.Context, tx store.Tx, d *mesh.Database, tables []*mesh.Table, opts WriteOptions) (string, error) {
	return checkLocations(ctx, tx, d, tables, opts, func(i int) (string, overlapText) {
		if len(tables) > 1 {
			return fmt.Sprintf("tables[%d].location", i), setLocation
		}
		return "location", setLocation
	})
}

// checkLocations is checkTableLocations with the field an error names, and
// how its message is worded, given by where for the table at index i.
func checkLocations(ctx context.Context, tx store.Tx, d *mesh.Database, tables []*mesh.Table, opts WriteOptions,
	where func(i int) (field string, text overlapText)) (string, error) {
	keys := make([]string, 0, len(tables))
	for _, t := range tables {
		if k := mesh.LocationKey(t.Location); k != "" {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return "", nil
	}
	uses, err := tx.FindLocationOverlaps(ctx, store.LocationFilter{Keys: keys, ExceptOwner: d.DataOwner(), ExceptDatabase: d.Name, Limit: 1})
	if err != nil || len(uses) == 0 {
		return "", err
	}
	checked := map[string]bool{}
	var notes []string
	for i, t := range tables {
		key := mesh.LocationKey(t.Location)
		if key == "" || checked[key] {
			continue
		}
		checked[key] = true
		field, text := where(i)
		note, err := checkLocation(ctx, tx, field, t.Location, d.DataOwner(), d.Name, opts, text)
		if err != nil {
			return "", err
		}
		if note != "" {
			notes = append(notes, t.Name+": "+note)
		}
	}
	return strings.Join(notes, "; "), nil
}

// checkOwnerTables checks, when database d is given a new owner (d holds
// it, and the update giving it holds the database's row, so that a table
// write that held it before has committed and is read here), its tables'
// locations against that owner (see checkLocation): the
// tables become the new owner's, so a location inside the old owner's other
// data, fine while both were the old owner's, would now shadow it. An
// overlap is refused with EFORBIDDEN naming field and the table, unless a
// mesh admin allows it; then it returns what was allowed, for the audit
// record. (An offboarding that hands all of an account's databases to
// another needs no check: it leaves no data of the old owner to shadow.)
func checkOwnerTables(ctx context.Context, tx store.Tx, field string, d *mesh.Database, opts WriteOptions) (string, error) {
	var notes []string
	f := store.TableFilter{Database: d.Name, Limit: MaxListLimit}
	for {
		ts, err := tx.FindTables(ctx, f)
		if err != nil {
			return "", err
		}
		note, err := checkLocations(ctx, tx, d, ts, opts, func(i int) (string, overlapText) {
			return field, passing("table "+d.Name+"."+ts[i].Name, d.DataOwner(),
				"move the table's location outside it before giving the database")
		})
		if err != nil {
			return "", err
		}
		if note != "" {
			notes = append(notes, note)
		}
		if len(ts) < f.Limit {
			return strings.Join(notes, "; "), nil
		}
		f.AfterName = ts[len(ts)-1].Name
	}
}

// ownerName names an owner in messages.
func ownerName(owner string) string {
	if owner == "" {
		return "no account (the mesh admins')"
	}
	return "account " + owner
}
