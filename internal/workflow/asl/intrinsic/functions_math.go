package intrinsic

import (
	crand "crypto/rand"
	"encoding/hex"
	"math/rand/v2"
)

func init() {
	register(
		&function{name: "States.MathRandom", min: 2, max: 3, result: tNumber,
			params: []param{
				{name: "start", types: tNumber, conv: toRoundedInt},
				{name: "end", types: tNumber, conv: toRoundedInt},
				{name: "seed", types: tNumber, conv: toRoundedInt},
			},
			check: checkMathRandom,
			eval:  evalMathRandom},
		&function{name: "States.MathAdd", min: 2, max: 2, result: tNumber,
			params: []param{
				{name: "value", types: tNumber, conv: toInt32},
				{name: "value", types: tNumber, conv: toInt32},
			},
			eval: evalMathAdd},
		&function{name: "States.UUID", min: 0, max: 0, result: tString,
			eval: evalUUID},
	)
}

func emptyRange(name string, start, end int64) string {
	return name + ": the range from " + formatNumber(number{i: start, isInt: true}) +
		" (inclusive) to " + formatNumber(number{i: end, isInt: true}) + " (exclusive) is empty"
}

// checkMathRandom rejects literal bounds that leave no number to choose.
func checkMathRandom(c *Call) (int, string) {
	if c.Args[0].Kind != ArgNumber || c.Args[1].Kind != ArgNumber {
		return 0, ""
	}
	start, _ := roundToInt(c.Args[0].Value)
	end, _ := roundToInt(c.Args[1].Value)
	if end <= start {
		return c.Pos, emptyRange(c.Name, start, end)
	}
	return 0, ""
}

// evalMathRandom returns a random integer from start (inclusive) to end
// (exclusive). With a seed the generator is seeded with it, so the same
// seed gives the same number; without one the evaluator's source is used.
func evalMathRandom(e *evaluator, c *Call, args []any) (any, error) {
	start, end := args[0].(int64), args[1].(int64)
	if end <= start {
		return nil, &Error{Name: ErrorName, Cause: emptyRange(c.Name, start, end)}
	}
	span := uint64(end) - uint64(start)
	var r uint64
	switch {
	case len(args) == 3:
		seed := uint64(args[2].(int64))
		r = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)).Uint64N(span)
	case e.rnd != nil:
		r = e.rnd.Uint64N(span)
	default:
		r = rand.Uint64N(span)
	}
	return int64(uint64(start) + r), nil
}

// evalMathAdd adds two integers.
func evalMathAdd(_ *evaluator, _ *Call, args []any) (any, error) {
	return args[0].(int64) + args[1].(int64), nil
}

// evalUUID returns a random (version 4) UUID in its lowercase text form.
func evalUUID(e *evaluator, c *Call, _ []any) (any, error) {
	var u [16]byte
	if e.rnd != nil {
		for i := 0; i < len(u); i += 8 {
			v := e.rnd.Uint64()
			for j := range 8 {
				u[i+j] = byte(v >> (8 * j))
			}
		}
	} else if _, err := crand.Read(u[:]); err != nil {
		return nil, failf("%s: no random numbers: %v", c.Name, err)
	}
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:]), nil
}
