package asl

import "fmt"

// applyInputPath selects the effective input: InputPath null gives {}, a path
// that matches nothing raises States.Runtime.
func applyInputPath(pf pathField, s *scope, input any) (any, *StateError) {
	return selectPath(pf, s, input, "InputPath")
}

// applyOutputPath selects the state output the same way.
func applyOutputPath(pf pathField, s *scope, output any) (any, *StateError) {
	return selectPath(pf, s, output, "OutputPath")
}

func selectPath(pf pathField, s *scope, data any, field string) (any, *StateError) {
	if pf.null {
		return map[string]any{}, nil
	}
	if pf.path == nil {
		return data, nil
	}
	v, err := s.eval(pf.path, data)
	if err != nil {
		return nil, runtimeErr("invalid path %s in %s: no results for the path in the state's data", pf.path.raw, field)
	}
	return v, nil
}

// applyResultPath combines the state's raw input with its result: null keeps
// the raw input, "$" (or absent) gives the result, another reference path
// stores the result into a copy of the raw input. A path that cannot be
// applied raises States.ResultPathMatchFailure.
func applyResultPath(pf pathField, rawInput, result any) (any, *StateError) {
	if pf.null {
		return rawInput, nil
	}
	if pf.path == nil {
		return result, nil
	}
	out, err := setPath(rawInput, pf.path.frags, result)
	if err != nil {
		return nil, &StateError{Name: ErrResultPathMatchFailure,
			Cause: fmt.Sprintf("unable to apply ResultPath %s to the state's input: %v", pf.path.raw, err)}
	}
	return out, nil
}
