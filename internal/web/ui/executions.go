package ui

import (
	"net/http"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// executionsPageSize is how many executions one page lists.
const executionsPageSize = 50

// ExecutionsPage lists executions, newest first, filtered by state machine
// and status.
type ExecutionsPage struct {
	Page
	StateMachine string
	Status       string
	Statuses     []string
	Executions   []*mesh.Execution
	Next, First  string
}

// executionCursor continues the listing before an execution.
type executionCursor struct {
	Time time.Time `json:"t"`
	ID   string    `json:"i"`
}

var executionStatuses = []string{mesh.ExecutionRunning, mesh.ExecutionSucceeded, mesh.ExecutionFailed, mesh.ExecutionTimedOut, mesh.ExecutionAborted}

func (u *UI) executionsPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := ExecutionsPage{Page: u.page(r, "Executions", "executions"), StateMachine: q.Get("state_machine"), Status: q.Get("status"), Statuses: executionStatuses}
	f := store.ExecutionFilter{StateMachine: p.StateMachine, Status: p.Status, Limit: executionsPageSize + 1}
	if tok := q.Get("page"); tok != "" {
		var c executionCursor
		if err := u.Pages.Decode("page", tok, &c); err != nil {
			return err
		}
		f.BeforeTime, f.BeforeID = c.Time, c.ID
		p.First = listLink("/admin/executions", map[string]string{"state_machine": p.StateMachine, "status": p.Status})
	}
	xs, err := u.Workflow.FindExecutions(r.Context(), f)
	if err != nil {
		return err
	}
	if len(xs) > executionsPageSize {
		xs = xs[:executionsPageSize]
		last := xs[len(xs)-1]
		p.Next = listLink("/admin/executions", map[string]string{"state_machine": p.StateMachine, "status": p.Status,
			"page": u.Pages.Encode(executionCursor{Time: last.StartedAt, ID: last.ID})})
	}
	p.Executions = xs
	return u.render(w, http.StatusOK, "executions", p)
}

// ExecutionPage shows an execution with its input, output and history.
type ExecutionPage struct {
	Page
	Execution *mesh.Execution
	Input     string
	Output    string
	History   []*mesh.HistoryEvent
	// More is set when the history is longer than the page shows.
	More bool
	// Drawing is the state machine with the path taken.
	Drawing Drawing
}

// executionEventsShown bounds the history events an execution page lists.
const executionEventsShown = 500

func (u *UI) executionPage(w http.ResponseWriter, r *http.Request) error {
	x, err := u.Workflow.FindExecution(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	h, err := u.Workflow.History(r.Context(), x.ID, 0, executionEventsShown+1)
	if err != nil {
		return err
	}
	p := ExecutionPage{Page: u.page(r, "Execution "+x.Name, "executions"), Execution: x, Input: indentJSON(x.Input), History: h}
	if len(x.Output) > 0 {
		p.Output = indentJSON(x.Output)
	}
	if len(h) > executionEventsShown {
		p.History, p.More = h[:executionEventsShown], true
	}
	p.Drawing = u.draw(r, x.StateMachine, x.Version, p.History, x.Status, "execution-graph", "State machine of execution "+x.Name)
	return u.render(w, http.StatusOK, "execution", p)
}
