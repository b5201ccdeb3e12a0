package platform

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// outboxLease is how long a replica holds outbox entries it applies; one
// that dies loses them after this, and another applies them again. An
// apply that outlasts it may run twice at once, which is harmless: both
// bring the platform to the same state.
const outboxLease = 30 * time.Second

// claimBatch bounds the outbox entries one round claims. Each database is
// applied whole, so one apply serves every entry of it claimed with it: a
// large batch lets a burst of grants cost a few applies, not one each.
const claimBatch = 5000

// OnGrantChange is access's grant hook: inside the transaction of a grant's
// change on a database imported from a platform, it writes the outbox entry
// that brings the platform in line, and marks the grant pending there.
func (s *Service) OnGrantChange(ctx context.Context, tx store.Tx, g *mesh.Grant, deleted bool) error {
	pid, err := tx.FindPlatformOfDatabase(ctx, g.Resource.Database)
	if mesh.IsCode(err, mesh.ENOTFOUND) {
		return nil
	}
	if err != nil {
		return err
	}
	now := s.clock.Now()
	if err := tx.EnqueuePlatformChange(ctx, &store.PlatformChange{PlatformID: pid, Database: g.Resource.Database, Table: g.Resource.Table, CreatedAt: now}); err != nil {
		return err
	}
	rec, err := tx.FindPlatformByID(ctx, pid)
	if err != nil {
		return err
	}
	if deleted || g.Status != mesh.GrantActive || roleFor(rec, nil, s.drivers[rec.Kind], g.Principal) == "" {
		if err := tx.DeletePlatformGrantStatus(ctx, g.ID); err != nil {
			return err
		}
	} else if err := tx.SetPlatformGrantStatus(ctx, store.PlatformGrantStatus{GrantID: g.ID, PlatformID: pid, State: store.PlatformPending, UpdatedAt: now}); err != nil {
		return err
	}
	tx.AfterCommit(s.Wake)
	return nil
}

// Wake asks the applier to look at the outbox now.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run applies the outbox as it fills and reconciles every platform each
// ReconcileInterval, until ctx ends.
func (s *Service) Run(ctx context.Context) {
	poll := time.NewTicker(s.cfg.PollInterval)
	defer poll.Stop()
	var recon <-chan time.Time
	if s.cfg.ReconcileInterval > 0 {
		t := time.NewTicker(s.cfg.ReconcileInterval)
		defer t.Stop()
		recon = t.C
	}
	for {
		for {
			n, err := s.ApplyOnce(ctx)
			if err != nil || n == 0 || ctx.Err() != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-poll.C:
		case <-recon:
			s.reconcileAll(ctx)
		}
	}
}

// ApplyOnce leases due outbox entries and applies them, one platform
// database at a time; it returns how many entries it handled. A database
// that fails keeps its entries, retried with a growing wait.
func (s *Service) ApplyOnce(ctx context.Context) (int, error) {
	var cs []*store.PlatformChange
	now := s.clock.Now()
	err := s.store.Update(ctx, func(tx store.Tx) (err error) {
		cs, err = tx.ClaimPlatformChanges(ctx, now, now.Add(outboxLease), claimBatch)
		return err
	})
	if err != nil || len(cs) == 0 {
		return 0, err
	}
	type key struct {
		platform int64
		database string
	}
	groups := map[key][]*store.PlatformChange{}
	var keys []key
	for _, c := range cs {
		k := key{c.PlatformID, c.Database}
		if groups[k] == nil {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], c)
	}
	for _, k := range keys {
		_, _, aerr := s.applyDatabase(ctx, k.platform, k.database, false)
		err := s.store.Update(ctx, func(tx store.Tx) error {
			for _, c := range groups[k] {
				var err error
				if aerr == nil || mesh.IsCode(aerr, mesh.ENOTFOUND) {
					err = tx.DeletePlatformChange(ctx, c.ID)
				} else {
					err = tx.FailPlatformChange(ctx, c.ID, aerr.Error(), s.clock.Now().Add(backoff(c.Attempts)))
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	return len(cs), nil
}

// backoff is the wait before attempt n+1: 1s, 2s, 4s, … up to maxBackoff.
func backoff(attempts int) time.Duration {
	d := time.Second
	for i := 1; i < attempts && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// applyDatabase brings a platform's privileges on one catalog database in
// line with meshgate's active grants, and records each grant's state. With
// repair set each statement is drift: it is counted and audited. It returns
// the statements run and how many differences it found.
func (s *Service) applyDatabase(ctx context.Context, platformID int64, database string, repair bool) ([]string, int, error) {
	var rec *store.PlatformRecord
	var sc *scope
	var grants []*mesh.Grant
	err := s.store.View(ctx, func(tx store.Tx) (err error) {
		if rec, err = tx.FindPlatformByID(ctx, platformID); err != nil {
			return err
		}
		if sc, err = loadScope(ctx, tx, rec, s.drivers[rec.Kind], database); err != nil {
			return err
		}
		grants, err = tx.FindGrants(ctx, store.GrantFilter{Database: database})
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	if sc.schema == "" {
		return nil, 0, nil // no longer imported: nothing of it is managed
	}
	want := sc.desired(grants)
	actx, cancel := context.WithTimeout(ctx, s.cfg.ApplyTimeout)
	stmts, found, roleErrs, aerr := s.enforce(actx, rec, sc, want, repair)
	if aerr != nil && ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		// the connection it hung on is dropped (enforce's failed)
		aerr = fmt.Errorf("platform %s did not answer within %s: %w", rec.Name, s.cfg.ApplyTimeout, aerr)
	}
	cancel()
	// aerr fails every grant of the database; a role's error, only that
	// role's grants. Either leaves the outbox entries to be retried.
	failed := aerr
	if failed == nil && len(roleErrs) > 0 {
		errs := make([]error, 0, len(roleErrs))
		for _, r := range sortedKeys(roleErrs) {
			errs = append(errs, roleErrs[r])
		}
		failed = errors.Join(errs...)
	}
	if failed != nil {
		s.applyFailed.Add(1)
	} else {
		s.applied.Add(1)
	}
	now := s.clock.Now()
	err = s.store.Update(ctx, func(tx store.Tx) error {
		for _, g := range grants {
			role := sc.roleOf(g.Principal)
			if g.Status != mesh.GrantActive || role == "" {
				continue
			}
			st := store.PlatformGrantStatus{GrantID: g.ID, PlatformID: rec.ID, State: store.PlatformInForce, UpdatedAt: now}
			if aerr != nil {
				st.State, st.Error = store.PlatformFailed, aerr.Error()
			} else if rerr := roleErrs[role]; rerr != nil {
				st.State, st.Error = store.PlatformFailed, rerr.Error()
			}
			if err := tx.SetPlatformGrantStatus(ctx, st); err != nil {
				return err
			}
		}
		if !repair {
			return nil
		}
		for _, stmt := range stmts {
			if err := store.Audit(ctx, tx, now, "platform.repair", "platform/"+rec.Name, database+": "+stmt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return stmts, found, err
	}
	return stmts, found, failed
}

// enforce reads what the platform holds (the managed roles' privileges,
// and their memberships in roles reaching the managed objects), creates
// missing roles when allowed, and runs the statements that make it hold
// want and end what reaches the managed objects from beyond them, as far
// as scope.ends lets it. It returns the statements that ran, the
// differences found, the errors of roles whose statements failed, and an
// error that stopped the whole apply. A role
// that fails (it is missing and may not be created, or the platform
// refuses one of its statements) stops no other role's statements: one
// user's grant that cannot take effect must not keep another's revoke
// from taking effect.
func (s *Service) enforce(ctx context.Context, rec *store.PlatformRecord, sc *scope, want map[Privilege]bool, repair bool) ([]string, int, map[string]error, error) {
	c, err := s.conn(ctx, rec)
	if err != nil {
		return nil, 0, nil, err
	}
	tables := sortedKeys(sc.native)
	// failed drops the connection after an error that may have left it
	// broken: others may be using it, and a refusal leaves it sound.
	failed := func(err error) error {
		if err != nil && !IsRefused(err) {
			s.dropConn(rec.ID)
		}
		return err
	}
	ps, err := c.Privileges(ctx, sc.schema, tables, sc.managed)
	if err != nil {
		return nil, 0, nil, failed(err)
	}
	s.answered(rec.ID) // plans may ask it again (ask)
	have := sc.actual(ps)
	grant, revoke := diff(want, have)
	wide := sc.wider(ps)
	found := len(grant) + len(revoke) + len(wide)
	if repair {
		s.driftFound.Add(int64(found))
	}
	roleErrs := map[string]error{}
	grant = append(grant, retaken(want, have, revoke)...)
	var stmts []string
	// run runs a role's statements; a refused one fails the role, any
	// other error the apply.
	run := func(role string, list []string) error {
		for _, stmt := range list {
			if err := c.Exec(ctx, stmt); err != nil {
				if !IsRefused(err) {
					return fmt.Errorf("%s: %w", stmt, err)
				}
				roleErrs[role] = errors.Join(roleErrs[role], fmt.Errorf("%s: %w", stmt, err))
				continue
			}
			stmts = append(stmts, stmt)
			if repair {
				s.driftRepaired.Add(1)
			}
		}
		return nil
	}
	byRole := map[string]*struct{ grant, revoke []Privilege }{}
	of := func(r string) *struct{ grant, revoke []Privilege } {
		if byRole[r] == nil {
			byRole[r] = &struct{ grant, revoke []Privilege }{}
		}
		return byRole[r]
	}
	for _, p := range grant {
		of(p.Role).grant = append(of(p.Role).grant, p)
	}
	for _, p := range revoke {
		of(p.Role).revoke = append(of(p.Role).revoke, p)
	}
	for _, r := range sortedKeys(byRole) {
		ps := byRole[r]
		if len(ps.grant) > 0 {
			ok, err := c.RoleExists(ctx, r)
			if err != nil {
				return stmts, found, roleErrs, err
			}
			if !ok && !rec.CreateRoles {
				roleErrs[r] = errors.Join(roleErrs[r], fmt.Errorf("platform role %s does not exist, and meshgate may not create roles on %s", r, rec.Name))
				ps.grant = nil // its revokes, if any, still run
			} else if !ok {
				stmt := sc.d.CreateRole(r)
				if err := c.Exec(ctx, stmt); err != nil {
					if !IsRefused(err) {
						return stmts, found, roleErrs, fmt.Errorf("%s: %w", stmt, err)
					}
					roleErrs[r] = errors.Join(roleErrs[r], fmt.Errorf("%s: %w", stmt, err))
					ps.grant = nil
				} else {
					stmts = append(stmts, stmt)
				}
			}
		}
		if err := run(r, statements(sc.d, ps.grant, ps.revoke)); err != nil {
			return stmts, found, roleErrs, err
		}
	}
	// What reaches the managed tables from beyond them, a grant on more
	// than the schema or a membership, is ended or reported (scope.ends).
	// Memberships are read after the privileges' statements, so that a
	// grant takes effect without waiting for them.
	ms, err := c.Memberships(ctx, sc.schema, tables, sc.managed)
	if err != nil {
		return stmts, found, roleErrs, failed(err)
	}
	found += len(ms)
	if repair {
		s.driftFound.Add(int64(len(ms)))
	}
	end, reports := sc.beyond(wide, ms)
	for _, r := range sortedKeys(reports) {
		roleErrs[r] = errors.Join(roleErrs[r], reports[r])
	}
	for _, r := range sortedKeys(end) {
		if err := run(r, end[r]); err != nil {
			return stmts, found, roleErrs, err
		}
	}
	if len(stmts) == 0 {
		return stmts, found, roleErrs, nil
	}
	// A statement can succeed and change nothing: PostgreSQL's REVOKE takes
	// back only what its issuer granted, and its GRANT without the grant
	// option only warns. Read the privileges again, so that such a
	// difference fails its role instead of being counted as done.
	if ps, err = c.Privileges(ctx, sc.schema, tables, sc.managed); err != nil {
		return stmts, found, roleErrs, failed(err)
	}
	lacking, extra := diff(want, sc.actual(ps))
	// A REVOKE … CASCADE also takes what other roles hold only through the
	// grant option it revokes (PostgreSQL's dependent privileges), and a
	// managed role may have held a privilege meshgate wants that way: what
	// was held before the statements and none of them granted is granted
	// again, so that the pass ends with exactly want.
	granted := map[Privilege]bool{}
	for _, p := range grant {
		granted[p] = true
	}
	again := map[string][]Privilege{}
	for _, p := range lacking {
		if have[p] && !granted[p] {
			again[p.Role] = append(again[p.Role], p)
		}
	}
	if len(again) > 0 {
		for _, r := range sortedKeys(again) {
			if err := run(r, statements(sc.d, again[r], nil)); err != nil {
				return stmts, found, roleErrs, err
			}
		}
		if ps, err = c.Privileges(ctx, sc.schema, tables, sc.managed); err != nil {
			return stmts, found, roleErrs, failed(err)
		}
		lacking, extra = diff(want, sc.actual(ps))
	}
	if len(end) > 0 {
		// Only a statement of end changes them.
		if ms, err = c.Memberships(ctx, sc.schema, tables, sc.managed); err != nil {
			return stmts, found, roleErrs, failed(err)
		}
	}
	// still fails role with what the statement that should end it left.
	still := func(role string, login bool, what string) {
		if sc.ends(role, login) && (roleErrs[role] == nil || stillHeld(roleErrs[role])) {
			roleErrs[role] = errors.Join(roleErrs[role], stillError{what + ", after the statement that should end it"})
		}
	}
	for _, p := range sc.wider(ps) {
		still(p.Role, false, fmt.Sprintf("role %s holds %s", p.Role, p.describe()))
	}
	for _, m := range ms {
		still(m.Role, m.Login, m.describe())
	}
	for _, p := range slices.Concat(lacking, extra) {
		if roleErrs[p.Role] != nil && !stillHeld(roleErrs[p.Role]) {
			continue // its error already says why
		}
		verb := "lacks"
		if !want[p] {
			verb = "still holds"
		}
		roleErrs[p.Role] = errors.Join(roleErrs[p.Role], stillError{fmt.Sprintf("role %s %s %s after the statements that should change it (a REVOKE takes back only what the platform user granted: a privilege another role granted must be revoked by it; a GRANT needs the privilege WITH GRANT OPTION)", p.Role, verb, p.describe())})
	}
	return stmts, found, roleErrs, nil
}

// stillError is a privilege that the statements did not change.
type stillError struct{ msg string }

func (e stillError) Error() string { return e.msg }

func stillHeld(err error) bool {
	var s stillError
	return errors.As(err, &s)
}

// GrantStatus is a grant's state on one platform.
type GrantStatus struct {
	GrantID   int64     `json:"grant_id"`
	Platform  string    `json:"platform"`
	State     string    `json:"state"`
	Error     string    `json:"error,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// GrantStatuses returns the states of the platform's grants.
// Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *Service) GrantStatuses(ctx context.Context, name string) ([]GrantStatus, error) {
	if _, err := requireMeshAdmin(ctx); err != nil {
		return nil, err
	}
	var out []GrantStatus
	err := s.store.View(ctx, func(tx store.Tx) error {
		r, err := tx.FindPlatform(ctx, name)
		if err != nil {
			return err
		}
		sts, err := tx.FindPlatformGrantStatuses(ctx, 0, r.ID)
		for _, st := range sts {
			out = append(out, GrantStatus{GrantID: st.GrantID, Platform: r.Name, State: st.State, Error: st.Error, UpdatedAt: st.UpdatedAt})
		}
		return err
	})
	return out, err
}

// Counters returns drift found and repaired, and databases applied and failed, for /metrics.
func (s *Service) Counters() (driftFound, driftRepaired, applied, failed int64) {
	return s.driftFound.Load(), s.driftRepaired.Load(), s.applied.Load(), s.applyFailed.Load()
}
