package ui_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
)

// TestRevokeButtonFollowsTheDatabasesOwner: the admins of the account that
// owns a shared request's database now may revoke it (the service decides);
// once the database passes to another account, the request page no longer
// offers the former owner's admin a Revoke button the server refuses.
func TestRevokeButtonFollowsTheDatabasesOwner(t *testing.T) {
	e := newLinkEnv(t, "sqlite", nil)
	e.user(producerID, "padmin", "padmin@example.com", mesh.RoleAdmin)
	req := e.request("orders")
	if _, err := e.admin.Decide(e.ctx, req.ID, true, "ok", ""); err != nil {
		t.Fatal(err)
	}
	wantRequestStatus(t, e, req.ID, mesh.RequestShared)
	cookie := sessionOf(t, e, "padmin")
	path := fmt.Sprintf("%s/requests/%d", e.srv.URL, req.ID)
	if _, page := do(t, "GET", path, nil, nil, cookie); !strings.Contains(page, `/revoke"`) {
		t.Fatal("the owner's admin: no Revoke button")
	}

	// the database passes to a third account
	const newOwner = "333344445555"
	if _, err := e.admin.OnboardAccount(e.ctx, client.AccountInput{ID: newOwner, Name: "Finance", Email: "fin@example.com"}); err != nil {
		t.Fatal(err)
	}
	d, err := e.admin.GetDatabase(e.ctx, "sales")
	if err != nil {
		t.Fatal(err)
	}
	in, _ := json.Marshal(map[string]any{"Name": "sales", "Parameters": map[string]string{"data_owner": newOwner}})
	if _, err := e.admin.UpdateDatabaseGlue(e.ctx, "sales", in, d.Version); err != nil {
		t.Fatal(err)
	}
	resp, page := do(t, "GET", path, nil, nil, cookie)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET the request page as the former owner's admin: %d", resp.StatusCode)
	}
	shown := strings.Contains(page, `/revoke"`)
	resp, _ = do(t, "POST", path+"/revoke", url.Values{"csrf": {csrfRe.FindStringSubmatch(page)[1]}},
		map[string]string{"Origin": e.srv.URL, "Sec-Fetch-Site": "same-origin"}, cookie)
	if allowed := resp.StatusCode == http.StatusSeeOther; shown || allowed {
		t.Errorf("the former owner's admin: Revoke button shown %v, POST revoke answered %d; want neither", shown, resp.StatusCode)
	}
}
