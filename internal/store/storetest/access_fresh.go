package storetest

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

func init() {
	register("access/owner-changes", testAccessOwnerChanges)
	register("access/one-link-per-share", testAccessOneLinkPerShare)
	register("access/link-changes", testAccessLinkChanges)
	register("access/changes", testAccessChanges)
	register("access/add-version", testAccessAddVersion)
	register("access/share-linked", testAccessShareLinked)
	register("access/invitation-pages", testAccessInvitationPages)
}

// testAccessOwnerChanges: ownership changes carry the access version of
// their transaction, the latest per database wins, and pruning forgets them.
func testAccessOwnerChanges(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	change := func(pairs ...string) {
		mustUpdate(t, s, func(tx store.Tx) error {
			if _, err := tx.BumpAccessVersion(ctx); err != nil {
				return err
			}
			for i := 0; i < len(pairs); i += 2 {
				if err := tx.RecordOwnerChange(ctx, pairs[i], pairs[i+1]); err != nil {
					return err
				}
			}
			return nil
		})
	}
	change("sales", "111122223333", "hr", "central") // version 1
	change("sales", "222233334444")                  // version 2
	change("hr", "")                                 // version 3: deleted
	tests := []struct {
		since int64
		want  map[string]string
	}{
		{0, map[string]string{"sales": "222233334444", "hr": ""}},
		{1, map[string]string{"sales": "222233334444", "hr": ""}},
		{2, map[string]string{"hr": ""}},
		{3, map[string]string{}},
	}
	for _, tt := range tests {
		mustView(t, s, func(tx store.Tx) error {
			got, err := tx.FindOwnerChanges(ctx, tt.since)
			if err != nil {
				return err
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("since %d: got %v, want %v", tt.since, got, tt.want)
			}
			return nil
		})
	}
	mustUpdate(t, s, func(tx store.Tx) error { return tx.PruneGrantTombstones(ctx, 2) })
	mustView(t, s, func(tx store.Tx) error {
		got, err := tx.FindOwnerChanges(ctx, 0)
		if want := map[string]string{"hr": ""}; err != nil || !maps.Equal(got, want) {
			t.Errorf("after pruning: got %v (%v), want %v", got, err, want)
		}
		return nil
	})
}

// testAccessLinkChanges: links carry the access version that made them,
// deleted ones leave a tombstone at the version that deleted them, and
// pruning forgets the tombstones.
func testAccessLinkChanges(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	links := map[string]*mesh.ResourceLink{}
	change := func(fn func(tx store.Tx) error) { accessChange(t, s, fn) }
	link := func(tx store.Tx, key, account, name string, share int64) error {
		l := &mesh.ResourceLink{AccountID: account, Name: name, Database: "sales", ShareID: share, CreatedAt: now}
		links[key] = l
		return tx.CreateResourceLink(ctx, l)
	}
	change(func(tx store.Tx) error { return link(tx, "a", "222233334444", "sales", 1) }) // version 1
	// version 2
	change(func(tx store.Tx) error {
		if err := link(tx, "b", "333344445555", "sales", 2); err != nil {
			return err
		}
		return tx.DeleteResourceLink(ctx, links["a"].ID)
	})
	change(func(tx store.Tx) error { return link(tx, "c", "222233334444", "sales", 3) }) // version 3: a's name again
	check := func(since, until int64, made []string, deleted []string) {
		t.Helper()
		mustView(t, s, func(tx store.Tx) error {
			gotMade, gotDeleted, err := tx.FindResourceLinkChanges(ctx, since, until)
			if err != nil {
				return err
			}
			var wantDeleted []int64
			for _, k := range deleted {
				wantDeleted = append(wantDeleted, links[k].ID)
			}
			same := len(gotMade) == len(made) && slices.Equal(gotDeleted, wantDeleted)
			for i := 0; same && i < len(made); i++ {
				g, w := gotMade[i], links[made[i]]
				same = g.ID == w.ID && g.AccountID == w.AccountID && g.Name == w.Name && g.ShareID == w.ShareID && g.CreatedAt.Equal(w.CreatedAt)
			}
			if !same {
				t.Errorf("after %d until %d: got made %+v, deleted %v; want links %v made, %v deleted", since, until, gotMade, gotDeleted, made, wantDeleted)
			}
			return nil
		})
	}
	check(0, 1, nil, nil) // a is deleted at 2, b made at 2
	check(0, 3, []string{"b", "c"}, []string{"a"})
	check(1, 3, []string{"b", "c"}, []string{"a"})
	check(1, 2, []string{"b"}, []string{"a"})
	check(2, 3, []string{"c"}, nil)
	check(3, 3, nil, nil)
	mustUpdate(t, s, func(tx store.Tx) error { return tx.PruneGrantTombstones(ctx, 2) })
	check(0, 3, []string{"b", "c"}, nil)
}

// testAccessOneLinkPerShare: a share never gets a second resource link,
// whatever its name.
func testAccessOneLinkPerShare(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	mustUpdate(t, s, func(tx store.Tx) error {
		sh := &mesh.Share{AccountID: "222233334444", Database: "marketing", Status: mesh.ShareActive, CreatedAt: now, UpdatedAt: now}
		if err := tx.CreateShare(ctx, sh); err != nil {
			return err
		}
		first := &mesh.ResourceLink{AccountID: sh.AccountID, Name: "marketing", Database: "marketing", ShareID: sh.ID, CreatedAt: now}
		if err := tx.CreateResourceLink(ctx, first); err != nil {
			return err
		}
		err := tx.CreateResourceLink(ctx, &mesh.ResourceLink{AccountID: sh.AccountID, Name: "marketing-2", Database: "marketing", ShareID: sh.ID, CreatedAt: now})
		if !mesh.IsCode(err, mesh.ECONFLICT) {
			t.Errorf("second link of one share: got %v, want conflict", err)
		}
		links, err := tx.FindResourceLinks(ctx, "", sh.ID)
		if err != nil || len(links) != 1 || links[0].Name != "marketing" {
			t.Errorf("got %+v (%v), want the one link marketing", links, err)
		}
		return nil
	})
}

// testAccessInvitationPages: invitations page newest first by id.
func testAccessInvitationPages(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	var ids []int64
	mustUpdate(t, s, func(tx store.Tx) error {
		for i := range 5 {
			inv := &mesh.Invitation{ShareID: int64(1 + i%2), AccountID: "222233334444", Database: "sales", Status: mesh.InvitationPending,
				CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
			if err := tx.CreateInvitation(ctx, inv); err != nil {
				return err
			}
			ids = append(ids, inv.ID)
		}
		return nil
	})
	var got []int64
	f := store.InvitationFilter{AccountID: "222233334444", Limit: 2}
	mustView(t, s, func(tx store.Tx) error {
		for range 10 {
			invs, err := tx.FindInvitations(ctx, f)
			if err != nil {
				return err
			}
			for _, inv := range invs {
				got = append(got, inv.ID)
			}
			if len(invs) < f.Limit {
				return nil
			}
			f.BeforeID = invs[len(invs)-1].ID
		}
		return nil
	})
	want := []int64{ids[4], ids[3], ids[2], ids[1], ids[0]}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	// The current invitation of a share is its newest.
	mustView(t, s, func(tx store.Tx) error {
		invs, err := tx.FindInvitations(ctx, store.InvitationFilter{ShareID: 1, Limit: 1})
		if err != nil || len(invs) != 1 || invs[0].ID != ids[4] {
			t.Errorf("newest of share 1: got %+v (%v), want invitation %d", invs, err, ids[4])
		}
		return nil
	})
}

// testAccessChanges: FindAccessChanges reads the version and, after the
// version asked for, the grants written and deleted, the owners recorded
// and the links made and deleted, as the separate reads find them.
func testAccessChanges(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	grant := func(table string) *mesh.Grant { return selectGrant(table, now) }
	link := func(name string, share int64) *mesh.ResourceLink {
		return &mesh.ResourceLink{AccountID: "222233334444", Name: name, Database: "sales", ShareID: share, CreatedAt: now}
	}
	g1, g2, l1, l2 := grant("a"), grant("b"), link("sales", 1), link("sales-2", 2)
	change := func(fn func(tx store.Tx) error) { accessChange(t, s, fn) }
	change(func(tx store.Tx) error { // version 1
		if err := tx.CreateGrant(ctx, g1); err != nil {
			return err
		}
		if err := tx.RecordOwnerChange(ctx, "sales", "111122223333"); err != nil {
			return err
		}
		return tx.CreateResourceLink(ctx, l1)
	})
	change(func(tx store.Tx) error { // version 2
		if err := tx.CreateGrant(ctx, g2); err != nil {
			return err
		}
		if err := tx.DeleteGrant(ctx, g1.ID); err != nil {
			return err
		}
		if err := tx.DeleteResourceLink(ctx, l1.ID); err != nil {
			return err
		}
		return tx.CreateResourceLink(ctx, l2)
	})
	change(func(tx store.Tx) error { return tx.RecordOwnerChange(ctx, "hr", "") }) // version 3
	ids := func(gs []*mesh.Grant) (out []int64) {
		for _, g := range gs {
			out = append(out, g.ID)
		}
		return out
	}
	linkIDs := func(ls []*mesh.ResourceLink) (out []int64) {
		for _, l := range ls {
			out = append(out, l.ID)
		}
		return out
	}
	tests := []struct {
		since              int64
		grants, grantsGone []int64
		owners             map[string]string
		links, linksGone   []int64
	}{
		{0, []int64{g2.ID}, []int64{g1.ID}, map[string]string{"sales": "111122223333", "hr": ""}, []int64{l2.ID}, []int64{l1.ID}},
		{1, []int64{g2.ID}, []int64{g1.ID}, map[string]string{"hr": ""}, []int64{l2.ID}, []int64{l1.ID}},
		{2, nil, nil, map[string]string{"hr": ""}, nil, nil},
		{3, nil, nil, map[string]string{}, nil, nil},
	}
	for _, tt := range tests {
		mustView(t, s, func(tx store.Tx) error {
			c, err := store.FindAccessChanges(ctx, tx, tt.since, 100)
			if err != nil {
				return err
			}
			if c.Version != 3 || !slices.Equal(ids(c.Grants), tt.grants) || !slices.Equal(c.GrantsGone, tt.grantsGone) ||
				len(c.Owners) != len(tt.owners) || (len(tt.owners) > 0 && !maps.Equal(c.Owners, tt.owners)) ||
				!slices.Equal(linkIDs(c.Links), tt.links) || !slices.Equal(c.LinksGone, tt.linksGone) {
				t.Errorf("after %d: got version %d, grants %v gone %v, owners %v, links %v gone %v; want 3, %v gone %v, %v, %v gone %v",
					tt.since, c.Version, ids(c.Grants), c.GrantsGone, c.Owners, linkIDs(c.Links), c.LinksGone,
					tt.grants, tt.grantsGone, tt.owners, tt.links, tt.linksGone)
			}
			if len(c.Grants) == 1 && (c.Grants[0].Version != 2 || c.Grants[0].Resource.Table != "b") {
				t.Errorf("after %d: got grant %+v, want b at version 2", tt.since, c.Grants[0])
			}
			if len(c.Links) == 1 && (c.Links[0].Name != "sales-2" || c.Links[0].ShareID != 2) {
				t.Errorf("after %d: got link %+v, want sales-2 of share 2", tt.since, c.Links[0])
			}
			return nil
		})
	}
	// A replica further behind than the limit reloads: the version says so.
	mustView(t, s, func(tx store.Tx) error {
		if c, err := store.FindAccessChanges(ctx, tx, 0, 2); err != nil || c.Version != 3 {
			t.Errorf("beyond the limit: got %+v (%v), want version 3", c, err)
		}
		return nil
	})
}

// testAccessAddVersion: a transaction that took the access version to add
// gives its grants and links the version it commits with, one a
// transaction however it took it; one rolled back to a savepoint from
// before it took the version commits none.
func testAccessAddVersion(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	grant := func(table string) *mesh.Grant { return selectGrant(table, now) }
	version := func() (v int64) {
		mustView(t, s, func(tx store.Tx) (err error) {
			v, err = tx.AccessVersion(ctx)
			return err
		})
		return v
	}
	read := func(id int64) (g *mesh.Grant) {
		mustView(t, s, func(tx store.Tx) (err error) {
			g, err = tx.FindGrantByID(ctx, id)
			return err
		})
		return g
	}
	tests := []struct {
		name string
		fn   func(tx store.Tx) ([]*mesh.Grant, *mesh.ResourceLink, error)
	}{
		{"add", func(tx store.Tx) ([]*mesh.Grant, *mesh.ResourceLink, error) {
			if _, err := tx.AddAccessVersion(ctx); err != nil {
				return nil, nil, err
			}
			g, l := grant("a"), &mesh.ResourceLink{AccountID: "222233334444", Name: "sales", Database: "sales", ShareID: 1, CreatedAt: now}
			if err := tx.CreateGrant(ctx, g); err != nil {
				return nil, nil, err
			}
			return []*mesh.Grant{g}, l, tx.CreateResourceLink(ctx, l)
		}},
		{"add then bump", func(tx store.Tx) ([]*mesh.Grant, *mesh.ResourceLink, error) {
			if _, err := tx.AddAccessVersion(ctx); err != nil {
				return nil, nil, err
			}
			g, h := grant("b"), grant("c")
			if err := tx.CreateGrant(ctx, g); err != nil {
				return nil, nil, err
			}
			if _, err := tx.BumpAccessVersion(ctx); err != nil {
				return nil, nil, err
			}
			if err := tx.DeleteGrant(ctx, read(1).ID); err != nil { // grant a, as a revocation would
				return nil, nil, err
			}
			return []*mesh.Grant{g, h}, nil, tx.CreateGrant(ctx, h)
		}},
	}
	for _, tt := range tests {
		before := version()
		var committed int64
		var made []*mesh.Grant
		var link *mesh.ResourceLink
		mustUpdate(t, s, func(tx store.Tx) (err error) {
			made, link, err = tt.fn(tx)
			tx.AfterCommit(func() { committed = tx.CommittedAccessVersion() })
			return err
		})
		if v := version(); v != before+1 || committed != v {
			t.Errorf("%s: got version %d after %d, committed %d; want one more, committed", tt.name, v, before, committed)
		}
		for _, g := range made {
			if got := read(g.ID).Version; got != before+1 {
				t.Errorf("%s: grant %s carries version %d, want %d", tt.name, g.Resource, got, before+1)
			}
		}
		if link != nil {
			mustView(t, s, func(tx store.Tx) error {
				made, _, err := tx.FindResourceLinkChanges(ctx, before, before+1)
				if err != nil || len(made) != 1 || made[0].ID != link.ID {
					t.Errorf("%s: links made at %d: got %+v (%v), want the link", tt.name, before+1, made, err)
				}
				return err
			})
		}
	}
	before := version()
	var committed int64 = -1
	mustUpdate(t, s, func(tx store.Tx) error {
		if err := tx.Savepoint(ctx, "sp"); err != nil {
			return err
		}
		if _, err := tx.AddAccessVersion(ctx); err != nil {
			return err
		}
		if err := tx.CreateGrant(ctx, grant("d")); err != nil {
			return err
		}
		if err := tx.RollbackToSavepoint(ctx, "sp"); err != nil {
			return err
		}
		tx.AfterCommit(func() { committed = tx.CommittedAccessVersion() })
		return nil
	})
	if v := version(); v != before || committed != 0 {
		t.Errorf("rolled back: got version %d after %d, committed %d; want the same, 0", v, before, committed)
	}
}

// selectGrant is account 222233334444's grant of SELECT on a table of sales.
func selectGrant(table string, now time.Time) *mesh.Grant {
	return &mesh.Grant{Principal: "222233334444", Resource: mesh.Resource{Database: "sales", Table: table},
		Permissions: mesh.PermissionsOf(mesh.PermSelect), Status: mesh.GrantActive, CreatedAt: now, UpdatedAt: now}
}

// accessChange runs fn in a transaction that bumps the access version first.
func accessChange(t *testing.T, s store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	mustUpdate(t, s, func(tx store.Tx) error {
		if _, err := tx.BumpAccessVersion(context.Background()); err != nil {
			return err
		}
		return fn(tx)
	})
}

// testAccessShareLinked: CreateShareLinked makes a share and its link; a
// share the account has already is a conflict that writes nothing; a
// link name taken leaves the share made and the link to the caller.
func testAccessShareLinked(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	share := func(table string) *mesh.Share {
		return &mesh.Share{AccountID: "222233334444", Database: "sales", Table: table, Status: mesh.ShareActive, CreatedAt: now, UpdatedAt: now}
	}
	link := func() *mesh.ResourceLink { return &mesh.ResourceLink{Name: "sales", CreatedAt: now} }
	var first *mesh.Share
	var made *mesh.ResourceLink
	accessChange(t, s, func(tx store.Tx) error {
		first, made = share("orders"), link()
		if err := store.CreateShareLinked(ctx, tx, first, made); err != nil {
			return err
		}
		if err := store.CreateShareLinked(ctx, tx, share("orders"), link()); !mesh.IsCode(err, mesh.ECONFLICT) {
			t.Errorf("the share again: got %v, want a conflict", err)
		}
		second := share("items")
		if err := store.CreateShareLinked(ctx, tx, second, link()); !errors.Is(err, store.ErrLinkNameTaken) {
			t.Errorf("a share whose link name is taken: got %v, want the name taken", err)
		}
		if got, err := tx.FindShare(ctx, "222233334444", "sales", "items"); err != nil || got.ID != second.ID || second.ID == 0 {
			t.Errorf("the share whose link name was taken: got %+v (%v), want it made (id %d)", got, err, second.ID)
		}
		return nil
	})
	mustView(t, s, func(tx store.Tx) error {
		links, err := tx.FindResourceLinks(ctx, "222233334444", 0)
		if err != nil {
			return err
		}
		if len(links) != 1 || links[0].ID != made.ID || made.ID == 0 || links[0].ShareID != first.ID || links[0].Name != "sales" || links[0].Table != "orders" {
			t.Errorf("got links %+v, want one, %+v, of share %d", links, made, first.ID)
		}
		if c, err := store.FindAccessChanges(ctx, tx, 0, 100); err != nil || len(c.Links) != 1 {
			t.Errorf("links made at the version: got %+v (%v), want the link", c, err)
		}
		return nil
	})
}
