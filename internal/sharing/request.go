package sharing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/meshgate/meshgate/internal/access"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/workflow"
)

// RequestInput asks for access to a database (Table empty or "*") or one table.
type RequestInput struct {
	Database string `json:"database"`
	Table    string `json:"table,omitempty"`
	// TargetAccount receives the grant: the requester's own account, or
	// any account for a mesh admin.
	TargetAccount string `json:"target_account"`
	// Permissions default to SELECT and DESCRIBE.
	Permissions   mesh.Permissions `json:"permissions,omitempty"`
	Justification string           `json:"justification"`
	// Duration, when set, makes the access end that long after it is shared.
	Duration mesh.Duration `json:"duration,omitempty"`
	// IdempotencyKey, when set (the API's Idempotency-Key header), makes the
	// create safe to retry: the requester's second create with the same key
	// returns the request the first made.
	IdempotencyKey string `json:"-"`
}

// MaxIdempotencyKeyLen is the longest Idempotency-Key accepted.
const MaxIdempotencyKeyLen = 64

// validIdempotencyKey reports whether k is 1 to 64 of [A-Za-z0-9._:-].
func validIdempotencyKey(k string) bool {
	if k == "" || len(k) > MaxIdempotencyKeyLen {
		return false
	}
	for _, c := range k {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

// DefaultPermissions are what a request asks for when it names none.
var DefaultPermissions = mesh.PermissionsOf(mesh.PermSelect, mesh.PermDescribe)

// validate checks what can be checked without the store.
func (in *RequestInput) validate(a *mesh.Actor) error {
	if in.IdempotencyKey != "" && !validIdempotencyKey(in.IdempotencyKey) {
		return mesh.Invalid("Idempotency-Key", "must be 1 to %d characters of letters, digits and . _ : -", MaxIdempotencyKeyLen)
	}
	if err := mesh.ValidateName("database", in.Database); err != nil {
		return err
	}
	if in.Table == "" {
		in.Table = mesh.AllTables
	}
	if in.Table != mesh.AllTables {
		if err := mesh.ValidateName("table", in.Table); err != nil {
			return err
		}
	}
	if in.TargetAccount == "" {
		in.TargetAccount = a.AccountID
	}
	if err := mesh.ValidateAccountID("target_account", in.TargetAccount); err != nil {
		return err
	}
	if in.TargetAccount != a.AccountID && !a.IsMeshAdmin() {
		return mesh.Errorf(mesh.EFORBIDDEN, "you may request access only for your own account (%s); mesh admins request for any", a.AccountID)
	}
	in.Justification = strings.TrimSpace(in.Justification)
	if in.Justification == "" {
		return mesh.Invalid("justification", "is required: say why the access is needed")
	}
	if n := utf8.RuneCountInString(in.Justification); n > mesh.MaxJustificationLen {
		return mesh.Invalid("justification", "has %d characters, more than the limit of %d", n, mesh.MaxJustificationLen)
	}
	if err := mesh.CheckText("justification", in.Justification); err != nil {
		return err
	}
	if in.Permissions == 0 {
		in.Permissions = DefaultPermissions
	}
	kind := mesh.Resource{Database: in.Database, Table: in.Table}.Kind()
	if bad := in.Permissions &^ access.ValidPermissions(kind); bad != 0 {
		return mesh.Invalid("permissions", "%s cannot be granted on %s (allowed: %s)", bad, kind, access.ValidPermissions(kind))
	}
	if d := time.Duration(in.Duration); d < 0 || d > MaxDuration {
		return mesh.Invalid("duration", "must be between 0 (no end) and %s", MaxDuration)
	} else if d > 0 && d < time.Minute {
		return mesh.Invalid("duration", "must be at least a minute")
	}
	return nil
}

// errOpen stops a start whose request is open already; the caller returns that request.
var errOpen = &mesh.Error{Code: mesh.ECONFLICT, Message: "an open request exists for the same resource and account"}

// CreateRequest records a request and starts its execution in one
// transaction (shared with concurrent starts). Asking again for the same
// resource and target account while a request is open returns the open one
// and false (without who made it and why to those who may not see it, as
// openFor says); so does asking again with the same IdempotencyKey, whatever
// the request's status, when the resource, target and permissions are the
// same (ECONFLICT naming the key when they differ). Errors: EUNAUTHORIZED, EINVALID (naming the field; a database
// without data_owner), ENOTFOUND (database, table, account), EFORBIDDEN
// (another account as a non-admin).
func (s *Service) CreateRequest(ctx context.Context, in RequestInput) (*mesh.AccessRequest, bool, error) {
	a, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, false, err
	}
	if err := in.validate(a); err != nil {
		return nil, false, err
	}
	var out, existing *mesh.AccessRequest
	prepare := func(ctx context.Context, tx store.Tx, x *mesh.Execution, input any) (any, error) {
		if out != nil {
			s.starting.take(out.ID) // an earlier attempt's, rolled back
		}
		out, existing = nil, nil
		r, err := s.prepareRequest(ctx, tx, a, in, x)
		if errors.Is(err, errOpen) {
			existing = r
		}
		if err != nil {
			return nil, err
		}
		out = r
		s.starting.track(r)
		m := map[string]any{}
		for k, v := range input.(map[string]any) {
			m[k] = v
		}
		m["request_id"] = r.ID
		return m, nil
	}
	input, err := json.Marshal(map[string]any{
		"source":                   map[string]any{"database": in.Database, "table": in.Table},
		"target":                   map[string]any{"account_id": in.TargetAccount},
		"requester":                a.Principal(),
		"justification":            in.Justification,
		"permissions":              in.Permissions,
		"approval_timeout_seconds": int64(s.cfg.ApprovalTimeout / time.Second),
	})
	if err != nil {
		return nil, false, err
	}
	_, _, err = s.engine.StartExecution(ctx, workflow.StartInput{StateMachine: s.cfg.StateMachine, Input: input, Prepare: prepare})
	var last *mesh.AccessRequest
	if out != nil {
		last = s.starting.take(out.ID)
	}
	if errors.Is(err, errOpen) && existing != nil {
		if existing.Status == mesh.RequestSubmitted {
			// found in the transaction of its own start, before its first
			// steps: what that transaction committed is the answer
			if existing, err = s.findRequest(ctx, existing.ID); err != nil {
				return nil, false, err
			}
		}
		return openFor(a, existing), false, nil
	}
	if mesh.IsCode(err, mesh.ENOTFOUND) {
		err = s.checkStateMachine(ctx, err)
	}
	if err != nil {
		return nil, false, err
	}
	// The start ran the first steps (SHARED at once, or PENDING_APPROVAL),
	// and its transaction, now committed, left the request as last.
	if last != nil {
		return last, true, nil
	}
	r, err := s.findRequest(ctx, out.ID)
	if err != nil {
		return nil, false, err
	}
	return r, true, nil
}

// checkStateMachine is the error of a start that found nothing (err): when
// the workflow's state machine is what it did not find, deleted by a mesh
// admin, nothing can be requested until it is back, which the asker cannot
// change: EUNAVAILABLE, saying how it comes back. Else err (an unknown
// database or table).
func (s *Service) checkStateMachine(ctx context.Context, err error) error {
	if _, ferr := s.engine.FindStateMachine(mesh.NewContext(ctx, s.system), s.cfg.StateMachine, 0); !mesh.IsCode(ferr, mesh.ENOTFOUND) {
		return err
	}
	return mesh.Errorf(mesh.EUNAVAILABLE, "the data-sharing workflow's state machine %q was deleted: nothing can be requested until a mesh admin creates it again (meshgate workflow create --name %s --definition ...) or a server restarts, which creates it with the default definition",
		s.cfg.StateMachine, s.cfg.StateMachine)
}

// openFor is the open request r as an asker who found it answers: whole
// to those who may see it; to the others (another member of the target
// account) what they asked for and how it stands, not who asked, why, or
// its execution, which canSee keeps from them.
func openFor(a *mesh.Actor, r *mesh.AccessRequest) *mesh.AccessRequest {
	if canSee(a, r) {
		return r
	}
	return &mesh.AccessRequest{ID: r.ID, RequesterAccount: r.RequesterAccount, TargetAccount: r.TargetAccount,
		Database: r.Database, Table: r.Table, OwnerAccount: r.OwnerAccount, Permissions: r.Permissions,
		Duration: r.Duration, Status: r.Status, PIIColumns: r.PIIColumns, StateMachine: r.StateMachine,
		StateMachineVersion: r.StateMachineVersion, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// prepareRequest checks a request against the store and inserts it, in the
// start's transaction. It writes nothing unless it succeeds.
func (s *Service) prepareRequest(ctx context.Context, tx store.Tx, a *mesh.Actor, in RequestInput, x *mesh.Execution) (*mesh.AccessRequest, error) {
	r, err := s.insertRequest(ctx, tx, a, in, x)
	if err != nil && !errors.Is(err, errOpen) && in.IdempotencyKey != "" {
		// A key used already answers with its request, even when the
		// database or account has gone since. A new key, the common case,
		// costs no lookup: the insert's unique index finds a used one.
		if r, kerr := s.keyed(ctx, tx, a, in); r != nil || kerr != nil {
			return r, kerr
		}
	}
	return r, err
}

// insertRequest checks a request against the store and inserts it.
// The insert finds an unknown target account (ENOTFOUND) and reads a known
// one, which the grant's task then finds in the transaction's memo.
func (s *Service) insertRequest(ctx context.Context, tx store.Tx, a *mesh.Actor, in RequestInput, x *mesh.Execution) (*mesh.AccessRequest, error) {
	d, err := s.heldProduct(ctx, tx, in.Database, in.TargetAccount)
	if err != nil {
		return nil, err
	}
	owner := d.DataOwner()
	switch {
	case owner == "":
		return nil, &mesh.Error{Code: mesh.EINVALID, Field: "database",
			Message: fmt.Sprintf("database %s has no data_owner parameter, so nobody can approve or share it; its producer sets data_owner first", in.Database)}
	case owner == in.TargetAccount || in.TargetAccount == s.cfg.CentralAccountID:
		return nil, mesh.Invalid("target_account", "account %s holds everything on database %s already", in.TargetAccount, in.Database)
	}
	if in.Table != mesh.AllTables {
		if _, err := tx.FindTable(ctx, in.Database, in.Table); err != nil {
			return nil, err
		}
	}
	// No look for an open request first: the insert refuses a second one
	// (a unique index), and then the open one is read.
	now := s.clock.Now()
	r := &mesh.AccessRequest{RequesterAccount: a.AccountID, RequesterUser: a.Username, TargetAccount: in.TargetAccount,
		Database: in.Database, Table: in.Table, OwnerAccount: owner, Permissions: in.Permissions,
		Justification: in.Justification, Duration: in.Duration, Status: mesh.RequestSubmitted,
		ExecutionID: x.ID, StateMachine: x.StateMachine, StateMachineVersion: x.Version, CreatedAt: now, UpdatedAt: now,
		IdempotencyKey: in.IdempotencyKey}
	ok, err := s.addRequest(ctx, tx, r)
	if err != nil {
		return nil, err
	}
	if !ok && in.IdempotencyKey != "" {
		// the key was used before, or by another replica's transaction first
		if r, err := s.keyed(ctx, tx, a, in); r != nil || err != nil {
			return r, err
		}
	}
	if !ok {
		// open already, or another replica's transaction opened one first
		open, err := tx.FindOpenAccessRequest(ctx, in.TargetAccount, in.Database, in.Table)
		if err != nil {
			return nil, err
		}
		return open, errOpen
	}
	detail := fmt.Sprintf("%s %s for account %s: %s", what(r), r.Permissions, r.TargetAccount, r.Justification)
	if r.Duration > 0 {
		detail += " (for " + time.Duration(r.Duration).String() + ")"
	}
	return r, store.Audit(ctx, tx, now, "sharing.request.create", requestResource(r), detail)
}

// heldProduct reads the database asked for holding, shared, the account
// that owns it and the target account, in the start's transaction before
// its steps take any other lock. An offboarding locks its account first
// and a forced delete of a database its owner's, and then find the open
// requests they end, before the access version: a request either
// commits before them, and they find it then, or waits for them and then
// reads the database deleted or handed over, or its target gone (ENOTFOUND
// naming the account). An owner read as changed is held too, and the
// database read again. SQLite's one writer runs the transactions one after
// the other, and it reads the database alone.
func (s *Service) heldProduct(ctx context.Context, tx store.Tx, database, target string) (*mesh.Database, error) {
	d, err := tx.FindDatabase(ctx, database)
	if err != nil || !s.rowLocks {
		return d, err
	}
	held := map[string]bool{}
	for {
		owner := d.DataOwner()
		if owner == "" || held[owner] && held[target] {
			return d, nil
		}
		ids := []string{owner}
		if owner != target {
			ids = append(ids, target)
		}
		slices.Sort(ids)
		for _, id := range ids {
			if held[id] {
				continue
			}
			// an owner never onboarded has no offboarding to wait for
			if err := tx.LockAccount(ctx, id, false); err != nil && (id == target || !mesh.IsCode(err, mesh.ENOTFOUND)) {
				return nil, err
			}
			held[id] = true
		}
		if d, err = tx.FindDatabase(ctx, database); err != nil {
			return nil, err
		}
	}
}

// keyed returns the request a made with in's idempotency key, and errOpen
// so that the start stops and the caller answers with it; nothing when the
// key is new. ECONFLICT, naming the key, when the request asked for another
// resource, target or permissions.
func (s *Service) keyed(ctx context.Context, tx store.Tx, a *mesh.Actor, in RequestInput) (*mesh.AccessRequest, error) {
	r, err := tx.FindAccessRequestByKey(ctx, a.AccountID, a.Username, in.IdempotencyKey)
	if mesh.ErrorCode(err) == mesh.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if r.Database != in.Database || r.Table != in.Table || r.TargetAccount != in.TargetAccount || r.Permissions != in.Permissions {
		return nil, &mesh.Error{Code: mesh.ECONFLICT, Field: "Idempotency-Key", Message: fmt.Sprintf(
			"Idempotency-Key %s was used for request %d, which asks for %s %s for account %s; use a new key for another request",
			in.IdempotencyKey, r.ID, r.Permissions, what(r), r.TargetAccount)}
	}
	return r, errOpen
}

func (s *Service) findRequest(ctx context.Context, id int64) (*mesh.AccessRequest, error) {
	var r *mesh.AccessRequest
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		r, err = tx.FindAccessRequest(ctx, id)
		return err
	})
	return r, err
}

// canSee: the requester, admins of the requesting and target accounts, the
// owning account's admins and approvers, and mesh admins.
func canSee(a *mesh.Actor, r *mesh.AccessRequest) bool {
	switch {
	case a.IsMeshAdmin(), a.AccountID == r.RequesterAccount && a.Username == r.RequesterUser:
		return true
	case a.AccountID == r.OwnerAccount:
		return a.HasRole(mesh.RoleAdmin) || a.HasRole(mesh.RoleApprover)
	case a.AccountID == r.RequesterAccount || a.AccountID == r.TargetAccount:
		return a.HasRole(mesh.RoleAdmin)
	}
	return false
}

// MaySee reports whether the caller may see r, as FindRequest decides: for
// pages that lead to it. Errors: EUNAUTHORIZED.
func (s *Service) MaySee(ctx context.Context, r *mesh.AccessRequest) (bool, error) {
	a, err := mesh.RequireActor(ctx)
	if err != nil {
		return false, err
	}
	return canSee(a, r), nil
}

// RequestView is a request with its approval, its timeline (the
// execution's history, task tokens left out) and its notifications.
type RequestView struct {
	*mesh.AccessRequest
	Approval      *mesh.Approval       `json:"approval,omitempty"`
	Timeline      []*mesh.HistoryEvent `json:"timeline"`
	Notifications []*mesh.Notification `json:"notifications"`
}

// FindRequest returns a request the caller may see, with its timeline;
// those who may decide its pending approval see the approval's platform plans.
// Errors: EUNAUTHORIZED, ENOTFOUND, EFORBIDDEN.
func (s *Service) FindRequest(ctx context.Context, id int64) (*RequestView, error) {
	a, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	v := &RequestView{}
	err = s.store.View(ctx, func(tx store.Tx) error {
		r, err := tx.FindAccessRequest(ctx, id)
		if err != nil {
			return err
		}
		if !canSee(a, r) {
			return mesh.Errorf(mesh.EFORBIDDEN, "you may see your own requests, your account's as its admin, and those for your account's products as its admin or approver")
		}
		v.AccessRequest = r
		if v.Approval, err = tx.FindApproval(ctx, id); mesh.IsCode(err, mesh.ENOTFOUND) {
			err = nil
		} else if err == nil && mayDecide(a, v.Approval.AccountID) {
			err = s.plan(ctx, tx, v.Approval, r)
		}
		if err != nil {
			return err
		}
		if v.Timeline, err = tx.FindHistoryEvents(ctx, r.ExecutionID, 0, 1000); err != nil {
			return err
		}
		v.Notifications, err = tx.FindNotifications(ctx, store.NotificationFilter{RequestID: id})
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, ev := range v.Timeline {
		ev.Details = withoutTokens(ev.Details)
	}
	return v, nil
}

// withoutTokens drops every "token" member from an event's details: a
// requester reads the timeline, and an approval's token is not theirs.
func withoutTokens(b json.RawMessage) json.RawMessage {
	if len(b) == 0 || !strings.Contains(strings.ToLower(string(b)), "token") {
		return b
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil
	}
	var strip func(v any)
	strip = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				if strings.Contains(strings.ToLower(k), "token") {
					delete(x, k)
					continue
				}
				strip(c)
			}
		case []any:
			for _, c := range x {
				strip(c)
			}
		}
	}
	strip(v)
	out, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return out
}

// RequestFilter selects requests to list.
type RequestFilter struct {
	Status string
	// Mine keeps the caller's own requests.
	Mine     bool
	BeforeID int64
	Limit    int
}

// FindRequests lists the requests the caller may see, newest first.
// Errors: EUNAUTHORIZED, EINVALID (status).
func (s *Service) FindRequests(ctx context.Context, f RequestFilter) ([]*mesh.AccessRequest, error) {
	a, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	if f.Status != "" && !mesh.ValidRequestStatus(f.Status) {
		return nil, mesh.Invalid("status", "must be one of %s", strings.Join(mesh.RequestStatuses, ", "))
	}
	sf := store.RequestFilter{Status: f.Status, BeforeID: f.BeforeID, Limit: min(max(f.Limit, 0), 1000)}
	if f.Mine {
		sf.Requester = a.Principal()
	}
	if !a.IsMeshAdmin() {
		sf.VisibleRequester = a.Principal()
		if a.HasRole(mesh.RoleAdmin) || a.HasRole(mesh.RoleApprover) {
			sf.VisibleOwner = a.AccountID
		}
		if a.HasRole(mesh.RoleAdmin) {
			sf.VisibleAccount = a.AccountID
		}
	}
	out := []*mesh.AccessRequest{}
	err = s.store.View(ctx, func(tx store.Tx) error {
		rs, err := tx.FindAccessRequests(ctx, sf)
		out = append(out, rs...)
		return err
	})
	return out, err
}

// CancelRequest ends an open request: its execution stops and its approval
// is withdrawn. The requester, the requesting account's admins and mesh
// admins cancel. Errors: EUNAUTHORIZED, ENOTFOUND, EFORBIDDEN, ECONFLICT
// (not open; Details carries the request).
func (s *Service) CancelRequest(ctx context.Context, id int64) (*mesh.AccessRequest, error) {
	a, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	var out *mesh.AccessRequest
	err = s.update(ctx, func(tx store.Tx) error {
		r, err := tx.FindAccessRequest(ctx, id)
		if err != nil {
			return err
		}
		mine := a.AccountID == r.RequesterAccount && a.Username == r.RequesterUser
		if !mine && !a.IsMeshAdmin() && !a.IsAdminOf(r.RequesterAccount) {
			return mesh.Errorf(mesh.EFORBIDDEN, "only the requester, the requesting account's admins and mesh admins cancel request %d", id)
		}
		// the execution first: the order every transaction takes
		if _, err := tx.LockExecution(ctx, r.ExecutionID); err != nil {
			return err
		}
		if r, err = tx.FindAccessRequest(ctx, id); err != nil {
			return err
		}
		if !r.Open() {
			return store.RequestConflict(r)
		}
		now := s.clock.Now()
		from := r.Status
		r.Status, r.EndedBy, r.UpdatedAt = mesh.RequestCancelled, a.Principal(), now
		if err := s.saveRequest(ctx, tx, r, from); err != nil {
			return err
		}
		if ap, err := tx.FindApproval(ctx, id); err == nil && ap.Status == mesh.ApprovalPending {
			ap.Status = mesh.ApprovalCancelled
			if err := tx.UpdateApproval(ctx, ap, mesh.ApprovalPending); err != nil {
				return err
			}
		} else if err != nil && !mesh.IsCode(err, mesh.ENOTFOUND) {
			return err
		}
		if _, err := s.engine.StopExecutionTx(ctx, tx, r.ExecutionID, "Sharing.Cancelled", "cancelled by "+a.Principal()); err != nil {
			return err
		}
		out = r
		return store.Audit(ctx, tx, now, "sharing.request.cancel", requestResource(r), what(r))
	})
	return out, err
}

// RevokeRequest ends a shared request early: its grant goes, and with it
// what the target account granted from it and, when it was the last, the
// share. The admins of the account owning the database now, the requesting
// or target account's admins and mesh admins revoke. A request whose
// duration has ended is recorded EXPIRED, as the expiry would a moment
// later, and answered as not shared. Errors: EUNAUTHORIZED, ENOTFOUND,
// EFORBIDDEN, ECONFLICT (not shared; Details carries the request).
func (s *Service) RevokeRequest(ctx context.Context, id int64) (*mesh.AccessRequest, error) {
	a, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	var out *mesh.AccessRequest
	err = s.update(ctx, func(tx store.Tx) error {
		r, err := tx.FindAccessRequest(ctx, id)
		if err != nil {
			return err
		}
		if ok, err := mayRevoke(ctx, tx, a, r); err != nil || !ok {
			if err != nil {
				return err
			}
			return mesh.Errorf(mesh.EFORBIDDEN, "only the admins of the owning or requesting account and mesh admins revoke request %d", id)
		}
		if r.Status != mesh.RequestShared {
			return store.RequestConflict(r)
		}
		out = r
		if now := s.clock.Now(); !r.ExpiresAt.IsZero() && !now.Before(r.ExpiresAt) {
			// the expiry's, recorded as the sweep would: the caller ended nothing
			return s.endShared(s.systemCtx(ctx), tx, r, mesh.RequestExpired, s.system.Principal(), expiredWhy(r))
		}
		return s.endShared(ctx, tx, r, mesh.RequestRevoked, a.Principal(), "revoked by "+a.Principal())
	})
	if err == nil && out.Status == mesh.RequestExpired {
		return nil, store.RequestConflict(out)
	}
	return out, err
}

// MayRevoke reports whether the caller may revoke r once it is shared, as
// RevokeRequest decides: for pages that offer it. Errors: EUNAUTHORIZED.
func (s *Service) MayRevoke(ctx context.Context, r *mesh.AccessRequest) (bool, error) {
	a, err := mesh.RequireActor(ctx)
	if err != nil {
		return false, err
	}
	var ok bool
	err = s.store.View(ctx, func(tx store.Tx) error {
		ok, err = mayRevoke(ctx, tx, a, r)
		return err
	})
	return ok, err
}

// mayRevoke: mesh admins, and the admins of the account owning r's database
// now (the one r was made for, if the database is gone), of the requesting
// and of the target account.
func mayRevoke(ctx context.Context, tx store.Tx, a *mesh.Actor, r *mesh.AccessRequest) (bool, error) {
	if a.IsMeshAdmin() || a.IsAdminOf(r.RequesterAccount) || a.IsAdminOf(r.TargetAccount) {
		return true, nil
	}
	owner := r.OwnerAccount
	if d, err := tx.FindDatabase(ctx, r.Database); err == nil {
		owner = d.DataOwner()
	} else if !mesh.IsCode(err, mesh.ENOTFOUND) {
		return false, err
	}
	return a.IsAdminOf(owner), nil
}

// endShared records a shared request as status (REVOKED or EXPIRED) and
// takes back what it granted that no other shared request still holds
// (with the cascade and, when the grant was the share's last, the share),
// in tx. Requests of one account for one resource share a grant: ending
// the one that lasts an hour must not end the one that lasts a year.
// The access version is taken first (OrderTx), then the request's row is
// written: every transaction that writes shared requests' rows does so
// under that lock (a grant's end through grantEnded, an owner change
// through OnOwnerChange, the expiry's batch of many), so none holds a row
// while it waits for the version another holder of that version waits to
// write the row of. Of two replicas ending a request at once, the second
// then finds it ended (ECONFLICT) before touching the grant; and the other
// requests are read under the lock: of two requests of one grant ending at
// once, the second sees the first ended and takes the grant back.
func (s *Service) endShared(ctx context.Context, tx store.Tx, r *mesh.AccessRequest, status, by, why string) error {
	if err := s.access.OrderTx(ctx, tx); err != nil {
		return err
	}
	if err := s.markEnded(ctx, tx, r, status, by, why); err != nil {
		return err
	}
	perms, err := s.heldByNoOther(ctx, tx, r)
	if err != nil || perms == 0 {
		return err
	}
	_, err = s.access.RevokeTx(s.systemCtx(ctx), tx, access.GrantInput{Principal: mesh.Principal(r.TargetAccount),
		Resource: r.Resource(), Permissions: perms, OnBehalf: mesh.SourceSharing})
	if err != nil && !mesh.IsCode(err, mesh.ENOTFOUND) {
		return err // ENOTFOUND: the grant went already (revoked by hand, the database deleted)
	}
	return nil
}

// heldByNoOther returns the permissions of r, ended in tx, that no request
// still shared through its grant asked for. A request shared before the
// workflow's grants had a source of their own whose grant may hold what
// the owner's admin granted by hand too kept that grant, with the owner's
// source (store migration sharing_grant_source): it takes nothing back,
// neither from that grant nor from the @sharing grant of later requests.
func (s *Service) heldByNoOther(ctx context.Context, tx store.Tx, r *mesh.AccessRequest) (mesh.Permissions, error) {
	perms := r.Permissions
	if r.GrantID == 0 {
		return perms, nil
	}
	switch g, err := tx.FindGrantByID(ctx, r.GrantID); {
	case mesh.IsCode(err, mesh.ENOTFOUND):
	case err != nil:
		return 0, err
	case g.Source != mesh.SourceSharing:
		return 0, nil
	}
	for before := int64(0); perms != 0; {
		rs, err := tx.FindAccessRequests(ctx, store.RequestFilter{GrantID: r.GrantID, Status: mesh.RequestShared, BeforeID: before, Limit: 100})
		if err != nil || len(rs) == 0 {
			return perms, err
		}
		for _, o := range rs { // newest first
			perms = perms.Without(o.Permissions)
			before = o.ID
		}
	}
	return 0, nil
}

// markEnded records a shared request as status (REVOKED or EXPIRED) with
// why as its cause, audits it and tells the requester, in tx; its grant is
// the caller's to end (or gone already).
func (s *Service) markEnded(ctx context.Context, tx store.Tx, r *mesh.AccessRequest, status, by, why string) error {
	now := s.clock.Now()
	r.Status, r.EndedBy, r.Cause, r.UpdatedAt = status, by, why, now
	if err := s.saveRequest(ctx, tx, r, mesh.RequestShared); err != nil {
		return err
	}
	action := "sharing.request.revoke"
	event := "request.revoked"
	if status == mesh.RequestExpired {
		action, event = "sharing.request.expire", "request.expired"
	}
	if err := store.Audit(ctx, tx, now, action, requestResource(r), what(r)+" for account "+r.TargetAccount+": "+why); err != nil {
		return err
	}
	return s.notify(ctx, tx, r, r.RequesterAccount, requester(r), event, fmt.Sprintf("Access ended: %s", what(r)),
		fmt.Sprintf("Request %d for %s is %s: %s.", r.ID, what(r), status, why))
}
