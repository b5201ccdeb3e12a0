package asl

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ohler55/ojg/jp"
)

// Path is a compiled JSONPath from a definition: "$..." applies to the
// state's data, "$$..." to the context object. A reference path addresses a
// single node with field names and non-negative indexes only; other paths may
// use wildcards, slices, unions, descent and filters and then select a list.
type Path struct {
	raw      string
	context  bool
	frags    []jp.Frag // after the root
	expr     jp.Expr   // root + frags, for indefinite paths
	definite bool      // only field names and indexes: selects at most one node
	ref      bool      // definite, and no negative index
}

// String returns the path as written in the definition.
func (p *Path) String() string { return p.raw }

// IsContext reports whether the path applies to the context object ("$$").
func (p *Path) IsContext() bool { return p.context }

// IsReference reports whether the path is a reference path.
func (p *Path) IsReference() bool { return p.ref }

// compilePath parses a path; it must start with "$" or "$$".
func compilePath(s string) (*Path, error) {
	if !strings.HasPrefix(s, "$") {
		return nil, fmt.Errorf("%q is not a path: a path starts with \"$\"", s)
	}
	p := &Path{raw: s}
	src := s
	if strings.HasPrefix(s, "$$") {
		p.context = true
		src = s[1:]
	}
	x, err := parseJSONPath(src)
	if err != nil {
		return nil, fmt.Errorf("%q is not a valid path: %w", s, err)
	}
	if len(x) == 0 {
		return nil, fmt.Errorf("%q is not a valid path", s)
	}
	if _, ok := x[0].(jp.Root); !ok {
		return nil, fmt.Errorf("%q is not a valid path: a path starts with \"$\"", s)
	}
	p.definite, p.ref = true, true
	for _, f := range x[1:] {
		switch t := f.(type) {
		case jp.Child:
			p.frags = append(p.frags, t)
		case jp.Nth:
			if t < 0 {
				p.ref = false
			}
			p.frags = append(p.frags, t)
		case jp.Bracket:
			// Only marks bracket notation.
		case jp.Wildcard, jp.Descent, *jp.Filter, jp.Slice, jp.Union:
			p.definite, p.ref = false, false
			p.frags = append(p.frags, t)
		default:
			return nil, fmt.Errorf("%q is not a valid path: unsupported %q", s, f.Append(nil, true, false))
		}
	}
	p.expr = append(jp.Expr{jp.Root('$')}, p.frags...)
	return p, nil
}

// compileReferencePath parses a path that must be a reference path.
func compileReferencePath(s string) (*Path, error) {
	p, err := compilePath(s)
	if err != nil {
		return nil, err
	}
	if !p.ref {
		return nil, fmt.Errorf("%q is not a reference path: only field names and non-negative indexes may follow \"$\"", s)
	}
	return p, nil
}

// parseJSONPath parses with ojg, falling back to a plain reading of dot and
// index notation for field names ojg refuses in dot notation (such as
// "$.account-id"), which Step Functions accepts.
func parseJSONPath(s string) (x jp.Expr, err error) {
	defer func() {
		if r := recover(); r != nil {
			x, err = nil, fmt.Errorf("%v", r)
		}
	}()
	x, err = jp.ParseString(s)
	if err == nil {
		return x, nil
	}
	if y, ok := parseSimplePath(s); ok {
		return y, nil
	}
	return nil, err
}

// parseSimplePath reads "$" followed by ".name" and "[n]" segments, where a
// name is any run of characters other than ".", "[", "]", quotes, "*", "@",
// "?", "(", ")", "$" and spaces.
func parseSimplePath(s string) (jp.Expr, bool) {
	if !strings.HasPrefix(s, "$") {
		return nil, false
	}
	x := jp.Expr{jp.Root('$')}
	rest := s[1:]
	for rest != "" {
		switch rest[0] {
		case '.':
			end := 1
			for end < len(rest) && !strings.ContainsRune(".[]'\"*@?()$ ", rune(rest[end])) {
				end++
			}
			if end == 1 {
				return nil, false
			}
			x = append(x, jp.Child(rest[1:end]))
			rest = rest[end:]
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, false
			}
			n, err := strconv.Atoi(rest[1:end])
			if err != nil || n < 0 {
				return nil, false
			}
			x = append(x, jp.Nth(n))
			rest = rest[end+1:]
		default:
			return nil, false
		}
	}
	return x, true
}

// errNoMatch is returned by lookups of definite paths that select nothing.
var errNoMatch = errors.New("no match")

// getDefinite follows field names and indexes; ok is false when a step does
// not exist.
func getDefinite(data any, frags []jp.Frag) (any, bool) {
	cur := data
	for _, f := range frags {
		switch t := f.(type) {
		case jp.Child:
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, false
			}
			if cur, ok = m[string(t)]; !ok {
				return nil, false
			}
		case jp.Nth:
			a, ok := cur.([]any)
			if !ok {
				return nil, false
			}
			i := int(t)
			if i < 0 {
				i += len(a)
			}
			if i < 0 || i >= len(a) {
				return nil, false
			}
			cur = a[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// eval applies the path to data. A definite path yields the node it selects,
// or errNoMatch; another path yields the list of nodes it selects, possibly
// empty.
func (p *Path) eval(data any) (v any, err error) {
	if p.definite {
		v, ok := getDefinite(data, p.frags)
		if !ok {
			return nil, errNoMatch
		}
		return v, nil
	}
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("path %s: %v", p.raw, r)
		}
	}()
	res := p.expr.Get(data)
	if res == nil {
		res = []any{}
	}
	return res, nil
}

// setPath returns a copy of root with val stored at the reference path given
// by frags. Objects missing along the way are created; the nodes on the path
// are copied, so root itself is never modified.
func setPath(root any, frags []jp.Frag, val any) (any, error) {
	if len(frags) == 0 {
		return val, nil
	}
	switch t := frags[0].(type) {
	case jp.Child:
		var m map[string]any
		switch c := root.(type) {
		case map[string]any:
			m = make(map[string]any, len(c)+1)
			for k, v := range c {
				m[k] = v
			}
		case nil:
			m = make(map[string]any, 1)
		default:
			return nil, fmt.Errorf("cannot set field %q in a %s", string(t), typeName(root))
		}
		v, err := setPath(m[string(t)], frags[1:], val)
		if err != nil {
			return nil, err
		}
		m[string(t)] = v
		return m, nil
	case jp.Nth:
		a, ok := root.([]any)
		if !ok {
			return nil, fmt.Errorf("cannot set index %d in a %s", int(t), typeName(root))
		}
		if int(t) < 0 || int(t) >= len(a) {
			return nil, fmt.Errorf("index %d is out of bounds for an array of %d elements", int(t), len(a))
		}
		c := make([]any, len(a))
		copy(c, a)
		v, err := setPath(c[t], frags[1:], val)
		if err != nil {
			return nil, err
		}
		c[t] = v
		return c, nil
	}
	return nil, fmt.Errorf("unsupported path step")
}

// typeName names the JSON type of a value for messages.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case int64, float64, int:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}
