// Package access holds meshgate's permissions and cross-account sharing:
// grants with grant option, the one authorization decision, shares of
// catalog resources with other accounts, their invitations, and the resource
// links that show a share in the consumer account's catalog view.
//
// # Semantics (Lake Formation's)
//
// A grant gives a principal (an account, or one of its users) permissions on
// a database, on all tables of a database (also those added later), on a
// table, or on some columns of a table (an include or an exclude list, SELECT
// only), with a subset held WITH GRANT OPTION. ALL implies every permission.
// Database grants cover the database itself, not its tables. Any permission
// on a table or some of its columns implies DESCRIBE of the table, and any
// grant in a database DESCRIBE of the database. A user's permissions are its
// own grants only: a cross-account grant lands on the account, and the
// account's users get nothing until its admins grant them, from what the
// account holds with grant option. An account principal holds everything on
// the databases it owns (data_owner), and the central account on all.
//
// Mesh admins may grant anything, a producer account's admins anything on
// their own databases; anyone else only what they (or, for an account's
// admins, their account) hold with grant option, and only to users of their
// own account. Such a grant records its source; when the source's holding
// shrinks, the grant shrinks with it (the cascade), each step audited. A
// principal holds one grant on a resource per source (none, for mesh admins'
// and the owner's admins'), so that each ends with its own source and its
// grantor can revoke it; decisions take their union.
//
// # Freshness
//
// Decisions are answered from an in-memory Index of the active grants. The
// store keeps an access version: every access transaction increments it
// first, so each grant it writes carries the new version, and each grant it
// deletes leaves a tombstone at that version. A transaction that only adds
// (GrantTx: the data-sharing workflow's grants) takes it to add
// (store.Tx.AddAccessVersion): on PostgreSQL such transactions run
// alongside one another and their writes get the version as they commit,
// in the order of the commits; every other access change waits for them. Ownership follows the same
// path: the catalog's transaction that creates a database, changes its
// data_owner or deletes it increments the version and records the new owner
// at it (OnOwnerChange). A change made through this process is applied to
// the index right after it commits and before it is acknowledged, so this
// server's next decision follows it. Changes made elsewhere (another replica
// on the same PostgreSQL database) are picked up by Refresh: one single-row
// read when nothing changed, else the grants, tombstones and owner changes
// newer than the index's version. The Run loop calls Refresh on
// each PostgreSQL notification of an access change (LISTEN/NOTIFY: usually
// within milliseconds of the commit) and every Config.RefreshInterval
// (default 1s), which bounds the staleness of another replica's decisions
// even when a notification is lost; a replica's own changes show at once.
package access

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// Defaults of Config.
const (
	DefaultInvitationTTL   = 12 * time.Hour
	DefaultRefreshInterval = time.Second
	DefaultSweepInterval   = time.Minute
)

// Config tunes the service.
type Config struct {
	// CentralAccountID is the server's own account.
	CentralAccountID string
	// Organization is the central account's organization: shares with
	// accounts of the same (non-empty) organization are active at once.
	Organization string
	// InvitationTTL is how long an invitation stays pending (default 12h, as RAM).
	InvitationTTL time.Duration
	// RefreshInterval bounds how stale the decision index may be against
	// changes made by other replicas (default 1s).
	RefreshInterval time.Duration
	// SweepInterval is how often expired invitations are recorded (default 1m).
	// Expiry itself is exact: a pending invitation past its time is expired
	// whenever it is read.
	SweepInterval time.Duration
}

// Catalog is what access reads of the catalog, inside the caller's transaction.
type Catalog interface {
	// DatabaseOwner returns a database's owning account (its data_owner
	// parameter, possibly empty), or ENOTFOUND.
	DatabaseOwner(ctx context.Context, tx store.Tx, database string) (string, error)
	// TableColumns returns a table's column names, or ENOTFOUND.
	TableColumns(ctx context.Context, tx store.Tx, database, table string) ([]string, error)
	// Tables returns a database's table names.
	Tables(ctx context.Context, tx store.Tx, database string) ([]string, error)
	// Owners returns every database's owning account.
	Owners(ctx context.Context, tx store.Tx) (map[string]string, error)
}

// Accounts is what access reads of accounts and users.
type Accounts interface {
	// AccountOrganization returns an account's organization ("" for none), or ENOTFOUND.
	AccountOrganization(ctx context.Context, tx store.Tx, accountID string) (string, error)
	// CheckUser returns ENOTFOUND unless the account has the user.
	CheckUser(ctx context.Context, tx store.Tx, accountID, username string) error
}

// Service manages grants, shares, invitations and links, and decides.
type Service struct {
	store    store.Store
	clock    mesh.Clock
	cfg      Config
	catalog  Catalog
	accounts Accounts
	index    *Index
	// grantHooks run inside each grant change's transaction (OnGrantChange).
	grantHooks []GrantHook

	// writeMu orders this process's access changes so that each is applied
	// to the index in commit order.
	writeMu sync.Mutex
	// dirty asks the next Refresh to reload even if the version looks current.
	dirty atomic.Bool
	// ownersAt is when the owners were last read (guarded by writeMu).
	ownersAt time.Time
	// refreshed, when set (by tests), is called after each refresh of Run.
	refreshed func()
	// grantEnded are called, in the ending transaction, for each grant that
	// ends (see OnGrantEnd); set before serving.
	grantEnded []GrantEndFunc
	// rowLocks: the store locks rows one by one (store.RowLocking).
	rowLocks bool
}

// GrantEndFunc learns, in the transaction that ends it, that grant g is
// gone, and why (the audited detail). An error rolls the transaction back.
type GrantEndFunc func(ctx context.Context, tx store.Tx, g *mesh.Grant, why string) error

// OnGrantEnd registers fn to run whenever a grant ends: revoked to nothing,
// or removed by a catalog delete, an offboarding or a cascade. The
// data-sharing workflow ends its requests with their grants this way.
// Register before serving.
func (s *Service) OnGrantEnd(fn GrantEndFunc) { s.grantEnded = append(s.grantEnded, fn) }

// NewService returns the access service. Call Load before serving decisions.
func NewService(s store.Store, clock mesh.Clock, cfg Config, catalog Catalog, accounts Accounts) *Service {
	if cfg.InvitationTTL == 0 {
		cfg.InvitationTTL = DefaultInvitationTTL
	}
	if cfg.RefreshInterval == 0 {
		cfg.RefreshInterval = DefaultRefreshInterval
	}
	if cfg.SweepInterval == 0 {
		cfg.SweepInterval = DefaultSweepInterval
	}
	_, rowLocks := store.As[store.RowLocking](s)
	return &Service{store: s, clock: clock, cfg: cfg, catalog: catalog, accounts: accounts, index: NewIndex(cfg.CentralAccountID), rowLocks: rowLocks}
}

// Index returns the decision index, for in-process callers that decide often.
func (s *Service) Index() *Index { return s.index }

// ownersInterval is how often Refresh rereads every database's owner. The
// catalog reports each change of owner (OnOwnerChange), which Refresh reads
// by difference; the full reread only repairs what was written around the
// catalog service.
const ownersInterval = 10 * time.Second

// tombstoneWindow is how many access versions of deleted grants the store
// keeps; a replica further behind than that reloads everything.
const tombstoneWindow = 100_000

// Load rebuilds the index from the store: every grant, link and owner.
func (s *Service) Load(ctx context.Context) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.loadLocked(ctx)
}

func (s *Service) loadLocked(ctx context.Context) error {
	var version int64
	var grants []*mesh.Grant
	var links []*mesh.ResourceLink
	var owners map[string]string
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		if version, err = tx.AccessVersion(ctx); err != nil {
			return err
		}
		if grants, err = tx.FindGrants(ctx, store.GrantFilter{}); err != nil {
			return err
		}
		if links, err = tx.FindResourceLinks(ctx, "", 0); err != nil {
			return err
		}
		owners, err = s.catalog.Owners(ctx, tx)
		return err
	})
	if err != nil {
		return fmt.Errorf("load access index: %w", err)
	}
	s.index.Replace(version, grants, owners)
	s.index.ReplaceLinks(links)
	s.ownersAt = s.clock.Now()
	return nil
}

// Refresh brings the index up to the store's access version by difference:
// the grants and links written and the tombstones of the grants and links
// deleted since the index's version. It reloads everything after a change it
// could not follow (a catalog delete's transaction, or a version further
// behind than the store keeps tombstones). It also refreshes the owners.
func (s *Service) Refresh(ctx context.Context) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.refreshLocked(ctx)
}

func (s *Service) refreshLocked(ctx context.Context) error {
	have := s.index.Version()
	var ch *store.AccessChanges
	var owners map[string]string
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		if s.clock.Now().Sub(s.ownersAt) >= ownersInterval {
			if owners, err = s.catalog.Owners(ctx, tx); err != nil {
				return err
			}
		}
		ch, err = store.FindAccessChanges(ctx, tx, have, tombstoneWindow)
		return err
	})
	if err != nil {
		return fmt.Errorf("refresh access index: %w", err)
	}
	version := ch.Version
	if s.dirty.Swap(false) || version < have || version-have > tombstoneWindow {
		return s.loadLocked(ctx)
	}
	if owners != nil {
		// The full read goes first: the changes read by difference may be newer.
		s.index.SetOwners(owners)
		s.ownersAt = s.clock.Now()
	}
	if version != have {
		s.index.Apply(version, ch.Grants, ch.GrantsGone)
		s.index.ApplyOwners(version, ch.Owners)
		s.index.ApplyLinks(ch.Links, ch.LinksGone)
	}
	return nil
}

// Run keeps the index fresh and records expired invitations until ctx ends
// (server.Background). On a store that notifies of access changes
// (PostgreSQL's LISTEN/NOTIFY), it refreshes on each notice as well as on
// the ticker.
func (s *Service) Run(ctx context.Context) error {
	refresh := time.NewTicker(s.cfg.RefreshInterval)
	defer refresh.Stop()
	sweep := time.NewTicker(s.cfg.SweepInterval)
	defer sweep.Stop()
	// With a store that notifies (PostgreSQL), other replicas' changes
	// arrive within milliseconds; the ticker remains the bound.
	notified := make(chan struct{}, 1)
	if l, ok := store.As[store.AccessListener](s.store); ok {
		// The listener holds a pooled connection: wait for it to give it
		// back before the store closes.
		var wg sync.WaitGroup
		defer wg.Wait()
		wg.Go(func() {
			l.ListenAccess(ctx, func() {
				select {
				case notified <- struct{}{}:
				default:
				}
			})
		})
	}
	// A refresh that fails leaves the next one to reload everything.
	refreshNow := func() {
		if err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
			s.dirty.Store(true)
		}
		s.afterRefresh()
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-notified:
			refreshNow()
		case <-refresh.C:
			refreshNow()
		case <-sweep.C:
			s.ExpireInvitations(ctx)
			s.pruneTombstones(ctx)
		}
	}
}

// changes collects what a transaction did to the index's inputs, applied
// once it commits.
type changes struct {
	put      map[int64]*mesh.Grant
	removed  map[int64]bool
	links    []*mesh.ResourceLink
	unlinked []*mesh.ResourceLink
	version  int64
	bumped   bool
	// adding: the transaction holds the access version only to add
	// (store.Tx.AddAccessVersion: GrantTx); bump makes it exclusive.
	adding bool
	// probe: only read, to find whether a grant is held already
	// (GrantTx); grantIn then returns errWouldChange before any write.
	probe bool
}

func newChanges() *changes {
	return &changes{put: map[int64]*mesh.Grant{}, removed: map[int64]bool{}}
}

func (c *changes) putGrant(g *mesh.Grant) {
	cp := *g
	c.put[g.ID] = &cp
	delete(c.removed, g.ID)
}

func (c *changes) removeGrant(id int64) {
	delete(c.put, id)
	c.removed[id] = true
}

// absorb adds o's grant changes after c's own.
func (c *changes) absorb(o *changes) {
	for _, g := range o.put {
		c.putGrant(g)
	}
	for id := range o.removed {
		c.removeGrant(id)
	}
}

// grantLists returns the grants c puts and removes, as Index.Apply takes them.
func (c *changes) grantLists() (put []*mesh.Grant, removed []int64) {
	put = make([]*mesh.Grant, 0, len(c.put))
	for _, g := range c.put {
		put = append(put, g)
	}
	removed = make([]int64, 0, len(c.removed))
	for id := range c.removed {
		removed = append(removed, id)
	}
	return put, removed
}

// applyLinks applies c's resource-link changes to the index.
func (s *Service) applyLinks(c *changes) {
	for _, l := range c.unlinked {
		s.index.RemoveLink(l)
	}
	for _, l := range c.links {
		s.index.PutLink(l)
	}
}

// bump increments the store's access version once per transaction, or
// once more in a transaction that held it only to add: what comes next
// changes more than it adds.
func (c *changes) bump(ctx context.Context, tx store.Tx) error {
	if c.bumped && !c.adding {
		return nil
	}
	v, err := tx.BumpAccessVersion(ctx)
	if err != nil {
		return err
	}
	c.version, c.bumped, c.adding = v, true, false
	return nil
}

// take takes the access version, as bump does, unless the transaction
// holds it already in either way.
func (c *changes) take(ctx context.Context, tx store.Tx) error {
	if c.bumped {
		return nil
	}
	return c.bump(ctx, tx)
}

// update runs fn in a store transaction that first increments the access
// version (so that every grant it writes carries the new version, and access
// changes are ordered across replicas by that row's lock) and, once it
// commits, applies its changes to the index. When the version does not follow
// the index's own, another replica changed access in between: the index
// catches up by difference at once. A transaction the store aborted to
// break a deadlock runs again (store.UpdateRetrying), with changes of its
// own.
func (s *Service) update(ctx context.Context, fn func(tx store.Tx, c *changes) error) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	var c *changes
	err := store.UpdateRetrying(ctx, s.store, func(tx store.Tx) error {
		c = newChanges()
		if err := c.bump(ctx, tx); err != nil {
			return err
		}
		return fn(tx, c)
	})
	if err != nil {
		return err
	}
	prev := s.index.Version()
	next := prev
	if c.version == prev+1 {
		next = c.version
	}
	put, removed := c.grantLists()
	s.index.Apply(next, put, removed)
	s.applyLinks(c)
	if next != c.version {
		// Our own changes are applied; the refresh fetches them again with
		// the others', which is harmless. A failure leaves the next tick to it.
		s.refreshLocked(context.WithoutCancel(ctx))
	}
	return nil
}

// listedAccount decides whose things (what: "invitations", ...) a listing
// shows: the account asked for, or the actor's own when none is named; a mesh
// admin naming none sees every account's (""). Only mesh admins list another
// account's (EFORBIDDEN).
func listedAccount(a *mesh.Actor, accountID, what string) (string, error) {
	if accountID == "" && !a.IsMeshAdmin() {
		accountID = a.AccountID
	}
	if accountID != "" && accountID != a.AccountID && !a.IsMeshAdmin() {
		return "", mesh.Errorf(mesh.EFORBIDDEN, "you may list only your own account's %s", what)
	}
	return accountID, nil
}

// Authorize decides one request for a data engine or another capability:
// may principal p (the caller when empty) do action on r? It is the one
// place that decides who may ask what:
//   - mesh admins ask about anyone and anything;
//   - a user asks about itself, an account's admins about the account and
//     its users; the database may name a resource link of that account,
//     which stands for what it points at;
//   - an account's admins ask about anyone on the databases their account
//     owns, named as the catalog names them: another account's resource
//     links resolve only for that account's own callers, so a link cannot
//     reveal what a third account shared with it.
//
// Errors: EUNAUTHORIZED, EINVALID for a malformed request, EFORBIDDEN for a
// question the caller may not ask.
func (s *Service) Authorize(ctx context.Context, p mesh.Principal, action mesh.Permission, r mesh.Resource) (mesh.Decision, error) {
	a, err := mesh.RequireActor(ctx)
	if err != nil {
		return mesh.Decision{}, err
	}
	if p == "" {
		p = mesh.UserPrincipal(a.AccountID, a.Username)
	}
	if _, err := mesh.ParsePrincipal("principal", string(p)); err != nil {
		return mesh.Decision{}, err
	}
	if !action.Valid() {
		return mesh.Decision{}, mesh.Invalid("action", "unknown action %q", action)
	}
	if err := r.Validate(); err != nil {
		return mesh.Decision{}, err
	}
	if r.Table == mesh.AllTables {
		return mesh.Decision{}, mesh.Invalid("resource.table", "ask about one table, not %q", mesh.AllTables)
	}
	switch {
	case a.IsMeshAdmin(),
		p == mesh.UserPrincipal(a.AccountID, a.Username),
		p.Account() == a.AccountID && a.HasRole(mesh.RoleAdmin):
		// The principal's own view of the catalog, links included. A
		// table's link shows no other table: as for a table that does not
		// exist, the answer is no.
		resolved, ok := s.index.ResolveLink(p.Account(), r)
		if !ok {
			return mesh.Decision{Grants: []int64{}, Reason: fmt.Sprintf("no table %s through resource link %s, which shows one table", r.Table, r.Database)}, nil
		}
		r = resolved
	case a.HasRole(mesh.RoleAdmin) && s.index.Owner(r.Database) == a.AccountID:
		// The caller's own resource, as the catalog names it.
	default:
		return mesh.Decision{}, mesh.Errorf(mesh.EFORBIDDEN, "you may ask only about yourself, your account, or resources your account owns")
	}
	return s.index.Allowed(p, action, r), nil
}

// pruneTombstones forgets deleted grants older than the tombstone window.
// Not audited: tombstones only tell other replicas what went, and each
// grant's end was audited when it went.
func (s *Service) pruneTombstones(ctx context.Context) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		v, err := tx.AccessVersion(ctx)
		if err != nil || v <= tombstoneWindow {
			return err
		}
		return tx.PruneGrantTombstones(ctx, v-tombstoneWindow)
	})
}

func (s *Service) afterRefresh() {
	if s.refreshed != nil {
		s.refreshed()
	}
}
