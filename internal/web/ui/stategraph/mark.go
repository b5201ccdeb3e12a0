package stategraph

import (
	"encoding/json"
	"strings"

	"github.com/meshgate/meshgate/internal/mesh"
)

// PathFromHistory returns the states an execution entered, in order, from
// its history's "…StateEntered" events.
func PathFromHistory(events []*mesh.HistoryEvent) []string {
	var path []string
	for _, ev := range events {
		if !strings.HasSuffix(ev.Type, "StateEntered") {
			continue
		}
		var d struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(ev.Details, &d) == nil && d.Name != "" {
			path = append(path, d.Name)
		}
	}
	return path
}

// Mark records the path an execution took (the states it entered, in
// order; names of nested states are left out) and how it stands: the last
// state is current while the execution runs, failed when it failed, timed
// out or was aborted, and End is reached when it succeeded.
func (g *Graph) Mark(entered []string, executionStatus string) {
	g.Path = g.Path[:0]
	for _, name := range entered {
		if n := g.index[name]; n != nil && n.Type != KindStart && n.Type != KindEnd {
			g.Path = append(g.Path, name)
			n.Visits++
			n.Status = StatusVisited
		}
	}
	if len(g.Path) == 0 {
		return
	}
	g.index[KindStart].Status = StatusVisited
	steps := append([]string{KindStart}, g.Path...)
	last := g.index[g.Path[len(g.Path)-1]]
	switch executionStatus {
	case mesh.ExecutionRunning:
		last.Status = StatusCurrent
	case mesh.ExecutionSucceeded:
		g.index[KindEnd].Status = StatusVisited
		steps = append(steps, KindEnd)
	case mesh.ExecutionFailed, mesh.ExecutionTimedOut, mesh.ExecutionAborted:
		last.Status = StatusFailed
	}
	for i := 0; i+1 < len(steps); i++ {
		for _, e := range g.Edges {
			if e.From == steps[i] && e.To == steps[i+1] {
				e.Taken = true
				break
			}
		}
	}
}

// Current returns the node marked current or failed, or nil.
func (g *Graph) Current() *Node {
	for _, n := range g.Nodes {
		if n.Status == StatusCurrent || n.Status == StatusFailed {
			return n
		}
	}
	return nil
}
