package jsonvalue_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/workflow/asl/jsonvalue"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    any
		wantErr string
	}{
		{in: `{"a":[1,2.5,"x",true,null]}`, want: map[string]any{"a": []any{int64(1), 2.5, "x", true, nil}}},
		{in: `123456789012345678901234567890`, want: 1.2345678901234568e29},
		// a character beyond the Basic Multilingual Plane, escaped as a
		// surrogate pair (RFC 8259 §7), in either case, with numbers beside it
		{in: `{"face":"\ud83d\ude00","n":[7,1.5,123456789012345678901234567890]}`,
			want: map[string]any{"face": "\U0001F600", "n": []any{int64(7), 1.5, 1.2345678901234568e29}}},
		{in: `"\uD800\uDF46 and \u00e9"`, want: "\U00010346 and é"},
		// integers of 19 digits that fit int64 stay exact
		{in: `[9223372036854775806,-9223372036854775808,1000000000000000001]`,
			want: []any{int64(9223372036854775806), int64(-9223372036854775808), int64(1000000000000000001)}},
		{in: `9223372036854775808`, want: 9.223372036854775808e18},
		{in: `{"a":}`, wantErr: "invalid character"},
		{in: `1e999`, wantErr: "out of range"},
		{in: `["\ud83d\ude00",1e999]`, wantErr: "out of range"},
		{in: "\"\xff\"", wantErr: "UTF-8"},
		{in: `{"a":1} {"b":2}`, wantErr: "invalid character"},
	}
	for _, tt := range tests {
		got, err := jsonvalue.Parse([]byte(tt.in))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%s): got %v, %v; want an error with %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%s): got %#v, %v; want %#v", tt.in, got, err, tt.want)
		}
	}
}

func TestCompareNumbers(t *testing.T) {
	const two53 = 1 << 53
	tests := []struct {
		a, b   any
		want   int
		wantOK bool
	}{
		{int64(1), int64(2), -1, true},
		{int64(2), 2.0, 0, true},
		{2.5, int64(2), 1, true},
		{int64(-3), -2.5, -1, true},
		{int64(two53 + 1), float64(two53), 1, true},
		{float64(two53), int64(two53 + 1), -1, true},
		{int64(-two53 - 1), -float64(two53), -1, true},
		{int64(9223372036854775807), 9223372036854775807.0, -1, true}, // the float is 2^63
		{int64(-9223372036854775808), -9223372036854775808.0, 0, true},
		{int64(-9223372036854775808), -1e19, 1, true},
		{1.5, 1.25, 1, true},
		{7, int64(7), 0, true},
		{int64(1), "1", 0, false},
		{nil, 1.0, 0, false},
	}
	for _, tt := range tests {
		got, ok := jsonvalue.CompareNumbers(tt.a, tt.b)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("CompareNumbers(%v, %v): got %d, %v, want %d, %v", tt.a, tt.b, got, ok, tt.want, tt.wantOK)
		}
	}
}
