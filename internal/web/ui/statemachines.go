package ui

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/workflow"
)

// StateMachinesPage lists the latest version of every state machine.
type StateMachinesPage struct {
	Page
	Machines []*mesh.StateMachine
}

func (u *UI) stateMachinesPage(w http.ResponseWriter, r *http.Request) error {
	p := StateMachinesPage{Page: u.page(r, "State machines", "state-machines")}
	sms, err := u.Workflow.FindStateMachines(r.Context())
	if err != nil {
		return err
	}
	p.Machines = sms
	return u.render(w, http.StatusOK, "statemachines", p)
}

// StateMachinePage shows one version of a state machine, links to the
// others and, on an earlier one, rolls back to it.
type StateMachinePage struct {
	Page
	Machine    *mesh.StateMachine
	Definition string
	// Latest is the current version: the one new executions start.
	Latest   int
	Versions []int
	// Drawing is the definition's graph.
	Drawing Drawing
}

func (u *UI) stateMachinePage(w http.ResponseWriter, r *http.Request) error {
	version := 0
	if v := r.URL.Query().Get("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return mesh.Invalid("version", "must be a positive number, not %q", v)
		}
		version = n
	}
	return u.showStateMachine(w, r, http.StatusOK, r.PathValue("name"), version, "")
}

// showStateMachine shows version (0: the current one) of the named state
// machine; msg is a failed rollback's reason.
func (u *UI) showStateMachine(w http.ResponseWriter, r *http.Request, status int, name string, version int, msg string) error {
	latest, err := u.Workflow.FindStateMachine(r.Context(), name, 0)
	if err != nil {
		return err
	}
	sm := latest
	if version != 0 && version != latest.Version {
		if sm, err = u.Workflow.FindStateMachine(r.Context(), name, version); err != nil {
			return err
		}
	}
	p := StateMachinePage{Page: u.page(r, "State machine "+name, "state-machines"), Machine: sm,
		Definition: indentJSON(sm.Definition), Latest: latest.Version}
	p.Error = msg
	p.Drawing = u.draw(r, sm.Name, sm.Version, nil, "", "machine-graph", "States of "+sm.Name+" version "+strconv.Itoa(sm.Version))
	// Versions are numbered from 1 and never reused.
	for v := latest.Version; v >= 1; v-- {
		p.Versions = append(p.Versions, v)
	}
	return u.render(w, status, "statemachine", p)
}

// rollbackStateMachine makes the version the form names current again, as
// a new version, through the service call the API's rollback makes (which
// validates and audits it). A refusal (the current version, one that is
// gone, a definition no longer valid) shows the page again with the reason.
func (u *UI) rollbackStateMachine(w http.ResponseWriter, r *http.Request) error {
	name, v := r.PathValue("name"), r.PostForm.Get("version")
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		err = mesh.Invalid("version", "name the version to roll back to, not %q", v)
	} else {
		_, err = u.Workflow.RollbackStateMachine(r.Context(), name, n)
	}
	if err != nil {
		fe, msg, ferr := formFailure(err)
		if ferr != nil {
			return ferr
		}
		shown := n
		if mesh.IsCode(err, mesh.ENOTFOUND) || fe["version"] != "" {
			shown = 0 // no such version to show: the current one instead
		}
		_, msg = fe.onForm(msg)
		return refused(err, u.showStateMachine(w, r, statusOfForm(err), name, shown, "Not rolled back: "+msg))
	}
	return redirect(w, r, "/admin/state-machines/"+name, "rolled-back")
}

func indentJSON(b []byte) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		return string(b)
	}
	return buf.String()
}

// StateMachineEditPage creates a state machine or saves a new version of
// one; validation problems are listed beside the definition, by state.
type StateMachineEditPage struct {
	Page
	New         bool
	Name        string
	Description string
	Definition  string
	Version     int
	Errors      FieldErrors
	// Problems are the definition's problems, each naming its state and field.
	Problems []map[string]string
}

func (u *UI) newStateMachinePage(w http.ResponseWriter, r *http.Request) error {
	p := StateMachineEditPage{Page: u.page(r, "New state machine", "state-machines"), New: true,
		Definition: "{\n  \"StartAt\": \"Done\",\n  \"States\": {\n    \"Done\": {\"Type\": \"Succeed\"}\n  }\n}"}
	return u.render(w, http.StatusOK, "statemachine_edit", p)
}

func (u *UI) editStateMachinePage(w http.ResponseWriter, r *http.Request) error {
	sm, err := u.Workflow.FindStateMachine(r.Context(), r.PathValue("name"), 0)
	if err != nil {
		return err
	}
	p := StateMachineEditPage{Page: u.page(r, "Edit "+sm.Name, "state-machines"), Name: sm.Name,
		Description: sm.Description, Definition: indentJSON(sm.Definition), Version: sm.Version}
	return u.render(w, http.StatusOK, "statemachine_edit", p)
}

func (u *UI) createStateMachine(w http.ResponseWriter, r *http.Request) error {
	return u.saveStateMachine(w, r, true)
}

func (u *UI) updateStateMachine(w http.ResponseWriter, r *http.Request) error {
	return u.saveStateMachine(w, r, false)
}

func (u *UI) saveStateMachine(w http.ResponseWriter, r *http.Request, create bool) error {
	f := r.PostForm
	p := StateMachineEditPage{Page: u.page(r, "New state machine", "state-machines"), New: create,
		Name: f.Get("name"), Description: f.Get("description"), Definition: f.Get("definition")}
	in := workflow.StateMachineInput{Name: p.Name, Description: p.Description, Definition: json.RawMessage(p.Definition)}
	if !create {
		p.Name = r.PathValue("name")
		in.Name, p.Title = p.Name, "Edit "+p.Name
		// the version the form was opened at: a save refused because
		// another was made since shows the form again at the newer one
		if v := f.Get("version"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return mesh.Invalid("version", "must be a positive number, not %q", v)
			}
			in.BaseVersion = n
		}
		if latest, err := u.Workflow.FindStateMachine(r.Context(), p.Name, 0); err == nil {
			p.Version = latest.Version
		} else {
			return err
		}
	}
	var err error
	if create {
		_, err = u.Workflow.CreateStateMachine(r.Context(), in)
	} else {
		_, err = u.Workflow.UpdateStateMachine(r.Context(), in)
	}
	if err != nil {
		fe, msg, ferr := formFailure(err)
		if ferr != nil {
			return ferr
		}
		p.Errors, p.Error = fe, msg
		if e, ok := err.(*mesh.Error); ok {
			if d, ok := e.Details.([]map[string]string); ok {
				p.Problems = d
				if p.Errors == nil {
					p.Errors = FieldErrors{}
				}
				p.Errors["definition"] = "The definition has " + strconv.Itoa(len(d)) + " problem(s), listed below."
			}
		}
		return refused(err, u.render(w, statusOfForm(err), "statemachine_edit", p))
	}
	notice := "saved"
	if create {
		notice = "created"
	}
	return redirect(w, r, "/admin/state-machines/"+p.Name, notice)
}
