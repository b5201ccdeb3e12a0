package account_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/account"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

func newService(t *testing.T, s store.Store, org string) (*account.Service, *mesh.FakeClock) {
	t.Helper()
	clock := mesh.NewFakeClock(time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC))
	svc := account.NewService(s, clock, account.Central{ID: "central", Name: "Central", Organization: org})
	if err := svc.EnsureCentral(context.Background()); err != nil {
		t.Fatalf("ensure central: %v", err)
	}
	return svc, clock
}

var (
	meshAdmin    = mesh.NewContext(context.Background(), &mesh.Actor{UserID: 1, Username: "root", AccountID: "central", CentralAccountID: "central", Roles: []string{mesh.RoleAdmin}})
	salesAdmin   = mesh.NewContext(context.Background(), &mesh.Actor{UserID: 2, Username: "ada", AccountID: "111122223333", CentralAccountID: "central", Roles: []string{mesh.RoleAdmin}})
	salesMember  = mesh.NewContext(context.Background(), &mesh.Actor{UserID: 3, Username: "bea", AccountID: "111122223333", CentralAccountID: "central", Roles: []string{mesh.RoleMember}})
	centralUser  = mesh.NewContext(context.Background(), &mesh.Actor{UserID: 4, Username: "cy", AccountID: "central", CentralAccountID: "central", Roles: []string{mesh.RoleApprover}})
	anonymous    = context.Background()
	salesAccount = func() *mesh.Account {
		return &mesh.Account{ID: "111122223333", Name: "Sales", Organization: "o-example"}
	}
)

func TestEnsureCentral(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		svc, _ := newService(t, s, "o-example")
		a, err := svc.FindAccountByID(meshAdmin, "central")
		if err != nil || a.Name != "Central" || a.Organization != "o-example" {
			t.Fatalf("got %+v (%v), want Central in o-example", a, err)
		}
		// A restart with another organization configured moves it; nothing else changes.
		svc2 := account.NewService(s, nil, account.Central{ID: "central", Name: "Renamed", Organization: "o-new"})
		if err := svc2.EnsureCentral(ctx); err != nil {
			t.Fatal(err)
		}
		a, _ = svc2.FindAccountByID(meshAdmin, "central")
		if a.Name != "Central" || a.Organization != "o-new" {
			t.Errorf("got %+v, want the name kept and organization o-new", a)
		}
		if err := svc2.EnsureCentral(ctx); err != nil {
			t.Fatal(err)
		}
		var actions []string
		s.View(ctx, func(tx store.Tx) error {
			es, err := tx.FindAuditEntries(ctx, store.AuditFilter{Resource: "account/central"})
			for _, e := range es {
				actions = append(actions, e.Action+" by "+e.Principal)
			}
			return err
		})
		if len(actions) != 2 || actions[0] != "account.update by central/system" || actions[1] != "account.onboard by central/system" {
			t.Errorf("got %v, want one onboarding and one update by the system", actions)
		}
	})
}

func TestOnboardAndUpdate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		svc, clock := newService(t, s, "")
		tests := []struct {
			name  string
			ctx   context.Context
			a     *mesh.Account
			code  string
			field string
		}{
			{"mesh admin", meshAdmin, salesAccount(), "", ""},
			{"again", meshAdmin, salesAccount(), mesh.ECONFLICT, ""},
			{"account admin", salesAdmin, &mesh.Account{ID: "222233334444", Name: "M"}, mesh.EFORBIDDEN, ""},
			{"central non-admin", centralUser, &mesh.Account{ID: "222233334444", Name: "M"}, mesh.EFORBIDDEN, ""},
			{"anonymous", anonymous, &mesh.Account{ID: "222233334444", Name: "M"}, mesh.EUNAUTHORIZED, ""},
			{"bad id", meshAdmin, &mesh.Account{ID: "1111-", Name: "M"}, "", ""},
			{"upper case id", meshAdmin, &mesh.Account{ID: "Sales", Name: "M"}, mesh.EINVALID, "id"},
			{"13 digits", meshAdmin, &mesh.Account{ID: "1111222233334", Name: "M"}, "", ""},
			{"no name", meshAdmin, &mesh.Account{ID: "222233334444"}, mesh.EINVALID, "name"},
			{"control in name", meshAdmin, &mesh.Account{ID: "222233334444", Name: "a\nb"}, mesh.EINVALID, "name"},
			{"bad organization", meshAdmin, &mesh.Account{ID: "222233334444", Name: "M", Organization: "o_x"}, mesh.EINVALID, "organization"},
			{"bad email", meshAdmin, &mesh.Account{ID: "222233334444", Name: "M", Email: "m@"}, mesh.EINVALID, "email"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := svc.CreateAccount(tt.ctx, tt.a)
				var me *mesh.Error
				switch {
				case tt.code == "" && err != nil:
					t.Fatalf("got %v, want success", err)
				case tt.code != "" && !mesh.IsCode(err, tt.code):
					t.Fatalf("got %v, want %s", err, tt.code)
				case tt.field != "" && (!errors.As(err, &me) || me.Field != tt.field):
					t.Fatalf("got %v, want the field %s named", err, tt.field)
				}
			})
		}
		// "1111-" is a valid slug and 13 digits too: the id rule is 12 digits or a slug.
		list, err := svc.FindAccounts(salesMember, store.AccountFilter{})
		if err != nil || len(list) != 4 {
			t.Fatalf("got %d accounts (%v), want 4", len(list), err)
		}
		_, err = svc.FindAccounts(anonymous, store.AccountFilter{})
		if !mesh.IsCode(err, mesh.EUNAUTHORIZED) {
			t.Errorf("anonymous listing: got %v, want unauthorized", err)
		}

		clock.Add(time.Hour)
		name, org, email := "Sales EU", "o-other", "eu@example.com"
		a, err := svc.UpdateAccount(salesAdmin, "111122223333", account.Update{Name: &name, Email: &email})
		if err != nil || a.Name != name || a.Email != email || a.Organization != "o-example" || !a.UpdatedAt.Equal(clock.Now()) {
			t.Fatalf("got %+v (%v), want the account admin's changes", a, err)
		}
		for _, c := range []struct {
			name string
			ctx  context.Context
			upd  account.Update
			code string
		}{
			{"account admin moves organization", salesAdmin, account.Update{Organization: &org}, mesh.EFORBIDDEN},
			{"member", salesMember, account.Update{Name: &name}, mesh.EFORBIDDEN},
			{"bad email", meshAdmin, account.Update{Email: new(string("x"))}, mesh.EINVALID},
		} {
			if _, err := svc.UpdateAccount(c.ctx, "111122223333", c.upd); !mesh.IsCode(err, c.code) {
				t.Errorf("%s: got %v, want %s", c.name, err, c.code)
			}
		}
		if _, err := svc.UpdateAccount(meshAdmin, "999999999999", account.Update{Name: &name}); !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("unknown account: got %v, want not found", err)
		}
		if a, err := svc.UpdateAccount(meshAdmin, "111122223333", account.Update{Organization: &org}); err != nil || a.Organization != org {
			t.Errorf("got %+v (%v), want the mesh admin to move the organization", a, err)
		}
		// each update's entry says what the account is now, its email too
		var es []*mesh.AuditEntry
		err = s.View(context.Background(), func(tx store.Tx) (err error) {
			es, err = tx.FindAuditEntries(context.Background(), store.AuditFilter{Action: "account.update", Limit: 10})
			return err
		})
		if err != nil || len(es) != 2 {
			t.Fatalf("got %d account.update entries (%v), want 2", len(es), err)
		}
		for i, want := range []string{"organization=" + org, "email=" + email} {
			if !strings.Contains(es[i].Detail, want) || !strings.Contains(es[i].Detail, "email="+email) {
				t.Errorf("entry %d: got detail %q, want %q and the email", i, es[i].Detail, want)
			}
		}
	})
}

func TestOffboard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		svc, _ := newService(t, s, "")
		// Two areas report dependents, one item twice; one cleans up on force.
		products := map[string][]string{"111122223333": {"database/sales: product", "database/orders: product"}}
		svc.RegisterDependents(func(ctx context.Context, tx store.Tx, id string) ([]string, error) { return products[id], nil })
		svc.RegisterDependents(func(ctx context.Context, tx store.Tx, id string) ([]string, error) {
			if id == "111122223333" {
				return []string{"share/7: sales with 222233334444", "database/sales: product"}, nil
			}
			return nil, nil
		})
		var cleaned, notified, transfers []string
		svc.OnOffboard(func(id string) { notified = append(notified, id) })
		svc.RegisterCleanup(func(ctx context.Context, tx store.Tx, id, transferTo string) ([]string, error) {
			cleaned = append(cleaned, id)
			transfers = append(transfers, transferTo)
			if id == "111122223333" {
				return []string{"share/7: sales with 222233334444: ended"}, nil
			}
			return nil, nil
		})
		for _, a := range []*mesh.Account{salesAccount(), {ID: "222233334444", Name: "Marketing"}} {
			if err := svc.CreateAccount(meshAdmin, a); err != nil {
				t.Fatal(err)
			}
		}
		err := s.Update(ctx, func(tx store.Tx) error {
			return tx.CreateUser(ctx, &mesh.User{AccountID: "111122223333", Username: "ada", Roles: []string{"admin"}, CreatedAt: time.Now(), UpdatedAt: time.Now()}, "h")
		})
		if err != nil {
			t.Fatal(err)
		}

		force := account.OffboardOptions{Force: true}
		for _, c := range []struct {
			name  string
			ctx   context.Context
			id    string
			opts  account.OffboardOptions
			code  string
			field string
		}{
			{"account admin", salesAdmin, "111122223333", force, mesh.EFORBIDDEN, ""},
			{"central", meshAdmin, "central", force, mesh.EINVALID, "id"},
			{"unknown", meshAdmin, "999999999999", force, mesh.ENOTFOUND, ""},
			{"transfer to itself", meshAdmin, "111122223333", account.OffboardOptions{Force: true, TransferTo: "111122223333"}, mesh.EINVALID, "transfer_to"},
			{"transfer to nobody", meshAdmin, "111122223333", account.OffboardOptions{Force: true, TransferTo: "999999999999"}, mesh.EINVALID, "transfer_to"},
			{"transfer to a bad id", meshAdmin, "111122223333", account.OffboardOptions{Force: true, TransferTo: "No!"}, mesh.EINVALID, "transfer_to"},
		} {
			_, err := svc.OffboardAccount(c.ctx, c.id, c.opts)
			var me *mesh.Error
			if !mesh.IsCode(err, c.code) || (c.field != "" && (!errors.As(err, &me) || me.Field != c.field)) {
				t.Errorf("%s: got %v, want %s naming %q", c.name, err, c.code, c.field)
			}
		}

		// The impact, asked first, lists the same and changes nothing.
		if _, err := svc.OffboardImpact(salesAdmin, "111122223333"); !mesh.IsCode(err, mesh.EFORBIDDEN) {
			t.Errorf("impact for an account admin: got %v, want forbidden", err)
		}
		if _, err := svc.OffboardImpact(meshAdmin, "central"); !mesh.IsCode(err, mesh.EINVALID) {
			t.Errorf("impact of central: got %v, want invalid", err)
		}
		impact, err := svc.OffboardImpact(meshAdmin, "111122223333")
		wantImpact := []string{"database/sales: product", "database/orders: product", "share/7: sales with 222233334444"}
		if err != nil || !slices.Equal(impact.Affected, wantImpact) || impact.UsersRemoved != 1 || impact.Account.Name != "Sales" {
			t.Errorf("impact: got %+v, %v; want %v and 1 user", impact, err, wantImpact)
		}
		if len(cleaned) != 0 || len(notified) != 0 {
			t.Errorf("impact: cleaned %v, notified %v; want nothing done", cleaned, notified)
		}

		// Without force: refused, listing the dependents once each, nothing changed.
		_, err = svc.OffboardAccount(meshAdmin, "111122223333", account.OffboardOptions{})
		var me *mesh.Error
		if !errors.As(err, &me) || me.Code != mesh.ECONFLICT {
			t.Fatalf("got %v, want conflict", err)
		}
		d, ok := me.Details.(account.DependentsDetails)
		want := []string{"database/sales: product", "database/orders: product", "share/7: sales with 222233334444"}
		if !ok || d.Account != "111122223333" || !slices.Equal(d.Dependents, want) {
			t.Fatalf("got details %+v, want %v", me.Details, want)
		}
		if _, err := svc.FindAccountByID(meshAdmin, "111122223333"); err != nil || len(cleaned) != 0 || len(notified) != 0 {
			t.Fatalf("after a refused offboarding: %v, cleaned %v; want the account intact", err, cleaned)
		}

		// Without dependents: no force needed; clean-ups run in every offboarding.
		if _, err := svc.OffboardAccount(meshAdmin, "222233334444", account.OffboardOptions{}); err != nil {
			t.Errorf("account without dependents: got %v, want offboarded", err)
		}

		// With force: clean-ups run, the account and its users go, the audit log says what.
		res, err := svc.OffboardAccount(meshAdmin, "111122223333", account.OffboardOptions{Force: true, TransferTo: "central"})
		if err != nil {
			t.Fatalf("forced: %v", err)
		}
		want[2] = "share/7: sales with 222233334444: ended"
		if !slices.Equal(res.Affected, want) || res.UsersRemoved != 1 || res.TransferredTo != "central" ||
			!slices.Equal(cleaned, []string{"222233334444", "111122223333"}) || !slices.Equal(transfers, []string{"", "central"}) {
			t.Errorf("got %+v (cleaned %v, transfers %v), want every dependent once, what the clean-up did, and 1 user", res, cleaned, transfers)
		}
		if _, err := svc.FindAccountByID(meshAdmin, "111122223333"); !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("offboarded account: got %v, want not found", err)
		}
		if !slices.Equal(notified, []string{"222233334444", "111122223333"}) {
			t.Errorf("got %v notified, want both offboarded accounts", notified)
		}
		var entry *mesh.AuditEntry
		s.View(ctx, func(tx store.Tx) error {
			es, err := tx.FindAuditEntries(ctx, store.AuditFilter{Action: "account.offboard", Resource: "account/111122223333"})
			if len(es) == 1 {
				entry = es[0]
			}
			return err
		})
		if entry == nil || entry.Principal != "central/root" {
			t.Fatalf("got %+v, want one offboarding entry by central/root", entry)
		}
		var detail struct {
			Force        bool     `json:"force"`
			Affected     []string `json:"affected"`
			UsersRemoved int      `json:"users_removed"`
		}
		if err := json.Unmarshal([]byte(entry.Detail), &detail); err != nil || !detail.Force || len(detail.Affected) != 3 || detail.UsersRemoved != 1 {
			t.Errorf("got detail %q (%v), want force, 3 affected and 1 user", entry.Detail, err)
		}

		// The id is remembered: onboarding it again needs reonboard.
		err = svc.CreateAccount(meshAdmin, salesAccount())
		if !errors.As(err, &me) || me.Code != mesh.ECONFLICT || !strings.Contains(me.Message, "reonboard") {
			t.Fatalf("onboarding an offboarded id: got %v, want a conflict naming reonboard", err)
		}
		if rec, ok := me.Details.(*mesh.OffboardedAccount); !ok || rec.Name != "Sales" || rec.OffboardedBy != "central/root" {
			t.Errorf("got details %+v, want the offboarding record", me.Details)
		}
		if err := svc.Onboard(meshAdmin, salesAccount(), account.OnboardOptions{Reonboard: true}); err != nil {
			t.Fatalf("reonboard: %v", err)
		}
		s.View(ctx, func(tx store.Tx) error {
			es, err := tx.FindAuditEntries(ctx, store.AuditFilter{Action: "account.onboard", Resource: "account/111122223333"})
			if err != nil || len(es) != 2 || !strings.Contains(es[0].Detail, "reonboard=true") {
				t.Errorf("got %+v (%v), want the second onboarding audited as a reonboarding", es, err)
			}
			return nil
		})
	})
}

// TestLegacyNameKept: an account name stored before names refused
// zero-width characters and bidirectional controls, or before they were
// kept in NFC, stays through an update that does not set it, whether the
// update leaves the name out or sends it back as it read it; a name the
// update sets is checked, and refused naming name, changing nothing.
func TestLegacyNameKept(t *testing.T) {
	const legacy = "Sales\u200b Cafe\u0301" // a zero-width space, an e and its accent apart
	storetest.Each(t, func(t *testing.T, s store.Store) {
		svc, _ := newService(t, s, "")
		if err := svc.CreateAccount(meshAdmin, salesAccount()); err != nil {
			t.Fatal(err)
		}
		email := "eu@example.com"
		tests := []struct {
			name     string
			upd      account.Update
			wantName string // "" for refused
		}{
			{"email only", account.Update{Email: &email}, legacy},
			{"the name sent back as read", account.Update{Name: new(string(legacy)), Email: &email}, legacy},
			{"another name with a zero-width character", account.Update{Name: new(string("Sales\u200d")), Email: &email}, ""},
			{"a name without one", account.Update{Name: new(string("Sales Cafe\u0301"))}, "Sales Caf\u00e9"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx := context.Background()
				// as an older version stored it, before the check
				err := s.Update(ctx, func(tx store.Tx) error {
					a, err := tx.FindAccountByID(ctx, "111122223333")
					if err != nil {
						return err
					}
					a.Name, a.Email = legacy, ""
					return tx.UpdateAccount(ctx, a)
				})
				if err != nil {
					t.Fatal(err)
				}
				got, err := svc.UpdateAccount(salesAdmin, "111122223333", tt.upd)
				if tt.wantName == "" {
					var me *mesh.Error
					if !errors.As(err, &me) || me.Code != mesh.EINVALID || me.Field != "name" {
						t.Fatalf("got %v, want invalid naming name", err)
					}
					if a, _ := svc.FindAccountByID(meshAdmin, "111122223333"); a.Name != legacy || a.Email != "" {
						t.Errorf("a refused update changed the account: got %+v", a)
					}
					return
				}
				if err != nil {
					t.Fatalf("got %v, want the update accepted", err)
				}
				if got.Name != tt.wantName || tt.upd.Email != nil && got.Email != email {
					t.Errorf("got name %q and email %q, want %q and the email set", got.Name, got.Email, tt.wantName)
				}
			})
		}
	})
}
