package asl

import (
	"fmt"
	"testing"
)

// specChoice is the specification's Choice state example.
const specChoice = `{"StartAt":"ChoiceStateX","States":{
 "ChoiceStateX":{"Type":"Choice","Choices":[
  {"Not":{"Variable":"$.type","StringEquals":"Private"},"Next":"Public"},
  {"And":[{"Variable":"$.value","IsPresent":true},{"Variable":"$.value","IsNumeric":true},
          {"Variable":"$.value","NumericGreaterThanEquals":20},{"Variable":"$.value","NumericLessThan":30}],
   "Next":"ValueInTwenties"},
  {"Variable":"$.rating","NumericGreaterThanPath":"$.auditThreshold","Next":"StartAudit"}],
  "Default":"RecordEvent"},
 "Public":{"Type":"Succeed"},"ValueInTwenties":{"Type":"Succeed"},
 "StartAudit":{"Type":"Succeed"},"RecordEvent":{"Type":"Succeed"}}}`

func TestChoiceSpecExample(t *testing.T) {
	m := mustParse(t, specChoice)
	tests := []struct{ input, want string }{
		{`{"type":"Public"}`, "Public"},
		{`{"type":"Private","value":22}`, "ValueInTwenties"},
		{`{"type":"Private","value":30,"rating":3,"auditThreshold":2}`, "StartAudit"},
		{`{"type":"Private","value":"25","rating":1,"auditThreshold":2}`, "RecordEvent"},
	}
	for _, tt := range tests {
		out, err := m.Enter("ChoiceStateX", mustJSON(t, tt.input), nil)
		if err != nil {
			t.Fatal(err)
		}
		if out.Kind != Goto || out.Next != tt.want {
			t.Errorf("%s: got %v %q (%s), want Goto %q", tt.input, out.Kind, out.Next, out.Cause, tt.want)
		}
	}
}

// evalRule evaluates one rule against an input through a Choice state.
func evalRule(t *testing.T, rule, input string) Outcome {
	t.Helper()
	def := fmt.Sprintf(`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[%s],"Default":"No"},
		"Yes":{"Type":"Succeed"},"No":{"Type":"Succeed"}}}`, rule)
	m := mustParse(t, def)
	out, err := m.Enter("C", mustJSON(t, input), &Context{Execution: ExecutionInfo{Name: "run"}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestChoiceOperators(t *testing.T) {
	in := `{"s":"abc","n":10,"f":1.5,"b":true,"t":"2016-03-14T01:59:00Z","z":null,"arr":[1],
		"s2":"abd","n2":10.0,"t2":"2016-03-14T02:59:00+01:00","b2":false,"star":"a*b","bs":"a\\b"}`
	tests := []struct {
		rule string
		want bool
	}{
		{`"Variable":"$.s","StringEquals":"abc"`, true},
		{`"Variable":"$.s","StringEquals":"abd"`, false},
		{`"Variable":"$.s","StringLessThan":"abd"`, true},
		{`"Variable":"$.s","StringGreaterThan":"abd"`, false},
		{`"Variable":"$.s","StringLessThanEquals":"abc"`, true},
		{`"Variable":"$.s","StringGreaterThanEquals":"abc"`, true},
		{`"Variable":"$.s","StringEqualsPath":"$.s2"`, false},
		{`"Variable":"$.s","StringLessThanPath":"$.s2"`, true},
		{`"Variable":"$.s","StringGreaterThanPath":"$.s2"`, false},
		{`"Variable":"$.s","StringLessThanEqualsPath":"$.s"`, true},
		{`"Variable":"$.s","StringGreaterThanEqualsPath":"$.s2"`, false},
		{`"Variable":"$.n","StringEquals":"10"`, false},
		{`"Variable":"$.n","NumericEquals":10`, true},
		{`"Variable":"$.n","NumericEquals":10.0`, true},
		{`"Variable":"$.f","NumericEquals":1.5`, true},
		{`"Variable":"$.n","NumericLessThan":10.5`, true},
		{`"Variable":"$.n","NumericGreaterThan":9`, true},
		{`"Variable":"$.n","NumericLessThanEquals":9`, false},
		{`"Variable":"$.n","NumericGreaterThanEquals":10`, true},
		{`"Variable":"$.n","NumericEqualsPath":"$.n2"`, true},
		{`"Variable":"$.f","NumericLessThanPath":"$.n"`, true},
		{`"Variable":"$.f","NumericGreaterThanPath":"$.n"`, false},
		{`"Variable":"$.n","NumericLessThanEqualsPath":"$.n2"`, true},
		{`"Variable":"$.n","NumericGreaterThanEqualsPath":"$.f"`, true},
		{`"Variable":"$.s","NumericEquals":10`, false},
		{`"Variable":"$.n","NumericEqualsPath":"$.s"`, false},
		{`"Variable":"$.b","BooleanEquals":true`, true},
		{`"Variable":"$.b","BooleanEquals":false`, false},
		{`"Variable":"$.b","BooleanEqualsPath":"$.b2"`, false},
		{`"Variable":"$.s","BooleanEquals":true`, false},
		{`"Variable":"$.t","TimestampEquals":"2016-03-14T01:59:00Z"`, true},
		{`"Variable":"$.t","TimestampEquals":"2016-03-14T02:59:00+01:00"`, true},
		{`"Variable":"$.t","TimestampLessThan":"2016-03-14T01:59:01Z"`, true},
		{`"Variable":"$.t","TimestampGreaterThan":"2016-03-14T01:59:01Z"`, false},
		{`"Variable":"$.t","TimestampLessThanEquals":"2016-03-14T01:59:00Z"`, true},
		{`"Variable":"$.t","TimestampGreaterThanEquals":"2017-01-01T00:00:00Z"`, false},
		{`"Variable":"$.t","TimestampEqualsPath":"$.t2"`, true},
		{`"Variable":"$.t","TimestampLessThanPath":"$.t2"`, false},
		{`"Variable":"$.t","TimestampGreaterThanPath":"$.t2"`, false},
		{`"Variable":"$.t","TimestampLessThanEqualsPath":"$.t2"`, true},
		{`"Variable":"$.t","TimestampGreaterThanEqualsPath":"$.t2"`, true},
		{`"Variable":"$.s","TimestampEquals":"2016-03-14T01:59:00Z"`, false},
		{`"Variable":"$.t","TimestampEqualsPath":"$.s"`, false},
		{`"Variable":"$.s","StringMatches":"a*"`, true},
		{`"Variable":"$.s","StringMatches":"*c"`, true},
		{`"Variable":"$.s","StringMatches":"a*c"`, true},
		{`"Variable":"$.s","StringMatches":"*b*"`, true},
		{`"Variable":"$.s","StringMatches":"*"`, true},
		{`"Variable":"$.s","StringMatches":"ab"`, false},
		{`"Variable":"$.s","StringMatches":"abc*d"`, false},
		{`"Variable":"$.star","StringMatches":"a\\*b"`, true},
		{`"Variable":"$.s","StringMatches":"a\\*c"`, false},
		{`"Variable":"$.bs","StringMatches":"a\\\\b"`, true},
		{`"Variable":"$.n","StringMatches":"*"`, false},
		{`"Variable":"$.s","IsPresent":true`, true},
		{`"Variable":"$.missing","IsPresent":true`, false},
		{`"Variable":"$.missing","IsPresent":false`, true},
		{`"Variable":"$.z","IsPresent":true`, true},
		{`"Variable":"$.z","IsNull":true`, true},
		{`"Variable":"$.s","IsNull":false`, true},
		{`"Variable":"$.missing","IsNull":true`, false},
		{`"Variable":"$.n","IsNumeric":true`, true},
		{`"Variable":"$.f","IsNumeric":true`, true},
		{`"Variable":"$.s","IsNumeric":false`, true},
		{`"Variable":"$.s","IsString":true`, true},
		{`"Variable":"$.n","IsString":true`, false},
		{`"Variable":"$.b","IsBoolean":true`, true},
		{`"Variable":"$.z","IsBoolean":true`, false},
		{`"Variable":"$.t","IsTimestamp":true`, true},
		{`"Variable":"$.s","IsTimestamp":true`, false},
		{`"Variable":"$.n","IsTimestamp":false`, true},
		{`"Variable":"$.arr","IsNumeric":true`, false},
		{`"Variable":"$$.Execution.Name","StringEquals":"run"`, true},
		{`"Variable":"$.arr[0]","NumericEquals":1`, true},
		{`"And":[{"Variable":"$.s","IsString":true},{"Variable":"$.n","NumericEquals":10}]`, true},
		{`"And":[{"Variable":"$.s","IsString":true},{"Variable":"$.n","NumericEquals":11}]`, false},
		{`"Or":[{"Variable":"$.s","IsNull":true},{"Variable":"$.n","NumericEquals":10}]`, true},
		{`"Or":[{"Variable":"$.s","IsNull":true},{"Variable":"$.n","NumericEquals":11}]`, false},
		{`"Not":{"Variable":"$.s","IsNull":true}`, true},
		{`"Not":{"Or":[{"Variable":"$.s","IsNull":true},{"Not":{"Variable":"$.b","BooleanEquals":true}}]}`, true},
	}
	for _, tt := range tests {
		out := evalRule(t, "{"+tt.rule+`,"Next":"Yes"}`, in)
		if out.Kind != Goto {
			t.Errorf("%s: got %v %s %s, want Goto", tt.rule, out.Kind, out.Error, out.Cause)
			continue
		}
		if got := out.Next == "Yes"; got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.rule, got, tt.want)
		}
	}
}

// TestNumericComparisonsAreExact compares integers with fractional numbers
// by value. The specification's numeric operators compare numbers, not
// their nearest doubles: 2^53+1 is greater than 2^53, though both convert
// to the same float64.
func TestNumericComparisonsAreExact(t *testing.T) {
	in := `{"big":9007199254740993,"max":9223372036854775807,"two53":9007199254740992.0,"neg":-9007199254740993}`
	tests := []struct {
		rule string
		want bool
	}{
		{`"Variable":"$.big","NumericEquals":9007199254740992.0`, false},
		{`"Variable":"$.big","NumericGreaterThan":9007199254740992.0`, true},
		{`"Variable":"$.big","NumericLessThanEquals":9007199254740992.0`, false},
		{`"Variable":"$.big","NumericEqualsPath":"$.two53"`, false},
		{`"Variable":"$.two53","NumericLessThanPath":"$.big"`, true},
		{`"Variable":"$.neg","NumericLessThan":-9007199254740992.0`, true},
		{`"Variable":"$.max","NumericEquals":9223372036854775807.0`, false},
		{`"Variable":"$.max","NumericLessThan":9223372036854775807.0`, true},
		{`"Variable":"$.big","NumericEquals":9007199254740993`, true},
		{`"Variable":"$.two53","NumericEquals":9007199254740992`, true},
	}
	for _, tt := range tests {
		out := evalRule(t, "{"+tt.rule+`,"Next":"Yes"}`, in)
		if got := out.Kind == Goto && out.Next == "Yes"; got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.rule, got, tt.want)
		}
	}
}

func TestChoiceRuntimeErrors(t *testing.T) {
	tests := []string{
		`"Variable":"$.missing","StringEquals":"x"`,
		`"Variable":"$.s","StringEqualsPath":"$.missing"`,
		`"And":[{"Variable":"$.missing","NumericEquals":1}]`,
	}
	for _, rule := range tests {
		out := evalRule(t, "{"+rule+`,"Next":"Yes"}`, `{"s":"x"}`)
		if out.Kind != Failed || out.Error != ErrRuntime {
			t.Errorf("%s: got %v %s, want Failed %s", rule, out.Kind, out.Error, ErrRuntime)
		}
	}
}

func TestChoiceNoMatch(t *testing.T) {
	m := mustParse(t, `{"StartAt":"C","States":{"C":{"Type":"Choice","InputPath":"$.in","OutputPath":"$.out",
		"Choices":[{"Variable":"$.v","NumericEquals":1,"Next":"Yes"}]},"Yes":{"Type":"Succeed"}}}`)
	out, _ := m.Enter("C", mustJSON(t, `{"in":{"v":2}}`), nil)
	if out.Kind != Failed || out.Error != ErrNoChoiceMatched {
		t.Errorf("got %v %s, want Failed %s", out.Kind, out.Error, ErrNoChoiceMatched)
	}
	out, _ = m.Enter("C", mustJSON(t, `{"in":{"v":1,"out":{"x":true}}}`), nil)
	if out.Kind != Goto || out.Next != "Yes" {
		t.Fatalf("got %v %q, want Goto Yes", out.Kind, out.Next)
	}
	assertJSON(t, out.Output, `{"x":true}`)
	if len(out.Events) != 2 || out.Events[0] != EventChoiceStateEntered || out.Events[1] != EventChoiceStateExited {
		t.Errorf("got events %v, want [ChoiceStateEntered ChoiceStateExited]", out.Events)
	}
}

func TestMatchPattern(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"log-*.txt", "log-2024.txt", true},
		{"log-*.txt", "log-.txt", true},
		{"log-*.txt", "log.txt", false},
		{"*.*", "a.b", true},
		{"a*a", "a", false},
		{"a*a", "aa", true},
		{"**", "", true},
		{"", "", true},
		{"", "x", false},
		{`\*`, "*", true},
		{`\*`, "x", false},
		{`\\*`, `\abc`, true},
	}
	for _, tt := range tests {
		parts, err := compilePattern(tt.pattern)
		if err != nil {
			t.Fatalf("%q: %v", tt.pattern, err)
		}
		if got := matchPattern(parts, tt.s); got != tt.want {
			t.Errorf("%q ~ %q: got %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestPatternOpenEscape(t *testing.T) {
	for _, p := range []string{`a\b`, `a\`, `\\\`} {
		if _, err := compilePattern(p); err == nil {
			t.Errorf("%q: got nil, want an open escape error", p)
		}
	}
}

// TestTimestamps: a timestamp is RFC 3339's date-time with an uppercase T
// and, without an offset, an uppercase Z; anything else is not one, for
// IsTimestamp and in a Wait state's Timestamp.
func TestTimestamps(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want bool
	}{
		{"2016-03-14T01:59:00Z", true},
		{"2016-03-14T01:59:00.123456789Z", true},
		{"2016-03-14T01:59:00+05:30", true},
		{"2016-03-14T01:59:00.5-08:00", true},
		{"2016-03-14t01:59:00Z", false},
		{"2016-03-14T01:59:00z", false},
		{"2016-03-14T1:59:00Z", false},
		{"2016-03-14T01:59:00,5Z", false},
		{"2016-03-14T01:59:00.Z", false},
		{"2016-03-14T01:59:00", false},
		{"2016-03-14T01:59:00+0530", false},
		{"2016-03-14 01:59:00Z", false},
		{"2016-13-14T01:59:00Z", false}, // the right shape, no such month
		{"", false},
	} {
		m := mustParse(t, `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[
			{"Variable":"$.t","IsTimestamp":true,"Next":"Yes"}],"Default":"No"},"Yes":{"Type":"Succeed"},"No":{"Type":"Succeed"}}}`)
		res := runMachine(t, m, map[string]any{"t": tt.s}, echoTasks)
		if got := res.States[len(res.States)-1] == "Yes"; got != tt.want {
			t.Errorf("IsTimestamp %q: got %v, want %v", tt.s, got, tt.want)
		}
		_, err := Parse([]byte(`{"StartAt":"W","States":{"W":{"Type":"Wait","Timestamp":"` + tt.s + `","End":true}}}`))
		if (err == nil) != tt.want {
			t.Errorf("Wait with Timestamp %q: got %v, want accepted %v", tt.s, err, tt.want)
		}
	}
}
