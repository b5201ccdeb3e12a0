package ui

import (
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/sharing"
	"github.com/meshgate/meshgate/internal/web/ui/stategraph"
)

// RequestPage shows one access request: what was asked, by whom and why,
// the decision, and its execution: the state machine drawn with the path
// taken and the current state, and the timeline from its history (task
// tokens left out by the service).
type RequestPage struct {
	Page
	Request   *sharing.RequestView
	Execution *mesh.Execution
	// Drawing is the state machine with the path taken.
	Drawing   Drawing
	Timeline  []TimelineEvent
	CanCancel bool
	CanRevoke bool
	// CanDecide is set for an approver who may decide the pending approval.
	CanDecide bool
}

// TimelineEvent is one history event as the timeline lists it.
type TimelineEvent struct {
	Time    time.Time
	Type    string
	State   string
	Details string
}

// DecideLink is the approvals page that lists the request's approval,
// first on it (the listing goes by request, newest first, a page at a time).
func (p RequestPage) DecideLink() string {
	id := p.Request.ID
	return "/approvals?before=" + strconv.FormatInt(id+1, 10) + "#approval-" + strconv.FormatInt(id, 10)
}

// What names the requested resource for people.
func (p RequestPage) What() string { return requestWhat(p.Request.AccessRequest) }

func requestWhat(r *mesh.AccessRequest) string {
	if r.Table == mesh.AllTables || r.Table == "" {
		return "database " + r.Database
	}
	return "table " + r.Database + "." + r.Table
}

func (u *UI) requestPage(w http.ResponseWriter, r *http.Request) error {
	return u.showRequest(w, r, http.StatusOK, "")
}

func (u *UI) showRequest(w http.ResponseWriter, r *http.Request, status int, msg string) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := u.Sharing.FindRequest(r.Context(), id)
	if err != nil {
		return err
	}
	p := RequestPage{Page: u.page(r, "Request "+strconv.FormatInt(id, 10), "requests"), Request: v}
	p.Error = msg
	a := p.Actor
	mine := a.AccountID == v.RequesterAccount && a.Username == v.RequesterUser
	p.CanCancel = v.Open() && (mine || a.IsMeshAdmin() || a.IsAdminOf(v.RequesterAccount))
	if v.Status == mesh.RequestShared {
		if p.CanRevoke, err = u.Sharing.MayRevoke(r.Context(), v.AccessRequest); err != nil {
			return err
		}
	}
	p.CanDecide = v.Approval != nil && v.Approval.Status == mesh.ApprovalPending && !mine &&
		(a.IsMeshAdmin() || (a.AccountID == v.Approval.AccountID && (a.HasRole(mesh.RoleAdmin) || a.HasRole(mesh.RoleApprover))))
	for _, ev := range v.Timeline {
		te := TimelineEvent{Time: ev.Timestamp, Type: ev.Type}
		if path := stategraph.PathFromHistory([]*mesh.HistoryEvent{ev}); len(path) == 1 {
			te.State = path[0]
		}
		if len(ev.Details) > 0 {
			te.Details = indentJSON(ev.Details)
		}
		p.Timeline = append(p.Timeline, te)
	}
	if p.Execution, err = u.Workflow.FindExecution(r.Context(), v.ExecutionID); err != nil {
		return err
	}
	u.drawRequest(r, &p)
	return u.render(w, status, "request", p)
}

// drawRequest draws the request's state machine version with the path its
// execution took.
func (u *UI) drawRequest(r *http.Request, p *RequestPage) {
	v := p.Request
	p.Drawing = u.draw(r, v.StateMachine, v.StateMachineVersion, v.Timeline, p.Execution.Status,
		"request-graph", "Workflow of request "+strconv.FormatInt(v.ID, 10))
}

// Drawing is a state machine's graph with its text alternative.
type Drawing struct {
	// Graph is the SVG drawing; States and Path its text alternative.
	Graph  template.HTML
	States []*stategraph.Node
	Path   []string
	// Status is the execution's.
	Status string
	// GraphError says why the state machine could not be drawn.
	GraphError string
}

// draw lays out a state machine version and marks the path an execution
// took from its history. A definition that cannot be drawn leaves a note;
// the rest of the page stands.
func (u *UI) draw(r *http.Request, name string, version int, history []*mesh.HistoryEvent, status, id, title string) Drawing {
	d := Drawing{Status: status}
	sm, err := u.Workflow.FindStateMachine(r.Context(), name, version)
	if err != nil {
		d.GraphError = "The state machine " + name + " could not be read: " + mesh.ErrorMessage(err)
		return d
	}
	g, err := stategraph.Build(sm.Definition)
	if err != nil {
		d.GraphError = "The state machine cannot be drawn: " + err.Error()
		return d
	}
	g.Mark(stategraph.PathFromHistory(history), status)
	desc := "The states of " + sm.Name + " version " + strconv.Itoa(sm.Version) + " and their transitions."
	if len(g.Path) > 0 {
		desc += " The execution went through " + joinArrow(g.Path) + "."
	}
	if c := g.Current(); c != nil {
		desc += " It " + map[string]string{stategraph.StatusCurrent: "is now in ", stategraph.StatusFailed: "ended in "}[c.Status] + c.Name + "."
	}
	d.Graph = g.SVG(id, title, desc)
	d.States, d.Path = g.States(), g.Path
	return d
}

func joinArrow(names []string) string {
	s := ""
	for i, n := range names {
		if i > 0 {
			s += " → "
		}
		s += n
	}
	return s
}

func (u *UI) cancelRequest(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := u.Sharing.CancelRequest(r.Context(), id); err != nil {
		return u.requestActionFailed(w, r, err)
	}
	return redirect(w, r, "/requests/"+strconv.FormatInt(id, 10), "cancelled")
}

func (u *UI) revokeRequest(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := u.Sharing.RevokeRequest(r.Context(), id); err != nil {
		return u.requestActionFailed(w, r, err)
	}
	return redirect(w, r, "/requests/"+strconv.FormatInt(id, 10), "request-revoked")
}

// requestActionFailed shows the request again with why a cancel or revoke
// failed (a conflict: it changed meanwhile), or the error page.
func (u *UI) requestActionFailed(w http.ResponseWriter, r *http.Request, err error) error {
	if !mesh.IsCode(err, mesh.ECONFLICT) {
		return err
	}
	return refused(err, u.showRequest(w, r, statusOfForm(err), mesh.ErrorMessage(err)+"; the page shows it as it is now."))
}
