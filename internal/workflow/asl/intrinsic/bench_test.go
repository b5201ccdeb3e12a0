package intrinsic

import (
	"math/rand/v2"
	"testing"
)

const benchExpr = "States.Format('{} has {} items: {}', $.name, States.ArrayLength($.items), States.JsonToString(States.ArrayUnique($.items)))"

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(benchExpr); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEval(b *testing.B) {
	c := mustParse(b, benchExpr)
	res := resolverFor(b, `{"name":"orders","items":[1,2,2,"a",{"k":[1]},"a"]}`, "")
	rnd := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.EvalWith(res, rnd); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvalSimple(b *testing.B) {
	c := mustParse(b, "States.Format('Hello, {}!', $.name)")
	name := "Arnav"
	res := func(string) (any, error) { return name, nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Eval(res); err != nil {
			b.Fatal(err)
		}
	}
}
