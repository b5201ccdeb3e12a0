package notify_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/notify"
	"github.com/meshgate/meshgate/internal/notify/email"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/sqlite"
)

// A producer of notifications queues them in its own transaction: Publish
// to an account's topic, Send to one address. They leave once it commits.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "notify-example")
	defer os.RemoveAll(dir)
	st, err := sqlite.Open(ctx, filepath.Join(dir, "meshgate.db"), sqlite.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	svc := notify.NewService(st, notify.Options{PublicURL: "https://mesh.example.com", LinkKey: []byte("key"),
		Channels: map[string]notify.Channel{notify.ProtocolEmail: email.Mailbox{}}})

	err = st.Update(ctx, func(tx store.Tx) error {
		// ... the change that causes the message, then:
		if err := svc.Publish(ctx, tx, "111122223333", notify.Message{ID: "request-42-approval", Subject: "Approve access to sales.orders", Text: "…"}); err != nil {
			return err
		}
		return svc.Send(ctx, tx, "requester@example.com", notify.Message{
			ID:      "request-42-outcome",
			Subject: "Access to sales.orders: shared",
			Text:    "Your request 42 was approved and sales.orders is shared with account 222233334444.",
			Links:   []notify.Link{{Label: "See the request", URL: "https://mesh.example.com/requests/42"}},
		})
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	n, _ := svc.SendOnce(ctx)
	admin := mesh.NewContext(ctx, &mesh.Actor{Username: "root", AccountID: "central", CentralAccountID: "central", Roles: []string{mesh.RoleAdmin}})
	box, _ := svc.FindMailbox(admin, 0, 10)
	fmt.Println(n, "delivered:", box[0].To, "-", box[0].Subject)
	// Output: 1 delivered: requester@example.com - Access to sales.orders: shared
}
