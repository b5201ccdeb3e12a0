// Package stategraph draws an Amazon States Language state machine as a
// graph: it reads the definition's top-level states and their transitions
// (Next, End, a Choice's rules and Default, Catch), computes a layered
// layout (layers by longest path, long edges routed through placeholder
// points, orders improved by barycentre sweeps) and renders it as SVG on
// the server, with the path an execution took and its current state
// marked. No script and no external service is involved, so the graph
// shows under a strict Content-Security-Policy and without JavaScript.
package stategraph

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Node kinds besides the ASL state types.
const (
	KindStart = "Start"
	KindEnd   = "End"
)

// Edge kinds.
const (
	EdgeNext    = "next"
	EdgeChoice  = "choice"
	EdgeDefault = "default"
	EdgeCatch   = "catch"
)

// Node statuses set by Mark.
const (
	StatusNone    = ""
	StatusVisited = "visited"
	StatusCurrent = "current"
	StatusFailed  = "failed"
)

// Node is a state, or the Start and End markers, or a placeholder point a
// long edge passes through (Dummy).
type Node struct {
	Name string
	// Type is the state's type, or KindStart, KindEnd.
	Type    string
	Comment string
	Dummy   bool
	Layer   int
	Order   int
	// X and Y are the node's centre; W and H its size.
	X, Y, W, H float64
	Status     string
	// Visits counts how often the execution entered the state.
	Visits int
}

// Point is a position in the drawing.
type Point struct{ X, Y float64 }

// Edge is a transition.
type Edge struct {
	From, To string
	Kind     string
	Label    string
	// Back is set for an edge that goes against the layering (a loop).
	Back   bool
	Points []Point
	Taken  bool
}

// Graph is a laid-out state machine.
type Graph struct {
	Nodes         []*Node
	Edges         []*Edge
	Width, Height float64
	// Path is the states an execution entered, in order (set by Mark).
	Path  []string
	index map[string]*Node
}

// State returns the node of a state (or Start, End), or nil.
func (g *Graph) State(name string) *Node { return g.index[name] }

// States returns the nodes that are states or Start and End, by layer and order.
func (g *Graph) States() []*Node {
	var out []*Node
	for _, n := range g.Nodes {
		if !n.Dummy {
			out = append(out, n)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Layer != out[j].Layer {
			return out[i].Layer < out[j].Layer
		}
		return out[i].Order < out[j].Order
	})
	return out
}

// definition is the part of an ASL definition the graph needs.
type definition struct {
	StartAt string                `json:"StartAt"`
	States  map[string]*stateJSON `json:"States"`
}

type stateJSON struct {
	Type    string           `json:"Type"`
	Comment string           `json:"Comment"`
	Next    string           `json:"Next"`
	End     bool             `json:"End"`
	Default string           `json:"Default"`
	Choices []map[string]any `json:"Choices"`
	Catch   []catchJSON      `json:"Catch"`
}

type catchJSON struct {
	ErrorEquals []string `json:"ErrorEquals"`
	Next        string   `json:"Next"`
}

// Build reads a definition's top-level states and lays them out. A
// Parallel or Map state is one node: its branches are not drawn.
func Build(def []byte) (*Graph, error) {
	var d definition
	if err := json.Unmarshal(def, &d); err != nil {
		return nil, fmt.Errorf("stategraph: %w", err)
	}
	if d.StartAt == "" || d.States[d.StartAt] == nil {
		return nil, fmt.Errorf("stategraph: StartAt %q names no state", d.StartAt)
	}
	g := &Graph{index: map[string]*Node{}}
	add := func(name, typ, comment string) {
		n := &Node{Name: name, Type: typ, Comment: comment}
		g.Nodes = append(g.Nodes, n)
		g.index[name] = n
	}
	add(KindStart, KindStart, "")
	names := make([]string, 0, len(d.States))
	for name := range d.States {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if name == KindStart || name == KindEnd {
			return nil, fmt.Errorf("stategraph: a state named %q is not drawn", name)
		}
		add(name, d.States[name].Type, d.States[name].Comment)
	}
	add(KindEnd, KindEnd, "")
	edge := func(from, to, kind, label string) {
		if g.index[to] == nil {
			return // validation rejects it; draw what exists
		}
		g.Edges = append(g.Edges, &Edge{From: from, To: to, Kind: kind, Label: label})
	}
	edge(KindStart, d.StartAt, EdgeNext, "")
	for _, name := range names {
		s := d.States[name]
		for i, c := range s.Choices {
			next, _ := c["Next"].(string)
			edge(name, next, EdgeChoice, ruleLabel(c, i))
		}
		if s.Default != "" {
			edge(name, s.Default, EdgeDefault, "Default")
		}
		if s.Next != "" {
			edge(name, s.Next, EdgeNext, "")
		}
		for _, c := range s.Catch {
			edge(name, c.Next, EdgeCatch, "catch "+strings.Join(c.ErrorEquals, ", "))
		}
		if s.End || s.Type == "Succeed" || s.Type == "Fail" {
			edge(name, KindEnd, EdgeNext, "")
		}
	}
	g.layout(d.StartAt)
	return g, nil
}

// comparators maps ASL comparison operators to a short sign.
var comparators = []struct{ suffix, sign string }{
	{"GreaterThanEquals", "≥"}, {"LessThanEquals", "≤"}, {"GreaterThan", ">"}, {"LessThan", "<"},
	{"Equals", "="}, {"Matches", "matches"},
}

// ruleLabel describes a Choice rule briefly: "details.has_pii = true" for
// a plain comparison, else "rule N".
func ruleLabel(rule map[string]any, i int) string {
	v, _ := rule["Variable"].(string)
	if v == "" {
		return fmt.Sprintf("rule %d", i+1)
	}
	v = strings.TrimPrefix(strings.TrimPrefix(v, "$."), "$")
	keys := make([]string, 0, len(rule))
	for k := range rule {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "Variable" || k == "Next" || k == "Comment" {
			continue
		}
		op := strings.TrimSuffix(k, "Path")
		switch {
		case strings.HasPrefix(op, "Is"):
			return fmt.Sprintf("%s %s %v", v, strings.ToLower(strings.TrimPrefix(op, "Is")), rule[k])
		}
		for _, c := range comparators {
			if strings.HasSuffix(op, c.suffix) {
				val, _ := json.Marshal(rule[k])
				s := string(val)
				if strings.HasSuffix(k, "Path") {
					s = fmt.Sprint(rule[k])
				}
				return fmt.Sprintf("%s %s %s", v, c.sign, strings.Trim(s, `"`))
			}
		}
	}
	return fmt.Sprintf("rule %d", i+1)
}
