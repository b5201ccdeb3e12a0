package intrinsic

import (
	"fmt"
	"strconv"
	"strings"
)

func init() {
	register(
		&function{name: "States.Format", min: 1, max: -1, result: tString,
			params: []param{
				{name: "template", types: tString, conv: toString},
				{name: "value", types: tScalar, conv: toScalar},
			},
			check: checkFormat,
			eval:  evalFormat},
		&function{name: "States.StringSplit", min: 2, max: 2, result: tArray,
			params: []param{
				{name: "string", types: tString, conv: toString},
				{name: "delimiters", types: tString, conv: toDelimiters},
			},
			eval: evalStringSplit},
	)
}

// checkFormat compares a literal template's placeholders with the values.
func checkFormat(c *Call) (int, string) {
	a := &c.Args[0]
	if a.Kind != ArgString {
		return 0, ""
	}
	if msg := placeholderMismatch(c.Name, len(a.parts)-1, len(c.Args)-1); msg != "" {
		return a.Pos, msg
	}
	return 0, ""
}

func placeholderMismatch(name string, placeholders, values int) string {
	if placeholders == values {
		return ""
	}
	given := "values are"
	if values == 1 {
		given = "value is"
	}
	return fmt.Sprintf("%s: the template has %d %s but %d %s given",
		name, placeholders, plural(placeholders, "placeholder"), values, given)
}

// evalFormat replaces each {} of the template with the next value. In a
// literal template an escaped \{ or \} is a brace, never a placeholder; a
// template from a path or a nested call has no escapes, and each {} in it is
// a placeholder.
func evalFormat(_ *evaluator, c *Call, args []any) (any, error) {
	parts := c.Args[0].parts
	if c.Args[0].Kind != ArgString {
		parts = strings.Split(args[0].(string), "{}")
	}
	values := args[1:]
	if msg := placeholderMismatch(c.Name, len(parts)-1, len(values)); msg != "" {
		return nil, &Error{Name: ErrorName, Cause: msg}
	}
	var b strings.Builder
	for i, part := range parts {
		b.WriteString(part)
		if i < len(values) {
			b.WriteString(formatValue(values[i]))
		}
	}
	return b.String(), nil
}

// formatValue is the natural text of a scalar: strings without quotes,
// numbers as JSON writes them, true, false and null.
func formatValue(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(t)
	}
	n, _ := toNumber(v)
	return formatNumber(n)
}

// evalStringSplit splits a string at every occurrence of any of the
// delimiter characters, leaving out empty pieces.
func evalStringSplit(_ *evaluator, _ *Call, args []any) (any, error) {
	s, delims := args[0].(string), args[1].(string)
	fields := strings.FieldsFunc(s, func(r rune) bool {
		return strings.ContainsRune(delims, r)
	})
	out := make([]any, len(fields))
	for i, f := range fields {
		out[i] = f
	}
	return out, nil
}
