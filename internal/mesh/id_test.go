package mesh

import (
	"math/rand/v2"
	"regexp"
	"testing"
)

// The rules the hand-written checks implement, as regular expressions.
var (
	accountIDRe = regexp.MustCompile(`^(\d{12}|[a-z0-9][a-z0-9-]{1,62})$`)
	nameRe      = regexp.MustCompile(`^[a-z0-9_][a-z0-9_-]*$`)
	usernameRe  = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._@-]*$`)
)

func TestIdentifierChecksMatchTheirExpressions(t *testing.T) {
	checks := []struct {
		name string
		re   *regexp.Regexp
		fn   func(string) bool
	}{
		{"account id", accountIDRe, isAccountID},
		{"name", nameRe, isName},
		{"username", usernameRe, isUsername},
	}
	fixed := []string{"", "a", "ab", "-a", "a-", "_a", "A", "111122223333", "11112222333", "1111222233334",
		"11112222333a", "sales", "Sales", "sales_2026", "a.b@c-d", ".a", "é", "a b", string(make([]byte, 64))}
	alphabet := "aZ09_-.@ é\x00"
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, r.IntN(70))
		for i := range b {
			if r.IntN(4) == 0 {
				b[i] = alphabet[r.IntN(len(alphabet))]
			} else {
				b[i] = "abcxyz0189"[r.IntN(10)]
			}
		}
		fixed = append(fixed, string(b))
	}
	for _, c := range checks {
		for _, s := range fixed {
			if got, want := c.fn(s), c.re.MatchString(s); got != want {
				t.Errorf("%s %q: got %v, want %v", c.name, s, got, want)
			}
		}
	}
}
