package ui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/client"
)

// TestLinkGrantRefusalOfTableNotShown: a grant through a resource link to a
// table that went meanwhile (the owner dropped it) is refused, and the page
// shown again says why at its top, where the message waited for the
// table's form, which the page no longer shows.
func TestLinkGrantRefusalOfTableNotShown(t *testing.T) {
	e := newLinkEnv(t, "sqlite", nil)
	if err := e.admin.CreateTables(e.ctx, "sales", []client.Table{{Name: "regions", Columns: []client.Column{{Name: "code", Type: "string"}}}}); err != nil {
		t.Fatal(err)
	}
	e.shareSales(t)
	cookie := sessionOf(t, e, "cadmin")
	resp, page := do(t, "GET", e.srv.URL+"/shared/sales", nil, nil, cookie)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `name="table" value="orders"`) {
		t.Fatalf("GET /shared/sales: %d, or no grant form for orders", resp.StatusCode)
	}
	if err := e.admin.DeleteTable(e.ctx, "sales", "orders"); err != nil {
		t.Fatal(err)
	}
	form := url.Values{"csrf": {csrfRe.FindStringSubmatch(page)[1]}, "table": {"orders"}, "user": {"ann"}, "permissions": {"SELECT"}}
	resp, page = do(t, "POST", e.srv.URL+"/shared/sales/grants", form, map[string]string{"Origin": e.srv.URL, "Sec-Fetch-Site": "same-origin"}, cookie)
	if resp.StatusCode < 400 || !strings.Contains(page, `<p class="alert" role="alert">Table orders: `) {
		t.Errorf("grant on a dropped table: got %d, want a refusal saying why at the top of the page", resp.StatusCode)
	}
}
