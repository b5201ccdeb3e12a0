package main

import (
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestRequestCreateRefusesNegativeDuration: a negative --duration is refused
// by the server (400 naming duration), not dropped, which made a request
// whose access never ends.
func TestRequestCreateRefusesNegativeDuration(t *testing.T) {
	m := newAccessMesh(t, storetest.Kinds()[0])
	out, code := m.run(t, m.alice, "request", "create", "--database", "sales", "--table", "orders",
		"--justification", "a typo", "--duration=-720h")
	if code != 1 || !strings.Contains(out, "duration") {
		t.Errorf("got exit %d:\n%s\nwant exit 1 and an error naming duration", code, out)
	}
	out, code = m.run(t, m.alice, "request", "list", "--mine")
	if code != 0 || strings.Contains(out, "sales.orders") {
		t.Errorf("request list --mine: got exit %d:\n%s\nwant no request", code, out)
	}
}
