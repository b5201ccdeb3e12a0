package intrinsic

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
)

func init() {
	register(
		&function{name: "States.Base64Encode", min: 1, max: 1, result: tString,
			params: []param{{name: "string", types: tString, conv: toLimitedString}},
			eval:   evalBase64Encode},
		&function{name: "States.Base64Decode", min: 1, max: 1, result: tString,
			params: []param{{name: "string", types: tString, conv: toLimitedString}},
			eval:   evalBase64Decode},
		&function{name: "States.Hash", min: 2, max: 2, result: tString,
			params: []param{
				{name: "data", types: tString, conv: toLimitedString},
				{name: "algorithm", types: tString, conv: toHashAlgorithm},
			},
			eval: evalHash},
	)
}

// hashAlgorithms are the algorithms States.Hash accepts, by name.
var hashAlgorithms = map[string]func() hash.Hash{
	"MD5":     md5.New,
	"SHA-1":   sha1.New,
	"SHA-256": sha256.New,
	"SHA-384": sha512.New384,
	"SHA-512": sha512.New,
}

var hashAlgorithmNames = []string{"MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512"}

func toHashAlgorithm(v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("must be a string, got %s", describe(v))
	}
	if _, ok := hashAlgorithms[s]; !ok {
		return nil, fmt.Errorf("must be %s, got %q", quoteList(hashAlgorithmNames), s)
	}
	return s, nil
}

// evalBase64Encode encodes a string's UTF-8 bytes in standard, padded
// Base64.
func evalBase64Encode(_ *evaluator, _ *Call, args []any) (any, error) {
	return base64.StdEncoding.EncodeToString([]byte(args[0].(string))), nil
}

// evalBase64Decode decodes standard Base64, padded or not; line breaks are
// ignored, as a MIME decoder does. Bytes that are not UTF-8 become U+FFFD.
func evalBase64Decode(_ *evaluator, c *Call, args []any) (any, error) {
	s := strings.NewReplacer("\r", "", "\n", "").Replace(args[0].(string))
	s = strings.TrimRight(s, "=")
	b, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		return nil, failf("%s: the string is not valid Base64: %v", c.Name, err)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), nil
}

// evalHash returns the lowercase hexadecimal digest of a string's UTF-8
// bytes.
func evalHash(_ *evaluator, _ *Call, args []any) (any, error) {
	h := hashAlgorithms[args[1].(string)]()
	h.Write([]byte(args[0].(string)))
	return hex.EncodeToString(h.Sum(nil)), nil
}
