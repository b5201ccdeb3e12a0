package sqlite

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
)

func TestDecodeColumns(t *testing.T) {
	tests := []struct {
		name string
		in   string
		fast bool // whether the direct scan reads it (else encoding/json does)
	}{
		{"empty", `[]`, true},
		{"plain", `[{"name":"id","type":"bigint"},{"name":"email","type":"string","comment":"contact","parameters":{"pii_flag":"true","x":""}}]`, true},
		{"empty parameters", `[{"name":"a","type":"int","parameters":{}}]`, true},
		{"types as the store writes them", `[{"name":"a","type":"array<struct<b:int,c:string>>"}]`, true},
		{"unicode", `[{"name":"a","type":"int","comment":"größe 🙂"}]`, true},
		{"escaped", `[{"name":"a","type":"int","comment":"say \"hi\" \u003cb\u003e"}]`, false},
		{"unknown key", `[{"name":"a","type":"int","extra":1}]`, false},
		{"spaces", `[ {"name": "a", "type": "int"} ]`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []mesh.Column
			if err := json.Unmarshal([]byte(tt.in), &want); err != nil {
				t.Fatal(err)
			}
			got, err := decodeColumns(tt.in)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("got %#v, %v; want %#v", got, err, want)
			}
			if _, ok := scanColumns(tt.in); ok != tt.fast {
				t.Errorf("direct scan: got %v, want %v", ok, tt.fast)
			}
		})
	}
	for _, bad := range []string{`[`, `[{"name":"a"`, `[{"name":"a"},]`, `{}`, `[{"name":"a"}] x`} {
		if _, err := decodeColumns(bad); err == nil {
			t.Errorf("%s: got no error, want one", bad)
		}
	}
}

// FuzzDecodeColumns checks the direct scan agrees with encoding/json.
func FuzzDecodeColumns(f *testing.F) {
	f.Add(`[{"name":"id","type":"bigint","parameters":{"pii_flag":"true"}}]`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := scanColumns(s)
		if !ok {
			return
		}
		var want []mesh.Column
		if err := json.Unmarshal([]byte(s), &want); err != nil {
			t.Fatalf("scan read %q, encoding/json rejects it: %v", s, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: got %#v, want %#v", s, got, want)
		}
	})
}

func TestUnmarshalMap(t *testing.T) {
	for _, in := range []string{`{"a":"1","data_owner":"111122223333"}`, `{"a":"say \"x\""}`, `{"k":""}`} {
		var want, got map[string]string
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatal(err)
		}
		if err := unmarshalMap(in, &got); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %v, %v; want %v", in, got, err, want)
		}
	}
	var m map[string]string
	if err := unmarshalMap(`{"a":`, &m); err == nil {
		t.Error("truncated map: got no error, want one")
	}
}
