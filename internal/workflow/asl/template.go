package asl

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/meshgate/meshgate/internal/workflow/asl/intrinsic"
)

// template is a compiled payload template (Parameters, ResultSelector,
// ItemSelector): a JSON value whose fields named "x.$" take the value of a
// path or an intrinsic function call, however deeply nested.
type template struct {
	static bool // no dynamic field anywhere: lit is the value
	lit    any
	fields []templateField // object
	items  []*template     // array
	isArr  bool
}

type templateField struct {
	key  string // without ".$"
	src  string // the key as written
	path *jsonPath
	call *intrinsicCall
	expr string
	sub  *template
}

// compileTemplate compiles v, reporting problems under state and field.
func compileTemplate(v any, ps *problems, state, field string) *template {
	switch t := v.(type) {
	case map[string]any:
		tp := &template{static: true}
		seen := make(map[string]string, len(t))
		for _, k := range sortedKeys(t) {
			e := t[k]
			name := k
			f := field + "." + k
			dynamic := strings.HasSuffix(k, ".$")
			if dynamic {
				name = strings.TrimSuffix(k, ".$")
			}
			if prev, dup := seen[name]; dup {
				ps.add(state, f, "field %q is specified more than once (also as %q)", name, prev)
				continue
			}
			seen[name] = k
			tf := templateField{key: name, src: k}
			if dynamic {
				tp.static = false
				s, ok := e.(string)
				switch {
				case !ok:
					ps.add(state, f, "the value of a field ending in \".$\" must be a path or an intrinsic function call, got a %s", typeName(e))
				case intrinsic.IsIntrinsic(s):
					tf.call, tf.expr = compileIntrinsic(s, ps, state, f), s
				default:
					p, err := compilePath(s)
					if err != nil {
						ps.add(state, f, "%v", err)
					}
					tf.path = p
				}
			} else {
				tf.sub = compileTemplate(e, ps, state, f)
				if !tf.sub.static {
					tp.static = false
				}
			}
			tp.fields = append(tp.fields, tf)
		}
		if tp.static {
			tp.lit = v
		}
		return tp
	case []any:
		tp := &template{static: true, isArr: true}
		for i, e := range t {
			sub := compileTemplate(e, ps, state, fmt.Sprintf("%s[%d]", field, i))
			if !sub.static {
				tp.static = false
			}
			tp.items = append(tp.items, sub)
		}
		if tp.static {
			tp.lit = v
		}
		return tp
	default:
		return &template{static: true, lit: v}
	}
}

// eval builds the payload for input. Path failures raise failName, failures
// of intrinsic functions their own error.
func (tp *template) eval(s *scope, input any, failName string) (any, *StateError) {
	if tp.static {
		return tp.lit, nil
	}
	if tp.isArr {
		out := make([]any, len(tp.items))
		for i, it := range tp.items {
			v, err := it.eval(s, input, failName)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	out := make(map[string]any, len(tp.fields))
	for i := range tp.fields {
		f := &tp.fields[i]
		switch {
		case f.sub != nil:
			v, err := f.sub.eval(s, input, failName)
			if err != nil {
				return nil, err
			}
			out[f.key] = v
		case f.path != nil:
			v, err := s.eval(f.path, input)
			if err != nil {
				return nil, &StateError{Name: failName, Cause: fmt.Sprintf(
					"the JSONPath %s specified for the field %q could not be found in the input", f.path.raw, f.src)}
			}
			out[f.key] = v
		case f.call != nil:
			v, err := evalIntrinsic(s, f.call, input, failName)
			if err != nil {
				return nil, err
			}
			out[f.key] = v
		default:
			return nil, runtimeErr("the field %q has no valid value", f.src)
		}
	}
	return out, nil
}

// intrinsicCall is a parsed intrinsic function call with its compiled path
// arguments.
type intrinsicCall struct {
	call *intrinsic.Call
	args map[string]*jsonPath
}

// compileIntrinsic parses an intrinsic function call and checks its path
// arguments, reporting problems under state and field.
func compileIntrinsic(expr string, ps *problems, state, field string) *intrinsicCall {
	c, err := intrinsic.Parse(expr)
	if err != nil {
		ps.add(state, field, "invalid intrinsic function call: %v", err)
		return nil
	}
	ic := &intrinsicCall{call: c, args: map[string]*jsonPath{}}
	for _, path := range c.Paths() {
		p, err := compilePath(path)
		if err != nil {
			ps.add(state, field, "invalid intrinsic function call: %v", err)
			return nil
		}
		ic.args[path] = p
	}
	return ic
}

// evalIntrinsic runs an intrinsic function call, resolving its path arguments
// against input or the context object.
func evalIntrinsic(outer *scope, ic *intrinsicCall, input any, failName string) (v any, serr *StateError) {
	// The resolver escapes into the intrinsic package: give it its own copy
	// of the scope so that callers' scopes can stay on the stack.
	s := &scope{ctx: outer.ctx, name: outer.name, ctxObj: outer.ctxObj}
	defer func() {
		if r := recover(); r != nil {
			v, serr = nil, &StateError{Name: ErrIntrinsicFailure, Cause: fmt.Sprintf("%v", r)}
		}
	}()
	resolve := func(path string) (any, error) {
		p, ok := ic.args[path]
		if !ok {
			return nil, &StateError{Name: ErrIntrinsicFailure, Cause: fmt.Sprintf("unexpected path argument %s", path)}
		}
		v, err := s.eval(p, input)
		if err != nil {
			return nil, &StateError{Name: failName, Cause: fmt.Sprintf("the JSONPath %s could not be found in the input", path)}
		}
		return v, nil
	}
	var rnd *rand.Rand
	if s.ctx != nil {
		rnd = s.ctx.Rand
	}
	out, err := ic.call.EvalWith(resolve, rnd)
	if err == nil {
		return out, nil
	}
	var se *StateError
	if errors.As(err, &se) {
		return nil, se
	}
	var ie *intrinsic.Error
	if errors.As(err, &ie) {
		return nil, &StateError{Name: ie.Name, Cause: ie.Cause}
	}
	return nil, &StateError{Name: ErrIntrinsicFailure, Cause: err.Error()}
}
