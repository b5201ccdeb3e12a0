package ui_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

var hitDatabaseRe = regexp.MustCompile(`<td data-label="Database"><a href="/catalog/([^"]+)">`)

// TestCatalogSearchSensitivity: a search keeps to the sensitivity the form
// chose, as the listing does, and refuses one it does not know.
func TestCatalogSearchSensitivity(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			e := newLinkEnv(t, kind, nil)
			// sales (from newLinkEnv) holds a PII email column; weather holds none
			if _, err := e.admin.CreateDatabase(e.ctx, &client.Database{Name: "weather", Parameters: map[string]string{"data_owner": producerID}}); err != nil {
				t.Fatal(err)
			}
			if err := e.admin.CreateTables(e.ctx, "weather", []client.Table{{Name: "alerts", Columns: []client.Column{{Name: "email", Type: "string"}}}}); err != nil {
				t.Fatal(err)
			}
			cookie := sessionOf(t, e, "ann")
			for sensitive, want := range map[string]string{"": "sales weather", "yes": "sales", "no": "weather"} {
				resp, page := do(t, "GET", e.srv.URL+"/catalog?q=email&sensitive="+sensitive, nil, nil, cookie)
				seen := map[string]bool{}
				for _, m := range hitDatabaseRe.FindAllStringSubmatch(page, -1) {
					seen[m[1]] = true
				}
				var got []string
				for _, d := range []string{"sales", "weather"} {
					if seen[d] {
						got = append(got, d)
					}
				}
				if resp.StatusCode != http.StatusOK || strings.Join(got, " ") != want {
					t.Errorf("search email, sensitive=%q: got %d, hits in %v, want 200, hits in %s", sensitive, resp.StatusCode, got, want)
				}
			}
			if resp, _ := do(t, "GET", e.srv.URL+"/catalog?q=email&sensitive=maybe", nil, nil, cookie); resp.StatusCode != http.StatusBadRequest {
				t.Errorf("search with sensitive=maybe: got %d, want 400", resp.StatusCode)
			}
		})
	}
}

// TestLegacyPIIFlagShown: the table page lists a column's pii_flag value
// that an older version stored and the catalog refuses now, saying it is
// read as not personal data; a table without one shows no such notice.
func TestLegacyPIIFlagShown(t *testing.T) {
	e := newLinkEnv(t, "sqlite", nil)
	cookie := sessionOf(t, e, "ann")
	if _, page := do(t, "GET", e.srv.URL+"/catalog/sales/orders", nil, nil, cookie); strings.Contains(page, `id="legacy-pii-flags"`) {
		t.Errorf("a table whose flags are true or false: got a notice of legacy flags")
	}
	// as an older version stored it, before the check
	err := e.srv.Store.Update(e.ctx, func(tx store.Tx) error {
		tb, err := tx.FindTable(e.ctx, "sales", "orders")
		if err != nil {
			return err
		}
		tb.Columns[1].Parameters[mesh.ParamPIIFlag] = "yes"
		return tx.UpdateTable(e.ctx, tb, tb.Version)
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, page := do(t, "GET", e.srv.URL+"/catalog/sales/orders", nil, nil, cookie)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `id="legacy-pii-flags"`) ||
		!strings.Contains(page, "<code>columns[1].parameters.pii_flag</code> = “yes”") || !strings.Contains(page, "not personal data") {
		t.Errorf("got %d and a page without the column's legacy flag, want 200 naming columns[1].parameters.pii_flag = “yes”", resp.StatusCode)
	}
}
