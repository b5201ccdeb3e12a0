package web

import (
	"errors"
	"strconv"
	"unicode/utf8"
)

// noted is an error with a note for the audit entry of its rejection: what
// the request tried, which the response itself need not repeat.
type noted struct {
	err  error
	note string
}

func (n *noted) Error() string { return n.err.Error() }
func (n *noted) Unwrap() error { return n.err }

// WithAuditNote returns err carrying note, which the router adds to the audit
// entry it writes for the rejected call. The response is err's alone.
func WithAuditNote(err error, note string) error {
	if err == nil {
		return nil
	}
	return &noted{err: err, note: note}
}

// answered is a refusal whose response the handler wrote itself (a page
// showing its form again with the reason): the router only audits it.
type answered struct{ err error }

func (a *answered) Error() string { return a.err.Error() }
func (a *answered) Unwrap() error { return a.err }

// Answered returns err marked as answered already: a handler that showed a
// refusal itself returns it so that the router audits the rejected change
// as it does the errors it writes, without writing anything more.
func Answered(err error) error {
	if err == nil {
		return nil
	}
	return &answered{err: err}
}

// auditNote returns the note err carries, or "".
func auditNote(err error) string {
	var n *noted
	if errors.As(err, &n) {
		return n.note
	}
	return ""
}

// maxNoteValue bounds a client-supplied value quoted in an audit note.
const maxNoteValue = 64

// QuoteForAudit quotes a client-supplied value for an audit note: at most
// 64 bytes of it (cut at a character boundary, marked with "..."), with
// control and invalid characters escaped.
func QuoteForAudit(v string) string {
	cut := len(v) > maxNoteValue
	if cut {
		i := maxNoteValue
		for i > 0 && !utf8.RuneStart(v[i]) {
			i--
		}
		v = v[:i]
	}
	q := strconv.Quote(v)
	if cut {
		q += "..."
	}
	return q
}
