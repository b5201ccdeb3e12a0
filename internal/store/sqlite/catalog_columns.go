package sqlite

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/meshgate/meshgate/internal/mesh"
)

// decodeColumns decodes a table's columns, stored as the JSON array
// encoding/json writes for []mesh.Column. Reading a table is mostly this
// decoding, so the common shape is scanned directly, several times faster
// than reflection; anything else (escaped strings, unknown keys) falls back
// to encoding/json, so the result is always what json.Unmarshal gives.
func decodeColumns(s string) ([]mesh.Column, error) {
	if cols, ok := scanColumns(s); ok {
		return cols, nil
	}
	var cols []mesh.Column
	if err := json.Unmarshal([]byte(s), &cols); err != nil {
		return nil, err
	}
	return cols, nil
}

// columnScanner reads the JSON of a column array without escapes.
type columnScanner struct {
	s string
	i int
}

func (p *columnScanner) next(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a string without escapes; ok is false for anything else.
func (p *columnScanner) str() (string, bool) {
	if !p.next('"') {
		return "", false
	}
	j := strings.IndexByte(p.s[p.i:], '"')
	if j < 0 {
		return "", false
	}
	v := p.s[p.i : p.i+j]
	for k := 0; k < len(v); k++ {
		if v[k] == '\\' || v[k] < 0x20 {
			return "", false
		}
	}
	if !utf8.ValidString(v) {
		return "", false
	}
	p.i += j + 1
	return v, true
}

func (p *columnScanner) params() (map[string]string, bool) {
	if !p.next('{') {
		return nil, false
	}
	m := map[string]string{}
	if p.next('}') {
		return m, true
	}
	for {
		k, ok := p.str()
		if !ok || !p.next(':') {
			return nil, false
		}
		v, ok := p.str()
		if !ok {
			return nil, false
		}
		m[k] = v
		if p.next('}') {
			return m, true
		}
		if !p.next(',') {
			return nil, false
		}
	}
}

func scanColumns(s string) ([]mesh.Column, bool) {
	p := &columnScanner{s: s}
	if !p.next('[') {
		return nil, false
	}
	cols := make([]mesh.Column, 0, strings.Count(s, `"name":`))
	if p.next(']') {
		return cols, p.i == len(s)
	}
	for {
		if !p.next('{') {
			return nil, false
		}
		var c mesh.Column
		for closed := p.next('}'); !closed; {
			k, ok := p.str()
			if !ok || !p.next(':') {
				return nil, false
			}
			switch k {
			case "name":
				c.Name, ok = p.str()
			case "type":
				c.Type, ok = p.str()
			case "comment":
				c.Comment, ok = p.str()
			case "parameters":
				c.Parameters, ok = p.params()
			default:
				return nil, false
			}
			if !ok {
				return nil, false
			}
			if closed = p.next('}'); !closed && !p.next(',') {
				return nil, false
			}
		}
		cols = append(cols, c)
		if p.next(']') {
			return cols, p.i == len(s)
		}
		if !p.next(',') {
			return nil, false
		}
	}
}
