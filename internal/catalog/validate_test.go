package catalog

import (
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
)

// TestValidateNameAgrees checks the fast path decides as mesh.ValidateName does.
func TestValidateNameAgrees(t *testing.T) {
	for _, name := range []string{"sales", "a", "_x", "orders_2024", "a-b", "-a", "", "Sales", "a b", "ü", "a.b",
		strings.Repeat("a", mesh.MaxNameLen), strings.Repeat("a", mesh.MaxNameLen+1)} {
		got, want := validateName("f", name), mesh.ValidateName("f", name)
		if (got == nil) != (want == nil) {
			t.Errorf("%q: got %v, want %v", name, got, want)
		}
	}
}
