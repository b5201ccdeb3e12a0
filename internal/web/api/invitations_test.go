package api

import (
	"context"
	"slices"
	"testing"

	"github.com/meshgate/meshgate/client"
)

// TestInvitationsPage: GET /invitations pages with limit and page_token
// like the other listings, newest first, and refuses a bad token.
func TestInvitationsPage(t *testing.T) {
	srv, cat := newAccessAPI(t)
	ctx := context.Background()
	cat.AddTable("sales", "items", "id")
	cat.AddTable("sales", "returns", "id")
	producer := client.New(srv.URL, "111122223333/padmin/admin")
	consumer := client.New(srv.URL, "222233334444/cadmin/admin")
	for _, table := range []string{"orders", "items", "returns"} {
		_, err := producer.Grant(ctx, client.GrantInput{Principal: "222233334444", Resource: client.Resource{Database: "sales", Table: table}, Permissions: []string{"SELECT"}})
		if err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	f := client.InvitationsFilter{Limit: 2}
	pages := 0
	for {
		invs, next, err := consumer.InvitationPage(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(invs) > 2 {
			t.Errorf("got a page of %d, want at most 2", len(invs))
		}
		for _, inv := range invs {
			got = append(got, inv.Table)
		}
		pages++
		if next == "" || pages > 5 {
			break
		}
		f.PageToken = next
	}
	if want := []string{"returns", "items", "orders"}; !slices.Equal(got, want) {
		t.Errorf("got %v in %d pages, want %v in 2", got, pages, want)
	}
	if pages != 2 {
		t.Errorf("got %d pages, want 2", pages)
	}
	all, err := consumer.Invitations(ctx, "", "pending")
	if err != nil || len(all) != 3 {
		t.Errorf("got %d invitations (%v), want 3", len(all), err)
	}
	_, _, err = consumer.InvitationPage(ctx, client.InvitationsFilter{PageToken: "forged"})
	if e := apiError(t, err, 400, "page token"); e.Field != "page_token" {
		t.Errorf("got field %q, want page_token", e.Field)
	}
	_, _, err = consumer.InvitationPage(ctx, client.InvitationsFilter{Limit: 5000})
	apiError(t, err, 400, "")
}
