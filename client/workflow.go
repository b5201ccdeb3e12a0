package client

import (
	"context"
	"encoding/json"
	"github.com/meshgate/meshgate/internal/mesh"
	"net/url"
	"strconv"
)

// StateMachine, Execution and HistoryEvent are the server's own types: the
// JSON is the same on both sides.
type (
	StateMachine = mesh.StateMachine
	Execution    = mesh.Execution
	HistoryEvent = mesh.HistoryEvent
)

// CreateStateMachine saves version 1 of a state machine.
func (c *Client) CreateStateMachine(ctx context.Context, name, description string, definition json.RawMessage) (*StateMachine, error) {
	var out StateMachine
	in := map[string]any{"name": name, "description": description, "definition": definition}
	return &out, c.Do(ctx, "POST", "/api/v1/state-machines", nil, in, &out)
}

// UpdateStateMachine saves a new version of a state machine.
func (c *Client) UpdateStateMachine(ctx context.Context, name, description string, definition json.RawMessage) (*StateMachine, error) {
	var out StateMachine
	in := map[string]any{"description": description, "definition": definition}
	return &out, c.Do(ctx, "PUT", "/api/v1/state-machines/"+url.PathEscape(name), nil, in, &out)
}

// StateMachine describes a version of a state machine (0: the latest).
func (c *Client) StateMachine(ctx context.Context, name string, version int) (*StateMachine, error) {
	var q url.Values
	if version > 0 {
		q = url.Values{"version": {strconv.Itoa(version)}}
	}
	var out StateMachine
	return &out, c.Do(ctx, "GET", "/api/v1/state-machines/"+url.PathEscape(name), q, nil, &out)
}

// StateMachines lists the latest version of every state machine.
func (c *Client) StateMachines(ctx context.Context) ([]*StateMachine, error) {
	var out struct {
		StateMachines []*StateMachine `json:"state_machines"`
	}
	return out.StateMachines, c.Do(ctx, "GET", "/api/v1/state-machines", nil, nil, &out)
}

// DeleteStateMachine deletes a state machine; force aborts its running executions.
func (c *Client) DeleteStateMachine(ctx context.Context, name string, force bool) error {
	q := url.Values{}
	if force {
		q.Set("force", "true")
	}
	return c.Do(ctx, "DELETE", "/api/v1/state-machines/"+url.PathEscape(name), q, nil, nil)
}

// StartExecutionInput starts an execution.
type StartExecutionInput struct {
	StateMachine string          `json:"state_machine"`
	Version      int             `json:"version,omitempty"`
	Name         string          `json:"name,omitempty"`
	Input        json.RawMessage `json:"input,omitempty"`
}

// StartExecution starts an execution (or returns the one with the same name and input).
func (c *Client) StartExecution(ctx context.Context, in StartExecutionInput) (*Execution, error) {
	var out Execution
	return &out, c.Do(ctx, "POST", "/api/v1/executions", nil, in, &out)
}

// Execution describes an execution.
func (c *Client) Execution(ctx context.Context, id string) (*Execution, error) {
	var out Execution
	return &out, c.Do(ctx, "GET", "/api/v1/executions/"+url.PathEscape(id), nil, nil, &out)
}

// ExecutionFilter selects executions.
type ExecutionFilter struct {
	StateMachine string
	Status       string
	Limit        int
	PageToken    string
}

// Executions lists executions, newest first, and the token of the next page ("" at the end).
func (c *Client) Executions(ctx context.Context, f ExecutionFilter) ([]*Execution, string, error) {
	q := url.Values{}
	if f.StateMachine != "" {
		q.Set("state_machine", f.StateMachine)
	}
	if f.Status != "" {
		q.Set("status", f.Status)
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	if f.PageToken != "" {
		q.Set("page_token", f.PageToken)
	}
	var out struct {
		Executions []*Execution `json:"executions"`
		Next       string       `json:"next_page_token"`
	}
	err := c.Do(ctx, "GET", "/api/v1/executions", q, nil, &out)
	return out.Executions, out.Next, err
}

// StopExecution aborts a running execution.
func (c *Client) StopExecution(ctx context.Context, id, errName, cause string) (*Execution, error) {
	var out Execution
	in := map[string]string{"error": errName, "cause": cause}
	return &out, c.Do(ctx, "POST", "/api/v1/executions/"+url.PathEscape(id)+"/stop", nil, in, &out)
}

// History returns an execution's events after afterID (at most 1000 per call).
func (c *Client) History(ctx context.Context, id string, afterID int) ([]*HistoryEvent, error) {
	q := url.Values{"after": {strconv.Itoa(afterID)}}
	var out struct {
		Events []*HistoryEvent `json:"events"`
	}
	return out.Events, c.Do(ctx, "GET", "/api/v1/executions/"+url.PathEscape(id)+"/history", q, nil, &out)
}

// SendTaskSuccess completes the task waiting for token.
func (c *Client) SendTaskSuccess(ctx context.Context, token string, output json.RawMessage) error {
	in := map[string]any{"task_token": token, "output": output}
	return c.Do(ctx, "POST", "/api/v1/tasks/success", nil, in, nil)
}

// SendTaskFailure fails the task waiting for token.
func (c *Client) SendTaskFailure(ctx context.Context, token, errName, cause string) error {
	in := map[string]any{"task_token": token, "error": errName, "cause": cause}
	return c.Do(ctx, "POST", "/api/v1/tasks/failure", nil, in, nil)
}

// SendTaskHeartbeat restarts the heartbeat timer of the task waiting for token.
func (c *Client) SendTaskHeartbeat(ctx context.Context, token string) error {
	return c.Do(ctx, "POST", "/api/v1/tasks/heartbeat", nil, map[string]any{"task_token": token}, nil)
}

// TaskResources lists the task resource URIs a Task state may name.
func (c *Client) TaskResources(ctx context.Context) ([]string, error) {
	var out struct {
		Resources []string `json:"resources"`
	}
	return out.Resources, c.Do(ctx, "GET", "/api/v1/task-resources", nil, nil, &out)
}
