package intrinsic

import (
	"fmt"
	"strings"
	"testing"
)

func TestEncodingFunctions(t *testing.T) {
	data := `{"Data":"input data","Algorithm":"SHA-1"}`
	runEvalCases(t, []evalCase{
		// The developer guide's examples. Its SHA-1 value,
		// aaff4a450a104cd177d28d18d7485e8cae074b7, has lost a digit: this
		// is the digest of "input data".
		{"Base64Encode doc", `{"input":"Data to encode"}`, "States.Base64Encode($.input)", `"RGF0YSB0byBlbmNvZGU="`},
		{"Base64Decode doc", `{"base64":"RGF0YSB0byBlbmNvZGU="}`, "States.Base64Decode($.base64)", `"Data to encode"`},
		{"Hash doc", data, "States.Hash($.Data, $.Algorithm)", `"aaff4a450a104cd177d28d18d74485e8cae074b7"`},

		{"Hash MD5", data, "States.Hash($.Data, 'MD5')", `"812f45842bc6d66ee14572ce20db8e86"`},
		{"Hash SHA-256", data, "States.Hash($.Data, 'SHA-256')", `"b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3"`},
		{"Hash SHA-384", data, "States.Hash($.Data, 'SHA-384')", `"d28a7d5cf25a74f11a50a18452b75e04bb3d70c9dd0510d6123aa008c756511b87525bdc835ebb27e1fb9e9374a15562"`},
		{"Hash SHA-512", data, "States.Hash($.Data, 'SHA-512')", `"6ce4adb348546d4f449c4d25aad9a7c9cb711d9e91982d3f0b29ca2f3f47d4ce2deba23bf2954f0f1d593fc50283731a533d30d425402d4f91316d871303aac4"`},
		{"Hash UTF-8", "", "States.Hash('héllo', 'SHA-256')", `"3c48591d8d098a4538f5e013dfcf406e948eac4d3277b10bf614e295d6068179"`},
		{"Base64Encode UTF-8", "", "States.Base64Encode('héllo')", `"aMOpbGxv"`},
		{"Base64Encode empty", "", "States.Base64Encode('')", `""`},
		{"Base64Decode unpadded", "", "States.Base64Decode('RGF0YSB0byBlbmNvZGU')", `"Data to encode"`},
		{"Base64Decode line breaks", `{"b":"RGF0YSB0\r\nbyBlbmNvZGU="}`, "States.Base64Decode($.b)", `"Data to encode"`},
		{"Base64Decode invalid UTF-8", "", "States.Base64Decode('/w==')", `"\ufffd"`},
		{"Base64 round trip", "", "States.Base64Decode(States.Base64Encode('a\\'b\\{c\\}'))", `"a'b{c}"`},
		{"Base64Encode at the limit", fmt.Sprintf(`{"s":%q}`, strings.Repeat("é", 10000)), "States.Base64Encode($.s)", `"` + base64Std(strings.Repeat("é", 10000)) + `"`},
	})
}

func TestEncodingFunctionsFail(t *testing.T) {
	long := fmt.Sprintf(`{"s":%q}`, strings.Repeat("a", 10001))
	runFailCases(t, []failCase{
		{"Base64Encode too long", long, "States.Base64Encode($.s)", "argument 1 (string) must be at most 10000 characters long, got 10001"},
		{"Base64Decode too long", long, "States.Base64Decode($.s)", "at most 10000 characters"},
		{"Hash too long", long, "States.Hash($.s, 'MD5')", "argument 1 (data) must be at most 10000 characters"},
		{"Base64Encode not string", `{"s":1}`, "States.Base64Encode($.s)", "must be a string, got number 1"},
		{"Base64Decode invalid", `{"s":"a*b"}`, "States.Base64Decode($.s)", "States.Base64Decode: the string is not valid Base64"},
		{"Hash unknown algorithm", `{"a":"sha-256"}`, "States.Hash('x', $.a)", `argument 2 (algorithm) must be 'MD5', 'SHA-1', 'SHA-256', 'SHA-384' or 'SHA-512', got "sha-256"`},
		{"Hash not string", `{"d":{"a":1}}`, "States.Hash($.d, 'MD5')", "argument 1 (data) must be a string, got object"},
	})
}

func TestEncodingFunctionsParseErrors(t *testing.T) {
	runParseErrCases(t, []parseErrCase{
		{"States.Hash('x', 'SHA-3')", 17, "argument 2 (algorithm) of States.Hash must be 'MD5', 'SHA-1', 'SHA-256', 'SHA-384' or 'SHA-512'"},
		{"States.Hash('x')", 0, "States.Hash takes 2 arguments, got 1"},
		{"States.Hash(1, 'MD5')", 12, "must be a string, got number 1"},
		{"States.Base64Encode(null)", 20, "must be a string, got null"},
		{"States.Base64Decode()", 0, "takes 1 argument, got 0"},
		{"States.Base64Encode('" + strings.Repeat("a", 10001) + "')", 20, "at most 10000 characters"},
	})
}
