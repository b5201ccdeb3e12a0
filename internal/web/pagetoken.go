package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/meshgate/meshgate/internal/mesh"
)

// PageTokens makes opaque, tamper-checked pagination tokens: the cursor as
// JSON, signed with HMAC-SHA256 under a key the store keeps, so that every
// replica accepts every other's tokens.
type PageTokens struct{ key []byte }

// NewPageTokens returns a token codec with the given secret key.
func NewPageTokens(key []byte) *PageTokens { return &PageTokens{key: key} }

// Encode returns the token for cursor, or "" for a nil cursor.
func (p *PageTokens) Encode(cursor any) string {
	if cursor == nil {
		return ""
	}
	b, err := json.Marshal(cursor)
	if err != nil {
		panic("page token: " + err.Error()) // cursors are plain structs
	}
	return base64.RawURLEncoding.EncodeToString(b) + "." + base64.RawURLEncoding.EncodeToString(p.sign(b))
}

// Decode checks token and reads its cursor into v. A malformed or altered
// token is EINVALID naming field.
func (p *PageTokens) Decode(field, token string, v any) error {
	bad := mesh.Invalid(field, "malformed or altered page token")
	payload, sig, ok := strings.Cut(token, ".")
	if !ok {
		return bad
	}
	b, err1 := base64.RawURLEncoding.DecodeString(payload)
	s, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil || !hmac.Equal(s, p.sign(b)) {
		return bad
	}
	if err := json.Unmarshal(b, v); err != nil {
		return bad
	}
	return nil
}

func (p *PageTokens) sign(b []byte) []byte {
	m := hmac.New(sha256.New, p.key)
	m.Write(b)
	return m.Sum(nil)
}
