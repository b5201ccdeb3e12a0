package asl

import (
	"maps"
	"math"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/meshgate/meshgate/internal/workflow/asl/intrinsic"
)

// Parse parses and validates a state machine definition. When the definition
// is invalid the error is a *ValidationError listing every problem found.
func Parse(def []byte) (*Machine, error) {
	v, err := ParseJSON(def)
	if err != nil {
		return nil, &ValidationError{Problems: []Problem{{Message: "the definition is not valid JSON: " + err.Error()}}}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, &ValidationError{Problems: []Problem{{Message: "the definition must be a JSON object, got a " + typeName(v)}}}
	}
	ps := &problems{}
	duplicateKeys(def, ps)
	m := parseMachine(obj, "", machineTop, ps)
	checkUniqueNames(m, map[string]string{}, ps)
	if err := ps.err(); err != nil {
		return nil, err
	}
	return m, nil
}

type machineKind int

const (
	machineTop machineKind = iota
	machineBranch
	machineProcessor
)

// maxStateNameLength is Step Functions' limit on state names.
const maxStateNameLength = 80

// maxSeconds bounds TimeoutSeconds, HeartbeatSeconds, IntervalSeconds and
// MaxAttempts, as Step Functions does.
const maxSeconds = 99999999

var machineFields = map[machineKind]map[string]bool{
	machineTop:       set("Comment", "StartAt", "States", "TimeoutSeconds", "Version", "QueryLanguage"),
	machineBranch:    set("Comment", "StartAt", "States", "QueryLanguage"),
	machineProcessor: set("Comment", "StartAt", "States", "ProcessorConfig", "QueryLanguage"),
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// parseMachine decodes a machine; loc locates it for problems.
func parseMachine(obj map[string]any, loc string, kind machineKind, ps *problems) *Machine {
	m := &Machine{Location: loc, States: map[string]*State{}}
	d := &dec{ps: ps, loc: loc, obj: obj}
	for _, k := range sortedKeys(obj) {
		if !machineFields[kind][k] {
			ps.add(loc, k, "unknown field")
		}
	}
	d.queryLanguage()
	m.Comment, _ = d.str("Comment", false)
	m.Version, _ = d.str("Version", false)
	m.StartAt, _ = d.str("StartAt", true)
	if kind == machineTop {
		m.TimeoutSeconds, _ = d.integer("TimeoutSeconds", 1, maxSeconds)
	}
	raw, ok := obj["States"]
	states, isObj := raw.(map[string]any)
	switch {
	case !ok:
		ps.add(loc, "States", "missing required field")
	case !isObj:
		ps.add(loc, "States", "must be an object, got a %s", typeName(raw))
	case len(states) == 0:
		ps.add(loc, "States", "must contain at least one state")
	}
	for _, name := range sortedKeys(states) {
		sloc := join(loc, name)
		if name == "" || utf8.RuneCountInString(name) > maxStateNameLength {
			ps.add(sloc, "", "a state name must have 1 to %d characters", maxStateNameLength)
		}
		sobj, ok := states[name].(map[string]any)
		if !ok {
			ps.add(sloc, "", "a state must be a JSON object, got a %s", typeName(states[name]))
			continue
		}
		if st := parseState(name, sobj, sloc, ps); st != nil {
			m.States[name] = st
		}
	}
	if m.StartAt != "" && isObj {
		if _, ok := states[m.StartAt]; !ok {
			ps.add(loc, "StartAt", "unknown state %q", m.StartAt)
		}
	}
	checkGraph(m, states, ps)
	return m
}

// join appends a name to a location.
func join(loc, name string) string {
	if loc == "" {
		return name
	}
	return loc + "/" + name
}

// dec reads the fields of one JSON object, reporting problems.
type dec struct {
	ps  *problems
	loc string
	obj map[string]any
}

func (d *dec) has(field string) bool {
	_, ok := d.obj[field]
	return ok
}

func (d *dec) queryLanguage() {
	if v, ok := d.obj["QueryLanguage"]; ok && v != "JSONPath" {
		d.ps.add(d.loc, "QueryLanguage", "only \"JSONPath\" is supported, got %s", describe(v))
	}
}

// str reads a string field; required reports a missing one.
func (d *dec) str(field string, required bool) (string, bool) {
	v, ok := d.obj[field]
	if !ok {
		if required {
			d.ps.add(d.loc, field, "missing required field")
		}
		return "", false
	}
	s, ok := v.(string)
	if !ok {
		d.ps.add(d.loc, field, "must be a string, got a %s", typeName(v))
		return "", false
	}
	if required && s == "" {
		d.ps.add(d.loc, field, "must not be empty")
		return "", false
	}
	return s, true
}

// integer reads an optional integer field within [lo, hi].
func (d *dec) integer(field string, lo, hi int64) (int64, bool) {
	v, ok := d.obj[field]
	if !ok {
		return 0, false
	}
	n, ok := asInteger(v)
	if !ok || n < lo || n > hi {
		d.ps.add(d.loc, field, "must be an integer from %d to %d, got %s", lo, hi, describe(v))
		return 0, false
	}
	return n, true
}

// path reads an optional path field; null is allowed when nullable.
func (d *dec) path(field string, ref, nullable bool) pathField {
	v, ok := d.obj[field]
	if !ok {
		return pathField{}
	}
	if v == nil {
		if !nullable {
			d.ps.add(d.loc, field, "must be a path, got null")
		}
		return pathField{null: nullable}
	}
	s, ok := v.(string)
	if !ok {
		d.ps.add(d.loc, field, "must be a path string, got a %s", typeName(v))
		return pathField{}
	}
	var p *jsonPath
	var err error
	if ref {
		p, err = compileReferencePath(s)
	} else {
		p, err = compilePath(s)
	}
	if err != nil {
		d.ps.add(d.loc, field, "%v", err)
		return pathField{}
	}
	if p.context && field == "ResultPath" {
		d.ps.add(d.loc, field, "%q is not a valid result path: it cannot refer to the context object", s)
		return pathField{}
	}
	if len(p.frags) == 0 && !p.context {
		return pathField{} // "$": the identity
	}
	return pathField{path: p}
}

// refPath reads an optional reference path field that cannot be null.
func (d *dec) refPath(field string) *jsonPath {
	return d.path(field, true, false).path
}

// template reads an optional payload template, which must be an object.
func (d *dec) template(field string) *template {
	v, ok := d.obj[field]
	if !ok {
		return nil
	}
	if _, isObj := v.(map[string]any); !isObj {
		d.ps.add(d.loc, field, "must be a JSON object, got a %s", typeName(v))
		return nil
	}
	return compileTemplate(v, d.ps, d.loc, field)
}

// exclusive reports fields that may not appear together.
func (d *dec) exclusive(a, b string) {
	if d.has(a) && d.has(b) {
		d.ps.add(d.loc, b, "cannot be used together with %q", a)
	}
}

// pathOrIntrinsic reads a field holding a reference path or an intrinsic
// function call (Fail's ErrorPath and CausePath).
func (d *dec) pathOrIntrinsic(field string) (*jsonPath, *intrinsicCall) {
	s, ok := d.str(field, false)
	if !ok {
		return nil, nil
	}
	if intrinsic.IsIntrinsic(s) {
		return nil, compileIntrinsic(s, d.ps, d.loc, field)
	}
	p, err := compileReferencePath(s)
	if err != nil {
		d.ps.add(d.loc, field, "%v", err)
	}
	return p, nil
}

// asInteger converts a JSON number with an integral value.
func asInteger(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
			return int64(n), true
		}
	}
	return 0, false
}

// asNumber converts a JSON number to float64.
func asNumber(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// describe renders a value briefly for messages.
func describe(v any) string {
	b, err := MarshalJSON(v)
	if err != nil {
		return typeName(v)
	}
	if len(b) > 60 {
		return string(b[:57]) + "..."
	}
	return string(b)
}

// parseTimestamp reads a timestamp as the Amazon States Language writes
// them: RFC 3339 with an uppercase T and, without an offset, an uppercase Z.
func parseTimestamp(s string) (time.Time, bool) {
	if !rfc3339Shape(s) {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// rfc3339Shape reports whether s has the shape of RFC 3339's date-time
// (section 5.6): YYYY-MM-DDTHH:MM:SS, an optional fraction after a dot, then
// Z or ±HH:MM; uppercase T and Z, as the states language asks. time.Parse
// alone also takes a one-digit hour and a comma before the fraction.
func rfc3339Shape(s string) bool {
	const prefix = "dddd-dd-ddTdd:dd:dd"
	if len(s) < len(prefix)+1 {
		return false
	}
	for i := range len(prefix) {
		if c := s[i]; prefix[i] == 'd' && (c < '0' || c > '9') || prefix[i] != 'd' && c != prefix[i] {
			return false
		}
	}
	rest := s[len(prefix):]
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 1 {
			return false
		}
		rest = rest[n:]
	}
	if rest == "Z" {
		return true
	}
	if len(rest) != 6 || rest[0] != '+' && rest[0] != '-' || rest[3] != ':' {
		return false
	}
	for _, i := range []int{1, 2, 4, 5} {
		if rest[i] < '0' || rest[i] > '9' {
			return false
		}
	}
	return true
}

func sortedKeys(m map[string]any) []string {
	return slices.Sorted(maps.Keys(m))
}
