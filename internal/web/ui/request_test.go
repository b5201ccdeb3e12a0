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
// once the database passes to another account, the request is the new
// owner's: its admin's page offers Revoke, and the former owner's admin no
// longer sees the request (where the page offered a button the server
// refused).
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
	if resp, _ := do(t, "GET", path, nil, nil, cookie); resp.StatusCode != http.StatusForbidden {
		t.Errorf("GET the request page as the former owner's admin: got %d, want 403", resp.StatusCode)
	}
	_, other := do(t, "GET", e.srv.URL+"/catalog", nil, nil, cookie)
	resp, _ := do(t, "POST", path+"/revoke", url.Values{"csrf": {csrfRe.FindStringSubmatch(other)[1]}},
		map[string]string{"Origin": e.srv.URL, "Sec-Fetch-Site": "same-origin"}, cookie)
	if resp.StatusCode == http.StatusSeeOther {
		t.Errorf("the former owner's admin revoked request %d", req.ID)
	}
	e.user(newOwner, "fadmin", "fadmin@example.com", mesh.RoleAdmin)
	cookie = sessionOf(t, e, "fadmin")
	if resp, page := do(t, "GET", path, nil, nil, cookie); resp.StatusCode != http.StatusOK || !strings.Contains(page, `/revoke"`) {
		t.Errorf("the new owner's admin: got %d, Revoke shown %v; want 200 and the button", resp.StatusCode, strings.Contains(page, `/revoke"`))
	}
}
