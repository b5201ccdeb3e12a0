package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestGrantsListPages: `grants list` shows a page and how to get the next,
// as `invitation list` does, instead of leaving off the grants past the
// first page without a word; --all follows every page.
func TestGrantsListPages(t *testing.T) {
	m := newAccessMesh(t, storetest.Kinds()[0])
	for _, table := range []string{"", "orders"} {
		args := []string{"grant", "--principal", "222233334444", "--database", "sales", "--permissions", "DESCRIBE"}
		if table != "" {
			args = append(args, "--table", table)
		}
		if out, code := m.run(t, m.producer, args...); code != 0 {
			t.Fatalf("grant: exit %d:\n%s", code, out)
		}
	}
	list := []string{"grants", "list", "--principal", "222233334444", "--limit", "1"}
	out, code := m.run(t, m.producer, list...)
	token := regexp.MustCompile(`--next-token (\S+)`).FindStringSubmatch(out)
	if code != 0 || token == nil || strings.Count(out, "222233334444 ") != 1 {
		t.Fatalf("first page: got exit %d:\n%s\nwant one grant and a next token", code, out)
	}
	first := strings.Contains(out, "sales.orders")
	out, code = m.run(t, m.producer, append(list, "--next-token", token[1])...)
	if code != 0 || strings.Contains(out, "sales.orders") == first || strings.Count(out, "222233334444 ") != 1 {
		t.Errorf("second page: got exit %d:\n%s\nwant the other grant", code, out)
	}
	out, code = m.run(t, m.producer, append(list, "--all")...)
	if code != 0 || strings.Count(out, "DESCRIBE") != 2 || strings.Contains(out, "--next-token") {
		t.Errorf("--all: got exit %d:\n%s\nwant both grants", code, out)
	}
}
