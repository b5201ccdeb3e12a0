package asl

import (
	"fmt"
	"strings"
)

// stateFields lists the fields each state type accepts.
var stateFields = map[string]map[string]bool{
	TypePass: set("Type", "Comment", "QueryLanguage", "Next", "End", "InputPath", "OutputPath",
		"ResultPath", "Parameters", "Result"),
	TypeTask: set("Type", "Comment", "QueryLanguage", "Next", "End", "InputPath", "OutputPath",
		"ResultPath", "Parameters", "ResultSelector", "Retry", "Catch", "Resource",
		"TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath", "Credentials"),
	TypeChoice:  set("Type", "Comment", "QueryLanguage", "InputPath", "OutputPath", "Choices", "Default"),
	TypeWait:    set("Type", "Comment", "QueryLanguage", "Next", "End", "InputPath", "OutputPath", "Seconds", "Timestamp", "SecondsPath", "TimestampPath"),
	TypeSucceed: set("Type", "Comment", "QueryLanguage", "InputPath", "OutputPath"),
	TypeFail:    set("Type", "Comment", "QueryLanguage", "Error", "Cause", "ErrorPath", "CausePath"),
	TypeParallel: set("Type", "Comment", "QueryLanguage", "Next", "End", "InputPath", "OutputPath",
		"ResultPath", "Parameters", "ResultSelector", "Retry", "Catch", "Branches"),
	TypeMap: set("Type", "Comment", "QueryLanguage", "Next", "End", "InputPath", "OutputPath",
		"ResultPath", "Parameters", "ResultSelector", "Retry", "Catch", "ItemProcessor", "Iterator",
		"ItemsPath", "ItemSelector", "MaxConcurrency", "MaxConcurrencyPath"),
}

// unsupportedFields are valid Step Functions fields this interpreter does
// not implement; they are reported rather than silently ignored.
var unsupportedFields = set("Assign", "Arguments", "Output", "ItemReader", "ItemBatcher", "ResultWriter",
	"ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "ToleratedFailureCount",
	"ToleratedFailureCountPath", "Label")

// parseState decodes one state; loc locates it for problems.
func parseState(name string, obj map[string]any, loc string, ps *problems) *State {
	d := &dec{ps: ps, loc: loc, obj: obj}
	typ, ok := d.str("Type", true)
	if !ok {
		return nil
	}
	allowed, known := stateFields[typ]
	if !known {
		ps.add(loc, "Type", "unknown state type %q", typ)
		return nil
	}
	for _, k := range sortedKeys(obj) {
		if allowed[k] {
			continue
		}
		switch {
		case unsupportedFields[k]:
			ps.add(loc, k, "not supported")
		case isStateField(k):
			ps.add(loc, k, "not allowed in a %s state", typ)
		default:
			ps.add(loc, k, "unknown field")
		}
	}
	d.queryLanguage()
	st := &State{Name: name, Type: typ}
	st.Comment, _ = d.str("Comment", false)
	if allowed["Next"] {
		parseTransition(d, st)
	}
	if allowed["InputPath"] {
		st.inputPath = d.path("InputPath", false, true)
		st.outputPath = d.path("OutputPath", false, true)
	}
	if allowed["ResultPath"] {
		st.resultPath = d.path("ResultPath", true, true)
	}
	if allowed["Parameters"] && typ != TypeMap {
		st.parameters = d.template("Parameters")
	}
	if allowed["ResultSelector"] {
		st.resultSelector = d.template("ResultSelector")
	}
	if allowed["Retry"] {
		st.retry = parseRetry(d)
		st.catch = parseCatch(d)
	}
	switch typ {
	case TypePass:
		st.result, st.hasResult = obj["Result"]
	case TypeTask:
		parseTask(d, st)
	case TypeChoice:
		parseChoiceState(d, st)
	case TypeWait:
		parseWait(d, st)
	case TypeFail:
		d.exclusive("Error", "ErrorPath")
		d.exclusive("Cause", "CausePath")
		st.failError, _ = d.str("Error", false)
		st.failCause, _ = d.str("Cause", false)
		st.errorPath, st.errorCall = d.pathOrIntrinsic("ErrorPath")
		st.causePath, st.causeCall = d.pathOrIntrinsic("CausePath")
	case TypeParallel:
		parseParallel(d, st)
	case TypeMap:
		parseMap(d, st)
	}
	st.setEvents()
	return st
}

func isStateField(k string) bool {
	for _, fs := range stateFields {
		if fs[k] {
			return true
		}
	}
	return false
}

// parseTransition reads Next and End: exactly one must be given.
func parseTransition(d *dec, st *State) {
	next, hasNext := d.str("Next", false)
	endV, hasEnd := d.obj["End"]
	if hasEnd {
		b, ok := endV.(bool)
		switch {
		case !ok:
			d.ps.add(d.loc, "End", "must be a boolean, got a %s", typeName(endV))
		case !b:
			d.ps.add(d.loc, "End", "must be true when present")
		default:
			st.End = true
		}
	}
	switch {
	case d.has("Next") && hasEnd:
		d.ps.add(d.loc, "Next", "cannot be used together with \"End\"")
	case !d.has("Next") && !hasEnd:
		d.ps.add(d.loc, "Next", "a %s state needs \"Next\" or \"End\": true", st.Type)
	}
	if hasNext && next == "" {
		d.ps.add(d.loc, "Next", "must name a state")
	}
	st.Next = next
}

func parseTask(d *dec, st *State) {
	st.Resource, _ = d.str("Resource", true)
	d.exclusive("TimeoutSeconds", "TimeoutSecondsPath")
	d.exclusive("HeartbeatSeconds", "HeartbeatSecondsPath")
	st.timeoutSeconds, _ = d.integer("TimeoutSeconds", 1, maxSeconds)
	st.heartbeatSeconds, _ = d.integer("HeartbeatSeconds", 1, maxSeconds)
	st.timeoutPath = d.refPath("TimeoutSecondsPath")
	st.heartbPath = d.refPath("HeartbeatSecondsPath")
	if st.timeoutSeconds > 0 && st.heartbeatSeconds >= st.timeoutSeconds {
		d.ps.add(d.loc, "HeartbeatSeconds", "must be smaller than \"TimeoutSeconds\" (%d)", st.timeoutSeconds)
	}
}

func parseWait(d *dec, st *State) {
	n := 0
	for _, f := range []string{"Seconds", "Timestamp", "SecondsPath", "TimestampPath"} {
		if d.has(f) {
			n++
		}
	}
	if n != 1 {
		d.ps.add(d.loc, "", "a Wait state needs exactly one of \"Seconds\", \"Timestamp\", \"SecondsPath\" and \"TimestampPath\"")
	}
	st.waitSeconds, st.hasWaitSeconds = d.integer("Seconds", 0, maxSeconds)
	if s, ok := d.str("Timestamp", false); ok {
		if t, ok := parseTimestamp(s); ok {
			st.waitTimestamp, st.hasWaitTimestamp = t, true
		} else {
			d.ps.add(d.loc, "Timestamp", "%q is not an RFC 3339 timestamp such as \"2016-03-14T01:59:00Z\"", s)
		}
	}
	st.waitSecondsPath = d.refPath("SecondsPath")
	st.waitTimestampPath = d.refPath("TimestampPath")
}

func parseParallel(d *dec, st *State) {
	raw, ok := d.obj["Branches"]
	arr, isArr := raw.([]any)
	switch {
	case !ok:
		d.ps.add(d.loc, "Branches", "missing required field")
		return
	case !isArr || len(arr) == 0:
		d.ps.add(d.loc, "Branches", "must be a non-empty array of state machines")
		return
	}
	for i, b := range arr {
		bloc := fmt.Sprintf("%s/Branches[%d]", d.loc, i)
		obj, ok := b.(map[string]any)
		if !ok {
			d.ps.add(d.loc, fmt.Sprintf("Branches[%d]", i), "must be a state machine object, got a %s", typeName(b))
			continue
		}
		st.Branches = append(st.Branches, parseMachine(obj, bloc, machineBranch, d.ps))
	}
}

func parseMap(d *dec, st *State) {
	d.exclusive("ItemProcessor", "Iterator")
	d.exclusive("ItemSelector", "Parameters")
	d.exclusive("MaxConcurrency", "MaxConcurrencyPath")
	field := "ItemProcessor"
	if !d.has(field) {
		field = "Iterator"
	}
	raw, ok := d.obj[field]
	if !ok {
		d.ps.add(d.loc, "ItemProcessor", "missing required field")
	} else if obj, isObj := raw.(map[string]any); !isObj {
		d.ps.add(d.loc, field, "must be a state machine object, got a %s", typeName(raw))
	} else {
		kind := machineProcessor
		if field == "Iterator" {
			kind = machineBranch
		}
		checkProcessorConfig(d, field, obj)
		st.Processor = parseMachine(obj, d.loc+"/"+field, kind, d.ps)
	}
	st.itemsPath = d.refPath("ItemsPath")
	if d.has("ItemSelector") {
		st.itemSelector = d.template("ItemSelector")
	} else {
		st.itemSelector = d.template("Parameters")
	}
	st.maxConcurrency, _ = d.integer("MaxConcurrency", 0, 1<<31-1)
	st.maxConcurrencyPath = d.refPath("MaxConcurrencyPath")
}

// checkProcessorConfig accepts only the inline processing mode.
func checkProcessorConfig(d *dec, field string, obj map[string]any) {
	raw, ok := obj["ProcessorConfig"]
	if !ok {
		return
	}
	f := field + ".ProcessorConfig"
	cfg, isObj := raw.(map[string]any)
	if !isObj {
		d.ps.add(d.loc, f, "must be an object, got a %s", typeName(raw))
		return
	}
	for _, k := range sortedKeys(cfg) {
		switch k {
		case "Mode":
			if cfg[k] != "INLINE" {
				d.ps.add(d.loc, f+".Mode", "only \"INLINE\" is supported, got %s", describe(cfg[k]))
			}
		case "ExecutionType":
			d.ps.add(d.loc, f+".ExecutionType", "only allowed with \"Mode\": \"DISTRIBUTED\", which is not supported")
		default:
			d.ps.add(d.loc, f+"."+k, "unknown field")
		}
	}
}

// checkErrorEquals validates an ErrorEquals list of a Retrier or Catcher;
// last tells whether it belongs to the last element of its list.
func checkErrorEquals(d *dec, field string, raw any, present, last bool) []string {
	arr, ok := raw.([]any)
	if !present {
		d.ps.add(d.loc, field, "missing required field")
		return nil
	}
	if !ok || len(arr) == 0 {
		d.ps.add(d.loc, field, "must be a non-empty array of error names")
		return nil
	}
	names := make([]string, 0, len(arr))
	for i, e := range arr {
		s, ok := e.(string)
		if !ok || s == "" {
			d.ps.add(d.loc, fmt.Sprintf("%s[%d]", field, i), "must be a non-empty string")
			continue
		}
		if strings.HasPrefix(s, "States.") && !knownErrors[s] {
			d.ps.add(d.loc, fmt.Sprintf("%s[%d]", field, i), "unknown error name %q", s)
		}
		if s == ErrAll {
			if len(arr) != 1 {
				d.ps.add(d.loc, field, "\"States.ALL\" must appear alone in \"ErrorEquals\"")
			}
			if !last {
				d.ps.add(d.loc, field, "\"States.ALL\" must appear in the last element of the list")
			}
		}
		names = append(names, s)
	}
	return names
}
