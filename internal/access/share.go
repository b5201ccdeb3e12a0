package access

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// shareTable is the table a share of r is about: empty for the database
// (a database grant, or all of its tables), else the one table.
func shareTable(r mesh.Resource) string {
	if k := r.Kind(); k == mesh.KindDatabase || k == mesh.KindAllTables {
		return ""
	}
	return r.Table
}

// share finds or starts the share of r with account. A new share is active
// at once when the account is in the central account's organization, and
// otherwise waits on an invitation; a rejected or expired one is offered again.
//
// A share is made first and read only when the account has it already: a
// grant that changes nothing finds its share held before this (GrantTx's
// probe), so most that come here make a new one.
func (s *Service) share(ctx context.Context, tx store.Tx, c *changes, a *mesh.Actor, account, org string, r mesh.Resource) (*mesh.Share, error) {
	now := s.clock.Now()
	sh := &mesh.Share{AccountID: account, Database: r.Database, Table: shareTable(r), Status: mesh.SharePending, CreatedAt: now, UpdatedAt: now}
	if s.cfg.Organization != "" && org == s.cfg.Organization {
		sh.Status = mesh.ShareActive
	}
	var l *mesh.ResourceLink // an active share's link, made with it
	var err error
	if sh.Status == mesh.ShareActive {
		l = s.linkTo(sh, sh.Database)
		if err = store.CreateShareLinked(ctx, tx, sh, l); errors.Is(err, store.ErrLinkNameTaken) {
			l, err = nil, nil // the share is made: its link takes the next free name
		}
	} else {
		err = tx.CreateShare(ctx, sh)
	}
	switch {
	case err == nil:
		if err := store.Audit(ctx, tx, now, "access.share", shareResource(sh), "with account "+account+" ("+sh.Status+")"); err != nil {
			return nil, err
		}
		if l != nil {
			return sh, s.linkMade(ctx, tx, c, sh, l)
		}
		if sh.Status == mesh.ShareActive {
			_, err := s.newLink(ctx, tx, c, sh, "")
			return sh, err
		}
		return sh, s.invite(ctx, tx, a, sh)
	case !mesh.IsCode(err, mesh.ECONFLICT):
		return nil, err
	}
	if sh, err = tx.FindShare(ctx, account, r.Database, shareTable(r)); err != nil {
		return nil, err
	}
	if sh.Status == mesh.ShareActive {
		return sh, nil
	}
	if c.adding {
		return nil, errExclusive // inviting again, as another transaction may be
	}
	// Pending, rejected or expired: make sure a live invitation is out.
	invs, err := tx.FindInvitations(ctx, store.InvitationFilter{ShareID: sh.ID, Status: mesh.InvitationPending})
	if err != nil {
		return nil, err
	}
	for _, inv := range invs {
		if inv.EffectiveStatus(now) == mesh.InvitationPending {
			return sh, nil
		}
		if err := s.recordExpired(ctx, tx, inv); err != nil {
			return nil, err
		}
	}
	sh.Status, sh.UpdatedAt = mesh.SharePending, now
	if err := tx.UpdateShare(ctx, sh); err != nil {
		return nil, err
	}
	return sh, s.invite(ctx, tx, a, sh)
}

func shareResource(sh *mesh.Share) string { return "share/" + strconv.FormatInt(sh.ID, 10) }

func invitationResource(inv *mesh.Invitation) string {
	return "invitation/" + strconv.FormatInt(inv.ID, 10)
}

// withdraw records that a pending invitation no longer stands for its
// share (so it cannot be accepted), audited with why, as every change of an
// invitation is.
func (s *Service) withdraw(ctx context.Context, tx store.Tx, inv *mesh.Invitation, why string) error {
	inv.Status = mesh.InvitationWithdrawn
	if err := tx.UpdateInvitation(ctx, inv); err != nil {
		return err
	}
	return store.Audit(ctx, tx, s.clock.Now(), "access.withdraw-invitation", invitationResource(inv), why)
}

// recordExpired records that a pending invitation ran out, audited.
func (s *Service) recordExpired(ctx context.Context, tx store.Tx, inv *mesh.Invitation) error {
	inv.Status = mesh.InvitationExpired
	if err := tx.UpdateInvitation(ctx, inv); err != nil {
		return err
	}
	return store.Audit(ctx, tx, s.clock.Now(), "access.expire-invitation", invitationResource(inv), "expired at "+inv.ExpiresAt.Format("2006-01-02T15:04:05Z"))
}

// invite sends a new invitation for sh.
func (s *Service) invite(ctx context.Context, tx store.Tx, a *mesh.Actor, sh *mesh.Share) error {
	now := s.clock.Now()
	inv := &mesh.Invitation{ShareID: sh.ID, AccountID: sh.AccountID, Database: sh.Database, Table: sh.Table,
		Status: mesh.InvitationPending, SentBy: a.Principal(), CreatedAt: now, ExpiresAt: now.Add(s.cfg.InvitationTTL)}
	if err := tx.CreateInvitation(ctx, inv); err != nil {
		return err
	}
	return store.Audit(ctx, tx, now, "access.invite", invitationResource(inv),
		fmt.Sprintf("account %s to share %d, expires %s", sh.AccountID, sh.ID, inv.ExpiresAt.Format("2006-01-02T15:04:05Z")))
}

// activate makes a share and its grants active and links it into the
// consumer's catalog view.
func (s *Service) activate(ctx context.Context, tx store.Tx, c *changes, sh *mesh.Share, linkName string) (*mesh.ResourceLink, error) {
	now := s.clock.Now()
	sh.Status, sh.UpdatedAt = mesh.ShareActive, now
	if err := tx.UpdateShare(ctx, sh); err != nil {
		return nil, err
	}
	gs, err := tx.FindGrants(ctx, store.GrantFilter{ShareID: sh.ID})
	if err != nil {
		return nil, err
	}
	for _, g := range gs {
		g.Status, g.UpdatedAt = mesh.GrantActive, now
		if err := tx.UpdateGrant(ctx, g); err != nil {
			return nil, err
		}
		if err := s.grantChanged(ctx, tx, g, false); err != nil {
			return nil, err
		}
		c.putGrant(g)
	}
	return s.link(ctx, tx, c, sh, linkName)
}

// link creates the share's resource link in the consumer account, named
// name, or by default after the shared database, made unique in the account;
// a share that has its link keeps it.
// Errors: EINVALID (name), ECONFLICT (a chosen name taken).
func (s *Service) link(ctx context.Context, tx store.Tx, c *changes, sh *mesh.Share, name string) (*mesh.ResourceLink, error) {
	// A share shows through one link (the store refuses a second).
	if have, err := tx.FindResourceLinks(ctx, sh.AccountID, sh.ID); err != nil || len(have) > 0 {
		if err != nil {
			return nil, err
		}
		return have[0], nil
	}
	return s.newLink(ctx, tx, c, sh, name)
}

// newLink creates the resource link of a share that has none: named name,
// or the first of the database's name, then name-2, name-3, ... that the
// account has no link of (the store refuses a name taken, and the next is
// tried: one statement for a name that is free, as it mostly is).
func (s *Service) newLink(ctx context.Context, tx store.Tx, c *changes, sh *mesh.Share, name string) (*mesh.ResourceLink, error) {
	chosen := name != ""
	if chosen {
		if err := mesh.ValidateName("link_name", name); err != nil {
			return nil, err
		}
	} else {
		name = sh.Database
	}
	l := s.linkTo(sh, name)
	for i := 2; ; i++ {
		err := tx.CreateResourceLink(ctx, l)
		if err == nil {
			break
		}
		if chosen || !errors.Is(err, store.ErrLinkNameTaken) {
			return nil, err
		}
		l.Name = sh.Database + "-" + strconv.Itoa(i)
	}
	return l, s.linkMade(ctx, tx, c, sh, l)
}

// linkTo returns a new link named name to sh.
func (s *Service) linkTo(sh *mesh.Share, name string) *mesh.ResourceLink {
	return &mesh.ResourceLink{AccountID: sh.AccountID, Name: name, Database: sh.Database, Table: sh.Table, ShareID: sh.ID, CreatedAt: s.clock.Now()}
}

// linkMade records l, just made: for the index, and in the audit log.
func (s *Service) linkMade(ctx context.Context, tx store.Tx, c *changes, sh *mesh.Share, l *mesh.ResourceLink) error {
	c.links = append(c.links, l)
	target := sh.Database
	if sh.Table != "" {
		target += "." + sh.Table
	}
	return store.Audit(ctx, tx, l.CreatedAt, "access.link", "link/"+sh.AccountID+"/"+l.Name, "to "+target)
}

// endShareIfEmpty ends a share that has no grant left: its links go, a
// pending invitation is withdrawn, and the share is deleted.
func (s *Service) endShareIfEmpty(ctx context.Context, tx store.Tx, c *changes, shareID int64) error {
	left, err := tx.FindGrants(ctx, store.GrantFilter{ShareID: shareID, Limit: 1})
	if err != nil || len(left) > 0 {
		return err
	}
	sh, err := tx.FindShareByID(ctx, shareID)
	if mesh.IsCode(err, mesh.ENOTFOUND) {
		return nil
	}
	if err != nil {
		return err
	}
	now := s.clock.Now()
	links, err := tx.FindResourceLinks(ctx, sh.AccountID, sh.ID)
	if err != nil {
		return err
	}
	for _, l := range links {
		if err := tx.DeleteResourceLink(ctx, l.ID); err != nil {
			return err
		}
		c.unlinked = append(c.unlinked, l)
		if err := store.Audit(ctx, tx, now, "access.unlink", "link/"+l.AccountID+"/"+l.Name, "share ended"); err != nil {
			return err
		}
	}
	invs, err := tx.FindInvitations(ctx, store.InvitationFilter{ShareID: sh.ID, Status: mesh.InvitationPending})
	if err != nil {
		return err
	}
	for _, inv := range invs {
		if err := s.withdraw(ctx, tx, inv, "share "+strconv.FormatInt(sh.ID, 10)+" ended"); err != nil {
			return err
		}
	}
	if err := tx.DeleteShare(ctx, sh.ID); err != nil {
		return err
	}
	return store.Audit(ctx, tx, now, "access.unshare", shareResource(sh), "no grant left for account "+sh.AccountID)
}

// InvitationFilter selects invitations to list.
type InvitationFilter struct {
	// AccountID names the invited account: the caller's when empty, every
	// account's for a mesh admin.
	AccountID string
	// Status keeps the invitations in that effective status.
	Status string
	// BeforeID continues a listing after the page that ended at that id.
	BeforeID int64
	// Limit is the page size (default 100, at most 1000).
	Limit int
}

var invitationStatuses = []string{mesh.InvitationPending, mesh.InvitationAccepted, mesh.InvitationRejected, mesh.InvitationExpired, mesh.InvitationWithdrawn}

// ListInvitations returns one page of invitations, newest first, with expiry
// applied, and the id to continue before (0 on the last page).
// Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID (an unknown status).
func (s *Service) ListInvitations(ctx context.Context, f InvitationFilter) ([]*mesh.Invitation, int64, error) {
	a, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, 0, err
	}
	if f.AccountID, err = listedAccount(a, f.AccountID, "invitations"); err != nil {
		return nil, 0, err
	}
	if f.Status != "" && !slices.Contains(invitationStatuses, f.Status) {
		return nil, 0, mesh.Invalid("status", "unknown invitation status %q; one of %s", f.Status, strings.Join(invitationStatuses, ", "))
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	f.Limit = min(f.Limit, 1000)
	now := s.clock.Now()
	// The store filters by stored status, which the effective one differs
	// from only for a pending invitation past its expiry; one more than a
	// page tells whether another follows.
	sf := store.InvitationFilter{AccountID: f.AccountID, BeforeID: f.BeforeID, Limit: f.Limit + 1}
	switch f.Status {
	case mesh.InvitationExpired, "":
	default:
		sf.Status = f.Status
	}
	var out []*mesh.Invitation
	err = s.store.View(ctx, func(tx store.Tx) error {
		for {
			invs, err := tx.FindInvitations(ctx, sf)
			if err != nil {
				return err
			}
			for _, inv := range invs {
				inv.Status = inv.EffectiveStatus(now)
				if f.Status == "" || inv.Status == f.Status {
					out = append(out, inv)
				}
				if len(out) > f.Limit {
					return nil
				}
			}
			if len(invs) < sf.Limit {
				return nil
			}
			sf.BeforeID = invs[len(invs)-1].ID
		}
	})
	if err != nil {
		return nil, 0, err
	}
	var next int64
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = out[len(out)-1].ID
	}
	return out, next, nil
}

// InvitationDecision is the result of accepting or rejecting an invitation.
type InvitationDecision struct {
	Invitation *mesh.Invitation   `json:"invitation"`
	Link       *mesh.ResourceLink `json:"link,omitempty"`
}

// AcceptInvitation accepts a pending invitation as an admin of the invited
// account: the share and its grants become active, and a resource link named
// linkName (default: the database's name, made unique) appears. Only a
// share's current invitation (its newest) can be accepted or rejected.
// Errors: ENOTFOUND, EFORBIDDEN (another account's invitation), ECONFLICT
// (expired or already decided, or not the share's current invitation;
// Details carries the current state, or the current invitation's id).
func (s *Service) AcceptInvitation(ctx context.Context, id int64, linkName string) (*InvitationDecision, error) {
	return s.decideInvitation(ctx, id, true, linkName)
}

// RejectInvitation rejects a pending invitation; its grants stay inactive.
// Errors: as AcceptInvitation.
func (s *Service) RejectInvitation(ctx context.Context, id int64) (*InvitationDecision, error) {
	return s.decideInvitation(ctx, id, false, "")
}

func conflictState(inv *mesh.Invitation) error {
	return &mesh.Error{Code: mesh.ECONFLICT, Message: fmt.Sprintf("invitation %d is %s", inv.ID, inv.Status),
		Details: map[string]any{"id": inv.ID, "status": inv.Status, "expires_at": inv.ExpiresAt, "decided_by": inv.DecidedBy}}
}

// currentInvitation returns a share's current invitation: its newest.
func currentInvitation(ctx context.Context, tx store.Tx, shareID int64) (*mesh.Invitation, error) {
	invs, err := tx.FindInvitations(ctx, store.InvitationFilter{ShareID: shareID, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(invs) == 0 {
		return nil, mesh.NotFound("invitation of share", strconv.FormatInt(shareID, 10))
	}
	return invs[0], nil
}

// checkCurrent refuses to act on an invitation that a newer one of its share
// replaced (ECONFLICT naming the current one): an old invitation must not
// reopen or end a share that moved on.
func (s *Service) checkCurrent(ctx context.Context, tx store.Tx, inv *mesh.Invitation) error {
	cur, err := currentInvitation(ctx, tx, inv.ShareID)
	if err != nil {
		return err
	}
	if cur.ID == inv.ID {
		return nil
	}
	return &mesh.Error{Code: mesh.ECONFLICT,
		Message: fmt.Sprintf("invitation %d is not the current invitation of share %d: invitation %d is", inv.ID, inv.ShareID, cur.ID),
		Details: map[string]any{"id": inv.ID, "share_id": inv.ShareID, "current_id": cur.ID, "current_status": cur.EffectiveStatus(s.clock.Now())}}
}

// withdrawOthers withdraws the pending invitations of inv's share other than
// inv, once inv is decided: the share's state is settled, and they no longer
// stand for it. (A store written before only the current invitation could
// be decided may hold such.)
func (s *Service) withdrawOthers(ctx context.Context, tx store.Tx, inv *mesh.Invitation) error {
	invs, err := tx.FindInvitations(ctx, store.InvitationFilter{ShareID: inv.ShareID, Status: mesh.InvitationPending})
	if err != nil {
		return err
	}
	for _, o := range invs {
		if o.ID == inv.ID {
			continue
		}
		why := fmt.Sprintf("invitation %d of share %d was %s", inv.ID, inv.ShareID, inv.Status)
		if err := s.withdraw(ctx, tx, o, why); err != nil {
			return err
		}
	}
	return nil
}

// liveShare returns the share of a pending (or, for a resend, expired)
// invitation, which must still wait for a decision: a share that ended
// withdraws its invitation, and an active one has nothing left to decide.
func (s *Service) liveShare(ctx context.Context, tx store.Tx, inv *mesh.Invitation) (*mesh.Share, error) {
	sh, err := tx.FindShareByID(ctx, inv.ShareID)
	if mesh.IsCode(err, mesh.ENOTFOUND) {
		// Ending a share withdraws its pending invitations; this one was
		// left over from before that rule.
		inv.Status = mesh.InvitationWithdrawn
		return nil, conflictState(inv)
	}
	if err != nil {
		return nil, err
	}
	if sh.Status == mesh.ShareActive {
		return nil, &mesh.Error{Code: mesh.ECONFLICT, Message: fmt.Sprintf("share %d of invitation %d is already active", sh.ID, inv.ID),
			Details: map[string]any{"id": inv.ID, "share_id": sh.ID, "share_status": sh.Status}}
	}
	return sh, nil
}

func (s *Service) decideInvitation(ctx context.Context, id int64, accept bool, linkName string) (*InvitationDecision, error) {
	a, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	out := &InvitationDecision{}
	var late error
	err = s.update(ctx, func(tx store.Tx, c *changes) error {
		inv, err := tx.FindInvitationByID(ctx, id)
		if err != nil {
			return err
		}
		if !a.IsAdminOf(inv.AccountID) {
			return mesh.Errorf(mesh.EFORBIDDEN, "invitation %d is for account %s; only its admins may decide it", inv.ID, inv.AccountID)
		}
		if err := s.checkCurrent(ctx, tx, inv); err != nil {
			return err
		}
		now := s.clock.Now()
		switch inv.EffectiveStatus(now) {
		case mesh.InvitationPending:
		case mesh.InvitationExpired:
			if inv.Status == mesh.InvitationPending {
				// Record the expiry, commit it, then answer the conflict.
				if err := s.expire(ctx, tx, inv); err != nil {
					return err
				}
				late = conflictState(inv)
				return nil
			}
			return conflictState(inv)
		default:
			return conflictState(inv)
		}
		sh, err := s.liveShare(ctx, tx, inv)
		if err != nil {
			return err
		}
		inv.DecidedBy, inv.DecidedAt = a.Principal(), now
		action := "access.reject-invitation"
		if accept {
			inv.Status = mesh.InvitationAccepted
			action = "access.accept-invitation"
			if out.Link, err = s.activate(ctx, tx, c, sh, linkName); err != nil {
				return err
			}
			if err := c.bump(ctx, tx); err != nil {
				return err
			}
		} else {
			inv.Status = mesh.InvitationRejected
			sh.Status, sh.UpdatedAt = mesh.ShareRejected, now
			if err := tx.UpdateShare(ctx, sh); err != nil {
				return err
			}
		}
		if err := tx.UpdateInvitation(ctx, inv); err != nil {
			return err
		}
		if err := s.withdrawOthers(ctx, tx, inv); err != nil {
			return err
		}
		out.Invitation = inv
		return store.Audit(ctx, tx, now, action, invitationResource(inv), "share "+strconv.FormatInt(sh.ID, 10))
	})
	if err == nil {
		err = late
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// expire records that a pending invitation ran out, and its share with it.
func (s *Service) expire(ctx context.Context, tx store.Tx, inv *mesh.Invitation) error {
	if err := s.recordExpired(ctx, tx, inv); err != nil {
		return err
	}
	// Only the current invitation speaks for its share.
	cur, err := currentInvitation(ctx, tx, inv.ShareID)
	if err != nil {
		return err
	}
	if cur.ID == inv.ID {
		sh, err := tx.FindShareByID(ctx, inv.ShareID)
		if err == nil && sh.Status == mesh.SharePending {
			sh.Status, sh.UpdatedAt = mesh.ShareExpired, s.clock.Now()
			err = tx.UpdateShare(ctx, sh)
		}
		if err != nil && !mesh.IsCode(err, mesh.ENOTFOUND) {
			return err
		}
	}
	return nil
}

// ResendInvitation offers a pending or expired invitation again with a new
// expiry. Mesh admins and the owning account's admins may resend. Only a
// share's current invitation can be resent.
// Errors: EUNAUTHORIZED, ENOTFOUND, EFORBIDDEN, ECONFLICT (decided, not the
// share's current invitation, or its share ended or is active).
func (s *Service) ResendInvitation(ctx context.Context, id int64) (*mesh.Invitation, error) {
	a, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	var out *mesh.Invitation
	err = s.update(ctx, func(tx store.Tx, c *changes) error {
		inv, err := tx.FindInvitationByID(ctx, id)
		if err != nil {
			return err
		}
		owner, err := s.catalog.DatabaseOwner(ctx, tx, inv.Database)
		if err != nil && !mesh.IsCode(err, mesh.ENOTFOUND) {
			return err
		}
		if !a.IsMeshAdmin() && !(owner != "" && a.IsAdminOf(owner)) {
			if owner == "" {
				return mesh.Errorf(mesh.EFORBIDDEN, "only mesh admins may resend invitation %d", inv.ID)
			}
			return mesh.Errorf(mesh.EFORBIDDEN, "only mesh admins and the admins of account %s may resend invitation %d", owner, inv.ID)
		}
		if err := s.checkCurrent(ctx, tx, inv); err != nil {
			return err
		}
		now := s.clock.Now()
		inv.Status = inv.EffectiveStatus(now)
		if inv.Status != mesh.InvitationPending && inv.Status != mesh.InvitationExpired {
			return conflictState(inv)
		}
		sh, err := s.liveShare(ctx, tx, inv)
		if err != nil {
			return err
		}
		inv.Status, inv.ExpiresAt, inv.SentBy = mesh.InvitationPending, now.Add(s.cfg.InvitationTTL), a.Principal()
		if err := tx.UpdateInvitation(ctx, inv); err != nil {
			return err
		}
		sh.Status, sh.UpdatedAt = mesh.SharePending, now
		if err := tx.UpdateShare(ctx, sh); err != nil {
			return err
		}
		out = inv
		return store.Audit(ctx, tx, now, "access.resend-invitation", invitationResource(inv), "expires "+inv.ExpiresAt.Format("2006-01-02T15:04:05Z"))
	})
	return out, err
}

// ExpireInvitations records every pending invitation past its expiry, and
// returns how many it recorded. Expiry needs no sweep to take effect; this
// keeps the stored state and the audit log in step.
func (s *Service) ExpireInvitations(ctx context.Context) (int, error) {
	ctx = mesh.NewContext(ctx, mesh.SystemActor(s.cfg.CentralAccountID))
	due := false
	err := s.store.View(ctx, func(tx store.Tx) error {
		invs, err := tx.FindInvitations(ctx, store.InvitationFilter{Status: mesh.InvitationPending})
		for _, inv := range invs {
			due = due || inv.EffectiveStatus(s.clock.Now()) == mesh.InvitationExpired
		}
		return err
	})
	if err != nil || !due {
		return 0, err
	}
	n := 0
	err = s.update(ctx, func(tx store.Tx, c *changes) error {
		invs, err := tx.FindInvitations(ctx, store.InvitationFilter{Status: mesh.InvitationPending})
		if err != nil {
			return err
		}
		now := s.clock.Now()
		for _, inv := range invs {
			if inv.EffectiveStatus(now) == mesh.InvitationExpired {
				if err := s.expire(ctx, tx, inv); err != nil {
					return err
				}
				n++
			}
		}
		return nil
	})
	return n, err
}
