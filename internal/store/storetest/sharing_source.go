package storetest

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// OldSharingGrants are the grants CreateOldSharingGrants made as the
// data-sharing workflow and the owner's admins left them before the
// workflow's grants had a source of their own, by table of database sales
// granted to account 333344445555, and the requests shared through them.
type OldSharingGrants struct {
	Grants   map[string]int64 // by table
	Requests map[string]int64 // by table, the request shared through its grant
	// Newer is the request shared since, under @sharing, on table stock.
	Newer int64
}

// CreateOldSharingGrants makes in s, through the store, what each store's
// migration test then migrates again: grants with the owner's empty source
// on tables of database sales, each with a request shared through it:
//   - orders: the workflow's alone (SELECT and DESCRIBE, with grant option,
//     made after its request, written last by the system actor);
//   - customers: granted by hand before its request was asked for, which
//     the workflow then widened (its grant option);
//   - campaigns: holding INSERT, which no request asks for;
//   - items: the workflow's shape, but granted by hand as the audit log tells;
//   - refunds: written last by the owner's admin;
//   - stock: the workflow's alone, beside the @sharing grant of a request
//     shared since;
//   - returns: the workflow's shape, its one request expired.
func CreateOldSharingGrants(t *testing.T, s store.Store) OldSharingGrants {
	t.Helper()
	ctx := context.Background()
	const target, system, admin = "333344445555", "999999999999/system", "111122223333/sadmin"
	sel := mesh.PermissionsOf(mesh.PermSelect)
	both := mesh.PermissionsOf(mesh.PermSelect, mesh.PermDescribe)
	base := time.Date(2026, 3, 4, 5, 0, 0, 0, time.UTC)
	out := OldSharingGrants{Grants: map[string]int64{}, Requests: map[string]int64{}}
	grants := []struct {
		table             string
		perms, grantable  mesh.Permissions
		source, grantedBy string
		made              time.Duration // after base; the request is asked at base
		status            string
	}{
		{"orders", both, both, "", system, time.Minute, mesh.RequestShared},
		{"customers", sel, sel, "", system, -time.Hour, mesh.RequestShared},
		{"campaigns", sel | mesh.PermissionsOf(mesh.PermInsert), sel, "", system, time.Minute, mesh.RequestShared},
		{"items", sel, sel, "", system, time.Minute, mesh.RequestShared},
		{"refunds", sel, sel, "", admin, time.Minute, mesh.RequestShared},
		{"stock", sel, sel, "", system, time.Minute, mesh.RequestShared},
		{"returns", sel, sel, "", system, time.Minute, mesh.RequestExpired},
	}
	mustUpdate(t, s, func(tx store.Tx) error {
		if err := tx.CreateAccount(ctx, identityAccount(target, "Account "+target, "")); err != nil {
			return err
		}
		request := func(user, table string, perms mesh.Permissions, grant int64, status string, at time.Time) (int64, error) {
			r := sampleRequest(user, target, "sales", table, at)
			r.Permissions, r.ExecutionID = perms, "exec-"+user+"-"+table
			if _, err := tx.InsertAccessRequest(ctx, r); err != nil {
				return 0, err
			}
			r.Status, r.GrantID = mesh.RequestShared, grant
			if err := tx.UpdateAccessRequest(ctx, r, mesh.RequestSubmitted); err != nil {
				return 0, err
			}
			if status != mesh.RequestShared {
				r.Status = status
				if err := tx.UpdateAccessRequest(ctx, r, mesh.RequestShared); err != nil {
					return 0, err
				}
			}
			return r.ID, nil
		}
		for _, gg := range grants {
			at := base.Add(gg.made)
			g := &mesh.Grant{Principal: target, Resource: mesh.Resource{Database: "sales", Table: gg.table},
				Permissions: gg.perms, Grantable: gg.grantable, Status: mesh.GrantActive, Source: mesh.Principal(gg.source),
				GrantedBy: gg.grantedBy, CreatedAt: at, UpdatedAt: at}
			if err := tx.CreateGrant(ctx, g); err != nil {
				return err
			}
			out.Grants[gg.table] = g.ID
			asked := sel
			if gg.table == "orders" {
				asked = both
			}
			id, err := request("ann", gg.table, asked, g.ID, gg.status, base)
			if err != nil {
				return err
			}
			out.Requests[gg.table] = id
		}
		e := mesh.AuditEntry{Time: base, Principal: admin, AccountID: "111122223333", Action: "access.grant",
			Resource: "grant/" + strconv.FormatInt(out.Grants["items"], 10), Result: "ok"}
		if err := tx.InsertAudit(ctx, &e); err != nil {
			return err
		}
		newer := &mesh.Grant{Principal: target, Resource: mesh.Resource{Database: "sales", Table: "stock"},
			Permissions: mesh.PermissionsOf(mesh.PermDescribe), Grantable: mesh.PermissionsOf(mesh.PermDescribe),
			Status: mesh.GrantActive, Source: mesh.SourceSharing, GrantedBy: system, CreatedAt: base.Add(time.Hour), UpdatedAt: base.Add(time.Hour)}
		if err := tx.CreateGrant(ctx, newer); err != nil {
			return err
		}
		out.Grants["stock@sharing"] = newer.ID
		var err error
		out.Newer, err = request("bob", "stock", mesh.PermissionsOf(mesh.PermDescribe), newer.ID, mesh.RequestShared, base.Add(time.Hour))
		return err
	})
	return out
}

// SharingGrantsMigrated checks that s, opened on a store that held old's
// grants before the migration that gives the workflow's grants their
// source, gave it to those requests alone gave, kept the others as they
// were, and merged the old stock grant into the newer one.
func SharingGrantsMigrated(t *testing.T, s store.Store, old OldSharingGrants) {
	t.Helper()
	ctx := context.Background()
	mustView(t, s, func(tx store.Tx) error {
		version, err := tx.AccessVersion(ctx)
		if err != nil {
			return err
		}
		for _, c := range []struct {
			table  string
			source mesh.Principal
		}{
			{"orders", mesh.SourceSharing},
			{"customers", ""}, {"campaigns", ""}, {"items", ""}, {"refunds", ""}, {"returns", ""},
		} {
			g, err := tx.FindGrantByID(ctx, old.Grants[c.table])
			if err != nil {
				t.Errorf("%s: %v", c.table, err)
				continue
			}
			if g.Source != c.source {
				t.Errorf("%s: got source %q, want %q", c.table, g.Source, c.source)
			}
			if moved := g.Source == mesh.SourceSharing; moved != (g.Version == version) {
				t.Errorf("%s: got version %d (access version %d); want the new version only for a grant moved", c.table, g.Version, version)
			}
		}
		if _, err := tx.FindGrantByID(ctx, old.Grants["stock"]); !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("old stock grant: got %v, want it merged into the newer one", err)
		}
		gone, err := tx.FindGrantTombstones(ctx, version-1)
		if err != nil {
			return err
		}
		if len(gone) != 1 || gone[0] != old.Grants["stock"] {
			t.Errorf("tombstones: got %v, want the old stock grant %d", gone, old.Grants["stock"])
		}
		g, err := tx.FindGrantByID(ctx, old.Grants["stock@sharing"])
		both := mesh.PermissionsOf(mesh.PermSelect, mesh.PermDescribe)
		if err != nil || g.Permissions != both || g.Grantable != both || g.Version != version {
			t.Errorf("newer stock grant: got %+v, %v; want SELECT and DESCRIBE with grant option, at version %d", g, err, version)
		}
		for _, id := range []int64{old.Requests["stock"], old.Newer} {
			r, err := tx.FindAccessRequest(ctx, id)
			if err != nil || r.GrantID != old.Grants["stock@sharing"] {
				t.Errorf("stock request %d: got %+v, %v; want it shared through grant %d", id, r, err, old.Grants["stock@sharing"])
			}
		}
		for table, id := range old.Requests {
			if table == "stock" {
				continue
			}
			if r, err := tx.FindAccessRequest(ctx, id); err != nil || r.GrantID != old.Grants[table] {
				t.Errorf("%s request: got %+v, %v; want it left on grant %d", table, r, err, old.Grants[table])
			}
		}
		return nil
	})
}
