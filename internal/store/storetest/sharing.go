package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

func init() {
	register("sharing_requests", testSharingRequests)
	register("sharing_approvals", testSharingApprovals)
}

func sampleRequest(user, target, db, table string, now time.Time) *mesh.AccessRequest {
	return &mesh.AccessRequest{RequesterAccount: target, RequesterUser: user, TargetAccount: target, Database: db, Table: table,
		OwnerAccount: "111122223333", Permissions: mesh.PermissionsOf(mesh.PermSelect, mesh.PermDescribe),
		Justification: "quarterly report", Duration: mesh.Duration(720 * time.Hour), Status: mesh.RequestSubmitted,
		PIIColumns: []string{"orders.email"}, ExecutionID: "exec-" + user + "-" + db + "-" + table,
		StateMachine: "data-sharing", StateMachineVersion: 1, CreatedAt: now, UpdatedAt: now}
}

// openWithTargets opens a store holding the accounts the sample requests
// target: a request's target account must exist.
func openWithTargets(t *testing.T, open Opener) store.Store {
	s := open(t)
	mustUpdate(t, s, func(tx store.Tx) error {
		for _, id := range []string{"222233334444", "333344445555"} {
			if err := tx.CreateAccount(context.Background(), identityAccount(id, "Account "+id, "")); err != nil {
				return err
			}
		}
		return nil
	})
	return s
}

func testSharingRequests(t *testing.T, open Opener) {
	s := openWithTargets(t, open)
	ctx := context.Background()
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	var first *mesh.AccessRequest
	mustUpdate(t, s, func(tx store.Tx) error {
		// an unknown target account: not found, nothing stored
		if ok, err := tx.InsertAccessRequest(ctx, sampleRequest("ann", "999988887777", "sales", "orders", now)); !mesh.IsCode(err, mesh.ENOTFOUND) || ok {
			t.Errorf("unknown target account: got %v, %v; want not found", ok, err)
		}
		if all, err := tx.FindAccessRequests(ctx, store.RequestFilter{}); err != nil || len(all) != 0 {
			t.Errorf("after the unknown account: got %d requests, %v; want none", len(all), err)
		}
		first = sampleRequest("ann", "222233334444", "sales", "orders", now)
		if ok, err := tx.InsertAccessRequest(ctx, first); err != nil || !ok || first.ID == 0 {
			t.Fatalf("first insert: got %v, %v, id %d; want inserted", ok, err, first.ID)
		}
		// the same target and resource while the first is open: nothing stored
		dup := sampleRequest("bob", "222233334444", "sales", "orders", now)
		if ok, err := tx.InsertAccessRequest(ctx, dup); err != nil || ok {
			t.Errorf("duplicate open request: got %v, %v; want not inserted", ok, err)
		}
		// another table, or the whole database, is another request
		for _, table := range []string{"customers", mesh.AllTables} {
			if ok, err := tx.InsertAccessRequest(ctx, sampleRequest("ann", "222233334444", "sales", table, now)); err != nil || !ok {
				t.Errorf("table %s: got %v, %v; want inserted", table, ok, err)
			}
		}
		got, err := tx.FindAccessRequest(ctx, first.ID)
		if err != nil {
			return err
		}
		if got.Duration != mesh.Duration(720*time.Hour) || !got.CreatedAt.Equal(now) || !slices.Equal(got.PIIColumns, []string{"orders.email"}) ||
			got.Permissions != first.Permissions || got.Decision != nil || !got.ExpiresAt.IsZero() {
			t.Errorf("got %+v, want the request as stored", got)
		}
		open, err := tx.FindOpenAccessRequest(ctx, "222233334444", "sales", "orders")
		if err != nil || open.ID != first.ID {
			t.Errorf("open request: got %+v, %v; want id %d", open, err, first.ID)
		}
		byExec, err := tx.FindAccessRequestByExecution(ctx, first.ExecutionID)
		if err != nil || byExec.ID != first.ID {
			t.Errorf("by execution: got %+v, %v; want id %d", byExec, err, first.ID)
		}
		if _, err := tx.FindAccessRequest(ctx, 9999); !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("unknown id: got %v, want not found", err)
		}
		return nil
	})

	// a decision and a share close the request; then the same resource may be asked again
	mustUpdate(t, s, func(tx store.Tx) error {
		r := *first
		r.Status, r.GrantID, r.ShareID, r.ExpiresAt, r.UpdatedAt = mesh.RequestShared, 7, 8, now.Add(time.Hour), now.Add(time.Minute)
		r.Decision = &mesh.RequestDecision{By: "111122223333/sam", At: now.Add(time.Minute), Comment: "ok", Channel: mesh.ChannelCLI, Approved: true}
		if err := tx.UpdateAccessRequest(ctx, &r, mesh.RequestSubmitted); err != nil {
			return err
		}
		// a second writer expecting the old status loses, and learns the current one
		stale := *first
		stale.Status = mesh.RequestCancelled
		err := tx.UpdateAccessRequest(ctx, &stale, mesh.RequestSubmitted)
		var me *mesh.Error
		if !mesh.IsCode(err, mesh.ECONFLICT) || !asMeshError(err, &me) || me.Details.(*mesh.AccessRequest).Status != mesh.RequestShared {
			t.Errorf("stale update: got %v, want a conflict carrying status SHARED", err)
		}
		got, err := tx.FindAccessRequest(ctx, first.ID)
		if err != nil {
			return err
		}
		if got.Decision == nil || got.Decision.By != "111122223333/sam" || !got.Decision.Approved || got.Decision.Channel != mesh.ChannelCLI ||
			!got.Decision.At.Equal(now.Add(time.Minute)) || got.GrantID != 7 || got.ShareID != 8 || !got.ExpiresAt.Equal(now.Add(time.Hour)) {
			t.Errorf("got %+v (decision %+v), want the shared request with its decision", got, got.Decision)
		}
		again := sampleRequest("bob", "222233334444", "sales", "orders", now)
		if ok, err := tx.InsertAccessRequest(ctx, again); err != nil || !ok {
			t.Errorf("after the first closed: got %v, %v; want inserted", ok, err)
		}
		if ok, err := tx.InsertAccessRequest(ctx, sampleRequest("carl", "333344445555", "hr", "people", now)); err != nil || !ok {
			t.Errorf("other account: got %v, %v; want inserted", ok, err)
		}
		return nil
	})

	mustView(t, s, func(tx store.Tx) error {
		tests := []struct {
			name string
			f    store.RequestFilter
			want int
		}{
			{"all", store.RequestFilter{}, 5},
			{"requester ann", store.RequestFilter{Requester: "222233334444/ann"}, 3},
			{"visible to bob", store.RequestFilter{VisibleRequester: "222233334444/bob"}, 1},
			{"visible to bob or owner", store.RequestFilter{VisibleRequester: "222233334444/bob", VisibleOwner: "111122223333"}, 5},
			{"visible to account", store.RequestFilter{VisibleAccount: "333344445555"}, 1},
			{"status", store.RequestFilter{Status: mesh.RequestShared}, 1},
			{"expiring", store.RequestFilter{Status: mesh.RequestShared, ExpiresBefore: now.Add(time.Hour)}, 1},
			{"by grant", store.RequestFilter{GrantID: 7}, 1},
			{"by shared grant", store.RequestFilter{GrantID: 7, Status: mesh.RequestShared}, 1},
			{"by other grant", store.RequestFilter{GrantID: 8}, 0},
			{"not yet expiring", store.RequestFilter{Status: mesh.RequestShared, ExpiresBefore: now.Add(time.Minute)}, 0},
			{"page", store.RequestFilter{Limit: 2}, 2},
			{"before", store.RequestFilter{BeforeID: first.ID + 1}, 1},
			{"open", store.RequestFilter{Open: true}, 4},
			{"open on a database", store.RequestFilter{Database: "sales", Open: true}, 3},
			{"open on a table", store.RequestFilter{Database: "sales", Table: "orders", Open: true}, 1},
			{"on a table", store.RequestFilter{Database: "sales", Table: "orders"}, 2},
			{"open for the whole database", store.RequestFilter{Database: "sales", Table: mesh.AllTables, Open: true}, 1},
			{"open on another database", store.RequestFilter{Database: "hr", Open: true}, 1},
			{"open on databases", store.RequestFilter{Databases: []string{"hr", "sales"}, Open: true}, 4},
			{"on databases", store.RequestFilter{Databases: []string{"hr", "nowhere"}}, 1},
		}
		for _, tt := range tests {
			got, err := tx.FindAccessRequests(ctx, tt.f)
			if err != nil {
				return err
			}
			if len(got) != tt.want {
				t.Errorf("%s: got %d requests, want %d", tt.name, len(got), tt.want)
			}
			for i := 1; i < len(got); i++ {
				if got[i].ID >= got[i-1].ID {
					t.Errorf("%s: got ids %d then %d, want newest first", tt.name, got[i-1].ID, got[i].ID)
				}
			}
		}
		return nil
	})

	// the requests of a database follow its owner
	mustUpdate(t, s, func(tx store.Tx) error {
		if err := tx.SetRequestsOwner(ctx, []string{"sales"}, "111122223333", "333344445555"); err != nil {
			return err
		}
		for owner, want := range map[string]int{"333344445555": 4, "111122223333": 1} {
			got, err := tx.FindAccessRequests(ctx, store.RequestFilter{VisibleOwner: owner})
			if err != nil || len(got) != want {
				t.Errorf("owned by %s: got %d, %v; want %d", owner, len(got), err, want)
			}
		}
		r, err := tx.FindAccessRequest(ctx, first.ID)
		if err != nil || r.OwnerAccount != "333344445555" {
			t.Errorf("the first request: got %+v, %v; want it owned by 333344445555", r, err)
		}
		// several databases at once, of which one has none of from's requests
		if err := tx.SetRequestsOwner(ctx, []string{"hr", "sales"}, "333344445555", "222233334444"); err != nil {
			return err
		}
		for owner, want := range map[string]int{"222233334444": 4, "333344445555": 0, "111122223333": 1} {
			got, err := tx.FindAccessRequests(ctx, store.RequestFilter{VisibleOwner: owner})
			if err != nil || len(got) != want {
				t.Errorf("then owned by %s: got %d, %v; want %d", owner, len(got), err, want)
			}
		}
		return nil
	})
}

func asMeshError(err error, target **mesh.Error) bool {
	e, ok := err.(*mesh.Error)
	*target = e
	return ok
}

func testSharingApprovals(t *testing.T, open Opener) {
	s := openWithTargets(t, open)
	ctx := context.Background()
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	mustUpdate(t, s, func(tx store.Tx) error {
		r := sampleRequest("ann", "222233334444", "sales", "orders", now)
		if _, err := tx.InsertAccessRequest(ctx, r); err != nil {
			return err
		}
		a := &mesh.Approval{RequestID: r.ID, AccountID: "111122223333", Status: mesh.ApprovalPending,
			PIIColumns: []string{"orders.email", "orders.phone"}, TokenHash: "abc", CreatedAt: now, ExpiresAt: now.Add(7 * 24 * time.Hour)}
		if err := tx.UpsertApproval(ctx, a); err != nil {
			return err
		}
		a.TokenHash = "def" // asked again: the new task's token replaces the old
		if err := tx.UpsertApproval(ctx, a); err != nil {
			return err
		}
		got, err := tx.FindApproval(ctx, r.ID)
		if err != nil {
			return err
		}
		if got.TokenHash != "def" || !slices.Equal(got.PIIColumns, a.PIIColumns) || !got.ExpiresAt.Equal(a.ExpiresAt) || got.Decision != nil {
			t.Errorf("got %+v, want the approval as stored last", got)
		}
		list, err := tx.FindApprovals(ctx, store.ApprovalFilter{AccountID: "111122223333", Status: mesh.ApprovalPending})
		if err != nil || len(list) != 1 {
			t.Errorf("pending approvals: got %d, %v; want 1", len(list), err)
		}
		dec := *got
		dec.Status = mesh.ApprovalApproved
		dec.Decision = &mesh.RequestDecision{By: "111122223333/sam", At: now.Add(time.Hour), Comment: "fine", Channel: mesh.ChannelAPI, Approved: true}
		if err := tx.UpdateApproval(ctx, &dec, mesh.ApprovalPending); err != nil {
			return err
		}
		// the second decision finds the first one recorded
		late := *got
		late.Status = mesh.ApprovalDenied
		late.Decision = &mesh.RequestDecision{By: "111122223333/tom", At: now.Add(time.Hour)}
		err = tx.UpdateApproval(ctx, &late, mesh.ApprovalPending)
		var me *mesh.Error
		if !asMeshError(err, &me) || me.Code != mesh.ECONFLICT || me.Details.(*mesh.Approval).Decision.By != "111122223333/sam" {
			t.Errorf("second decision: got %v, want a conflict naming the first decider", err)
		}
		if err := tx.UpdateApproval(ctx, &mesh.Approval{RequestID: 9999, Status: mesh.ApprovalDenied}, mesh.ApprovalPending); !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("unknown approval: got %v, want not found", err)
		}
		if list, err := tx.FindApprovals(ctx, store.ApprovalFilter{Status: mesh.ApprovalPending}); err != nil || len(list) != 0 {
			t.Errorf("pending after the decision: got %d, %v; want 0", len(list), err)
		}
		// an account lists its approvals while it owns their requests
		for _, step := range []struct {
			owner string
			want  map[string]int // listed per account ("" for all)
		}{
			{"111122223333", map[string]int{"111122223333": 1, "333344445555": 0, "": 1}},
			{"333344445555", map[string]int{"111122223333": 0, "333344445555": 0, "": 1}},
		} {
			if err := tx.SetRequestsOwner(ctx, []string{"sales"}, "111122223333", step.owner); err != nil {
				return err
			}
			for account, want := range step.want {
				if list, err := tx.FindApprovals(ctx, store.ApprovalFilter{AccountID: account}); err != nil || len(list) != want {
					t.Errorf("requests owned by %s: approvals of %q: got %d, %v; want %d", step.owner, account, len(list), err, want)
				}
			}
		}

		for _, ev := range []string{"approval.requested", "request.shared"} {
			if err := tx.InsertNotification(ctx, &mesh.Notification{AccountID: "111122223333", Recipient: "role:approver",
				Event: ev, RequestID: r.ID, Subject: "s", Body: "b", CreatedAt: now}); err != nil {
				return err
			}
		}
		if err := tx.InsertNotification(ctx, &mesh.Notification{AccountID: "222233334444", Recipient: "222233334444/ann",
			Event: "request.shared", RequestID: r.ID + 1, Subject: "s", Body: "b", CreatedAt: now, SentAt: now}); err != nil {
			return err
		}
		ns, err := tx.FindNotifications(ctx, store.NotificationFilter{RequestID: r.ID})
		if err != nil || len(ns) != 2 || ns[0].Event != "approval.requested" || !ns[0].CreatedAt.Equal(now) {
			t.Errorf("request's notifications: got %+v, %v; want two, oldest first", ns, err)
		}
		if ns, _ := tx.FindNotifications(ctx, store.NotificationFilter{Unsent: true}); len(ns) != 2 {
			t.Errorf("unsent: got %d, want 2", len(ns))
		}
		return nil
	})
}
