package asl

import (
	"testing"
)

// benchDefinition loops through Pass and Choice states: a counter is
// incremented by a Pass state's ResultPath-free transition and tested by a
// Choice state.
const benchDefinition = `{"StartAt":"Start","States":{
 "Start":{"Type":"Pass","Next":"Route"},
 "Route":{"Type":"Choice","Choices":[
   {"Variable":"$.kind","StringEquals":"loop","Next":"Shape"},
   {"And":[{"Variable":"$.n","NumericGreaterThan":100},{"Variable":"$.flag","BooleanEquals":true}],"Next":"Done"}],
   "Default":"Shape"},
 "Shape":{"Type":"Pass","InputPath":"$","ResultPath":"$.last","Result":{"ok":true},"Next":"Start"},
 "Done":{"Type":"Succeed"}}}`

// BenchmarkPassChoiceTransitions measures Pass and Choice transitions per
// second on one core; each iteration is one transition.
func BenchmarkPassChoiceTransitions(b *testing.B) {
	m := mustParse(b, benchDefinition)
	input := mustJSON(b, `{"kind":"loop","n":1,"flag":false,"payload":{"a":[1,2,3],"b":"text"}}`)
	ctx := &Context{Now: testNow}
	name, in := m.StartAt, input
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := m.Enter(name, in, ctx)
		if err != nil || out.Kind != Goto {
			b.Fatalf("got %v %v %s, want Goto", out.Kind, err, out.Cause)
		}
		name, in = out.Next, out.Output
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "transitions/s")
}

// BenchmarkParse measures parsing and validating a small definition.
func BenchmarkParse(b *testing.B) {
	def := []byte(specMap)
	for i := 0; i < b.N; i++ {
		if _, err := Parse(def); err != nil {
			b.Fatal(err)
		}
	}
}
