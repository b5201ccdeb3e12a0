package notify

import (
	"context"
	"regexp"
	"slices"
	"strings"

	"github.com/meshgate/meshgate/internal/store"
)

// Stored mail is read by others than its recipients: the built-in mailbox
// shows mesh admins every message sent while no SMTP server is configured.
// A signed link (SignLink) acts for its recipient, whoever opens it, so
// some are not for every reader: an approval link is not for the requester,
// who would decide their own request by opening it signed out. The package
// that signs such links guards their purpose, and the service takes the
// links a guard refuses out of each message it shows that reader.

// LinkGuard says why ctx's actor may not hold a signed link of its purpose,
// given the data the link signs, reading in tx; "" lets them.
type LinkGuard func(ctx context.Context, tx store.Tx, data []byte) (string, error)

// GuardLinks sets the guard of the signed links of purpose. Call it before
// the service is used: the sharing service does when it is made.
func (s *Service) GuardLinks(purpose string, g LinkGuard) {
	s.guards[purpose] = g
}

// WithheldLink stands, in a message shown, for a link withheld from its reader.
const WithheldLink = "[link withheld]"

var (
	// linkURL is a link of a message's text or HTML (an attribute's value
	// ends at its quote).
	linkURL = regexp.MustCompile(`https?://[^\s"'<>]+`)
	// signedToken is what SignLink makes: base64url data, a dot and a
	// base64url HMAC-SHA256 (43 characters).
	signedToken = regexp.MustCompile(`[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}`)
)

// withhold takes out of m's text and HTML every link carrying a signed
// token that its purpose's guard refuses ctx's actor, and a token found
// outside a link too, and sets m.Withheld to the guards' reasons.
func (s *Service) withhold(ctx context.Context, tx store.Tx, m *store.MailboxMessage) error {
	if len(s.guards) == 0 {
		return nil
	}
	w := withholding{s: s, ctx: ctx, tx: tx, why: map[string]string{}}
	m.Text, m.HTML = w.apply(m.Text), w.apply(m.HTML)
	m.Withheld = strings.Join(w.reasons, "; ")
	return w.err
}

// withholding is one message's pass of withhold, which remembers each
// token's verdict: a message's links share their tokens.
type withholding struct {
	s       *Service
	ctx     context.Context
	tx      store.Tx
	why     map[string]string
	reasons []string
	err     error
}

func (w *withholding) apply(text string) string {
	text = linkURL.ReplaceAllStringFunc(text, func(u string) string {
		for _, tok := range signedToken.FindAllString(u, -1) {
			if w.refused(tok) {
				return WithheldLink
			}
		}
		return u
	})
	return signedToken.ReplaceAllStringFunc(text, func(tok string) string {
		if w.refused(tok) {
			return WithheldLink
		}
		return tok
	})
}

// refused reports whether tok is a signed token whose guard refuses the
// reader; after an error, every token is refused.
func (w *withholding) refused(tok string) bool {
	if w.err != nil {
		return true
	}
	why, seen := w.why[tok]
	if !seen {
		for purpose, g := range w.s.guards {
			if data, ok := w.s.CheckLink(purpose, tok); ok {
				why, w.err = g(w.ctx, w.tx, data)
				break
			}
		}
		if w.err != nil {
			return true
		}
		w.why[tok] = why
		if why != "" && !slices.Contains(w.reasons, why) {
			w.reasons = append(w.reasons, why)
		}
	}
	return why != ""
}
