package asl

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/ohler55/ojg/jp"
)

// jsonPath is a compiled JSONPath from a definition: "$..." applies to the
// state's data, "$$..." to the context object. A reference path addresses a
// single node with field names and non-negative indexes only; other paths may
// use wildcards, slices, unions, descent and filters and then select a list.
type jsonPath struct {
	raw      string
	context  bool
	frags    []jp.Frag // after the root
	expr     jp.Expr   // root + frags, for indefinite paths
	definite bool      // only field names and indexes: selects at most one node
	ref      bool      // definite, and no negative index
}

// String returns the path as written in the definition.
func (p *jsonPath) String() string { return p.raw }

// IsContext reports whether the path applies to the context object ("$$").
func (p *jsonPath) IsContext() bool { return p.context }

// IsReference reports whether the path is a reference path.
func (p *jsonPath) IsReference() bool { return p.ref }

// compilePath parses a path; it must start with "$" or "$$".
func compilePath(s string) (*jsonPath, error) {
	if !strings.HasPrefix(s, "$") {
		return nil, fmt.Errorf("%q is not a path: a path starts with \"$\"", s)
	}
	p := &jsonPath{raw: s}
	src := s
	if strings.HasPrefix(s, "$$") {
		p.context = true
		src = s[1:]
	}
	frags, definite, err := parseDefinitePath(src)
	if err != nil {
		return nil, fmt.Errorf("%q is not a valid path: %w", s, err)
	}
	p.definite, p.ref = true, true
	if definite {
		p.frags = frags
		for _, f := range frags {
			if n, ok := f.(jp.Nth); ok && n < 0 {
				p.ref = false
			}
		}
	} else if err := p.compileGeneral(src); err != nil {
		return nil, fmt.Errorf("%q is not a valid path: %w", s, err)
	}
	p.expr = append(jp.Expr{jp.Root('$')}, p.frags...)
	return p, nil
}

// compileReferencePath parses a path that must be a reference path.
func compileReferencePath(s string) (*jsonPath, error) {
	p, err := compilePath(s)
	if err != nil {
		return nil, err
	}
	if !p.ref {
		return nil, fmt.Errorf("%q is not a reference path: only field names and non-negative indexes may follow \"$\"", s)
	}
	return p, nil
}

// compileGeneral compiles a path with wildcards, slices, unions, descent or
// filters with ojg.
func (p *jsonPath) compileGeneral(src string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	// ojg ignores some trailing garbage ("$.a$"): outside filters and
	// scripts, "$" may only start the path.
	depth := 0
	for i := 1; i < len(src); i++ {
		switch src[i] {
		case '(':
			depth++
		case ')':
			depth--
		case '$':
			if depth <= 0 {
				return fmt.Errorf("unexpected \"$\" at offset %d", i)
			}
		}
	}
	x, err := jp.ParseString(src)
	if err != nil {
		return err
	}
	if len(x) == 0 {
		return errors.New("empty path")
	}
	if _, ok := x[0].(jp.Root); !ok {
		return errors.New("a path starts with \"$\"")
	}
	p.definite, p.ref = false, false
	for _, f := range x[1:] {
		switch t := f.(type) {
		case jp.Bracket:
			// Only marks bracket notation.
		case jp.Child, jp.Nth, jp.Wildcard, jp.Descent, *jp.Filter, jp.Slice, jp.Union:
			p.frags = append(p.frags, t)
		default:
			return fmt.Errorf("unsupported %q", f.Append(nil, true, false))
		}
	}
	return nil
}

// parseDefinitePath reads "$" followed by ".name", "['name']" and "[n]"
// steps. definite is false, without an error, when the path uses the syntax
// of other paths (wildcards, descent, slices, unions, filters).
func parseDefinitePath(s string) (frags []jp.Frag, definite bool, err error) {
	if !strings.HasPrefix(s, "$") {
		return nil, false, errors.New("a path starts with \"$\"")
	}
	for i := 1; i < len(s); {
		switch s[i] {
		case '.':
			if i+1 < len(s) && s[i+1] == '.' {
				return nil, false, nil
			}
			// A backslash makes the next character part of the name, as in
			// the specification's "$.store\.book".
			var b strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != '.' && s[j] != '['; j++ {
				c := s[j]
				if c == '\\' && j+1 < len(s) {
					b.WriteByte(s[j+1])
					j++
					continue
				}
				if strings.IndexByte("]'\"$*?()@ \t\n\r,:", c) >= 0 {
					if c == '*' && j == i+1 && (j+1 == len(s) || s[j+1] == '.' || s[j+1] == '[') {
						return nil, false, nil // ".*"
					}
					return nil, false, fmt.Errorf("unexpected %q in a field name at offset %d", c, j)
				}
				b.WriteByte(c)
			}
			name := b.String()
			if j == i+1 {
				return nil, false, fmt.Errorf("missing field name at offset %d", i+1)
			}
			frags = append(frags, jp.Child(name))
			i = j
		case '[':
			if i+1 >= len(s) {
				return nil, false, fmt.Errorf("unterminated \"[\" at offset %d", i)
			}
			if q := s[i+1]; q == '\'' || q == '"' {
				name, n, ok := readQuoted(s[i+1:])
				if !ok {
					return nil, false, fmt.Errorf("unterminated quoted name at offset %d", i+1)
				}
				j := i + 1 + n
				if j < len(s) && s[j] == ',' {
					return nil, false, nil
				}
				if j >= len(s) || s[j] != ']' {
					return nil, false, fmt.Errorf("missing \"]\" at offset %d", j)
				}
				frags = append(frags, jp.Child(name))
				i = j + 1
				continue
			}
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return nil, false, fmt.Errorf("unterminated \"[\" at offset %d", i)
			}
			inner := s[i+1 : i+end]
			if strings.ContainsAny(inner, "*:,?(") {
				return nil, false, nil
			}
			n, err := strconv.Atoi(inner)
			if err != nil || len(inner) > 10 {
				return nil, false, fmt.Errorf("invalid index %q", inner)
			}
			frags = append(frags, jp.Nth(n))
			i += end + 1
		default:
			return nil, false, fmt.Errorf("unexpected %q at offset %d", s[i], i)
		}
	}
	return frags, true, nil
}

// readQuoted reads a quoted name starting at s[0], with backslash escapes;
// n is the number of bytes read, quotes included.
func readQuoted(s string) (name string, n int, ok bool) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			b.WriteByte(s[i+1])
			i++
		case c == q:
			return b.String(), i + 1, true
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, false
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
func (p *jsonPath) eval(data any) (v any, err error) {
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
	res := p.expr.Get(ordered(data))
	if res == nil {
		res = []any{}
	}
	for i, v := range res {
		res[i] = plain(v)
	}
	return res, nil
}

// orderedMap and orderedArray show the value tree to ojg with each object's
// keys in sorted order. Given plain maps, ojg ranges over them, in an order
// Go changes from one run to the next, so "$.a.*" or "$..b" over objects
// would select the same nodes in a different order each time. A node is
// wrapped when ojg reaches it (a conversion, not a copy) and unwrapped in
// the results.
type orderedMap map[string]any

func (m orderedMap) ValueForKey(k string) (any, bool) {
	v, ok := m[k]
	return ordered(v), ok
}

func (m orderedMap) Keys() []string { return slices.Sorted(maps.Keys(m)) }

// SetValueForKey and RemoveValueForKey are never called: paths only read.
func (m orderedMap) SetValueForKey(string, any) {}
func (m orderedMap) RemoveValueForKey(string)   {}

type orderedArray []any

func (a orderedArray) ValueAtIndex(i int) any {
	if i < 0 || i >= len(a) {
		return nil
	}
	return ordered(a[i])
}

func (a orderedArray) Size() int { return len(a) }

// SetValueAtIndex is never called: paths only read.
func (a orderedArray) SetValueAtIndex(int, any) {}

func ordered(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return orderedMap(t)
	case []any:
		return orderedArray(t)
	}
	return v
}

func plain(v any) any {
	switch t := v.(type) {
	case orderedMap:
		return map[string]any(t)
	case orderedArray:
		return []any(t)
	}
	return v
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
