package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/workflow/asl"
)

// maxDefinitionSize is Step Functions' limit on a definition (1 MiB).
const maxDefinitionSize = 1 << 20

// StateMachineInput creates or updates a state machine.
type StateMachineInput struct {
	Name        string
	Description string
	Definition  json.RawMessage
	// BaseVersion, when set on an update, is the version the new one was
	// edited from: the update is refused (ECONFLICT) if another version
	// was saved since, so that nobody undoes it unknowingly.
	BaseVersion int
}

// Validate parses a definition and checks its task resources are
// registered. Every problem is listed in the error's Details.
func (e *Engine) Validate(def []byte) (*asl.Machine, error) {
	if len(def) > maxDefinitionSize {
		return nil, &mesh.Error{Code: mesh.ETOOLARGE, Field: "definition", Message: "the definition is larger than 1 MiB"}
	}
	m, err := asl.Parse(def)
	var problems []asl.Problem
	var verr *asl.ValidationError
	if errors.As(err, &verr) {
		problems = verr.Problems
	} else if err != nil {
		return nil, mesh.Invalid("definition", "%v", err)
	}
	if m != nil {
		problems = append(problems, e.unknownResources(m)...)
	}
	if len(problems) == 0 {
		return m, nil
	}
	details := make([]map[string]string, len(problems))
	for i, p := range problems {
		details[i] = map[string]string{"state": p.State, "field": p.Field, "message": p.Message}
	}
	msg := (&asl.ValidationError{Problems: problems}).Error()
	return nil, &mesh.Error{Code: mesh.EINVALID, Field: "definition", Message: msg, Details: details}
}

func (e *Engine) unknownResources(m *asl.Machine) []asl.Problem {
	var out []asl.Problem
	for _, name := range slices.Sorted(maps.Keys(m.States)) {
		st := m.States[name]
		loc := name
		if m.Location != "" {
			loc = m.Location + "/" + name
		}
		switch st.Type {
		case asl.TypeTask:
			if !e.registry.Has(st.Resource) {
				out = append(out, asl.Problem{State: loc, Field: "Resource",
					Message: fmt.Sprintf("unknown task resource %q", st.Resource)})
			}
		case asl.TypeParallel:
			for _, b := range st.Branches {
				out = append(out, e.unknownResources(b)...)
			}
		case asl.TypeMap:
			if st.Processor != nil {
				out = append(out, e.unknownResources(st.Processor)...)
			}
		}
	}
	return out
}

// CreateStateMachine saves version 1 of a new state machine. Errors:
// EINVALID (name, description, definition: every problem in Details), ETOOLARGE,
// ECONFLICT (the name exists).
func (e *Engine) CreateStateMachine(ctx context.Context, in StateMachineInput) (*mesh.StateMachine, error) {
	return e.saveStateMachine(ctx, in, true, nil)
}

// UpdateStateMachine saves a new version; running executions keep theirs.
// A description sent as the latest version holds it is kept, not checked
// again (see saveStateMachine).
// Errors: as CreateStateMachine, ENOTFOUND, and ECONFLICT when the latest
// version is not in.BaseVersion (if set).
func (e *Engine) UpdateStateMachine(ctx context.Context, in StateMachineInput) (*mesh.StateMachine, error) {
	return e.saveStateMachine(ctx, in, false, nil)
}

// saveStateMachine saves in as a new version, or as the first (create).
// restored is the version a rollback copies, nil otherwise. A description
// that is the latest version's, or restored's, is kept and not checked
// again: versions saved before descriptions refused control characters
// (an ESC, a NUL on SQLite) hold such text, and an update sending it back
// as it read it with a new definition, or a rollback to such a version,
// is not refused for a description its caller did not set.
func (e *Engine) saveStateMachine(ctx context.Context, in StateMachineInput, create bool, restored *mesh.StateMachine) (*mesh.StateMachine, error) {
	if err := mesh.ValidateName("name", in.Name); err != nil {
		return nil, err
	}
	if len(in.Description) > mesh.MaxDescriptionLen {
		return nil, mesh.Invalid("description", "is longer than %d characters", mesh.MaxDescriptionLen)
	}
	if create {
		if err := mesh.CheckText("description", in.Description); err != nil {
			return nil, err
		}
	}
	if _, err := e.Validate(in.Definition); err != nil {
		return nil, err
	}
	now := e.clock.Now()
	sm := &mesh.StateMachine{Name: in.Name, Description: in.Description, Definition: in.Definition,
		CreatedAt: now, CreatedBy: mesh.ActorFromContext(ctx).Principal()}
	err := e.store.Update(ctx, func(tx store.Tx) error {
		latest, err := tx.FindStateMachine(ctx, in.Name, 0)
		switch {
		case err == nil && create:
			return mesh.Errorf(mesh.ECONFLICT, "state machine %q exists already; update it to add a version", in.Name)
		case err == nil && in.BaseVersion != 0 && latest.Version != in.BaseVersion:
			return mesh.Errorf(mesh.ECONFLICT, "state machine %s has version %d now, saved since version %d was opened for editing", in.Name, latest.Version, in.BaseVersion)
		case err == nil:
			sm.Version = latest.Version + 1
		case mesh.IsCode(err, mesh.ENOTFOUND) && create:
			// after a delete, numbering goes on: a version names one definition forever
			n, err := tx.MaxStateMachineVersion(ctx, in.Name)
			if err != nil {
				return err
			}
			sm.Version = n + 1
		default:
			return err
		}
		kept := func(v *mesh.StateMachine) bool { return v != nil && v.Description == in.Description }
		if !create && !kept(latest) && !kept(restored) {
			if err := mesh.CheckText("description", in.Description); err != nil {
				return err
			}
		}
		if err := tx.InsertStateMachine(ctx, sm); err != nil {
			return err
		}
		action := "workflow.state_machine.update"
		if create {
			action = "workflow.state_machine.create"
		}
		return store.Audit(ctx, tx, now, action, "state_machine/"+in.Name, fmt.Sprintf("version %d", sm.Version))
	})
	if err != nil {
		return nil, err
	}
	return sm, nil
}

// FindStateMachine returns a version, or the latest for 0. Errors: ENOTFOUND.
func (e *Engine) FindStateMachine(ctx context.Context, name string, version int) (*mesh.StateMachine, error) {
	var sm *mesh.StateMachine
	err := e.store.View(ctx, func(tx store.Tx) error {
		var err error
		sm, err = tx.FindStateMachine(ctx, name, version)
		return err
	})
	return sm, err
}

// FindStateMachines lists the latest version of every state machine.
func (e *Engine) FindStateMachines(ctx context.Context) ([]*mesh.StateMachine, error) {
	var out []*mesh.StateMachine
	err := e.store.View(ctx, func(tx store.Tx) error {
		var err error
		out, err = tx.FindStateMachines(ctx)
		return err
	})
	return out, err
}

// DeleteStateMachine deletes a state machine: it is no longer listed and
// cannot be started; its versions stay readable for its past executions
// and their numbers are never reused. While executions run it is
// refused (ECONFLICT) unless force is set, which aborts them first, each
// audited as StopExecution audits it.
// Errors: ENOTFOUND, ECONFLICT.
func (e *Engine) DeleteStateMachine(ctx context.Context, name string, force bool) error {
	return e.store.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.FindStateMachine(ctx, name, 0); err != nil {
			return err
		}
		n, err := tx.CountExecutions(ctx, name, mesh.ExecutionRunning)
		if err != nil {
			return err
		}
		if n > 0 && !force {
			return mesh.Errorf(mesh.ECONFLICT, "state machine %q has %d running executions; stop them or delete with force", name, n)
		}
		aborted := 0
		for n > 0 {
			running, err := tx.FindExecutions(ctx, store.ExecutionFilter{StateMachine: name, Status: mesh.ExecutionRunning, Limit: 500})
			if err != nil {
				return err
			}
			for _, x := range running {
				rec, err := tx.LockExecution(ctx, x.ID)
				if err != nil {
					return err
				}
				if rec.Terminal() {
					// it ended since the list, which locked nothing
					// (PostgreSQL): its end stands
					continue
				}
				s, _, err := e.loadOrBroken(ctx, tx, rec)
				if err != nil {
					return err
				}
				s.endExecution(mesh.ExecutionAborted, "States.Aborted", "the state machine was deleted")
				if err := s.save(); err != nil {
					return err
				}
				// as StopExecution records the executions it aborts
				if err := store.Audit(ctx, tx, s.r.now, "workflow.execution.stop", "execution/"+x.ID, "States.Aborted"); err != nil {
					return err
				}
				aborted++
			}
			n = len(running)
			if n < 500 {
				break
			}
		}
		if err := tx.DeleteStateMachine(ctx, name); err != nil {
			return err
		}
		detail := ""
		if aborted > 0 {
			detail = fmt.Sprintf("force: %d running executions aborted", aborted)
		}
		return store.Audit(ctx, tx, e.clock.Now(), "workflow.state_machine.delete", "state_machine/"+name, detail)
	})
}

// RollbackStateMachine makes an earlier version's definition the current
// one again, as a new version (version numbers name one definition
// forever); running executions keep theirs. The definition is validated
// again, since the task resources it names may have gone; the description
// is restored as stored. Rolling back to the current version is refused:
// it would add a copy of it and restore nothing. Errors: ENOTFOUND (state
// machine or version), EINVALID, ECONFLICT (the current version).
func (e *Engine) RollbackStateMachine(ctx context.Context, name string, version int) (*mesh.StateMachine, error) {
	if version <= 0 {
		return nil, mesh.Invalid("version", "name the version to roll back to (1 or more)")
	}
	old, err := e.FindStateMachine(ctx, name, version)
	if err != nil {
		return nil, err
	}
	latest, err := e.FindStateMachine(ctx, name, 0)
	if err != nil {
		return nil, err
	}
	if latest.Version == version {
		return nil, mesh.Errorf(mesh.ECONFLICT, "version %d is the current version of state machine %s: there is nothing to roll back to", version, name)
	}
	return e.saveStateMachine(ctx, StateMachineInput{Name: name, Description: old.Description, Definition: old.Definition}, false, old)
}
