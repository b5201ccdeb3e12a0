package asl

import (
	"testing"

	"github.com/ohler55/ojg"
	"github.com/ohler55/ojg/oj"
)

// ojSorted is how MarshalJSON rendered values before it wrote them itself:
// its bytes must not change, since stored histories and outputs compare by
// them.
var ojSorted = ojg.Options{Sort: true, HTMLUnsafe: true}

// TestMarshalJSONAsOJ: MarshalJSON writes the bytes oj's sorted writer
// writes, for every kind of value and string the tree holds.
func TestMarshalJSONAsOJ(t *testing.T) {
	for _, doc := range []string{
		`{"b":1,"a":[1,2.5,-0.0,1e21,1e-7,123456789012345678901234567890,0.1,-3],"c":{"z":null,"y":true,"x":false}}`,
		`"\u0000\u001f<>&'\"\\\/ é \u2028\u2029 \ud83d\ude00"`,
		`{"":{"":""},"é":1,"e":2,"E":3,"aa":4,"a":5}`,
		`[[[]],{},[{}],""]`,
		`{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17}`,
		sampleDetails,
	} {
		v, err := ParseJSON([]byte(doc))
		if err != nil {
			t.Fatalf("parse %s: %v", doc, err)
		}
		got, err := MarshalJSON(v)
		if err != nil {
			t.Fatalf("marshal %s: %v", doc, err)
		}
		if want := oj.JSON(v, &ojSorted); string(got) != want {
			t.Errorf("marshal %s:\n got %s\nwant %s", doc, got, want)
		}
	}
	// what ParseJSON never returns but callers build: int, invalid UTF-8
	v := map[string]any{"n": 7, "s": "a\xffb"}
	got, err := MarshalJSON(v)
	if want := oj.JSON(v, &ojSorted); err != nil || string(got) != want {
		t.Errorf("marshal %#v: got %s, %v; want %s", v, got, err, want)
	}
}

// sampleDetails is the shape of a history event's details in the
// data-sharing workflow.
const sampleDetails = `{"name":"NoPIIShareCatalogItem","input":{"request_id":1234,"source":{"database":"sales","table":"orders"},
"target":{"account_id":"222233334444"},"requester":"222233334444/ann","justification":"quarterly report",
"permissions":["SELECT","DESCRIBE"],"catalog":{"data_owner":"111122223333","has_pii":false,"pii_columns":[]}},
"inputDetails":{"truncated":false}}`

func BenchmarkMarshalJSON(b *testing.B) {
	v, err := ParseJSON([]byte(sampleDetails))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("meshgate", func(b *testing.B) {
		for b.Loop() {
			if _, err := MarshalJSON(v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("oj-sorted", func(b *testing.B) {
		for b.Loop() {
			_ = oj.JSON(v, &ojSorted)
		}
	})
}
