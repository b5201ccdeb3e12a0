package access

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// offboardSet is what in access refers to an account being offboarded:
// what it received, and what stems from its products (the databases whose
// data_owner it is). Each item appears once, in id order.
type offboardSet struct {
	grants      []*mesh.Grant
	shares      []*mesh.Share
	invitations []*mesh.Invitation
	links       []*mesh.ResourceLink
}

// collectOffboard gathers an account's offboardSet: the grants its
// principals hold and every grant on its products (to other accounts, to its
// own users, to the central account's); the shares it received and those
// of its products; the pending invitations of those shares or to it; its
// resource links and those of the shares.
func (s *Service) collectOffboard(ctx context.Context, tx store.Tx, accountID string) (*offboardSet, error) {
	owners, err := s.catalog.Owners(ctx, tx)
	if err != nil {
		return nil, err
	}
	var products []string
	for db, owner := range owners {
		if owner == accountID {
			products = append(products, db)
		}
	}
	sort.Strings(products)

	grants := map[int64]*mesh.Grant{}
	shares := map[int64]*mesh.Share{}
	invs := map[int64]*mesh.Invitation{}
	links := map[int64]*mesh.ResourceLink{}
	addGrants := func(f store.GrantFilter) error {
		gs, err := tx.FindGrants(ctx, f)
		for _, g := range gs {
			grants[g.ID] = g
		}
		return err
	}
	addShares := func(f store.ShareFilter) error {
		ss, err := tx.FindShares(ctx, f)
		for _, sh := range ss {
			shares[sh.ID] = sh
		}
		return err
	}
	addInvitations := func(f store.InvitationFilter) error {
		f.Status = mesh.InvitationPending
		is, err := tx.FindInvitations(ctx, f)
		for _, inv := range is {
			invs[inv.ID] = inv
		}
		return err
	}
	addLinks := func(account string, shareID int64) error {
		ls, err := tx.FindResourceLinks(ctx, account, shareID)
		for _, l := range ls {
			links[l.ID] = l
		}
		return err
	}
	if err := addGrants(store.GrantFilter{AccountID: accountID}); err != nil {
		return nil, err
	}
	if err := addShares(store.ShareFilter{AccountID: accountID}); err != nil {
		return nil, err
	}
	for _, db := range products {
		if err := addGrants(store.GrantFilter{Database: db}); err != nil {
			return nil, err
		}
		if err := addShares(store.ShareFilter{Database: db}); err != nil {
			return nil, err
		}
	}
	if err := addInvitations(store.InvitationFilter{AccountID: accountID}); err != nil {
		return nil, err
	}
	if err := addLinks(accountID, 0); err != nil {
		return nil, err
	}
	for _, sh := range shares {
		if err := addInvitations(store.InvitationFilter{ShareID: sh.ID}); err != nil {
			return nil, err
		}
		if err := addLinks(sh.AccountID, sh.ID); err != nil {
			return nil, err
		}
	}
	return &offboardSet{grants: sorted(grants), shares: sorted(shares), invitations: sorted(invs), links: sorted(links)}, nil
}

func sorted[T any](m map[int64]T) []T {
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]T, len(ids))
	for i, id := range ids {
		out[i] = m[id]
	}
	return out
}

// The lines of an offboarding, "kind/id: description", as the account
// service lists them.

func grantLine(g *mesh.Grant) string {
	return fmt.Sprintf("grant/%d: %s %s on %s (%s)", g.ID, g.Principal, g.Permissions, g.Resource, g.Status)
}

func shareLine(sh *mesh.Share) string {
	target := sh.Database
	if sh.Table != "" {
		target += "." + sh.Table
	}
	return fmt.Sprintf("share/%d: %s with account %s (%s)", sh.ID, target, sh.AccountID, sh.Status)
}

func invitationLine(inv *mesh.Invitation) string {
	return fmt.Sprintf("invitation/%d: account %s to share %d (%s)", inv.ID, inv.AccountID, inv.ShareID, inv.Status)
}

func linkLine(l *mesh.ResourceLink) string {
	target := l.Database
	if l.Table != "" {
		target += "." + l.Table
	}
	return fmt.Sprintf("link/%s/%s: to %s (share %d)", l.AccountID, l.Name, target, l.ShareID)
}

func (set *offboardSet) lines() []string {
	var out []string
	for _, g := range set.grants {
		out = append(out, grantLine(g))
	}
	for _, sh := range set.shares {
		out = append(out, shareLine(sh))
	}
	for _, inv := range set.invitations {
		out = append(out, invitationLine(inv))
	}
	for _, l := range set.links {
		out = append(out, linkLine(l))
	}
	return out
}

// OffboardDependents lists what offboarding an account would end in access,
// one "kind/id: description" line each: the grants it and its users hold
// and every grant on the databases it owns, the shares it received and
// those of its databases, their pending invitations, and the resource links
// in the account and of those shares. The account service calls it inside
// its offboarding transaction.
func (s *Service) OffboardDependents(ctx context.Context, tx store.Tx, accountID string) ([]string, error) {
	set, err := s.collectOffboard(ctx, tx, accountID)
	if err != nil {
		return nil, err
	}
	return set.lines(), nil
}

// Offboard ends, inside the offboarding transaction, everything
// OffboardDependents lists, each item audited: pending invitations are
// withdrawn (so they can no longer be accepted), grants revoked (with their
// cascades), shares ended, links removed. It returns the lines of what it
// ended. What happens to the databases themselves is the catalog's part
// (deleted, or handed to transferTo); their grants end either way, so that
// a new owner starts from its own decisions. Once the transaction commits,
// the decision index is brought up to date before the offboarding is
// acknowledged.
func (s *Service) Offboard(ctx context.Context, tx store.Tx, accountID, _ string) ([]string, error) {
	c := newChanges()
	if err := c.bump(ctx, tx); err != nil {
		return nil, err
	}
	set, err := s.collectOffboard(ctx, tx, accountID)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	reason := "account " + accountID + " was offboarded"
	var out []string
	// Invitations first, each audited, so that none stays open to accept.
	for _, inv := range set.invitations {
		if err := s.withdraw(ctx, tx, inv, reason); err != nil {
			return nil, err
		}
		out = append(out, invitationLine(inv)+": withdrawn")
	}
	for _, g := range set.grants {
		cur, err := tx.FindGrantByID(ctx, g.ID) // a cascade may have taken it already
		if mesh.IsCode(err, mesh.ENOTFOUND) {
			out = append(out, grantLine(g)+": revoked")
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := s.deleteGrant(ctx, tx, c, cur, reason); err != nil {
			return nil, err
		}
		out = append(out, grantLine(g)+": revoked")
	}
	// A share whose last grant went has ended with it; one that somehow
	// kept grants (of other principals) loses them too.
	for _, sh := range set.shares {
		left, err := tx.FindGrants(ctx, store.GrantFilter{ShareID: sh.ID})
		if err != nil {
			return nil, err
		}
		for _, g := range left {
			if err := s.deleteGrant(ctx, tx, c, g, reason); err != nil {
				return nil, err
			}
			out = append(out, grantLine(g)+": revoked")
		}
		if err := s.endShareIfEmpty(ctx, tx, c, sh.ID); err != nil {
			return nil, err
		}
		out = append(out, shareLine(sh)+": ended")
	}
	// Links left without their share (none, normally) go too.
	for _, l := range set.links {
		cur, err := tx.FindResourceLink(ctx, l.AccountID, l.Name)
		if err == nil && cur.ID == l.ID {
			if err := tx.DeleteResourceLink(ctx, l.ID); err != nil {
				return nil, err
			}
			c.unlinked = append(c.unlinked, l)
			if err := store.Audit(ctx, tx, now, "access.unlink", "link/"+l.AccountID+"/"+l.Name, reason); err != nil {
				return nil, err
			}
		} else if err != nil && !mesh.IsCode(err, mesh.ENOTFOUND) {
			return nil, err
		}
		out = append(out, linkLine(l)+": removed")
	}
	if err := c.bump(ctx, tx); err != nil {
		return nil, err
	}
	// Fail closed until the commit: the index drops what is ending now, and
	// is reloaded (grants, links and owners) once the transaction commits.
	for id := range c.removed {
		s.index.Remove(id)
	}
	for _, l := range c.unlinked {
		s.index.RemoveLink(l)
	}
	s.settleAfter(ctx, tx)
	return out, nil
}
