package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/web"
	"github.com/meshgate/meshgate/internal/workflow"
)

// registerWorkflow mounts state machines, executions and task callbacks.
// Mesh admins manage state machines and executions; any authenticated
// caller holding a task token may answer it, the token being the capability.
func registerWorkflow(rt *web.Router, d *Deps) {
	if d.Workflow == nil {
		return
	}
	h := &workflowHandlers{e: d.Workflow, pages: d.Pages}
	rt.Handle("POST", "/api/v1/state-machines", web.MeshAdmin, h.createStateMachine)
	rt.Handle("GET", "/api/v1/state-machines", web.MeshAdmin, h.listStateMachines)
	rt.Handle("GET", "/api/v1/state-machines/{name}", web.MeshAdmin, h.getStateMachine)
	rt.Handle("PUT", "/api/v1/state-machines/{name}", web.MeshAdmin, h.updateStateMachine)
	rt.Handle("DELETE", "/api/v1/state-machines/{name}", web.MeshAdmin, h.deleteStateMachine)
	rt.Handle("POST", "/api/v1/state-machines/{name}/rollback", web.MeshAdmin, h.rollbackStateMachine)
	rt.Handle("POST", "/api/v1/executions", web.MeshAdmin, h.startExecution)
	rt.Handle("GET", "/api/v1/executions", web.MeshAdmin, h.listExecutions)
	rt.Handle("GET", "/api/v1/executions/{id}", web.MeshAdmin, h.getExecution)
	rt.Handle("POST", "/api/v1/executions/{id}/stop", web.MeshAdmin, h.stopExecution)
	rt.Handle("GET", "/api/v1/executions/{id}/history", web.MeshAdmin, h.history)
	rt.Handle("GET", "/api/v1/task-resources", web.Authenticated, h.taskResources)
	rt.Handle("POST", "/api/v1/tasks/success", web.Authenticated, h.taskSuccess)
	rt.Handle("POST", "/api/v1/tasks/failure", web.Authenticated, h.taskFailure)
	rt.Handle("POST", "/api/v1/tasks/heartbeat", web.Authenticated, h.taskHeartbeat)
}

type workflowHandlers struct {
	e     *workflow.Engine
	pages *web.PageTokens
}

type stateMachineBody struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Definition  json.RawMessage `json:"definition"`
}

// definition accepts the definition as a JSON object or, as Step Functions
// does, as a string holding one.
func definition(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, mesh.Invalid("definition", "malformed string")
		}
		return json.RawMessage(s), nil
	}
	if len(raw) == 0 {
		return nil, mesh.Invalid("definition", "is required")
	}
	return raw, nil
}

func (h *workflowHandlers) createStateMachine(w http.ResponseWriter, r *http.Request) error {
	var b stateMachineBody
	if err := web.DecodeJSON(w, r, &b); err != nil {
		return err
	}
	def, err := definition(b.Definition)
	if err != nil {
		return err
	}
	sm, err := h.e.CreateStateMachine(r.Context(), workflow.StateMachineInput{Name: b.Name, Description: b.Description, Definition: def})
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, sm)
	return nil
}

func (h *workflowHandlers) updateStateMachine(w http.ResponseWriter, r *http.Request) error {
	var b stateMachineBody
	if err := web.DecodeJSON(w, r, &b); err != nil {
		return err
	}
	if b.Name != "" && b.Name != r.PathValue("name") {
		return mesh.Invalid("name", "does not match the name in the path")
	}
	def, err := definition(b.Definition)
	if err != nil {
		return err
	}
	sm, err := h.e.UpdateStateMachine(r.Context(), workflow.StateMachineInput{Name: r.PathValue("name"), Description: b.Description, Definition: def})
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, sm)
	return nil
}

func (h *workflowHandlers) listStateMachines(w http.ResponseWriter, r *http.Request) error {
	sms, err := h.e.FindStateMachines(r.Context())
	if err != nil {
		return err
	}
	if sms == nil {
		sms = []*mesh.StateMachine{}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"state_machines": sms})
	return nil
}

func intQuery(r *http.Request, name string, def int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, mesh.Invalid(name, "must be a non-negative integer")
	}
	return n, nil
}

func (h *workflowHandlers) getStateMachine(w http.ResponseWriter, r *http.Request) error {
	v, err := intQuery(r, "version", 0)
	if err != nil {
		return err
	}
	sm, err := h.e.FindStateMachine(r.Context(), r.PathValue("name"), v)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, sm)
	return nil
}

func (h *workflowHandlers) deleteStateMachine(w http.ResponseWriter, r *http.Request) error {
	force, err := identBool(r, "force")
	if err != nil {
		return err
	}
	if err := h.e.DeleteStateMachine(r.Context(), r.PathValue("name"), force); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type startBody struct {
	StateMachine string          `json:"state_machine"`
	Version      int             `json:"version"`
	Name         string          `json:"name"`
	Input        json.RawMessage `json:"input"`
}

func (h *workflowHandlers) startExecution(w http.ResponseWriter, r *http.Request) error {
	var b startBody
	if err := web.DecodeJSON(w, r, &b); err != nil {
		return err
	}
	x, existed, err := h.e.StartExecution(r.Context(), workflow.StartInput{StateMachine: b.StateMachine, Version: b.Version, Name: b.Name, Input: b.Input})
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if existed {
		status = http.StatusOK
	}
	web.WriteJSON(w, status, x)
	return nil
}

type executionCursor struct {
	T  time.Time `json:"t"`
	ID string    `json:"id"`
}

func (h *workflowHandlers) listExecutions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := identLimit(q.Get("limit"), 100, 1000)
	if err != nil {
		return err
	}
	f := store.ExecutionFilter{StateMachine: q.Get("state_machine"), Status: q.Get("status"), Limit: limit}
	if tok := q.Get("page_token"); tok != "" {
		var c executionCursor
		if err := h.pages.Decode("page_token", tok, &c); err != nil {
			return err
		}
		f.BeforeTime, f.BeforeID = c.T, c.ID
	}
	xs, err := h.e.FindExecutions(r.Context(), f)
	if err != nil {
		return err
	}
	out := map[string]any{"executions": xs}
	if xs == nil {
		out["executions"] = []*mesh.Execution{}
	}
	if len(xs) == f.Limit {
		last := xs[len(xs)-1]
		out["next_page_token"] = h.pages.Encode(executionCursor{T: last.StartedAt, ID: last.ID})
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h *workflowHandlers) getExecution(w http.ResponseWriter, r *http.Request) error {
	x, err := h.e.FindExecution(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, x)
	return nil
}

type stopBody struct {
	Error string `json:"error"`
	Cause string `json:"cause"`
}

func (h *workflowHandlers) stopExecution(w http.ResponseWriter, r *http.Request) error {
	var b stopBody
	if r.ContentLength != 0 {
		if err := web.DecodeJSON(w, r, &b); err != nil {
			return err
		}
	}
	x, err := h.e.StopExecution(r.Context(), r.PathValue("id"), b.Error, b.Cause)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, x)
	return nil
}

func (h *workflowHandlers) history(w http.ResponseWriter, r *http.Request) error {
	after, err := intQuery(r, "after", 0)
	if err != nil {
		return err
	}
	limit, err := identLimit(r.URL.Query().Get("limit"), 1000, 1000)
	if err != nil {
		return err
	}
	evs, err := h.e.History(r.Context(), r.PathValue("id"), after, limit)
	if err != nil {
		return err
	}
	if evs == nil {
		evs = []*mesh.HistoryEvent{}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"events": evs})
	return nil
}

type taskBody struct {
	TaskToken string          `json:"task_token"`
	Output    json.RawMessage `json:"output"`
	Error     string          `json:"error"`
	Cause     string          `json:"cause"`
}

func (h *workflowHandlers) taskSuccess(w http.ResponseWriter, r *http.Request) error {
	var b taskBody
	if err := web.DecodeJSON(w, r, &b); err != nil {
		return err
	}
	if err := h.e.SendTaskSuccess(r.Context(), b.TaskToken, b.Output); err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"status": "accepted"})
	return nil
}

func (h *workflowHandlers) taskFailure(w http.ResponseWriter, r *http.Request) error {
	var b taskBody
	if err := web.DecodeJSON(w, r, &b); err != nil {
		return err
	}
	if err := h.e.SendTaskFailure(r.Context(), b.TaskToken, b.Error, b.Cause); err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"status": "accepted"})
	return nil
}

func (h *workflowHandlers) taskHeartbeat(w http.ResponseWriter, r *http.Request) error {
	var b taskBody
	if err := web.DecodeJSON(w, r, &b); err != nil {
		return err
	}
	if err := h.e.SendTaskHeartbeat(r.Context(), b.TaskToken); err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"status": "accepted"})
	return nil
}

func (h *workflowHandlers) taskResources(w http.ResponseWriter, r *http.Request) error {
	web.WriteJSON(w, http.StatusOK, map[string]any{"resources": h.e.Registry().Resources(), "callback_suffix": workflow.CallbackSuffix})
	return nil
}

// rollbackBody names the version to make current again.
type rollbackBody struct {
	Version int `json:"version"`
}

func (h *workflowHandlers) rollbackStateMachine(w http.ResponseWriter, r *http.Request) error {
	var b rollbackBody
	if err := web.DecodeJSON(w, r, &b); err != nil {
		return err
	}
	sm, err := h.e.RollbackStateMachine(r.Context(), r.PathValue("name"), b.Version)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, sm)
	return nil
}
