package asl

import (
	"fmt"
	"strings"
	"time"

	"github.com/meshgate/meshgate/internal/workflow/asl/jsonvalue"
)

// choiceRule is a compiled Choice rule: a data-test (Variable and one
// comparison operator) or a boolean combination (And, Or, Not).
type choiceRule struct {
	next     string
	op       string
	spec     opSpec
	variable *jsonPath
	operand  *jsonPath // the ...Path forms
	// literal is the operand of the other forms: a string, a number, a
	// bool (also the expected answer of a type test) or a time.Time
	literal any
	pattern []string // StringMatches: literal parts between wildcards
	subs    []*choiceRule
}

type valueKind int

const (
	kindString valueKind = iota + 1
	kindNumber
	kindBoolean
	kindTimestamp
	kindMatches
	kindTypeTest
)

type opSpec struct {
	kind valueKind
	cmp  string // "eq", "lt", "gt", "le", "ge"; the tested type for kindTypeTest
	path bool
}

// operators lists every data-test operator of a Choice rule.
var operators = func() map[string]opSpec {
	ops := map[string]opSpec{
		"StringMatches": {kind: kindMatches},
		"BooleanEquals": {kind: kindBoolean, cmp: "eq"}, "BooleanEqualsPath": {kind: kindBoolean, cmp: "eq", path: true},
		"IsPresent": {kind: kindTypeTest, cmp: "present"}, "IsNull": {kind: kindTypeTest, cmp: "null"},
		"IsNumeric": {kind: kindTypeTest, cmp: "numeric"}, "IsString": {kind: kindTypeTest, cmp: "string"},
		"IsBoolean": {kind: kindTypeTest, cmp: "boolean"}, "IsTimestamp": {kind: kindTypeTest, cmp: "timestamp"},
	}
	cmps := map[string]string{"Equals": "eq", "LessThan": "lt", "GreaterThan": "gt", "LessThanEquals": "le", "GreaterThanEquals": "ge"}
	for _, p := range []struct {
		prefix string
		kind   valueKind
	}{{"String", kindString}, {"Numeric", kindNumber}, {"Timestamp", kindTimestamp}} {
		for suffix, c := range cmps {
			ops[p.prefix+suffix] = opSpec{kind: p.kind, cmp: c}
			ops[p.prefix+suffix+"Path"] = opSpec{kind: p.kind, cmp: c, path: true}
		}
	}
	return ops
}()

func parseChoiceState(d *dec, st *State) {
	var ok bool
	if st.Default, ok = d.str("Default", false); ok && st.Default == "" {
		d.ps.add(d.loc, "Default", "must name a state")
	}
	raw, has := d.obj["Choices"]
	arr, isArr := raw.([]any)
	switch {
	case !has:
		d.ps.add(d.loc, "Choices", "missing required field")
		return
	case !isArr || len(arr) == 0:
		d.ps.add(d.loc, "Choices", "must be a non-empty array of choice rules")
		return
	}
	for i, e := range arr {
		if r := parseRule(d, fmt.Sprintf("Choices[%d]", i), e, true); r != nil {
			st.choices = append(st.choices, r)
		}
	}
}

// parseRule decodes a Choice rule; top rules need Next, nested ones must not
// have it.
func parseRule(d *dec, field string, raw any, top bool) *choiceRule {
	obj, ok := raw.(map[string]any)
	if !ok {
		d.ps.add(d.loc, field, "a choice rule must be an object, got a %s", typeName(raw))
		return nil
	}
	r := &choiceRule{}
	next, hasNext := obj["Next"]
	switch {
	case top && !hasNext:
		d.ps.add(d.loc, field+".Next", "missing required field")
	case !top && hasNext:
		d.ps.add(d.loc, field+".Next", "only allowed in the top-level rules of \"Choices\"")
	case hasNext:
		if s, ok := next.(string); ok && s != "" {
			r.next = s
		} else {
			d.ps.add(d.loc, field+".Next", "must be a state name")
		}
	}
	var ops []string
	for _, k := range sortedKeys(obj) {
		switch {
		case k == "Next" || k == "Comment" || k == "Variable":
		case k == "And" || k == "Or" || k == "Not":
			ops = append(ops, k)
		case operators[k].kind != 0:
			ops = append(ops, k)
		default:
			d.ps.add(d.loc, field+"."+k, "unknown field in a choice rule")
		}
	}
	if len(ops) != 1 {
		d.ps.add(d.loc, field, "a choice rule needs exactly one comparison operator or one of \"And\", \"Or\", \"Not\", got %d", len(ops))
		return nil
	}
	r.op = ops[0]
	v := obj[r.op]
	vf := field + "." + r.op
	switch r.op {
	case "And", "Or":
		if _, has := obj["Variable"]; has {
			d.ps.add(d.loc, field+".Variable", "not allowed with %q", r.op)
		}
		arr, ok := v.([]any)
		if !ok || len(arr) == 0 {
			d.ps.add(d.loc, vf, "must be a non-empty array of choice rules")
			return nil
		}
		for i, e := range arr {
			if sub := parseRule(d, fmt.Sprintf("%s[%d]", vf, i), e, false); sub != nil {
				r.subs = append(r.subs, sub)
			}
		}
		return r
	case "Not":
		if _, has := obj["Variable"]; has {
			d.ps.add(d.loc, field+".Variable", "not allowed with \"Not\"")
		}
		if sub := parseRule(d, vf, v, false); sub != nil {
			r.subs = []*choiceRule{sub}
		}
		return r
	}
	r.spec = operators[r.op]
	vs, ok := obj["Variable"].(string)
	if !ok {
		d.ps.add(d.loc, field+".Variable", "a %q rule needs a \"Variable\" path", r.op)
	} else if p, err := compilePath(vs); err != nil {
		d.ps.add(d.loc, field+".Variable", "%v", err)
	} else {
		r.variable = p
	}
	parseOperand(d, vf, r, v)
	return r
}

// parseOperand checks and stores the value a data-test compares with.
func parseOperand(d *dec, field string, r *choiceRule, v any) {
	if r.spec.path {
		s, ok := v.(string)
		if !ok {
			d.ps.add(d.loc, field, "must be a path, got a %s", typeName(v))
			return
		}
		p, err := compilePath(s)
		if err != nil {
			d.ps.add(d.loc, field, "%v", err)
			return
		}
		r.operand = p
		return
	}
	bad := func(want string) { d.ps.add(d.loc, field, "must be %s, got %s", want, describe(v)) }
	switch r.spec.kind {
	case kindString, kindMatches:
		s, ok := v.(string)
		if !ok {
			bad("a string")
			return
		}
		r.literal = s
		if r.spec.kind == kindMatches {
			p, err := compilePattern(s)
			if err != nil {
				d.ps.add(d.loc, field, "%v", err)
			}
			r.pattern = p
		}
	case kindNumber:
		if _, ok := asNumber(v); !ok {
			bad("a number")
			return
		}
		r.literal = v
	case kindBoolean, kindTypeTest:
		b, ok := v.(bool)
		if !ok {
			bad("a boolean")
			return
		}
		r.literal = b
	case kindTimestamp:
		s, _ := v.(string)
		t, ok := parseTimestamp(s)
		if !ok {
			bad("an RFC 3339 timestamp such as \"2016-03-14T01:59:00Z\"")
			return
		}
		r.literal = t
	}
}

// compilePattern splits a StringMatches pattern at its unescaped "*"; "\*"
// stands for a literal star and "\\" for a literal backslash. Any other
// backslash is an open escape, which the specification forbids.
func compilePattern(s string) ([]string, error) {
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 >= len(s) || (s[i+1] != '*' && s[i+1] != '\\') {
				return nil, fmt.Errorf("open escape at offset %d: only \"\\*\" and \"\\\\\" are escapes", i)
			}
			cur.WriteByte(s[i+1])
			i++
		case '*':
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(parts, cur.String()), nil
}

// matchPattern matches s against parts from compilePattern: the first part
// is a prefix, the last a suffix, the others appear in order between them.
func matchPattern(parts []string, s string) bool {
	if len(parts) == 1 {
		return s == parts[0]
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}

// eval evaluates the rule against the Choice state's effective input.
func (r *choiceRule) eval(s *scope, input any) (bool, *StateError) {
	switch r.op {
	case "And":
		for _, sub := range r.subs {
			ok, err := sub.eval(s, input)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case "Or":
		for _, sub := range r.subs {
			ok, err := sub.eval(s, input)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case "Not":
		ok, err := r.subs[0].eval(s, input)
		return !ok && err == nil, err
	}
	v, err := s.eval(r.variable, input)
	if r.spec.kind == kindTypeTest {
		want, _ := r.literal.(bool)
		if err != nil {
			return r.spec.cmp == "present" && !want, nil
		}
		return typeTest(r.spec.cmp, v) == want, nil
	}
	if err != nil {
		return false, runtimeErr("invalid path %s: the choice state's condition path references an invalid value", r.variable.raw)
	}
	if r.spec.kind == kindMatches {
		str, ok := v.(string)
		return ok && matchPattern(r.pattern, str), nil
	}
	want := r.literal
	if r.operand != nil {
		if want, err = s.eval(r.operand, input); err != nil {
			return false, runtimeErr("invalid path %s: the choice state's condition path references an invalid value", r.operand.raw)
		}
	}
	c, ok := compareValues(r.spec.kind, v, want)
	if !ok {
		return false, nil
	}
	switch r.spec.cmp {
	case "eq":
		return c == 0, nil
	case "lt":
		return c < 0, nil
	case "gt":
		return c > 0, nil
	case "le":
		return c <= 0, nil
	default:
		return c >= 0, nil
	}
}

// compareValues compares a variable with an operand of the given kind; ok is
// false when either is not of that kind.
func compareValues(kind valueKind, v, want any) (int, bool) {
	switch kind {
	case kindString:
		a, ok1 := v.(string)
		b, ok2 := want.(string)
		return strings.Compare(a, b), ok1 && ok2
	case kindNumber:
		return compareNumbers(v, want)
	case kindBoolean:
		a, ok1 := v.(bool)
		b, ok2 := want.(bool)
		if !ok1 || !ok2 {
			return 0, false
		}
		if a == b {
			return 0, true
		}
		return 1, true
	case kindTimestamp:
		a, ok1 := toTime(v)
		b, ok2 := toTime(want)
		return a.Compare(b), ok1 && ok2
	}
	return 0, false
}

func toTime(v any) (time.Time, bool) {
	switch t := v.(type) {
	case time.Time:
		return t, true
	case string:
		return parseTimestamp(t)
	}
	return time.Time{}, false
}

// compareNumbers compares two JSON numbers by their exact values.
func compareNumbers(a, b any) (int, bool) {
	return jsonvalue.CompareNumbers(a, b)
}

// typeTest implements IsPresent, IsNull, IsNumeric, IsString, IsBoolean and
// IsTimestamp for a present value.
func typeTest(test string, v any) bool {
	switch test {
	case "present":
		return true
	case "null":
		return v == nil
	case "numeric":
		_, ok := asNumber(v)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "timestamp":
		s, ok := v.(string)
		if !ok {
			return false
		}
		_, ok = parseTimestamp(s)
		return ok
	}
	return false
}
