package sharing_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/sharing"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestChangesAreAudited runs each change of a request and checks the audit
// entries it left on the request: what, and who, the system for what the
// workflow and the expiry do.
func TestChangesAreAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		const system = central + "/system"
		hourly := func(in *sharing.RequestInput) { in.Duration = mesh.Duration(time.Hour) }
		var r *mesh.AccessRequest
		tests := []struct {
			name string
			do   func() error
			want []string // "action principal", oldest first
		}{
			{"create, shared at once", func() error {
				r = f.request(siblingCarl, "marketing", "campaigns", hourly)
				return nil
			}, []string{"sharing.request.create " + sibling + "/carl", "sharing.request.shared " + system}},
			{"revoke", func() error {
				_, err := f.svc.RevokeRequest(producerAdmin, r.ID)
				return err
			}, []string{"sharing.request.revoke " + producer + "/padmin"}},
			{"expire", func() error {
				r = f.request(siblingCarl, "marketing", "campaigns", hourly)
				f.clock.Add(time.Hour)
				_, err := f.svc.ExpireOnce(f.ctx)
				return err
			}, []string{"sharing.request.create " + sibling + "/carl", "sharing.request.shared " + system, "sharing.request.expire " + system}},
			{"revoke once expired", func() error {
				r = f.request(siblingCarl, "marketing", "campaigns", hourly)
				f.clock.Add(time.Hour)
				if _, err := f.svc.RevokeRequest(producerAdmin, r.ID); !mesh.IsCode(err, mesh.ECONFLICT) {
					t.Errorf("revoke once expired: got %v, want %s", err, mesh.ECONFLICT)
				}
				return nil
			}, []string{"sharing.request.create " + sibling + "/carl", "sharing.request.shared " + system, "sharing.request.expire " + system}},
			{"approval", func() error {
				r = f.request(consumerAnn, "sales", "orders")
				return nil
			}, []string{"sharing.request.create " + consumer + "/ann", "sharing.approval.request " + system}},
			{"deny", func() error {
				_, err := f.decide(approver, r.ID, false, "no")
				return err
			}, []string{"sharing.approval.deny " + producer + "/sam", "sharing.request.denied " + system}},
			{"approve", func() error {
				r = f.request(consumerAnn, "sales", "orders")
				_, err := f.decide(approver, r.ID, true, "fine")
				return err
			}, []string{"sharing.request.create " + consumer + "/ann", "sharing.approval.request " + system,
				"sharing.approval.approve " + producer + "/sam", "sharing.request.shared " + system}},
			{"cancel", func() error {
				r = f.request(consumerAnn, "hr", "people")
				_, err := f.svc.CancelRequest(consumerAnn, r.ID)
				return err
			}, []string{"sharing.request.create " + consumer + "/ann", "sharing.approval.request " + system,
				"sharing.request.cancel " + consumer + "/ann"}},
		}
		last := int64(0)
		for _, tt := range tests {
			if err := tt.do(); err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			var got []string
			for _, e := range storetest.AuditSince(t, s, last) {
				last = e.ID
				if e.Resource == "request/"+strconv.FormatInt(r.ID, 10) {
					got = append(got, e.Action+" "+e.Principal)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s: got audit entries %q, want %q", tt.name, got, tt.want)
			}
		}
	})
}

// TestRevokeEntriesJoin: the grant a revoke takes back is audited as the
// system, which holds the authority, yet under the caller's request id and
// address, so that the entry joins the caller's sharing.request.revoke.
func TestRevokeEntriesJoin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		r := f.request(siblingCarl, "marketing", "campaigns")
		caller := *mesh.ActorFromContext(producerAdmin)
		caller.RequestID, caller.RemoteAddr = "req-revoke-1", "192.0.2.7"
		if _, err := f.svc.RevokeRequest(mesh.NewContext(f.ctx, &caller), r.ID); err != nil {
			t.Fatal(err)
		}
		got := map[string]*mesh.AuditEntry{}
		for _, e := range storetest.AuditSince(t, s, 0) {
			if e.RequestID == caller.RequestID {
				got[e.Action] = e
			}
		}
		rv, ok := got["access.revoke"]
		if !ok || got["sharing.request.revoke"] == nil {
			t.Fatalf("entries under request id %s: got %v, want sharing.request.revoke and access.revoke", caller.RequestID, got)
		}
		if rv.Principal != central+"/system" || rv.RemoteAddr != caller.RemoteAddr {
			t.Errorf("access.revoke: got %s from %q, want %s/system from %s", rv.Principal, rv.RemoteAddr, central, caller.RemoteAddr)
		}
	})
}
