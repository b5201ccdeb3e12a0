package platform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/meshgate/meshgate/internal/catalog"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// SyncReport says what a sync added, changed and dropped in the catalog.
// Dropping a table or database that had grants names the grants it ended.
// Refused names each database and table the catalog refused, with its
// reason ("table warehouse-sales.wide: columns: has 1200 columns …").
type SyncReport struct {
	Platform    string   `json:"platform"`
	Added       []string `json:"added"`
	Changed     []string `json:"changed"`
	Dropped     []string `json:"dropped"`
	EndedGrants []string `json:"ended_grants"`
	Refused     []string `json:"refused"`
}

// Sync imports the platform's schemas into the catalog through the catalog
// service: a schema becomes a database owned by the platform's account, its
// tables and columns with their types and comments, each made one line
// (oneLine), as the locations naming them. Parameters set in meshgate (a column's pii_flag) survive. A
// table gone from the platform is deleted from the catalog, and the grants
// on it end, each with its reason. Database-wide grants then reach the
// tables that appeared.
//
// A table the catalog refuses (EINVALID: more columns than it holds, a
// comment too long; or a location overlapping another owner's data,
// catalog.ErrLocationOverlap) does not stop the others: the report and the audit
// entry name it with the catalog's reason, and it stays as the catalog
// holds it, absent if new, as the last sync left it if not, together with
// the platform objects that say what grants on it reach, so that a grant
// never reaches a column the catalog does not show. A schema whose
// database the catalog refuses is reported alike: if new, none of its
// tables are imported; if not, its description stays and its tables are
// synced. The sync calls the catalog as a mesh admin, whom it never
// refuses, so it refuses itself a database that is not the platform's
// account's (there first under that name, or given to another account by
// a mesh admin): it is reported, with its owner, and left as it is, none
// of its tables created, changed or dropped, not deleted when the schema
// goes, and nothing of it queued for the platform. Any other error stops
// the sync where it is, what it did before staying done, and the next
// sync takes up from there.
// Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, EINVALID (the platform
// refused), ECONFLICT (the platform's account was offboarded).
func (s *Service) Sync(ctx context.Context, name string) (*SyncReport, error) {
	if _, err := requireMeshAdmin(ctx); err != nil {
		return nil, err
	}
	var rec *store.PlatformRecord
	var known []string
	err := s.store.View(ctx, func(tx store.Tx) (err error) {
		if rec, err = tx.FindPlatform(ctx, name); err != nil {
			return err
		}
		if err := checkAccount(ctx, tx, rec); err != nil {
			return err
		}
		known, err = platformDatabases(ctx, tx, rec.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	found, err := s.inspect(ctx, rec)
	if err != nil {
		return nil, err
	}
	rep := &SyncReport{Platform: name, Added: []string{}, Changed: []string{}, Dropped: []string{}, EndedGrants: []string{}, Refused: []string{}}
	seen := map[string]bool{}
	var imported []string // the databases whose platform objects the sync wrote
	for _, sch := range found {
		db := databaseName(rec.Name, sch.Name)
		seen[db] = true
		ok, err := s.syncSchema(ctx, rec, db, sch, rep)
		if err != nil {
			return rep, err
		}
		if ok {
			imported = append(imported, db)
		}
	}
	for _, db := range known {
		if seen[db] {
			continue
		}
		d, err := s.catalog.FindDatabase(ctx, db)
		if err != nil && !mesh.IsCode(err, mesh.ENOTFOUND) {
			return rep, err
		}
		if err == nil && d.DataOwner() != rec.AccountID {
			rep.Refused = append(rep.Refused, notOwned(db, d, rec.AccountID))
			continue
		}
		if err := s.noteEnded(ctx, db, "", rep); err != nil {
			return rep, err
		}
		if err := s.catalog.DeleteDatabase(ctx, db, catalog.DeleteOptions{Force: true}); err != nil && !mesh.IsCode(err, mesh.ENOTFOUND) {
			return rep, err
		}
		if err := s.store.Update(ctx, func(tx store.Tx) error { return tx.DeletePlatformObject(ctx, db, "", "") }); err != nil {
			return rep, err
		}
		rep.Dropped = append(rep.Dropped, "database "+db)
	}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		for _, db := range imported {
			if err := tx.EnqueuePlatformChange(ctx, &store.PlatformChange{PlatformID: rec.ID, Database: db, CreatedAt: s.clock.Now()}); err != nil {
				return err
			}
		}
		detail := fmt.Sprintf("added %d, changed %d, dropped %d, ended %d grants", len(rep.Added), len(rep.Changed), len(rep.Dropped), len(rep.EndedGrants))
		if len(rep.Refused) > 0 {
			detail += fmt.Sprintf("; refused %d: %s", len(rep.Refused), strings.Join(rep.Refused, "; "))
		}
		return store.Audit(ctx, tx, s.clock.Now(), "platform.sync", "platform/"+name, detail)
	})
	if err != nil {
		return rep, err
	}
	s.Wake()
	return rep, nil
}

// syncSchema imports one schema as catalog database db; what the catalog
// refuses is reported (see Sync). It reports whether it wrote the schema's
// platform objects: not if db is refused, being new, or is another
// account's (or no account's), which it reports and leaves as it is.
func (s *Service) syncSchema(ctx context.Context, rec *store.PlatformRecord, db string, sch Schema, rep *SyncReport) (bool, error) {
	// A schema's or table's name may hold a line break too: the location
	// that names it is made one line alike.
	loc := oneLine(rec.Kind + "://" + rec.Name + "/" + sch.Name)
	comment := oneLine(sch.Comment)
	d, err := s.catalog.FindDatabase(ctx, db)
	switch {
	case mesh.IsCode(err, mesh.ENOTFOUND):
		_, err := s.catalog.CreateDatabase(ctx, &mesh.Database{Name: db, Description: comment, LocationURI: loc,
			Parameters: map[string]string{mesh.ParamDataOwner: rec.AccountID}})
		if err != nil {
			return false, rep.refuse("database "+db, err) // its tables have nowhere to go
		}
		rep.Added = append(rep.Added, "database "+db)
	case err != nil:
		return false, err
	case d.DataOwner() != rec.AccountID:
		// The catalog does not refuse the sync, a mesh admin's, writing
		// into another account's data product: the sync refuses itself.
		rep.Refused = append(rep.Refused, notOwned(db, d, rec.AccountID))
		return false, nil
	case d.Description != comment:
		_, err := s.catalog.UpdateDatabase(ctx, db, catalog.DatabaseUpdate{Description: &comment}, d.Version)
		if err != nil {
			if err := rep.refuse("database "+db, err); err != nil {
				return false, err
			}
		} else {
			rep.Changed = append(rep.Changed, "database "+db)
		}
	}
	existing := map[string]*mesh.Table{}
	f := catalog.TableFilter{Database: db, Limit: 1000}
	for {
		ts, err := s.catalog.FindTables(ctx, f)
		if err != nil {
			return false, err
		}
		for _, t := range ts {
			existing[t.Name] = t
		}
		if len(ts) < f.Limit {
			break
		}
		f.AfterDatabase, f.AfterName = db, ts[len(ts)-1].Name
	}
	objs := []store.PlatformObject{{PlatformID: rec.ID, Database: db, NativeSchema: sch.Name}}
	var create []*mesh.Table
	onPlatform := map[string]bool{}
	refused := map[string]bool{} // tables the catalog refused
	for _, t := range sch.Tables {
		name := catalogName(t.Name)
		onPlatform[name] = true
		objs = append(objs, store.PlatformObject{PlatformID: rec.ID, Database: db, Table: name, NativeSchema: sch.Name, NativeTable: t.Name})
		old := existing[name]
		desc := oneLine(t.Comment)
		cols := make([]mesh.Column, len(t.Columns))
		for i, c := range t.Columns {
			cn := catalogName(c.Name)
			cols[i] = mesh.Column{Name: cn, Type: oneLine(c.Type), Comment: oneLine(c.Comment)}
			if old != nil {
				for _, oc := range old.Columns {
					if oc.Name == cn {
						cols[i].Parameters = maps.Clone(oc.Parameters) // meshgate's own parameters stay
					}
				}
			}
			objs = append(objs, store.PlatformObject{PlatformID: rec.ID, Database: db, Table: name, Column: cn, NativeSchema: sch.Name, NativeTable: t.Name, NativeColumn: c.Name})
		}
		if old == nil {
			create = append(create, &mesh.Table{DatabaseName: db, Name: name, Description: desc, Location: oneLine(loc + "/" + t.Name), Columns: cols})
			continue
		}
		if old.Description == desc && sameColumns(old.Columns, cols) {
			continue
		}
		if _, err := s.catalog.UpdateTable(ctx, db, name, catalog.TableUpdate{Description: &desc, Columns: cols}, old.Version); err != nil {
			if err := rep.refuse("table "+db+"."+name, err); err != nil {
				return false, err
			}
			refused[name] = true
			continue
		}
		rep.Changed = append(rep.Changed, "table "+db+"."+name)
	}
	for i := 0; i < len(create); i += 500 {
		if err := s.createTables(ctx, db, create[i:min(i+500, len(create))], refused, rep); err != nil {
			return false, err
		}
	}
	for name := range existing {
		if onPlatform[name] {
			continue
		}
		if err := s.noteEnded(ctx, db, name, rep); err != nil {
			return false, err
		}
		if err := s.catalog.DeleteTable(ctx, db, name); err != nil && !mesh.IsCode(err, mesh.ENOTFOUND) {
			return false, err
		}
		rep.Dropped = append(rep.Dropped, "table "+db+"."+name)
	}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		put := objs
		if len(refused) > 0 {
			// A refused table keeps the objects of what the catalog holds
			// of it (none if it is new), not the platform's.
			stored, err := tx.FindPlatformObjects(ctx, rec.ID, db)
			if err != nil {
				return err
			}
			put = slices.DeleteFunc(slices.Clone(objs), func(o store.PlatformObject) bool { return refused[o.Table] })
			for _, o := range stored {
				if refused[o.Table] {
					put = append(put, o)
				}
			}
		}
		if err := tx.DeletePlatformObject(ctx, db, "", ""); err != nil {
			return err
		}
		for _, o := range put {
			if err := tx.PutPlatformObject(ctx, o); err != nil {
				return err
			}
		}
		return nil
	})
	return err == nil, err
}

// createTables creates a batch of new tables in db. If the catalog refuses
// the batch, it creates them one at a time, to import all but the tables
// it refuses, which it records in refused and the report.
func (s *Service) createTables(ctx context.Context, db string, batch []*mesh.Table, refused map[string]bool, rep *SyncReport) error {
	_, err := s.catalog.CreateTables(ctx, db, batch)
	if err == nil {
		for _, t := range batch {
			rep.Added = append(rep.Added, "table "+db+"."+t.Name)
		}
		return nil
	}
	if !refusedByCatalog(err) {
		return err
	}
	for _, t := range batch {
		if _, err := s.catalog.CreateTables(ctx, db, []*mesh.Table{t}); err != nil {
			if err := rep.refuse("table "+db+"."+t.Name, err); err != nil {
				return err
			}
			refused[t.Name] = true
			continue
		}
		rep.Added = append(rep.Added, "table "+db+"."+t.Name)
	}
	return nil
}

// notOwned is the report's refusal of database db, which the catalog
// holds as d, for being another account's (or no account's) than account,
// the platform's: the sync leaves it as it is.
func notOwned(db string, d *mesh.Database, account string) string {
	owner := "has no data_owner"
	if o := d.DataOwner(); o != "" {
		owner = "is account " + o + "'s"
	}
	return fmt.Sprintf("database %s: data_owner: %s, not the platform's account %s: the sync leaves it and its tables as they are; "+
		"rename the schema on the platform, or have a mesh admin give the database back to account %s", db, owner, account, account)
}

// refuse records in the report that the catalog refused what ("table
// db.name") if err is such a refusal (refusedByCatalog), with the field
// and the reason it gives, and returns nil; it returns any other error as
// it is.
func (rep *SyncReport) refuse(what string, err error) error {
	var me *mesh.Error
	if !refusedByCatalog(err) || !errors.As(err, &me) {
		return err
	}
	reason := me.Message
	if me.Field != "" {
		reason = me.Field + ": " + reason
	}
	rep.Refused = append(rep.Refused, what+": "+reason)
	return nil
}

// refusedByCatalog reports whether err is the catalog's refusal of what
// the sync imports, not of the sync: EINVALID, or a location overlapping
// another owner's data (catalog.ErrLocationOverlap). Any other EFORBIDDEN
// refuses the caller, and fails the sync.
func refusedByCatalog(err error) bool {
	return mesh.IsCode(err, mesh.EINVALID) || errors.Is(err, catalog.ErrLocationOverlap)
}

// noteEnded records in the report the grants that dropping a table (or a
// whole database, table "") ends.
func (s *Service) noteEnded(ctx context.Context, db, table string, rep *SyncReport) error {
	return s.store.View(ctx, func(tx store.Tx) error {
		gs, err := tx.FindGrants(ctx, store.GrantFilter{Database: db, Table: table})
		for _, g := range gs {
			if table != "" && g.Resource.Table != table {
				continue
			}
			rep.EndedGrants = append(rep.EndedGrants, fmt.Sprintf("grant/%d: %s %s on %s (dropped on the platform)", g.ID, g.Principal, g.Permissions, g.Resource))
		}
		return err
	})
}

func sameColumns(a, b []mesh.Column) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].Type != b[i].Type || a[i].Comment != b[i].Comment {
			return false
		}
	}
	return true
}

// oneLine makes text imported from a platform one line, as the catalog
// holds it: each run of control characters (line breaks, tabs, NUL, DEL,
// C1), with the spaces around it, becomes one space, and none is left at
// either end. A platform's comments are often written over several lines,
// indented with tabs: the catalog refuses the line breaks
// (mesh.CheckSingleLine), and a tab it takes is, once the lines are
// joined, the rest of an indent: "first line\n\tsecond" becomes "first
// line second". Text without control characters is kept as it is, its
// spaces included, so that what a sync imported before stays unchanged;
// bytes that are not UTF-8 are kept too, for the catalog to refuse.
func oneLine(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r != ' ' && !unicode.IsControl(r) {
			b.WriteString(s[i : i+n])
			i += n
			continue
		}
		j, control := i, false
		for j < len(s) {
			r, n := utf8.DecodeRuneInString(s[j:])
			if r != ' ' && !unicode.IsControl(r) {
				break
			}
			control = control || r != ' '
			j += n
		}
		switch {
		case !control:
			b.WriteString(s[i:j])
		case i > 0 && j < len(s):
			b.WriteByte(' ')
		}
		i = j
	}
	return b.String()
}

// inspect reads the schemas of platform rec, giving it as long as an apply
// (ApplyTimeout) to connect and answer: a platform that hangs fails the
// sync, naming the limit, instead of holding it for as long as it hangs.
func (s *Service) inspect(ctx context.Context, rec *store.PlatformRecord) ([]Schema, error) {
	ictx, cancel := context.WithTimeout(ctx, s.cfg.ApplyTimeout)
	defer cancel()
	hung := func(err error) string {
		if ctx.Err() == nil && errors.Is(ictx.Err(), context.DeadlineExceeded) {
			return fmt.Sprintf("platform %s did not answer within %s: %s", rec.Name, s.cfg.ApplyTimeout, err)
		}
		return err.Error()
	}
	c, err := s.conn(ictx, rec)
	if err != nil {
		return nil, mesh.Errorf(mesh.EINVALID, "%s", hung(err))
	}
	var schemas []string
	_ = json.Unmarshal([]byte(rec.Schemas), &schemas)
	found, err := c.Inspect(ictx, schemas)
	if err != nil {
		s.dropConn(rec.ID)
		return nil, mesh.Errorf(mesh.EINVALID, "read platform %s: %s", rec.Name, hung(err))
	}
	return found, nil
}

// checkAccount refuses to sync platform rec once its account is
// offboarded, with ECONFLICT: every database the sync would create names
// it as data_owner, which the catalog refuses, and those the offboarding
// handed to another account are no longer the platform's to write, so a
// sync could only report each schema as refused. The platform stays
// registered; removing it and registering it again under an onboarded
// account lets its schemas be imported.
func checkAccount(ctx context.Context, tx store.Tx, rec *store.PlatformRecord) error {
	_, err := tx.FindAccountByID(ctx, rec.AccountID)
	if !mesh.IsCode(err, mesh.ENOTFOUND) {
		return err
	}
	off, ferr := tx.FindOffboardedAccount(ctx, rec.AccountID)
	if ferr != nil {
		return err
	}
	return mesh.Errorf(mesh.ECONFLICT, "platform %s's account %s was offboarded on %s: nothing of it can be imported; remove the platform and register it again under an onboarded account",
		rec.Name, rec.AccountID, off.OffboardedAt.Format("2006-01-02"))
}
