package store_test

import (
	"slices"
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

// TestTokensFoldDiacritics: tokens fold diacritics as SQLite's FTS5 index
// (unicode61) does, so that both stores find the same words.
func TestTokensFoldDiacritics(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"Café orders", []string{"cafe", "orders"}},
		{"Crème Brûlée", []string{"creme", "brulee"}},
		{"Ångström", []string{"angstrom"}},
		{"cafe\u0301 au lait", []string{"cafe", "au", "lait"}}, // a combining accent
		{"ø đ ł æ ß", []string{"ø", "đ", "ł", "æ", "ß"}},       // letters of their own, kept
		{"tiếng việt", []string{"tiếng", "việt"}},              // two diacritics: kept, as unicode61 keeps them
		{"Йогурт", []string{"йогурт"}},                         // other scripts: kept
		{"customer_email", []string{"customer", "email"}},
	}
	for _, tt := range tests {
		if got := store.Tokens(tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("Tokens(%q): got %q, want %q", tt.text, got, tt.want)
		}
	}
}
