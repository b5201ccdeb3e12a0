package api

import (
	"strconv"

	"github.com/meshgate/meshgate/internal/mesh"
)

// parseAuthorize parses an authorization body in its common shape without
// reflection: one request or a batch, each field at most once and named
// exactly, every value a string (or a list of strings, or the list of
// requests) of printable ASCII without escapes. It reports false, leaving
// body zero, for anything else, which then goes through the strict standard
// decoding: that decoding alone decides what is rejected and how, so this
// parser accepts only what it would accept, with the same result.
func parseAuthorize(b []byte, body *authorizeBody) bool {
	s := scanner{b: b}
	if s.authorizeBody(body) && s.end() {
		return true
	}
	*body = authorizeBody{}
	return false
}

// scanner reads JSON from b at i.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) skipSpace() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next consumes c, after white space, if it comes next.
func (s *scanner) next(c byte) bool {
	s.skipSpace()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// end reports whether only white space is left.
func (s *scanner) end() bool {
	s.skipSpace()
	return s.i == len(s.b)
}

// str reads a string of printable ASCII without escapes and returns its
// bytes (within b).
func (s *scanner) str() ([]byte, bool) {
	if !s.next('"') {
		return nil, false
	}
	for j := s.i; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			v := s.b[s.i:j]
			s.i = j + 1
			return v, true
		case c < 0x20 || c == '\\' || c >= 0x80:
			return nil, false
		}
	}
	return nil, false
}

// key reads an object key and the colon after it.
func (s *scanner) key() ([]byte, bool) {
	k, ok := s.str()
	return k, ok && s.next(':')
}

// more reads what follows an object member or list element: true after a
// comma, false at the closing c (done) or on anything else (not ok).
func (s *scanner) more(c byte) (more, ok bool) {
	if s.next(',') {
		return true, true
	}
	return false, s.next(c)
}

// Fields of an authorization request, to refuse repeated ones.
const (
	fieldPrincipal = 1 << iota
	fieldAction
	fieldResource
	fieldRequests
	fieldDatabase
	fieldTable
	fieldColumns
	fieldExcludedColumns
)

// object reads {"key": value, ...}: field reads the value of each key and
// reports whether it was acceptable.
func (s *scanner) object(field func(k []byte) bool) bool {
	if !s.next('{') {
		return false
	}
	if s.next('}') {
		return true
	}
	for {
		k, ok := s.key()
		if !ok || !field(k) {
			return false
		}
		more, ok := s.more('}')
		if !more {
			return ok
		}
	}
}

// array reads [value, ...]: elem reads each value.
func (s *scanner) array(elem func() bool) bool {
	if !s.next('[') {
		return false
	}
	if s.next(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		more, ok := s.more(']')
		if !more {
			return ok
		}
	}
}

// once marks field f as seen and reports whether it was new: a repeated
// field is left to the strict decoding.
func once(seen *int, f int) bool {
	if *seen&f != 0 {
		return false
	}
	*seen |= f
	return true
}

func (s *scanner) authorizeBody(body *authorizeBody) bool {
	seen := 0
	return s.object(func(k []byte) bool {
		if string(k) == "requests" {
			return once(&seen, fieldRequests) && s.requests(&body.Requests)
		}
		return s.requestField(k, &body.AuthorizeRequest, &seen)
	})
}

// requestField reads the value of one field of a request.
func (s *scanner) requestField(k []byte, q *AuthorizeRequest, seen *int) bool {
	switch string(k) {
	case "principal":
		v, ok := s.str()
		q.Principal = mesh.Principal(v)
		return once(seen, fieldPrincipal) && ok
	case "action":
		v, ok := s.str()
		q.Action = permission(v)
		return once(seen, fieldAction) && ok
	case "resource":
		return once(seen, fieldResource) && s.resource(&q.Resource)
	}
	return false
}

func (s *scanner) request(q *AuthorizeRequest) bool {
	seen := 0
	return s.object(func(k []byte) bool { return s.requestField(k, q, &seen) })
}

func (s *scanner) requests(out *[]AuthorizeRequest) bool {
	qs := []AuthorizeRequest{}
	ok := s.array(func() bool {
		qs = append(qs, AuthorizeRequest{})
		return s.request(&qs[len(qs)-1])
	})
	*out = qs
	return ok
}

func (s *scanner) resource(r *mesh.Resource) bool {
	seen := 0
	return s.object(func(k []byte) bool {
		switch string(k) {
		case "database":
			v, ok := s.str()
			r.Database = string(v)
			return once(&seen, fieldDatabase) && ok
		case "table":
			v, ok := s.str()
			r.Table = string(v)
			return once(&seen, fieldTable) && ok
		case "columns":
			return once(&seen, fieldColumns) && s.strings(&r.Columns)
		case "excluded_columns":
			return once(&seen, fieldExcludedColumns) && s.strings(&r.ExcludedColumns)
		}
		return false
	})
}

// strings reads a list of strings; an empty list is an empty, not a nil, slice.
func (s *scanner) strings(out *[]string) bool {
	list := []string{}
	ok := s.array(func() bool {
		v, ok := s.str()
		list = append(list, string(v))
		return ok
	})
	*out = list
	return ok
}

// permission returns the action named by v, without allocating for the
// known ones.
func permission(v []byte) mesh.Permission {
	for _, p := range mesh.AllPermissions {
		if string(p) == string(v) {
			return p
		}
	}
	return mesh.Permission(v)
}

// appendDecision appends d as WriteJSON would write it, without reflection.
// It reports false when a string needs escaping: WriteJSON writes those.
func appendDecision(b []byte, d mesh.Decision) ([]byte, bool) {
	if !plainJSON(d.Reason) {
		return b, false
	}
	b = append(b, `{"allowed":`...)
	b = strconv.AppendBool(b, d.Allowed)
	b = append(b, `,"grants":`...)
	if d.Grants == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, id := range d.Grants {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, id, 10)
		}
		b = append(b, ']')
	}
	b = append(b, `,"reason":"`...)
	b = append(b, d.Reason...)
	b = append(b, "\"}\n"...)
	return b, true
}

// plainJSON reports whether s is printable ASCII that JSON writes as it is.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			return false
		}
	}
	return true
}
