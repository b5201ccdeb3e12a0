package store_test

import (
	"testing"

	"github.com/meshgate/meshgate/internal/store"
)

func TestMatches(t *testing.T) {
	tests := []struct {
		text, query string
		all, any    bool
	}{
		{"customer_email", "customer", true, true},
		{"customer_email", "email customer", true, true},
		{"customer_email", "email phone", false, true},
		{"customer_email", "cust*", true, true},
		{"customer_email", "cust", false, false},
		{"Customer Email", "phone* fax", false, false},
		{"", "customer", false, false},
		{"customer", "", true, false},
	}
	for _, tt := range tests {
		terms := store.SearchTerms(tt.query)
		if got := store.Matches(tt.text, terms); got != tt.all {
			t.Errorf("Matches(%q, %q): got %v, want %v", tt.text, tt.query, got, tt.all)
		}
		if got := store.MatchesAny(tt.text, terms); got != tt.any {
			t.Errorf("MatchesAny(%q, %q): got %v, want %v", tt.text, tt.query, got, tt.any)
		}
	}
}
