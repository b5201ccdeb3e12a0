package asl

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// wantProblems parses def and checks that each want appears in the problem
// list as "state|field|message fragment".
func wantProblems(t *testing.T, def string, want ...string) {
	t.Helper()
	_, err := Parse([]byte(def))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("got %v, want a *ValidationError", err)
	}
	for _, w := range want {
		parts := strings.SplitN(w, "|", 3)
		found := false
		for _, p := range ve.Problems {
			if p.State == parts[0] && p.Field == parts[1] && strings.Contains(p.Message, parts[2]) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("got problems:\n%v\nwant one matching %q", err, w)
		}
	}
	if len(ve.Problems) != len(want) {
		t.Errorf("got %d problems:\n%v\nwant %d", len(ve.Problems), err, len(want))
	}
}

func TestValidationProblems(t *testing.T) {
	tests := []struct {
		name string
		def  string
		want []string
	}{
		{"not JSON", `{`, []string{"||not valid JSON"}},
		{"not an object", `[]`, []string{"||must be a JSON object"}},
		{"missing StartAt and States", `{}`, []string{"|StartAt|missing required field", "|States|missing required field"}},
		{"unknown StartAt", `{"StartAt":"B","States":{"A":{"Type":"Succeed"}}}`,
			[]string{"|StartAt|unknown state \"B\""}},
		{"unknown Next and unreachable", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Z"},"B":{"Type":"Succeed"}}}`,
			[]string{"A|Next|unknown state \"Z\"", "B||unreachable from \"A\""}},
		{"no terminal state", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"}}}`,
			[]string{"|States|no terminal state"}},
		{"Next and End", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"A","End":true}}}`,
			[]string{"A|Next|cannot be used together"}},
		{"neither Next nor End", `{"StartAt":"A","States":{"A":{"Type":"Pass"},"B":{"Type":"Succeed"}}}`,
			[]string{"A|Next|needs \"Next\" or \"End\"", "B||unreachable"}},
		{"End false", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":false},"B":{"Type":"Succeed"}}}`,
			[]string{"A|End|must be true", "B||unreachable"}},
		{"unknown and misplaced fields",
			`{"StartAt":"A","Foo":1,"States":{"A":{"Type":"Succeed","Next":"A","Resource":"x","Bar":2}}}`,
			[]string{"|Foo|unknown field", "A|Next|not allowed in a Succeed state", "A|Resource|not allowed in a Succeed state", "A|Bar|unknown field"}},
		{"unknown type", `{"StartAt":"A","States":{"A":{"Type":"Magic"}}}`, []string{"A|Type|unknown state type"}},
		{"missing Type", `{"StartAt":"A","States":{"A":{"End":true}}}`, []string{"A|Type|missing required field"}},
		{"bad paths",
			`{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"a.b","OutputPath":"$[","ResultPath":"$.a[*]","End":true}}}`,
			[]string{"A|InputPath|not a path", "A|OutputPath|not a valid path", "A|ResultPath|not a reference path"}},
		{"ResultPath into the context", `{"StartAt":"A","States":{"A":{"Type":"Pass","ResultPath":"$$.x","End":true}}}`,
			[]string{"A|ResultPath|context object"}},
		{"Parameters problems",
			`{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"a.$":1,"b.$":"x","c":{"d.$":"$["},"e":1,"e.$":"$"},"End":true}}}`,
			[]string{"A|Parameters.a.$|must be a path", "A|Parameters.b.$|not a path", "A|Parameters.c.d.$|not a valid path",
				"A|Parameters.e.$|more than once"}},
		{"Parameters not an object", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"r","Parameters":[1],"End":true}}}`,
			[]string{"A|Parameters|must be a JSON object"}},
		{"Task fields",
			`{"StartAt":"A","States":{"A":{"Type":"Task","TimeoutSeconds":0,"TimeoutSecondsPath":"$.t","HeartbeatSeconds":1.5,"End":true}}}`,
			[]string{"A|Resource|missing required field", "A|TimeoutSecondsPath|cannot be used together", "A|TimeoutSeconds|integer from 1",
				"A|HeartbeatSeconds|integer from 1"}},
		{"heartbeat not below timeout",
			`{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"r","TimeoutSeconds":10,"HeartbeatSeconds":10,"HeartbeatSecondsPath":"$.h","End":true}}}`,
			[]string{"A|HeartbeatSeconds|smaller than", "A|HeartbeatSecondsPath|cannot be used together"}},
		{"retry and catch",
			`{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"r","End":true,
			 "Retry":[{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["States.Nope","X"],"IntervalSeconds":0,"MaxAttempts":-1,"BackoffRate":0.5,"MaxDelaySeconds":0,"JitterStrategy":"SOME","Extra":1},{}],
			 "Catch":[{"ErrorEquals":["States.ALL","X"],"Next":"Z","ResultPath":"$.a[*]"},{"ErrorEquals":[]}]}}}`,
			[]string{"A|Retry[0].ErrorEquals|last element", "A|Retry[1].ErrorEquals[0]|unknown error name",
				"A|Retry[1].IntervalSeconds|integer from 1", "A|Retry[1].MaxAttempts|integer from 0", "A|Retry[1].BackoffRate|greater than or equal to 1.0",
				"A|Retry[1].MaxDelaySeconds|integer from 1", "A|Retry[1].JitterStrategy|FULL", "A|Retry[1].Extra|unknown field",
				"A|Retry[2].ErrorEquals|missing required field",
				"A|Catch[0].ErrorEquals|must appear alone", "A|Catch[0].ErrorEquals|last element", "A|Catch[0].ResultPath|not a reference path",
				"A|Catch[0].Next|unknown state \"Z\"", "A|Catch[1].ErrorEquals|non-empty array", "A|Catch[1].Next|missing required field"}},
		{"choice rules",
			`{"StartAt":"C","States":{"C":{"Type":"Choice","Default":"Nowhere","Choices":[
			 {"Variable":"$.a","StringEquals":1,"Next":"S"},
			 {"Variable":"$.a","Next":"S"},
			 {"StringEquals":"x","Next":"S"},
			 {"Variable":"$.a","NumericEquals":1,"BooleanEquals":true,"Next":"S"},
			 {"And":[],"Next":"S"},
			 {"Not":{"Variable":"$.a","IsNull":true,"Next":"S"},"Next":"S"},
			 {"Variable":"$.a","TimestampEquals":"2016-03-14 01:59:00","Next":"S"},
			 {"Variable":"$.a","StringEqualsPath":"nope","Next":"S"},
			 {"Variable":"$.a","IsPresent":"yes","Next":"S"},
			 {"Variable":"$.a","StringEquals":"x"},
			 {"Variable":"$.a","Magic":1,"Next":"S"},
			 {"Or":[{"Variable":"$.a","NumericEquals":"1"}],"Variable":"$.a","Next":"S"},
			 {"Variable":"$.a","StringMatches":"a\\b","Next":"S"}]},"S":{"Type":"Succeed"}}}`,
			[]string{"C|Default|unknown state \"Nowhere\"", "C|Choices[0].StringEquals|must be a string",
				"C|Choices[1]|exactly one comparison operator", "C|Choices[2].Variable|needs a \"Variable\"",
				"C|Choices[3]|exactly one comparison operator", "C|Choices[4].And|non-empty array",
				"C|Choices[5].Not.Next|only allowed in the top-level", "C|Choices[6].TimestampEquals|RFC 3339",
				"C|Choices[7].StringEqualsPath|not a path", "C|Choices[8].IsPresent|must be a boolean",
				"C|Choices[9].Next|missing required field", "C|Choices[10].Magic|unknown field",
				"C|Choices[10]|exactly one comparison operator",
				"C|Choices[11].Or[0].NumericEquals|must be a number", "C|Choices[11].Variable|not allowed with \"Or\"",
				"C|Choices[12].StringMatches|open escape"}},
		{"empty choices", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[]},"S":{"Type":"Succeed"}}}`,
			[]string{"C|Choices|non-empty array", "S||unreachable"}},
		{"wait fields", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":-1,"Timestamp":"soon","End":true}}}`,
			[]string{"W||exactly one of", "W|Seconds|integer from 0", "W|Timestamp|not an RFC 3339 timestamp"}},
		{"wait without a time", `{"StartAt":"W","States":{"W":{"Type":"Wait","End":true}}}`, []string{"W||exactly one of"}},
		{"fail fields", `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","ErrorPath":"$.e","CausePath":"$.c[*]"}}}`,
			[]string{"F|ErrorPath|cannot be used together", "F|CausePath|not a reference path"}},
		{"parallel branches",
			`{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
			 {"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Out"}}},
			 {"StartAt":"B","States":{"B":{"Type":"Succeed"},"C":{"Type":"Succeed"}}},
			 {"States":{}},"x"]},"Out":{"Type":"Succeed"}}}`,
			[]string{"P/Branches[0]/A|Next|unknown state \"Out\"", "P/Branches[0]|States|no terminal state",
				"P/Branches[1]/C||unreachable", "P/Branches[2]|StartAt|missing required field", "P/Branches[2]|States|at least one state",
				"P|Branches[3]|must be a state machine object", "Out||unreachable"}},
		{"no branches", `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true}}}`, []string{"P|Branches|missing required field"}},
		{"map fields",
			`{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"ItemsPath":"$..x","MaxConcurrency":-1,"MaxConcurrencyPath":"$.c",
			 "ItemSelector":{},"Parameters":{},"ItemReader":{},
			 "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}},
			 "Iterator":{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}}}}`,
			[]string{"M|Iterator|cannot be used together", "M|Parameters|cannot be used together", "M|MaxConcurrencyPath|cannot be used together",
				"M|ItemsPath|not a reference path", "M|MaxConcurrency|integer from 0", "M|ItemReader|not supported",
				"M|ItemProcessor.ProcessorConfig.Mode|only \"INLINE\"", "M|ItemProcessor.ProcessorConfig.ExecutionType|DISTRIBUTED",
				"M/ItemProcessor/A|Next|unknown state \"B\"", "M/ItemProcessor|States|no terminal state"}},
		{"map without processor", `{"StartAt":"M","States":{"M":{"Type":"Map","End":true}}}`, []string{"M|ItemProcessor|missing required field"}},
		{"nested map in parallel",
			`{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"M","States":{"M":{"Type":"Map","End":true,
			 "ItemProcessor":{"StartAt":"X","States":{"X":{"Type":"Task","End":true}}}}}}]}}}`,
			[]string{"P/Branches[0]/M/ItemProcessor/X|Resource|missing required field"}},
		{"long state name and JSONata", `{"StartAt":"A","QueryLanguage":"JSONata","States":{"A":{"Type":"Pass","End":true,"Assign":{}},"` +
			strings.Repeat("n", 81) + `":{"Type":"Succeed"}}}`,
			[]string{"|QueryLanguage|only \"JSONPath\"", "A|Assign|not supported", strings.Repeat("n", 81) + "||1 to 80 characters",
				strings.Repeat("n", 81) + "||unreachable"}},
		{"top-level fields", `{"StartAt":"A","TimeoutSeconds":0,"Comment":1,"States":{"A":{"Type":"Succeed"}}}`,
			[]string{"|TimeoutSeconds|integer from 1", "|Comment|must be a string"}},
		{"duplicate keys", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true},"A":{"Type":"Succeed","Comment":"x","Comment":"y"}},"StartAt":"A"}`,
			[]string{"||duplicate field \"A\" in States", "||duplicate field \"Comment\" in States.A", "||duplicate field \"StartAt\" in the top-level object"}},
		{"duplicate keys in arrays", `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"A","States":{"A":{"Type":"Succeed"}}},
			{"StartAt":"B","StartAt":"B","States":{"B":{"Type":"Succeed"}}}]}}}`,
			[]string{"||duplicate field \"StartAt\" in States.P.Branches[1]"}},
		{"names unique across branches", `{"StartAt":"A","States":{"A":{"Type":"Parallel","End":true,"Branches":[
			{"StartAt":"B","States":{"B":{"Type":"Succeed"}}},{"StartAt":"B","States":{"B":{"Type":"Succeed"}}},
			{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}]}}}`,
			[]string{"A/Branches[1]/B||also used by \"A/Branches[0]/B\"", "A/Branches[2]/A||also used by \"A\""}},
		{"empty names", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":""},"C":{"Type":"Choice","Default":"","Choices":[{"Variable":"$","IsNull":true,"Next":""}]}}}`,
			[]string{"A|Next|must name a state", "C|Default|must name a state", "C|Choices[0].Next|must be a state name",
				"|States|no terminal state", "C||unreachable"}},
		{"state not an object", `{"StartAt":"A","States":{"A":[]}}`, []string{"A||must be a JSON object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantProblems(t, tt.def, tt.want...)
		})
	}
}

func TestValidationErrorMessage(t *testing.T) {
	_, err := Parse([]byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Z"},"B":{"Type":"Succeed"}}}`))
	want := "invalid state machine definition: 2 problems:\n" +
		"- state \"A\": field \"Next\": unknown state \"Z\"\n" +
		"- state \"B\": unreachable from \"A\""
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestValidDefinitions(t *testing.T) {
	for _, def := range []string{specChoice, specRetry, specCatch, specMap,
		`{"StartAt":"A","Version":"1.0","QueryLanguage":"JSONPath","States":{"A":{"Type":"Task","Resource":"r","Credentials":{},"End":true,
		  "Retry":[{"ErrorEquals":["States.Timeout","X"],"Comment":"c","MaxDelaySeconds":10,"JitterStrategy":"FULL","BackoffRate":1}],
		  "Catch":[{"ErrorEquals":["States.TaskFailed"],"Next":"A","ResultPath":null,"Comment":"c"}]}}}`,
	} {
		if _, err := Parse([]byte(def)); err != nil {
			t.Errorf("got %v, want a valid definition:\n%s", err, def)
		}
	}
}

func TestMachineFields(t *testing.T) {
	m := mustParse(t, `{"Comment":"c","Version":"1.0","TimeoutSeconds":60,"StartAt":"T","States":{
	 "T":{"Type":"Task","Resource":"r","Comment":"task","Next":"P",
	  "Retry":[{"ErrorEquals":["E"]},{"ErrorEquals":["F"],"IntervalSeconds":2,"MaxAttempts":5,"BackoffRate":1.5,"MaxDelaySeconds":9,"JitterStrategy":"FULL"}],
	  "Catch":[{"ErrorEquals":["States.ALL"],"Next":"P"}]},
	 "P":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"M","States":{"M":{"Type":"Map","End":true,
	  "ItemProcessor":{"StartAt":"S","States":{"S":{"Type":"Succeed"}}}}}}]}}}`)
	if m.Comment != "c" || m.Version != "1.0" || m.TimeoutSeconds != 60 || m.StartAt != "T" || m.Location != "" {
		t.Errorf("got %+v, want the top-level fields", m)
	}
	task := m.States["T"]
	if task.Name != "T" || task.Type != TypeTask || task.Resource != "r" || task.Comment != "task" || task.Next != "P" || task.End {
		t.Errorf("got %+v, want the task's fields", task)
	}
	want := []*Retrier{
		{ErrorEquals: []string{"E"}, IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: "NONE"},
		{ErrorEquals: []string{"F"}, IntervalSeconds: 2, MaxAttempts: 5, BackoffRate: 1.5, MaxDelaySeconds: 9, JitterStrategy: "FULL"},
	}
	if !reflect.DeepEqual(task.Retry(), want) {
		t.Errorf("got %+v, want %+v", task.Retry(), want)
	}
	if c := task.Catch(); len(c) != 1 || c[0].Next != "P" || c[0].ErrorEquals[0] != ErrAll {
		t.Errorf("got %+v, want one catcher to P", c)
	}
	branch := m.States["P"].Branches[0]
	if branch.Location != "P/Branches[0]" || branch.States["M"].Processor.Location != "P/Branches[0]/M/ItemProcessor" {
		t.Errorf("got %q and %q, want the nested locations", branch.Location, branch.States["M"].Processor.Location)
	}
}

func TestErrorStrings(t *testing.T) {
	tests := []struct{ got, want string }{
		{(&StateError{Name: "E", Cause: "c"}).Error(), "E: c"},
		{(&StateError{Name: "E"}).Error(), "E"},
		{Goto.String(), "Goto"},
		{RetryAfter.String(), "RetryAfter"},
		{Kind(99).String(), "Kind(?)"},
		{Problem{Message: "m"}.String(), "m"},
		{Problem{State: "S", Field: "F", Message: "m"}.String(), `state "S": field "F": m`},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
