package sharing_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/meshgate/meshgate/internal/account"
	"github.com/meshgate/meshgate/internal/catalog"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/sharing"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestGrantEndEndsRequest: a catalog delete or an offboarding that takes a
// shared request's grant away ends the request too, REVOKED with the reason
// and audited, in the same transaction; requests whose grants stay are left
// SHARED.
func TestGrantEndEndsRequest(t *testing.T) {
	tests := []struct {
		name     string
		db, tbl  string
		by       context.Context
		end      func(f *fixture) error
		wantWhy  string
		wantUser string
	}{
		{"table deleted", "marketing", "campaigns", siblingCarl,
			func(f *fixture) error { return f.catalog.DeleteTable(meshAdmin, "marketing", "campaigns") },
			"table marketing.campaigns was deleted", central + "/admin"},
		{"database deleted", "marketing", "", siblingCarl,
			func(f *fixture) error {
				return f.catalog.DeleteDatabase(meshAdmin, "marketing", catalog.DeleteOptions{Force: true})
			},
			"database marketing was deleted", central + "/admin"},
		{"target account offboarded", "marketing", "campaigns", siblingCarl,
			func(f *fixture) error {
				return f.store.Update(meshAdmin, func(tx store.Tx) error {
					_, err := f.access.Offboard(meshAdmin, tx, sibling, "")
					return err
				})
			},
			"account " + sibling + " was offboarded", central + "/admin"},
		{"owning account offboarded", "marketing", "campaigns", siblingCarl,
			func(f *fixture) error {
				return f.store.Update(meshAdmin, func(tx store.Tx) error {
					_, err := f.access.Offboard(meshAdmin, tx, producer, "")
					return err
				})
			},
			"account " + producer + " was offboarded", central + "/admin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s store.Store) {
				f := newFixture(t, s)
				r := f.request(tt.by, tt.db, tt.tbl)
				f.wantStatus(r.ID, mesh.RequestShared)
				other := f.request(consumerAnn, "hr", "teams") // another product, another account
				if err := tt.end(f); err != nil {
					t.Fatal(err)
				}
				v := f.wantStatus(r.ID, mesh.RequestRevoked)
				if !strings.Contains(v.Cause, tt.wantWhy) || v.EndedBy != tt.wantUser {
					t.Errorf("cause, ended by: got %q, %q; want one naming %q, %q", v.Cause, v.EndedBy, tt.wantWhy, tt.wantUser)
				}
				if tt.name != "owning account offboarded" {
					f.wantStatus(other.ID, mesh.RequestShared)
				}
				var audited []*mesh.AuditEntry
				err := f.store.View(f.ctx, func(tx store.Tx) error {
					var err error
					audited, err = tx.FindAuditEntries(f.ctx, store.AuditFilter{Action: "sharing.request.revoke", Resource: "request/" + strconv.FormatInt(r.ID, 10)})
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				if len(audited) != 1 || !strings.Contains(audited[0].Detail, tt.wantWhy) {
					t.Errorf("audit: got %d entries (%+v), want one naming %q", len(audited), audited, tt.wantWhy)
				}
				// ended: neither revoked again nor left open
				if _, err := f.svc.RevokeRequest(meshAdmin, r.ID); !mesh.IsCode(err, mesh.ECONFLICT) {
					t.Errorf("revoke after the end: got %v, want conflict", err)
				}
			})
		})
	}
}

// TestOpenRequestEndsWithWhatItAsks: a request still open when its
// database or table is deleted, its database's owner changes (by hand, or
// by an offboarding that hands the products over) or its target account is
// offboarded ends FAILED with an error saying why, in the same transaction:
// its approval is withdrawn, so the former owner's approver can no longer
// share what their account no longer owns (or a database made later under
// the same name), and asking again makes a new request, which the new
// owner decides. Other requests stay open.
func TestOpenRequestEndsWithWhatItAsks(t *testing.T) {
	tests := []struct {
		name      string
		db, tbl   string
		end       func(f *fixture, accts *account.Service) error
		wantErr   string
		wantWhy   string
		keepOther bool
		// again asks again once it ended, and says who decides now ("" for nobody)
		again func(f *fixture, accts *account.Service) (context.Context, string)
	}{
		{name: "database deleted", db: "sales", tbl: mesh.AllTables,
			end: func(f *fixture, _ *account.Service) error {
				return f.catalog.DeleteDatabase(meshAdmin, "sales", catalog.DeleteOptions{Force: true})
			},
			wantErr: sharing.ErrProductDeleted, wantWhy: "database sales was deleted", keepOther: true},
		{name: "table deleted", db: "sales", tbl: "orders",
			end:     func(f *fixture, _ *account.Service) error { return f.catalog.DeleteTable(meshAdmin, "sales", "orders") },
			wantErr: sharing.ErrProductDeleted, wantWhy: "table sales.orders was deleted", keepOther: true},
		{name: "owner changed", db: "sales", tbl: "orders",
			end: func(f *fixture, _ *account.Service) error {
				d, err := f.catalog.FindDatabase(meshAdmin, "sales")
				if err != nil {
					return err
				}
				params := map[string]string{mesh.ParamDataOwner: sibling, mesh.ParamPIIFlag: "true"}
				_, err = f.catalog.UpdateDatabase(meshAdmin, "sales", catalog.DatabaseUpdate{Parameters: params}, d.Version)
				return err
			},
			wantErr: sharing.ErrOwnerChanged, wantWhy: "account " + sibling + " owns database sales now", keepOther: true,
			again: func(*fixture, *account.Service) (context.Context, string) { return consumerAnn, sibling }},
		{name: "owner offboarded, products handed over", db: "sales", tbl: "orders",
			end: func(f *fixture, accts *account.Service) error {
				_, err := accts.OffboardAccount(meshAdmin, producer, account.OffboardOptions{Force: true, TransferTo: sibling})
				return err
			},
			wantErr: sharing.ErrOwnerChanged, wantWhy: "account " + sibling + " owns database sales now",
			again: func(*fixture, *account.Service) (context.Context, string) { return consumerAnn, sibling }},
		{name: "target account offboarded", db: "sales", tbl: "orders",
			end: func(f *fixture, accts *account.Service) error {
				_, err := accts.OffboardAccount(meshAdmin, consumer, account.OffboardOptions{})
				return err
			},
			wantErr: sharing.ErrAccountOffboarded, wantWhy: "account " + consumer + " was offboarded", keepOther: true,
			again: func(f *fixture, accts *account.Service) (context.Context, string) {
				if err := accts.Onboard(meshAdmin, &mesh.Account{ID: consumer, Name: "Someone else", Organization: "o-new"},
					account.OnboardOptions{Reonboard: true}); err != nil {
					t.Fatalf("onboard %s again: %v", consumer, err)
				}
				return as(consumer, "nina", mesh.RoleMember), producer
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s store.Store) {
				f := newFixture(t, s)
				accts := f.accounts(s)
				r := f.request(consumerAnn, tt.db, tt.tbl)
				f.wantStatus(r.ID, mesh.RequestPendingApproval)
				other := f.request(siblingCarl, "hr", "people") // another product, another account
				f.wantStatus(other.ID, mesh.RequestPendingApproval)
				if err := tt.end(f, accts); err != nil {
					t.Fatal(err)
				}
				v := f.wantStatus(r.ID, mesh.RequestFailed)
				if v.Error != tt.wantErr || !strings.Contains(v.Cause, tt.wantWhy) {
					t.Errorf("error, cause: got %q, %q; want %q, one naming %q", v.Error, v.Cause, tt.wantErr, tt.wantWhy)
				}
				if v.Approval == nil || v.Approval.Status != mesh.ApprovalCancelled {
					t.Errorf("approval: got %+v, want it cancelled", v.Approval)
				}
				if _, err := f.decide(approver, r.ID, true, "still ours?"); !mesh.IsCode(err, mesh.ECONFLICT) {
					t.Errorf("the former owner's approver decides: got %v, want conflict", err)
				}
				if tt.keepOther {
					f.wantStatus(other.ID, mesh.RequestPendingApproval)
				}
				if tt.again == nil {
					return
				}
				who, decider := tt.again(f, accts)
				again := f.request(who, tt.db, tt.tbl)
				f.wantStatus(again.ID, mesh.RequestPendingApproval)
				if got := f.get(again.ID); got.Approval == nil || got.Approval.AccountID != decider {
					t.Errorf("asked again: got approval %+v, want one for account %s", got.Approval, decider)
				}
			})
		})
	}
}

// TestRevokeFollowsTheOwner: once a database's owner changes, its requests
// are the new owner's: its admins see them, listed and one by one, and
// revoke them, and the former owner's admins do neither.
func TestRevokeFollowsTheOwner(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		r := f.request(consumerAnn, "marketing", "campaigns")
		f.wantStatus(r.ID, mesh.RequestShared)
		d, err := f.catalog.FindDatabase(meshAdmin, "marketing")
		if err != nil {
			t.Fatal(err)
		}
		params := map[string]string{mesh.ParamDataOwner: sibling, mesh.ParamPIIFlag: "false"}
		if _, err := f.catalog.UpdateDatabase(meshAdmin, "marketing", catalog.DatabaseUpdate{Parameters: params}, d.Version); err != nil {
			t.Fatal(err)
		}
		newAdmin := as(sibling, "sadmin", mesh.RoleAdmin)
		for _, c := range []struct {
			who  context.Context
			sees bool
		}{{producerAdmin, false}, {newAdmin, true}} {
			_, err := f.svc.FindRequest(c.who, r.ID)
			list, lerr := f.svc.FindRequests(c.who, sharing.RequestFilter{})
			listed := lerr == nil && len(list) == 1 && list[0].ID == r.ID
			if (err == nil) != c.sees || listed != c.sees {
				t.Errorf("%s: got %v, listed %v (%v); want seen %v", mesh.ActorFromContext(c.who).Principal(), err, listed, lerr, c.sees)
			}
		}
		if _, err := f.svc.RevokeRequest(producerAdmin, r.ID); !mesh.IsCode(err, mesh.EFORBIDDEN) {
			t.Errorf("the former owner's admin revokes: got %v, want forbidden", err)
		}
		if _, err := f.svc.RevokeRequest(newAdmin, r.ID); err != nil {
			t.Errorf("the new owner's admin revokes: %v", err)
		}
		f.wantStatus(r.ID, mesh.RequestRevoked)
	})
}

// TestRequestsFollowTheOwnerEachTime: a database handed on twice (and back)
// takes its requests along each time, those made while each owner held it
// included: whoever owns it last sees them all, the others none.
func TestRequestsFollowTheOwnerEachTime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		handTo := func(owner string) {
			t.Helper()
			d, err := f.catalog.FindDatabase(meshAdmin, "marketing")
			if err != nil {
				t.Fatal(err)
			}
			params := map[string]string{mesh.ParamDataOwner: owner, mesh.ParamPIIFlag: "false"}
			if _, err := f.catalog.UpdateDatabase(meshAdmin, "marketing", catalog.DatabaseUpdate{Parameters: params}, d.Version); err != nil {
				t.Fatal(err)
			}
		}
		sees := func(who context.Context) int {
			t.Helper()
			list, err := f.svc.FindRequests(who, sharing.RequestFilter{})
			if err != nil {
				t.Fatal(err)
			}
			return len(list)
		}
		siblingAdmin := as(sibling, "sadmin", mesh.RoleAdmin)
		f.request(consumerAnn, "marketing", "campaigns")
		handTo(sibling)
		f.request(consumerBob, "marketing", "campaigns") // shared too: one grant, two requests
		handTo(producer)
		if got, other := sees(producerAdmin), sees(siblingAdmin); got != 2 || other != 0 {
			t.Errorf("back with the producer: its admin sees %d, the former owner's %d; want 2 and 0", got, other)
		}
		handTo(sibling)
		if got, other := sees(siblingAdmin), sees(producerAdmin); got != 2 || other != 0 {
			t.Errorf("handed on again: the new owner's admin sees %d, the former owner's %d; want 2 and 0", got, other)
		}
	})
}

// TestOffboardingHandsManyDatabasesOver: an offboarded producer's
// databases go to another account at once, with their requests: those
// waiting for the producer's approval end FAILED, each naming its
// database; those shared end with their grants; the new owner's admins see
// them all, the requests of a database the producer no longer owned stay
// where they were, and the offboarding lists each request it ended once.
// The databases' requests are looked for and handed over in statements
// for them all, not one a database.
func TestOffboardingHandsManyDatabasesOver(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		const heir = "444455556666"
		counted := &countingStore{Store: s}
		accts := f.accounts(counted)
		if err := accts.Onboard(meshAdmin, &mesh.Account{ID: heir, Name: "Heir", Organization: org}, account.OnboardOptions{}); err != nil {
			t.Fatal(err)
		}
		var waiting, shared []int64
		for i := range 4 {
			name := "product" + strconv.Itoa(i)
			pii := strconv.FormatBool(i%2 == 0)
			if _, err := f.catalog.CreateDatabase(meshAdmin, &mesh.Database{Name: name,
				Parameters: map[string]string{mesh.ParamDataOwner: producer, mesh.ParamPIIFlag: pii}}); err != nil {
				t.Fatal(err)
			}
			if _, err := f.catalog.CreateTable(meshAdmin, &mesh.Table{DatabaseName: name, Name: "items",
				Columns: []mesh.Column{col("id", false)}}); err != nil {
				t.Fatal(err)
			}
			for _, who := range []context.Context{consumerAnn, siblingCarl} {
				r := f.request(who, name, "items")
				if i%2 == 0 {
					f.wantStatus(r.ID, mesh.RequestPendingApproval)
					waiting = append(waiting, r.ID)
				} else {
					f.wantStatus(r.ID, mesh.RequestShared)
					shared = append(shared, r.ID)
				}
			}
		}
		// a database handed to sibling before: its request is sibling's
		elsewhere := f.request(consumerAnn, "hr", "teams")
		d, err := f.catalog.FindDatabase(meshAdmin, "hr")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.catalog.UpdateDatabase(meshAdmin, "hr", catalog.DatabaseUpdate{Parameters: map[string]string{mesh.ParamDataOwner: sibling}}, d.Version); err != nil {
			t.Fatal(err)
		}

		counted.counting.Store(true)
		off, err := accts.OffboardAccount(meshAdmin, producer, account.OffboardOptions{Force: true, TransferTo: heir})
		if err != nil {
			t.Fatal(err)
		}
		counted.counting.Store(false)
		if moves, finds := counted.moves.Load(), counted.byDatabase.Load(); moves != 1 || finds > 2 {
			t.Errorf("for 4 databases: got %d statements handing requests over and %d looking for open requests by database; want 1 and at most 2", moves, finds)
		}
		for _, id := range waiting {
			v := f.wantStatus(id, mesh.RequestFailed)
			if want := "account " + heir + " owns database " + v.Database + " now"; v.Error != sharing.ErrOwnerChanged || !strings.Contains(v.Cause, want) {
				t.Errorf("request %d: got %q, %q; want %q naming %q", id, v.Error, v.Cause, sharing.ErrOwnerChanged, want)
			}
			n := 0
			for _, a := range off.Affected {
				if strings.HasPrefix(a, "request/"+strconv.FormatInt(id, 10)+":") || a == "request/"+strconv.FormatInt(id, 10) {
					n++
				}
			}
			if n != 1 {
				t.Errorf("request %d: listed %d times in %q, want once", id, n, off.Affected)
			}
		}
		for _, id := range shared {
			f.wantStatus(id, mesh.RequestRevoked)
		}
		heirAdmin := as(heir, "hadmin", mesh.RoleAdmin)
		seen, err := f.svc.FindRequests(heirAdmin, sharing.RequestFilter{})
		if err != nil || len(seen) != len(waiting)+len(shared) {
			t.Errorf("the new owner's admin: got %d requests, %v; want %d", len(seen), err, len(waiting)+len(shared))
		}
		if v := f.get(elsewhere.ID); v.OwnerAccount != sibling {
			t.Errorf("request of a database handed on before: got owner %s, want %s", v.OwnerAccount, sibling)
		}
	})
}

// countingStore counts, while counting, the statements its transactions
// run that hand requests over to a database's new owner and that look for
// requests by database.
type countingStore struct {
	store.Store
	counting          atomic.Bool
	moves, byDatabase atomic.Int64
}

func (s *countingStore) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.Store.Update(ctx, func(tx store.Tx) error { return fn(countingTx{tx, s}) })
}

type countingTx struct {
	store.Tx
	s *countingStore
}

func (tx countingTx) SetRequestsOwner(ctx context.Context, databases []string, from, owner string) error {
	if tx.s.counting.Load() {
		tx.s.moves.Add(1)
	}
	return tx.Tx.SetRequestsOwner(ctx, databases, from, owner)
}

func (tx countingTx) FindAccessRequests(ctx context.Context, f store.RequestFilter) ([]*mesh.AccessRequest, error) {
	if tx.s.counting.Load() && (f.Database != "" || len(f.Databases) > 0) {
		tx.s.byDatabase.Add(1)
	}
	return tx.Tx.FindAccessRequests(ctx, f)
}

// TestDatabaseDeleteLocksRequestsFirst: deleting a database with its
// tables ends the open requests of every table and of the whole database,
// locking their executions before the access version is taken, the order
// the workflow's share task takes them in (a share task holding its
// execution waits for the access version), so that PostgreSQL has no
// deadlock to break between the two.
func TestDatabaseDeleteLocksRequestsFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		people := f.request(consumerAnn, "hr", "people") // a flagged column: waits for approval
		f.wantStatus(people.ID, mesh.RequestPendingApproval)
		whole := f.request(siblingCarl, "hr", mesh.AllTables)
		f.wantStatus(whole.ID, mesh.RequestPendingApproval)
		teams := f.request(consumerAnn, "hr", "teams") // nothing flagged: shared at once
		f.wantStatus(teams.ID, mesh.RequestShared)

		rec := &orderStore{Store: s}
		cat := catalog.NewService(rec, f.clock)
		cat.OnDelete(f.svc.OnCatalogDelete) // as the server registers them: sharing's first
		cat.OnDelete(f.access.OnCatalogDelete)
		if err := cat.DeleteDatabase(meshAdmin, "hr", catalog.DeleteOptions{Force: true}); err != nil {
			t.Fatal(err)
		}
		if i := strings.Index(rec.order, "V"); i >= 0 && strings.Contains(rec.order[i:], "L") {
			t.Errorf("locks (L) and access versions (V) in the order %s: an execution locked after the access version", rec.order)
		}
		for _, id := range []int64{people.ID, whole.ID} {
			if v := f.wantStatus(id, mesh.RequestFailed); v.Error != sharing.ErrProductDeleted {
				t.Errorf("request %d: got error %q, want %q", id, v.Error, sharing.ErrProductDeleted)
			}
		}
		f.wantStatus(teams.ID, mesh.RequestRevoked)
	})
}

// orderStore records, in its transactions, each lock of an execution (L)
// and each taking of the access version (V).
type orderStore struct {
	store.Store
	mu    sync.Mutex
	order string
}

func (s *orderStore) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.Store.Update(ctx, func(tx store.Tx) error { return fn(orderTx{tx, s}) })
}

func (s *orderStore) note(c string) {
	s.mu.Lock()
	s.order += c
	s.mu.Unlock()
}

type orderTx struct {
	store.Tx
	s *orderStore
}

func (tx orderTx) LockExecution(ctx context.Context, id string) (*store.ExecutionRecord, error) {
	tx.s.note("L")
	return tx.Tx.LockExecution(ctx, id)
}

func (tx orderTx) BumpAccessVersion(ctx context.Context) (int64, error) {
	tx.s.note("V")
	return tx.Tx.BumpAccessVersion(ctx)
}

func (tx orderTx) AddAccessVersion(ctx context.Context) (int64, error) {
	tx.s.note("V")
	return tx.Tx.AddAccessVersion(ctx)
}
