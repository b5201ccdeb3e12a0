package asl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// duplicateKeys reports object keys that appear twice in the same object of
// a JSON document, which the JSON parser would silently collapse. Each
// problem names the object by the path of keys leading to it.
func duplicateKeys(data []byte, ps *problems) {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		obj     bool
		keys    map[string]bool
		path    string
		wantKey bool
		index   int
	}
	var stack []*frame
	childPath := func() string {
		if len(stack) == 0 {
			return ""
		}
		return stack[len(stack)-1].path
	}
	var lastKey string
	for {
		tok, err := dec.Token()
		if err != nil {
			return // the parser reports malformed documents
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.obj && top.wantKey {
			if key, ok := tok.(string); ok {
				if top.keys[key] {
					where := top.path
					if where == "" {
						where = "the top-level object"
					}
					ps.add("", "", "duplicate field %q in %s", key, where)
				}
				top.keys[key] = true
				top.wantKey = false
				lastKey = key
				continue
			}
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			p := childPath()
			if top != nil {
				if top.obj {
					p = strings.TrimPrefix(p+"."+lastKey, ".")
				} else {
					p = fmt.Sprintf("%s[%d]", p, top.index)
				}
			}
			stack = append(stack, &frame{obj: tok == json.Delim('{'), keys: map[string]bool{}, path: p, wantKey: true})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value (scalar or closed container) ends an object member or an
		// array element.
		if len(stack) > 0 {
			t := stack[len(stack)-1]
			if t.obj {
				t.wantKey = true
			} else {
				t.index++
			}
		}
	}
}

// checkUniqueNames reports state names used more than once across the whole
// machine, nested branches and processors included, as the specification
// requires.
func checkUniqueNames(m *Machine, seen map[string]string, ps *problems) {
	for _, name := range slices.Sorted(maps.Keys(m.States)) {
		loc := join(m.Location, name)
		if prev, dup := seen[name]; dup {
			ps.add(loc, "", "the state name is also used by %q: state names must be unique in the whole state machine", prev)
		} else {
			seen[name] = loc
		}
		st := m.States[name]
		for _, b := range st.Branches {
			checkUniqueNames(b, seen, ps)
		}
		if st.Processor != nil {
			checkUniqueNames(st.Processor, seen, ps)
		}
	}
}
