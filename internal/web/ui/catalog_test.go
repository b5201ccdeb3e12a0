package ui_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/client"
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
