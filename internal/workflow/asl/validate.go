package asl

import "fmt"

// checkGraph checks the transitions of a machine's states: every target
// exists, every state is reachable from StartAt, and some state ends the
// machine.
func checkGraph(m *Machine, raw map[string]any, ps *problems) {
	exists := func(name string) bool {
		_, ok := raw[name]
		return ok
	}
	terminal := false
	for _, name := range sortedKeys(raw) {
		st := m.States[name]
		if st == nil {
			continue
		}
		loc := join(m.Location, name)
		for _, t := range st.targets() {
			if t.name != "" && !exists(t.name) {
				ps.add(loc, t.field, "unknown state %q", t.name)
			}
		}
		if st.End || st.Type == TypeSucceed || st.Type == TypeFail {
			terminal = true
		}
	}
	if len(m.States) > 0 && len(m.States) == len(raw) && !terminal {
		ps.add(m.Location, "States", "no terminal state: some state must have \"End\": true or be a Succeed or Fail state")
	}
	if !exists(m.StartAt) || len(m.States) != len(raw) {
		return // reachability is meaningless until the states parse
	}
	seen := map[string]bool{m.StartAt: true}
	queue := []string{m.StartAt}
	for len(queue) > 0 {
		st := m.States[queue[0]]
		queue = queue[1:]
		for _, t := range st.targets() {
			if t.name != "" && exists(t.name) && !seen[t.name] {
				seen[t.name] = true
				queue = append(queue, t.name)
			}
		}
	}
	for _, name := range sortedKeys(raw) {
		if !seen[name] {
			ps.add(join(m.Location, name), "", "unreachable from %q", m.StartAt)
		}
	}
}

type target struct {
	field, name string
}

// targets lists the states a state may transition to, with the field naming
// each.
func (s *State) targets() []target {
	var ts []target
	if s.Next != "" {
		ts = append(ts, target{"Next", s.Next})
	}
	if s.Default != "" {
		ts = append(ts, target{"Default", s.Default})
	}
	for i, c := range s.choices {
		ts = append(ts, target{fmt.Sprintf("Choices[%d].Next", i), c.next})
	}
	for i, c := range s.catch {
		ts = append(ts, target{fmt.Sprintf("Catch[%d].Next", i), c.Next})
	}
	return ts
}
