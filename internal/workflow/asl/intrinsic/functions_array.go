package intrinsic

import "math"

func init() {
	register(
		&function{name: "States.Array", min: 0, max: -1, result: tArray,
			params: []param{{name: "value"}},
			eval:   evalArray},
		&function{name: "States.ArrayPartition", min: 2, max: 2, result: tArray,
			params: []param{
				{name: "array", types: tArray, conv: toArray},
				{name: "chunk size", types: tNumber, conv: toPositiveInt},
			},
			eval: evalArrayPartition},
		&function{name: "States.ArrayContains", min: 2, max: 2, result: tBool,
			params: []param{
				{name: "array", types: tArray, conv: toArray},
				{name: "value"},
			},
			eval: evalArrayContains},
		&function{name: "States.ArrayRange", min: 3, max: 3, result: tArray,
			params: []param{
				{name: "start", types: tNumber, conv: toRoundedInt},
				{name: "end", types: tNumber, conv: toRoundedInt},
				{name: "step", types: tNumber, conv: toNonZeroInt},
			},
			check: checkArrayRange,
			eval:  evalArrayRange},
		&function{name: "States.ArrayGetItem", min: 2, max: 2, result: tAny,
			params: []param{
				{name: "array", types: tArray, conv: toArray},
				{name: "index", types: tNumber, conv: toIndex},
			},
			eval: evalArrayGetItem},
		&function{name: "States.ArrayLength", min: 1, max: 1, result: tNumber,
			params: []param{{name: "array", types: tArray, conv: toArray}},
			eval:   evalArrayLength},
		&function{name: "States.ArrayUnique", min: 1, max: 1, result: tArray,
			params: []param{{name: "array", types: tArray, conv: toArray}},
			eval:   evalArrayUnique},
	)
}

// evalArray returns its arguments as an array.
func evalArray(_ *evaluator, _ *Call, args []any) (any, error) {
	out := make([]any, len(args))
	copy(out, args)
	return out, nil
}

// evalArrayPartition splits an array into chunks of the given size; the last
// chunk may be shorter.
func evalArrayPartition(_ *evaluator, _ *Call, args []any) (any, error) {
	arr := args[0].([]any)
	size := args[1].(int64)
	out := make([]any, 0, (int64(len(arr))+size-1)/size)
	for i := 0; i < len(arr); {
		n := len(arr) - i
		if int64(n) > size {
			n = int(size)
		}
		chunk := make([]any, n)
		copy(chunk, arr[i:i+n])
		out = append(out, chunk)
		i += n
	}
	return out, nil
}

// evalArrayContains reports whether the array holds a value equal to the
// second argument.
func evalArrayContains(_ *evaluator, _ *Call, args []any) (any, error) {
	for _, v := range args[0].([]any) {
		if equal(v, args[1]) {
			return true, nil
		}
	}
	return false, nil
}

// rangeLen returns how many items start, start+step, … up to end (inclusive)
// has, without overflowing.
func rangeLen(start, end, step int64) uint64 {
	if step > 0 && end < start || step < 0 && end > start {
		return 0
	}
	var dist, abs uint64
	if step > 0 {
		dist = uint64(end) - uint64(start)
		abs = uint64(step)
	} else {
		dist = uint64(start) - uint64(end)
		abs = uint64(-(step + 1)) + 1
	}
	if q := dist / abs; q < math.MaxUint64 {
		return q + 1
	}
	return math.MaxUint64 // 2^64 items; saturate rather than wrap to 0
}

// checkArrayRange rejects a literal range longer than maxRangeItems.
func checkArrayRange(c *Call) (int, string) {
	for i := range c.Args {
		if c.Args[i].Kind != ArgNumber {
			return 0, ""
		}
	}
	start, _ := roundToInt(c.Args[0].Value)
	end, _ := roundToInt(c.Args[1].Value)
	step, _ := roundToInt(c.Args[2].Value)
	if n := rangeLen(start, end, step); n > maxRangeItems {
		return c.Pos, rangeTooLong(c.Name, n)
	}
	return 0, ""
}

func rangeTooLong(name string, n uint64) string {
	return name + ": the range would have " + formatNumber(fromUint(n)) + " items, more than the limit of 1000"
}

// evalArrayRange builds start, start+step, … up to and including end.
func evalArrayRange(_ *evaluator, c *Call, args []any) (any, error) {
	start, end, step := args[0].(int64), args[1].(int64), args[2].(int64)
	n := rangeLen(start, end, step)
	if n > maxRangeItems {
		return nil, &Error{Name: ErrorName, Cause: rangeTooLong(c.Name, n)}
	}
	out := make([]any, n)
	v := start
	for i := range out {
		out[i] = v
		v += step
	}
	return out, nil
}

// evalArrayGetItem returns the item at an index counted from 0.
func evalArrayGetItem(_ *evaluator, c *Call, args []any) (any, error) {
	arr := args[0].([]any)
	i := args[1].(int64)
	if i >= int64(len(arr)) {
		return nil, failf("%s: index %d is out of range for an array of length %d", c.Name, i, len(arr))
	}
	return arr[i], nil
}

// evalArrayLength returns the number of items in an array.
func evalArrayLength(_ *evaluator, _ *Call, args []any) (any, error) {
	return int64(len(args[0].([]any))), nil
}

// evalArrayUnique removes repeated values, keeping the first of each.
func evalArrayUnique(_ *evaluator, _ *Call, args []any) (any, error) {
	arr := args[0].([]any)
	out := make([]any, 0, len(arr))
	seen := make(map[string]struct{}, len(arr))
	var buf []byte
	for _, v := range arr {
		buf = appendKey(buf[:0], v)
		if _, ok := seen[string(buf)]; ok {
			continue
		}
		seen[string(buf)] = struct{}{}
		out = append(out, v)
	}
	return out, nil
}
