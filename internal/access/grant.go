package access

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// GrantInput names a grant or a revocation: who, on what, which permissions,
// and which of them with grant option.
type GrantInput struct {
	Principal   mesh.Principal   `json:"principal"`
	Resource    mesh.Resource    `json:"resource"`
	Permissions mesh.Permissions `json:"permissions"`
	Grantable   mesh.Permissions `json:"grantable"`
	// OnBehalf, set by a service granting with the owner's authority (the
	// data-sharing workflow: mesh.SourceSharing), keeps the grant under
	// that source, apart from the owner's own, and revokes only from it.
	// The API never sets it.
	OnBehalf mesh.Principal `json:"-"`
}

// validate checks the principal and that permissions are named. The
// resource's shape is checked by validateShape once a resource link in it
// has been resolved (a link may stand for a table).
func (in *GrantInput) validate(revoke bool) error {
	if _, err := mesh.ParsePrincipal("principal", string(in.Principal)); err != nil {
		return err
	}
	in.Resource = in.Resource.Normalize()
	if err := mesh.ValidateName("resource.database", in.Resource.Database); err != nil {
		return err
	}
	if in.Permissions == 0 && (!revoke || in.Grantable == 0) {
		return mesh.Invalid("permissions", "name at least one permission")
	}
	return nil
}

// validateShape checks the resolved resource and the permissions it may carry.
func (in *GrantInput) validateShape(revoke bool) error {
	if err := in.Resource.Validate(); err != nil {
		return err
	}
	valid := ValidPermissions(in.Resource.Kind())
	if bad := (in.Permissions | in.Grantable) &^ valid; bad != 0 {
		return mesh.Invalid("permissions", "%s cannot be granted on %s (allowed: %s)", bad, in.Resource.Kind(), valid)
	}
	if !revoke && !in.Permissions.Contains(in.Grantable) {
		return mesh.Invalid("grantable", "grant option is for granted permissions only: %s is not granted", in.Grantable&^in.Permissions)
	}
	return nil
}

// target is a checked resource: its owner and, for a link, what it names.
type target struct {
	owner string
}

// resolveResource rewrites a resource named through a resource link of the
// actor's account into the shared resource it points at. Errors: ENOTFOUND
// for a table other than the one a table's link points at.
func (s *Service) resolveResource(ctx context.Context, tx store.Tx, a *mesh.Actor, r *mesh.Resource) error {
	if a.AccountID == s.cfg.CentralAccountID {
		return nil
	}
	l, err := tx.FindResourceLink(ctx, a.AccountID, r.Database)
	switch {
	case mesh.IsCode(err, mesh.ENOTFOUND):
		return nil
	case err != nil:
		return err
	}
	resolved, ok := resolveLink(l, *r)
	if !ok {
		return mesh.NotFound("table", r.Table+" through resource link "+l.Name)
	}
	*r = resolved
	return nil
}

// checkResource resolves a link of the actor's account, and checks that the
// database, table and columns exist. Errors: ENOTFOUND, EINVALID naming
// unknown columns.
func (s *Service) checkResource(ctx context.Context, tx store.Tx, a *mesh.Actor, in *GrantInput) (target, error) {
	r := &in.Resource
	if err := s.resolveResource(ctx, tx, a, r); err != nil {
		return target{}, err
	}
	if err := in.validateShape(false); err != nil {
		return target{}, err
	}
	owner, err := s.catalog.DatabaseOwner(ctx, tx, r.Database)
	if err != nil {
		return target{}, err
	}
	if r.Table == "" || r.Table == mesh.AllTables {
		return target{owner: owner}, nil
	}
	cols, err := s.catalog.TableColumns(ctx, tx, r.Database, r.Table)
	if err != nil {
		return target{}, err
	}
	var unknown []string
	for _, c := range append(slices.Clone(r.Columns), r.ExcludedColumns...) {
		if !slices.Contains(cols, c) {
			unknown = append(unknown, c)
		}
	}
	if len(unknown) > 0 {
		field := "resource.columns"
		if len(r.ExcludedColumns) > 0 {
			field = "resource.excluded_columns"
		}
		return target{}, &mesh.Error{Code: mesh.EINVALID, Field: field,
			Message: fmt.Sprintf("table %s.%s has no column %s", r.Database, r.Table, strings.Join(unknown, ", ")), Details: unknown}
	}
	return target{owner: owner}, nil
}

// checkPrincipal checks that the account (and user) exist.
func (s *Service) checkPrincipal(ctx context.Context, tx store.Tx, p mesh.Principal) (org string, err error) {
	org, err = s.accounts.AccountOrganization(ctx, tx, p.Account())
	if err != nil {
		return "", err
	}
	if !p.IsAccount() {
		if err := s.accounts.CheckUser(ctx, tx, p.Account(), p.User()); err != nil {
			return "", err
		}
	}
	return org, nil
}

// authority finds what lets the actor grant (or revoke) need on r: mesh
// admins and the owning account's admins may do anything (source ""); anyone
// else only from what they hold with grant option: their account's holding if
// they are its admin, else their own. Errors: EFORBIDDEN naming the first
// missing permission.
func (s *Service) authority(ctx context.Context, tx store.Tx, a *mesh.Actor, owner string, r mesh.Resource, need mesh.Permissions) (mesh.Principal, error) {
	if a.IsMeshAdmin() || (owner != "" && a.IsAdminOf(owner)) {
		return "", nil
	}
	candidates := []mesh.Principal{mesh.UserPrincipal(a.AccountID, a.Username)}
	if a.HasRole(mesh.RoleAdmin) {
		candidates = append([]mesh.Principal{mesh.Principal(a.AccountID)}, candidates...)
	}
	var missing string
	for _, c := range candidates {
		n, err := heldNode(ctx, tx, c, r.Database)
		if err != nil {
			return "", err
		}
		missing = ""
		for _, p := range need.List() {
			if ids, _ := n.decide(p, r, true); ids == nil {
				missing = Need(p, r, true)
				break
			}
		}
		if missing == "" {
			return c, nil
		}
	}
	return "", mesh.Errorf(mesh.EFORBIDDEN, "you lack %s", missing)
}

// Grant gives in.Principal in.Permissions on in.Resource. A principal holds
// one grant on a resource per source, the grant option it was made from
// (none for mesh admins and the owner's admins): granting from the same
// source again merges into that grant, and from another source makes a
// grant of its own, which ends with its source alone (the cascade) and which
// its grantor may revoke. Decisions take the union. A grant to another account (not
// the owner, not the central account) shares the resource with it: active at
// once within the central account's organization, else pending an invitation.
// The resource may name a resource link of the caller's account.
// Errors: EUNAUTHORIZED, EINVALID, ENOTFOUND (resource, principal), EFORBIDDEN.
func (s *Service) Grant(ctx context.Context, in GrantInput) (*mesh.Grant, error) {
	a, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	if err := in.validate(false); err != nil {
		return nil, err
	}
	var out *mesh.Grant
	err = s.update(ctx, func(tx store.Tx, c *changes) error {
		var err error
		out, err = s.grantIn(ctx, tx, c, a, in)
		return err
	})
	return out, err
}

// grantIn is Grant's work inside tx, its index changes collected in c.
//
// A principal the index knows no active grant of in the database most
// likely has none: grantIn then inserts the grant without reading it
// first, and reads and merges it only if the insert finds it there (a
// pending grant, or another replica's not yet refreshed).
//
// A transaction that holds the access version only to add (GrantTx) makes
// grants, shares and links alongside others; widening a grant it finds, or
// inviting again to a share that is not active, bumps the version first
// (changes.bump), and grantOnce then starts again from what committed.
func (s *Service) grantIn(ctx context.Context, tx store.Tx, c *changes, a *mesh.Actor, in GrantInput) (*mesh.Grant, error) {
	isNew := !c.probe && !s.index.Holds(in.Principal, in.Resource.Database)
	for {
		g, err := s.grantOnce(ctx, tx, c, a, in, isNew)
		switch {
		case errors.Is(err, errGrantExists):
			isNew = false
		case errors.Is(err, errExclusive):
			if err := c.bump(ctx, tx); err != nil {
				return nil, err
			}
		default:
			return g, err
		}
	}
}

var (
	// errGrantExists: grantOnce, told the grant is new, found it was not.
	errGrantExists = errors.New("access: the grant exists")
	// errExclusive: grantOnce, adding, found it must change more than it
	// adds; it has written nothing that running again would not find.
	errExclusive = errors.New("access: the change needs the version exclusively")
)

// grantOnce is grantIn's work, reading the grant first unless isNew.
func (s *Service) grantOnce(ctx context.Context, tx store.Tx, c *changes, a *mesh.Actor, in GrantInput, isNew bool) (*mesh.Grant, error) {
	t, err := s.checkResource(ctx, tx, a, &in)
	if err != nil {
		return nil, err
	}
	org, err := s.checkPrincipal(ctx, tx, in.Principal)
	if err != nil {
		return nil, err
	}
	source, err := s.authority(ctx, tx, a, t.owner, in.Resource, in.Permissions|in.Grantable)
	if err != nil {
		return nil, err
	}
	// owners: the owner's authority, the grant's source its own or on behalf
	owners := source == ""
	if owners {
		source = in.OnBehalf
	}
	foreign := in.Principal.Account() != t.owner && in.Principal.Account() != s.cfg.CentralAccountID
	switch {
	case !owners && in.Principal.Account() != source.Account():
		return nil, mesh.Errorf(mesh.EFORBIDDEN, "what %s holds with grant option may go only to principals of account %s", source, source.Account())
	case owners && foreign && !in.Principal.IsAccount():
		return nil, mesh.Invalid("principal", "a grant to another account goes to the account (%s); its admins grant its users", in.Principal.Account())
	case !owners && (in.Principal == source || in.Principal.IsAccount()):
		return nil, mesh.Invalid("principal", "what %s holds with grant option goes to users of account %s", source, source.Account())
	}
	now := s.clock.Now()
	find := tx.FindGrantByResource
	if c.probe {
		find = tx.LockGrantByResource // what the probe finds held stays so
	}
	var g *mesh.Grant
	if isNew {
		err = mesh.NotFound("grant", string(in.Principal))
	} else {
		g, err = find(ctx, in.Principal, in.Resource, source)
	}
	var held mesh.Grant
	switch {
	case mesh.IsCode(err, mesh.ENOTFOUND) && c.probe:
		return nil, errNoGrant
	case mesh.IsCode(err, mesh.ENOTFOUND):
		g = &mesh.Grant{Principal: in.Principal, Resource: in.Resource, Status: mesh.GrantActive, Source: source, CreatedAt: now}
	case err != nil:
		return nil, err
	default:
		held = *g
	}
	g.Permissions |= in.Permissions
	g.Grantable |= in.Grantable
	switch {
	case owners && foreign && c.probe:
		// An active grant's share is active, so the grant, locked, speaks
		// for it: a share becomes active with all its grants (activate) and
		// ends only with them. A pending one may need a new invitation.
		if g.ShareID == 0 || g.Status != mesh.GrantActive {
			return nil, errWouldChange
		}
	case owners && foreign:
		sh, err := s.share(ctx, tx, c, a, in.Principal.Account(), org, in.Resource)
		if err != nil {
			return nil, err
		}
		g.ShareID = sh.ID
		g.Status = mesh.GrantPending
		if sh.Status == mesh.ShareActive {
			g.Status = mesh.GrantActive
		}
	}
	if g.ID != 0 && g.Permissions == held.Permissions && g.Grantable == held.Grantable &&
		g.Status == held.Status && g.ShareID == held.ShareID {
		// Held already, as in PostgreSQL: nothing changes, so nothing is
		// written (the audit log records changes) and there is no platform
		// work; the grant stays as its granter made it. A request shared
		// this way names the grant in its own audit entry.
		return g, nil
	}
	if c.probe {
		return nil, errWouldChange
	}
	if c.adding && g.ID != 0 {
		return nil, errExclusive // widening what another transaction may be widening too
	}
	g.GrantedBy, g.UpdatedAt = a.Principal(), now
	if g.ID == 0 {
		err = tx.CreateGrant(ctx, g)
		if isNew && mesh.IsCode(err, mesh.ECONFLICT) {
			return nil, errGrantExists
		}
	} else {
		err = tx.UpdateGrant(ctx, g)
	}
	if err != nil {
		return nil, err
	}
	if err := s.grantChanged(ctx, tx, g, false); err != nil {
		return nil, err
	}
	c.putGrant(g)
	detail := fmt.Sprintf("%s %s on %s", g.Principal, in.Permissions, in.Resource)
	if in.Grantable != 0 {
		detail += fmt.Sprintf(" (grantable %s)", in.Grantable)
	}
	if err := store.Audit(ctx, tx, now, "access.grant", fmt.Sprintf("grant/%d", g.ID), detail); err != nil {
		return nil, err
	}
	return g, c.take(ctx, tx)
}

// Revoke removes exactly the named permissions (and the named grant options)
// from the principal's grants on exactly that resource, which may name a
// resource link of the caller's account, as in Grant; revoking a permission
// revokes its grant option too. Of the principal's grants there (one a
// source), it changes those the caller may revoke (mayRevoke): a grantor
// revokes what it granted, the owner's admins and mesh admins revoke from
// every source; a grant holding nothing of what is revoked stays as it is.
// It returns the first grant it changed, by id, that still holds
// permissions, else the first it changed. As in PostgreSQL, revoking one permission
// from ALL leaves every other one the resource allows, and revoking ALL
// revokes everything. What others were granted from the revoked grant option
// shrinks with it, and a share whose last grant goes ends.
// Errors: EUNAUTHORIZED, EINVALID, ENOTFOUND (no such grant), EFORBIDDEN.
func (s *Service) Revoke(ctx context.Context, in GrantInput) (*mesh.Grant, error) {
	a, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	if err := in.validate(true); err != nil {
		return nil, err
	}
	var out *mesh.Grant
	err = s.update(ctx, func(tx store.Tx, c *changes) error {
		var err error
		out, err = s.revokeIn(ctx, tx, c, a, in)
		return err
	})
	return out, err
}

// revokeIn is Revoke's work inside tx, its index changes collected in c.
func (s *Service) revokeIn(ctx context.Context, tx store.Tx, c *changes, a *mesh.Actor, in GrantInput) (*mesh.Grant, error) {
	if err := s.resolveResource(ctx, tx, a, &in.Resource); err != nil {
		return nil, err
	}
	if err := in.validateShape(true); err != nil {
		return nil, err
	}
	gs, err := grantsOn(ctx, tx, in.Principal, in.Resource)
	if err != nil {
		return nil, err
	}
	if in.OnBehalf != "" {
		// a service revokes what it granted
		gs = slices.DeleteFunc(gs, func(g *mesh.Grant) bool { return g.Source != in.OnBehalf })
	}
	if len(gs) == 0 {
		return nil, mesh.NotFound("grant", string(in.Principal)+" on "+in.Resource.String())
	}
	owner, err := s.catalog.DatabaseOwner(ctx, tx, in.Resource.Database)
	if err != nil && !mesh.IsCode(err, mesh.ENOTFOUND) {
		return nil, err
	}
	var mine []*mesh.Grant
	for _, g := range gs {
		if s.mayRevoke(a, owner, g) {
			mine = append(mine, g)
		}
	}
	if len(mine) == 0 {
		return nil, mesh.Errorf(mesh.EFORBIDDEN, "only mesh admins, the owning account's admins or the grant's grantor may revoke %s's grant on %s", in.Principal, gs[0].Resource)
	}
	var what []string
	if in.Permissions != 0 {
		what = append(what, in.Permissions.String())
	}
	if in.Grantable != 0 {
		what = append(what, "grant option for "+in.Grantable.String())
	}
	// A grant that holds nothing of what is revoked is left as it is,
	// unless none holds any (the revocation then is the first one's, as
	// with one grant).
	changes := func(g *mesh.Grant) bool {
		perms, grantable := revoked(g, in)
		return perms != g.Permissions || grantable != g.Grantable
	}
	if slices.ContainsFunc(mine, changes) {
		mine = slices.DeleteFunc(mine, func(g *mesh.Grant) bool { return !changes(g) })
	} else {
		mine = mine[:1]
	}
	var out *mesh.Grant
	for i, g := range mine {
		if i > 0 {
			// The last one's cascade may have come back round to this
			// principal (alice grants carol, carol grants alice).
			if g, err = tx.FindGrantByID(ctx, g.ID); mesh.IsCode(err, mesh.ENOTFOUND) {
				continue
			} else if err != nil {
				return nil, err
			}
		}
		g.Permissions, g.Grantable = revoked(g, in)
		g.GrantedBy, g.UpdatedAt = a.Principal(), s.clock.Now()
		detail := fmt.Sprintf("%s %s on %s", g.Principal, strings.Join(what, ", "), g.Resource)
		switch g.Source {
		case "":
		case mesh.SourceSharing:
			detail += " (granted for data-sharing requests)"
		default:
			detail += " (granted from " + string(g.Source) + "'s grant option)"
		}
		if err := s.saveShrunk(ctx, tx, c, g, "access.revoke", detail); err != nil {
			return nil, err
		}
		if out == nil || out.Permissions == 0 && g.Permissions != 0 {
			out = g
		}
	}
	return out, c.bump(ctx, tx)
}

// revoked is what g holds once in's permissions and grant options are
// revoked from it. Taking one permission from ALL leaves the others the
// resource allows (a table's ALL is no CREATE_TABLE); revoking ALL takes all.
func revoked(g *mesh.Grant, in GrantInput) (perms, grantable mesh.Permissions) {
	valid := ValidPermissions(g.Resource.Kind())
	return g.Permissions.Without(in.Permissions) & valid, g.Grantable.Without(in.Permissions|in.Grantable) & valid
}

// grantsOn returns p's grants on exactly r, one a source, by id.
func grantsOn(ctx context.Context, tx store.Tx, p mesh.Principal, r mesh.Resource) ([]*mesh.Grant, error) {
	// Table "" matches the database's every grant, and a table's its
	// column grants too: the exact resource is kept below.
	gs, err := tx.FindGrants(ctx, store.GrantFilter{Principal: p, Database: r.Database, Table: r.Table})
	if err != nil {
		return nil, err
	}
	tbl, mode, cols := store.EncodeResource(r)
	out := gs[:0]
	for _, g := range gs {
		if t, m, c := store.EncodeResource(g.Resource); t == tbl && m == mode && c == cols {
			out = append(out, g)
		}
	}
	return out, nil
}

// mayRevoke: mesh admins, the owner's admins, and whoever's grant option made
// the grant (its account's admins for an account source).
func (s *Service) mayRevoke(a *mesh.Actor, owner string, g *mesh.Grant) bool {
	switch {
	case a.IsMeshAdmin(), owner != "" && a.IsAdminOf(owner):
		return true
	case g.Source == "":
		return false
	case g.Source.IsAccount():
		return a.IsAdminOf(string(g.Source))
	}
	return g.Source == mesh.UserPrincipal(a.AccountID, a.Username) || a.IsAdminOf(g.Source.Account())
}

// saveShrunk stores a grant that lost permissions (deleting it when none are
// left), audits it, ends its share when it was the share's last grant, and
// cascades to what was granted from the holder's grant option.
func (s *Service) saveShrunk(ctx context.Context, tx store.Tx, c *changes, g *mesh.Grant, action, detail string) error {
	now := s.clock.Now()
	if g.Permissions == 0 {
		if err := tx.DeleteGrant(ctx, g.ID); err != nil {
			return err
		}
		if err := s.grantChanged(ctx, tx, g, true); err != nil {
			return err
		}
		c.removeGrant(g.ID)
		for _, fn := range s.grantEnded {
			if err := fn(ctx, tx, g, detail); err != nil {
				return err
			}
		}
		if g.ShareID != 0 {
			if err := s.endShareIfEmpty(ctx, tx, c, g.ShareID); err != nil {
				return err
			}
		}
	} else {
		if err := tx.UpdateGrant(ctx, g); err != nil {
			return err
		}
		if err := s.grantChanged(ctx, tx, g, false); err != nil {
			return err
		}
		c.putGrant(g)
	}
	if err := store.Audit(ctx, tx, now, action, fmt.Sprintf("grant/%d", g.ID), detail); err != nil {
		return err
	}
	return s.cascade(ctx, tx, c, g.Principal, g.Resource.Database)
}

// cascade shrinks every grant made from holder's grant option in database to
// what holder still holds with grant option, recursively. Each shrink is
// audited as access.revoke-cascade. The recursion ends because it goes on
// only through a grant that lost permissions.
func (s *Service) cascade(ctx context.Context, tx store.Tx, c *changes, holder mesh.Principal, database string) error {
	derived, err := tx.FindGrants(ctx, store.GrantFilter{Source: holder, Database: database})
	if err != nil || len(derived) == 0 {
		return err
	}
	n, err := heldNode(ctx, tx, holder, database)
	if err != nil {
		return err
	}
	shrunk := false
	for _, g := range derived {
		if shrunk {
			// The last shrink's cascade may have come back round to holder
			// (alice grants carol, carol grants alice) and changed holder's
			// grants or this one: work from what it left.
			if g, err = tx.FindGrantByID(ctx, g.ID); mesh.IsCode(err, mesh.ENOTFOUND) {
				continue
			} else if err != nil {
				return err
			}
			if n, err = heldNode(ctx, tx, holder, database); err != nil {
				return err
			}
		}
		// A derived ALL is checked permission by permission, so that it
		// keeps what holder can still grant.
		valid := ValidPermissions(g.Resource.Kind())
		var lost mesh.Permissions
		for _, p := range ((g.Permissions | g.Grantable).Explicit() & valid).List() {
			if ids, _ := n.decide(p, g.Resource, true); ids == nil {
				lost |= p.Bit()
			}
		}
		if lost == 0 {
			continue
		}
		g.Permissions = g.Permissions.Without(lost) & valid
		g.Grantable = g.Grantable.Without(lost) & valid
		g.UpdatedAt = s.clock.Now()
		detail := fmt.Sprintf("%s %s on %s: %s no longer holds it with grant option", g.Principal, lost, g.Resource, holder)
		if err := s.saveShrunk(ctx, tx, c, g, "access.revoke-cascade", detail); err != nil {
			return err
		}
		shrunk = true
	}
	return nil
}

// heldNode reads what holder holds in database, for deciding what it may grant.
func heldNode(ctx context.Context, tx store.Tx, holder mesh.Principal, database string) (*node, error) {
	held, err := tx.FindGrants(ctx, store.GrantFilter{Principal: holder, Database: database})
	if err != nil {
		return nil, err
	}
	return grantNode(held, database), nil
}

// deleteGrant removes a whole grant for a reason (a catalog delete, an
// offboarding), with its audit record and cascade.
func (s *Service) deleteGrant(ctx context.Context, tx store.Tx, c *changes, g *mesh.Grant, reason string) error {
	lost := g.Permissions
	g.Permissions, g.Grantable = 0, 0
	return s.saveShrunk(ctx, tx, c, g, "access.revoke-cascade", fmt.Sprintf("%s %s on %s: %s", g.Principal, lost, g.Resource, reason))
}

// GrantFilter selects grants to list.
type GrantFilter = store.GrantFilter

// ListGrants returns grants matching f, in id order, and the id to continue
// after (0 at the end, even when the last page is full: one grant more is
// read to tell). Mesh admins see every grant; others see their own
// account's grants and the grants on databases their account owns. The
// store selects what the caller sees before it limits the page, so a page
// is short only at the end. Errors: EUNAUTHORIZED.
func (s *Service) ListGrants(ctx context.Context, f GrantFilter) ([]*mesh.Grant, int64, error) {
	a, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 1000
	}
	if !a.IsMeshAdmin() {
		f.VisibleTo = a.AccountID
	}
	var out []*mesh.Grant
	var next int64
	limit := f.Limit
	f.Limit++
	err = s.store.View(ctx, func(tx store.Tx) (err error) {
		out, err = tx.FindGrants(ctx, f)
		if len(out) > limit {
			out, next = out[:limit], out[limit-1].ID
		}
		return err
	})
	return out, next, err
}
