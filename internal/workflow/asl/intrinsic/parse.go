package intrinsic

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Parse parses an intrinsic function expression such as
// "States.Format('Hello, {}!', $.name)" and checks it fully: syntax,
// function names, argument counts, the types and values of literal
// arguments, States.Format's placeholder count and the nesting limit. Paths
// are checked only for their outline (they begin with $ and their brackets
// and quotes balance); their meaning is the resolver's. The error is a
// *ParseError.
func Parse(expr string) (*Call, error) {
	p := &parser{src: expr}
	if !IsIntrinsic(expr) {
		return nil, p.errorf(0, "an intrinsic function begins with \"States.\"")
	}
	c, err := p.call(1)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(p.src) {
		return nil, p.errorf(p.pos, "unexpected %s after the end of the call", p.near())
	}
	return c, nil
}

// parser is a recursive-descent parser over the expression's bytes.
type parser struct {
	src string
	pos int
}

func (p *parser) errorf(pos int, format string, args ...any) *ParseError {
	return &ParseError{Expr: p.src, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// near describes the text at the current position for error messages.
func (p *parser) near() string {
	if p.pos >= len(p.src) {
		return "end of input"
	}
	rest := p.src[p.pos:]
	if len(rest) > 12 {
		rest = rest[:12] + "…"
	}
	return strconv.Quote(rest)
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_'
}

// call parses Name(args…) at depth (1 for the outermost call).
func (p *parser) call(depth int) (*Call, error) {
	start := p.pos
	if depth > MaxDepth {
		return nil, p.errorf(start, "intrinsic functions nest more than %d deep", MaxDepth)
	}
	for p.pos < len(p.src) && isNameByte(p.src[p.pos]) {
		p.pos++
	}
	name := p.src[start:p.pos]
	if name == "" {
		return nil, p.errorf(start, "expected an intrinsic function name, found %s", p.near())
	}
	fn := functions[name]
	if fn == nil {
		if !strings.HasPrefix(name, "States.") {
			return nil, p.errorf(start, "unknown intrinsic function %q: intrinsic function names begin with \"States.\"", name)
		}
		return nil, p.errorf(start, "unknown intrinsic function %q", name)
	}
	if p.pos >= len(p.src) || p.src[p.pos] != '(' {
		return nil, p.errorf(p.pos, "expected '(' right after %s, found %s", name, p.near())
	}
	open := p.pos
	p.pos++
	c := &Call{Name: name, Pos: start, fn: fn}
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == ')' {
		p.pos++
	} else {
		for {
			a, err := p.arg(depth)
			if err != nil {
				return nil, err
			}
			c.Args = append(c.Args, a)
			p.skipSpace()
			if p.pos >= len(p.src) {
				return nil, p.errorf(open, "%s( is never closed", name)
			}
			if p.src[p.pos] == ',' {
				p.pos++
				p.skipSpace()
				continue
			}
			if p.src[p.pos] == ')' {
				p.pos++
				break
			}
			hint := ""
			if a.Kind == ArgString {
				hint = ` (write \' for a quote inside a string)`
			}
			return nil, p.errorf(p.pos, "expected ',' or ')' in the arguments of %s, found %s%s", name, p.near(), hint)
		}
	}
	if err := p.check(c); err != nil {
		return nil, err
	}
	return c, nil
}

// check applies the function's static rules to a parsed call.
func (p *parser) check(c *Call) *ParseError {
	fn := c.fn
	n := len(c.Args)
	if n < fn.min || (fn.max >= 0 && n > fn.max) {
		return p.errorf(c.Pos, "%s takes %s, got %d", c.Name, fn.arity(), n)
	}
	for i := range c.Args {
		a := &c.Args[i]
		pr := fn.param(i)
		if a.Kind == ArgCall {
			if r := a.Call.fn.result; pr.types != tAny && r != tAny && r&pr.types == 0 {
				return p.errorf(a.Pos, "argument %d (%s) of %s must be %v, but %s returns %v", i+1, pr.name, c.Name, pr.types, a.Call.Name, r)
			}
			continue
		}
		if a.Kind == ArgPath {
			continue
		}
		if pr.noLiteral {
			return p.errorf(a.Pos, "argument %d (%s) of %s must be a path or an intrinsic function, not a literal", i+1, pr.name, c.Name)
		}
		if pr.conv != nil {
			if _, err := pr.conv(a.Value); err != nil {
				return p.errorf(a.Pos, "argument %d (%s) of %s %v", i+1, pr.name, c.Name, err)
			}
		}
	}
	if fn.check != nil {
		if pos, msg := fn.check(c); msg != "" {
			return p.errorf(pos, "%s", msg)
		}
	}
	return nil
}

// arg parses one argument.
func (p *parser) arg(depth int) (Arg, error) {
	start := p.pos
	if p.pos >= len(p.src) {
		return Arg{}, p.errorf(start, "expected an argument, found end of input")
	}
	c := p.src[p.pos]
	switch {
	case c == '\'':
		return p.stringLit()
	case c == '$':
		return p.path()
	case c == '-' || c >= '0' && c <= '9':
		return p.numberLit()
	case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		end := p.pos
		for end < len(p.src) && isNameByte(p.src[end]) {
			end++
		}
		word := p.src[p.pos:end]
		if end < len(p.src) && p.src[end] == '(' {
			sub, err := p.call(depth + 1)
			if err != nil {
				return Arg{}, err
			}
			return Arg{Kind: ArgCall, Call: sub, Pos: start}, nil
		}
		p.pos = end
		switch word {
		case "null":
			return Arg{Kind: ArgNull, Pos: start, raw: word}, nil
		case "true":
			return Arg{Kind: ArgBool, Value: true, Pos: start, raw: word}, nil
		case "false":
			return Arg{Kind: ArgBool, Value: false, Pos: start, raw: word}, nil
		}
		if strings.HasPrefix(word, "States.") {
			return Arg{}, p.errorf(p.pos, "expected '(' right after %s, found %s", word, p.near())
		}
		return Arg{}, p.errorf(start, "unexpected %q: an argument is a string in single quotes, a number, true, false, null, a path beginning with $, or an intrinsic function", word)
	}
	return Arg{}, p.errorf(start, "expected an argument, found %s", p.near())
}

// stringLit parses a string in single quotes, decoding its escapes and
// splitting it at its {} placeholders.
func (p *parser) stringLit() (Arg, error) {
	start := p.pos
	p.pos++ // the opening quote
	var parts []string
	var b strings.Builder
	for {
		if p.pos >= len(p.src) {
			return Arg{}, p.errorf(start, "string literal is never closed")
		}
		c := p.src[p.pos]
		switch c {
		case '\'':
			p.pos++
			parts = append(parts, b.String())
			value := strings.Join(parts, "{}")
			return Arg{Kind: ArgString, Value: value, Pos: start, raw: p.src[start:p.pos], parts: parts}, nil
		case '\\':
			if p.pos+1 >= len(p.src) {
				return Arg{}, p.errorf(p.pos, "open escape: a backslash ends the expression")
			}
			e := p.src[p.pos+1]
			switch e {
			case '\'', '{', '}', '\\':
				b.WriteByte(e)
				p.pos += 2
			default:
				return Arg{}, p.errorf(p.pos, `open escape \%c: only \', \{, \} and \\ may follow a backslash`, e)
			}
		case '{':
			if p.pos+1 >= len(p.src) || p.src[p.pos+1] != '}' {
				return Arg{}, p.errorf(p.pos, `unescaped '{' in a string literal: write \{ for a brace, {} for a placeholder`)
			}
			parts = append(parts, b.String())
			b.Reset()
			p.pos += 2
		case '}':
			return Arg{}, p.errorf(p.pos, `unescaped '}' in a string literal: write \} for a brace`)
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
}

// numberLit parses a number in JSON syntax: integers without a fraction or
// exponent become int64 when they fit, everything else float64.
func (p *parser) numberLit() (Arg, error) {
	start := p.pos
	s := p.src
	i := p.pos
	if s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	intStart := i
	if digits() == 0 {
		return Arg{}, p.errorf(start, "invalid number: expected a digit after '-'")
	}
	if s[intStart] == '0' && i-intStart > 1 {
		return Arg{}, p.errorf(start, "invalid number %q: leading zeros are not allowed", s[start:i])
	}
	integral := true
	if i < len(s) && s[i] == '.' {
		integral = false
		i++
		if digits() == 0 {
			return Arg{}, p.errorf(start, "invalid number %q: expected a digit after '.'", s[start:i])
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		integral = false
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return Arg{}, p.errorf(start, "invalid number %q: expected a digit in the exponent", s[start:i])
		}
	}
	if i < len(s) && !strings.ContainsRune(" \t\r\n,)", rune(s[i])) {
		return Arg{}, p.errorf(i, "invalid number: unexpected %q after %q", s[i], s[start:i])
	}
	text := s[start:i]
	p.pos = i
	if integral {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return Arg{Kind: ArgNumber, Value: n, Pos: start, raw: text}, nil
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(f, 0) {
		return Arg{}, p.errorf(start, "number %s is out of range", text)
	}
	return Arg{Kind: ArgNumber, Value: f, Pos: start, raw: text}, nil
}

// path scans a path argument: it ends at a ',', ')' or space outside
// brackets, parentheses and quotes.
func (p *parser) path() (Arg, error) {
	start := p.pos
	s := p.src
	i := p.pos
	var open []byte // the brackets and parentheses not yet closed
	var quote byte
scan:
	for ; i < len(s); i++ {
		c := s[i]
		if quote != 0 {
			switch c {
			case '\\':
				i++
			case quote:
				quote = 0
			}
			continue
		}
		switch c {
		case '\'', '"':
			quote = c
		case '[', '(':
			open = append(open, c)
		case ']', ')':
			if len(open) == 0 {
				if c == ')' {
					break scan
				}
				return Arg{}, p.errorf(i, "unbalanced ']' in path")
			}
			want := byte(']')
			if open[len(open)-1] == '(' {
				want = ')'
			}
			if c != want {
				return Arg{}, p.errorf(i, "unbalanced %q in path: expected %q", c, want)
			}
			open = open[:len(open)-1]
		case ',', ' ', '\t', '\r', '\n':
			if len(open) == 0 {
				break scan
			}
		}
	}
	if quote != 0 {
		return Arg{}, p.errorf(start, "quoted name in path is never closed")
	}
	if len(open) != 0 {
		return Arg{}, p.errorf(start, "unbalanced brackets in path")
	}
	path := s[start:i]
	if err := checkPathOutline(path); err != "" {
		return Arg{}, p.errorf(start, "invalid path %q: %s", path, err)
	}
	p.pos = i
	return Arg{Kind: ArgPath, Path: path, Pos: start}, nil
}

// checkPathOutline checks what follows the leading $ or $$ of a path.
func checkPathOutline(path string) string {
	rest := strings.TrimPrefix(path, "$")
	context := strings.HasPrefix(rest, "$")
	rest = strings.TrimPrefix(rest, "$")
	if rest == "" {
		return ""
	}
	switch c := rest[0]; {
	case c == '.' || c == '[':
	case !context && (c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'):
		// A variable: $name.
	default:
		return fmt.Sprintf("unexpected %q after %s", c, path[:len(path)-len(rest)])
	}
	if strings.HasSuffix(rest, ".") {
		return "a path does not end with '.'"
	}
	return ""
}
