package sharing_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/catalog"
	"github.com/meshgate/meshgate/internal/mesh"
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
