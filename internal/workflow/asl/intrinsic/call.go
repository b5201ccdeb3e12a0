package intrinsic

import (
	"math/rand/v2"
	"strings"
)

// MaxDepth is how deeply intrinsic functions may nest in one expression,
// counting the outermost call: Step Functions allows 10.
const MaxDepth = 10

// ArgKind is the kind of an intrinsic function argument.
type ArgKind int

// The kinds of argument.
const (
	ArgString ArgKind = iota // a string literal in single quotes
	ArgNumber                // a number literal
	ArgBool                  // true or false
	ArgNull                  // null
	ArgPath                  // a path: $…, $$… or $name…
	ArgCall                  // a nested intrinsic function
)

// Arg is one argument of a Call.
type Arg struct {
	Kind  ArgKind
	Value any    // the literal's value: string, int64, float64, bool or nil
	Path  string // the path, for ArgPath
	Call  *Call  // the nested call, for ArgCall
	Pos   int    // byte offset of the argument in the parsed expression

	raw   string   // the literal as written, for String
	parts []string // a string literal split at its {} placeholders
}

// IsLiteral reports whether the argument is a string, number, boolean or
// null literal.
func (a *Arg) IsLiteral() bool {
	return a.Kind != ArgPath && a.Kind != ArgCall
}

// Call is a parsed intrinsic function call. It is immutable and safe for
// concurrent use.
type Call struct {
	Name string // the function name, such as "States.Format"
	Args []Arg
	Pos  int // byte offset of the name in the parsed expression

	fn *function
}

// IsIntrinsic reports whether s looks like an intrinsic function call: it
// begins with "States.". Parse says whether it is a valid one.
func IsIntrinsic(s string) bool {
	return strings.HasPrefix(s, "States.")
}

// String returns the call in canonical form: the arguments as written,
// separated by ", ". Parsing it gives an equal Call.
func (c *Call) String() string {
	var b strings.Builder
	c.write(&b)
	return b.String()
}

func (c *Call) write(b *strings.Builder) {
	b.WriteString(c.Name)
	b.WriteByte('(')
	for i := range c.Args {
		if i > 0 {
			b.WriteString(", ")
		}
		a := &c.Args[i]
		switch a.Kind {
		case ArgPath:
			b.WriteString(a.Path)
		case ArgCall:
			a.Call.write(b)
		default:
			b.WriteString(a.raw)
		}
	}
	b.WriteByte(')')
}

// Paths returns every path argument of the call and of its nested calls, in
// order of appearance, so a validator can check them.
func (c *Call) Paths() []string {
	var paths []string
	var walk func(*Call)
	walk = func(c *Call) {
		for i := range c.Args {
			switch c.Args[i].Kind {
			case ArgPath:
				paths = append(paths, c.Args[i].Path)
			case ArgCall:
				walk(c.Args[i].Call)
			}
		}
	}
	walk(c)
	return paths
}

// Resolver returns the value of a path argument ("$.x", "$$.Execution.Id",
// "$"). Eval returns its errors unchanged.
type Resolver func(path string) (any, error)

// Eval evaluates the call. resolve gives the value of each path argument;
// its errors are returned unchanged. Any other failure is an *Error named
// States.IntrinsicFailure. Random numbers come from the default sources
// (see EvalWith).
func (c *Call) Eval(resolve func(path string) (any, error)) (any, error) {
	return c.EvalWith(resolve, nil)
}

// EvalWith is Eval with rnd as the source of random numbers for
// States.MathRandom without a seed and for States.UUID. A nil rnd means
// math/rand/v2's global source for MathRandom and crypto/rand for UUID. A
// *rand.Rand is not safe for concurrent use: give each goroutine its own.
func (c *Call) EvalWith(resolve func(path string) (any, error), rnd *rand.Rand) (any, error) {
	e := &evaluator{resolve: resolve, rnd: rnd}
	return e.eval(c)
}

// evaluator holds what one evaluation needs.
type evaluator struct {
	resolve Resolver
	rnd     *rand.Rand
}

func (e *evaluator) eval(c *Call) (any, error) {
	if c == nil || c.fn == nil {
		return nil, failf("call was not produced by Parse")
	}
	args := make([]any, len(c.Args))
	for i := range c.Args {
		a := &c.Args[i]
		var v any
		switch a.Kind {
		case ArgPath:
			if e.resolve == nil {
				return nil, failf("%s: no resolver for path %s", c.Name, a.Path)
			}
			r, err := e.resolve(a.Path)
			if err != nil {
				return nil, err
			}
			v = r
		case ArgCall:
			r, err := e.eval(a.Call)
			if err != nil {
				return nil, err
			}
			v = r
		default:
			v = a.Value
		}
		p := c.fn.param(i)
		if p.conv != nil {
			cv, err := p.conv(v)
			if err != nil {
				return nil, failf("%s: argument %d (%s) %v", c.Name, i+1, p.name, err)
			}
			v = cv
		}
		args[i] = v
	}
	return c.fn.eval(e, c, args)
}
