package sharing_test

import (
	"fmt"
	"maps"
	"testing"

	"github.com/meshgate/meshgate/internal/account"
	"github.com/meshgate/meshgate/internal/catalog"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/sharing"
	"github.com/meshgate/meshgate/internal/store"
)

// TestRequestsMadeWhileProductsGo: on PostgreSQL, requests are made on
// one replica, those waiting for approval approved there at once, while
// another offboards the producer (its products deleted, or handed to
// another account), force-deletes a database, gives one to another
// account, or offboards the consumer the requests are for. A request holds the owning and the target account
// from its start, which the offboarding and the delete hold from theirs:
// it commits before they look for open requests, or waits and then finds
// its product or account gone. PostgreSQL breaks no deadlock, and no
// request is open or shared on a deleted database, for an offboarded
// account, or under a former owner.
func TestRequestsMadeWhileProductsGo(t *testing.T) {
	for i := range 8 {
		for _, mode := range []string{"offboard", "transfer", "delete", "consumer", "owner", "table"} {
			t.Run(fmt.Sprintf("%s/%d", mode, i), func(t *testing.T) {
				f, s, other := replicas(t)
				accts := f.accounts(s)
				// one open before, for the offboarding's first read to find
				f.request(consumerBob, "sales", "orders")
				hr, err := f.catalog.FindDatabase(meshAdmin, "hr")
				if err != nil {
					t.Fatal(err)
				}
				var fns []func()
				fns = append(fns, func() {
					var err error
					switch mode {
					case "offboard":
						_, err = accts.OffboardAccount(meshAdmin, producer, account.OffboardOptions{Force: true})
					case "transfer":
						_, err = accts.OffboardAccount(meshAdmin, producer, account.OffboardOptions{Force: true, TransferTo: sibling})
					case "delete":
						err = f.catalog.DeleteDatabase(meshAdmin, "hr", catalog.DeleteOptions{Force: true})
					case "consumer":
						_, err = accts.OffboardAccount(meshAdmin, consumer, account.OffboardOptions{Force: true})
					case "table":
						err = f.catalog.DeleteTable(meshAdmin, "hr", "people")
					case "owner":
						params := maps.Clone(hr.Parameters)
						params[mesh.ParamDataOwner] = sibling
						_, err = f.catalog.UpdateDatabase(meshAdmin, "hr", catalog.DatabaseUpdate{Parameters: params}, hr.Version)
					}
					if err != nil {
						t.Errorf("%s: %v", mode, err)
					}
				})
				for _, p := range [][2]string{{"hr", "people"}, {"hr", "teams"}, {"marketing", "campaigns"}, {"sales", mesh.AllTables}, {"hr", mesh.AllTables}} {
					fns = append(fns, func() {
						r, _, err := other.CreateRequest(consumerAnn, sharing.RequestInput{Database: p[0], Table: p[1], Justification: "the report"})
						noInternal(t, "create "+p[0]+"."+p[1], err)
						if err == nil && r.Status == mesh.RequestPendingApproval {
							_, err := other.Decide(meshAdmin, sharing.DecisionInput{RequestID: r.ID, Approve: true, Comment: "ok", Channel: mesh.ChannelCLI})
							noInternal(t, "approve", err)
						}
					})
				}
				atOnce(fns...)
				noDeadlocks(t, s, i)
				inStep(t, f, i)
				checkProducts(t, f, mode)
			})
		}
	}
}

// checkProducts: no request is open or shared on a database that is gone,
// and an open request of a handed-over product waits for its new owner.
func checkProducts(t *testing.T, f *fixture, mode string) {
	t.Helper()
	err := f.store.View(f.ctx, func(tx store.Tx) error {
		rs, err := tx.FindAccessRequests(f.ctx, store.RequestFilter{Limit: 1000})
		if err != nil {
			return err
		}
		for _, r := range rs {
			live := r.Open() || r.Status == mesh.RequestShared
			if !live {
				continue
			}
			d, err := tx.FindDatabase(f.ctx, r.Database)
			if mesh.IsCode(err, mesh.ENOTFOUND) {
				t.Errorf("%s: request %d is %s on deleted database %s", mode, r.ID, r.Status, r.Database)
				continue
			}
			if err != nil {
				return err
			}
			if r.Table != "" && r.Table != mesh.AllTables {
				if _, err := tx.FindTable(f.ctx, r.Database, r.Table); mesh.IsCode(err, mesh.ENOTFOUND) {
					t.Errorf("%s: request %d is %s on deleted table %s.%s", mode, r.ID, r.Status, r.Database, r.Table)
				} else if err != nil {
					return err
				}
			}
			if r.OwnerAccount != d.DataOwner() {
				t.Errorf("%s: request %d is %s, owner %s, database %s owned by %s", mode, r.ID, r.Status, r.OwnerAccount, r.Database, d.DataOwner())
			}
			if r.Status == mesh.RequestPendingApproval {
				ap, err := tx.FindApproval(f.ctx, r.ID)
				if err != nil {
					return err
				}
				if ap.AccountID != d.DataOwner() {
					t.Errorf("%s: request %d waits for account %s, database %s owned by %s", mode, r.ID, ap.AccountID, r.Database, d.DataOwner())
				}
			}
			if mode == "consumer" && r.TargetAccount == consumer {
				t.Errorf("%s: request %d is %s for the offboarded account", mode, r.ID, r.Status)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
