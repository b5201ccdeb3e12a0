package browser

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/testbin"
)

// TestCatalogSearchFindsSensitiveDatabase has a member find the sensitive
// sales database by one of its column names, and see the PII badge on the
// column in the table's page.
func TestCatalogSearchFindsSensitiveDatabase(t *testing.T) {
	needBrowser(t)
	srv := testbin.StartServer(t, testbin.Options{Args: []string{"--demo"}})
	b := newBrowser(t, srv)
	b.signIn("analytics-member", demoPassword(t, srv, "analytics-member"), "member-password-1")

	b.open("/catalog")
	if got := b.count("#databases tbody tr"); got != 2 {
		t.Errorf("databases listed: got %d, want 2", got)
	}
	if got := b.text("#databases"); !strings.Contains(got, "Sales (111122223333)") || !strings.Contains(got, "s3://sales-data/") {
		t.Errorf("catalog: got %q, want the owner as name (id) and the location", got)
	}

	b.fill("#q", "email")
	b.submit(`form[role=search] button`)
	rows := b.text("#search-results tbody")
	if !strings.Contains(rows, "customer_email") || !strings.Contains(rows, "sales") || !strings.Contains(rows, "Sensitive") {
		t.Fatalf("search email: got %q, want sales.orders.customer_email, sensitive", rows)
	}

	b.submit(`#search-results a[href="/catalog/sales"]`)
	if got := b.text("h1"); !strings.Contains(got, "sales") || !strings.Contains(got, "Sensitive") {
		t.Errorf("database page heading: got %q, want sales with the sensitive badge", got)
	}
	if got := b.text("#request-access"); !strings.Contains(got, "Request access") || !strings.Contains(got, "Justification") {
		t.Errorf("request section: got %q, want the request form", got)
	}
	b.submit(`#tables a[href="/catalog/sales/orders"]`)
	var piiRow string
	for _, row := range b.texts("table.columns tbody tr") {
		if strings.Contains(row, "customer_email") {
			piiRow = row
		} else if strings.Contains(row, "PII") {
			t.Errorf("column row %q: got a PII badge, want none", row)
		}
	}
	if !strings.Contains(piiRow, "PII") || !strings.Contains(piiRow, "who ordered") {
		t.Errorf("customer_email row: got %q, want its comment and the PII badge", piiRow)
	}

	b.open("/catalog")
	b.fill("#q", "nosuchthing")
	b.submit(`form[role=search] button`)
	if got := b.text("p.empty"); !strings.Contains(got, "Nothing matches") {
		t.Errorf("empty search: got %q, want the empty state", got)
	}
	if got := b.open("/catalog/nosuch"); got != http.StatusNotFound {
		t.Errorf("missing database: got %d, want 404", got)
	}
}

// TestCatalogPages pages through more databases than one page shows.
func TestCatalogPages(t *testing.T) {
	needBrowser(t)
	srv := testbin.StartServer(t, testbin.Options{})
	cli(t, srv, "account", "onboard", "--id", "111122223333", "--name", "Sales")
	for i := range 27 {
		cli(t, srv, "catalog", "create-database", "--database-input",
			fmt.Sprintf(`{"Name":"db%02d","Parameters":{"data_owner":"111122223333","pii_flag":"%v"}}`, i, i%2 == 0))
	}
	b := newBrowser(t, srv)
	b.signIn("admin", adminPassword(t, srv), "admin-password-1")
	b.open("/catalog")
	if got := b.count("#databases tbody tr"); got != 25 {
		t.Errorf("first page: got %d rows, want 25", got)
	}
	b.submit(`a[rel=next]`)
	if got := b.text("#databases tbody"); !strings.Contains(got, "db25") || !strings.Contains(got, "db26") || strings.Contains(got, "db24") {
		t.Errorf("second page: got %q, want db25 and db26 only", got)
	}
	if got := b.count(`a[rel=next]`); got != 0 {
		t.Errorf("last page: got %d next links, want none", got)
	}
	b.open("/catalog?sensitive=no")
	if got := b.count("#databases tbody tr"); got != 13 {
		t.Errorf("not sensitive: got %d rows, want 13", got)
	}
}
