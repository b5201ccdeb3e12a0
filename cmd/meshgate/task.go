package main

import (
	"context"
)

// TaskCmd answers tasks waiting for a task token (.waitForTaskToken). The
// token is the first argument or --task-token (--token is the API token).
type TaskCmd struct {
	SendSuccess   TaskSendSuccessCmd   `cmd:"" help:"Complete the task waiting for a token, with an output."`
	SendFailure   TaskSendFailureCmd   `cmd:"" help:"Fail the task waiting for a token."`
	SendHeartbeat TaskSendHeartbeatCmd `cmd:"" help:"Report that the task waiting for a token is still alive."`
}

// taskToken is the token argument every task command takes.
type taskToken struct {
	Arg       string `arg:"" optional:"" name:"token" help:"The task token."`
	TaskToken string `name:"task-token" help:"The task token (instead of the argument; --token is the API token)."`
}

func (t taskToken) token() (string, error) {
	tok := t.TaskToken
	return tok, pickIdentifier("task-token", &tok, t.Arg)
}

// TaskSendSuccessCmd is SendTaskSuccess.
type TaskSendSuccessCmd struct {
	taskToken
	TaskOutput string `name:"task-output" help:"Task output: inline JSON, file://path or - (-o is the print format)." default:"{}"`
}

// Run sends it.
func (c *TaskSendSuccessCmd) Run(ctx context.Context, g *Globals) error {
	tok, err := c.token()
	if err != nil {
		return err
	}
	out, err := readInput(c.TaskOutput)
	if err != nil {
		return err
	}
	return g.Client().SendTaskSuccess(ctx, tok, out)
}

// TaskSendFailureCmd is SendTaskFailure.
type TaskSendFailureCmd struct {
	taskToken
	Error string `help:"Error name (default States.TaskFailed)."`
	Cause string `help:"Cause."`
}

// Run sends it.
func (c *TaskSendFailureCmd) Run(ctx context.Context, g *Globals) error {
	tok, err := c.token()
	if err != nil {
		return err
	}
	return g.Client().SendTaskFailure(ctx, tok, c.Error, c.Cause)
}

// TaskSendHeartbeatCmd is SendTaskHeartbeat.
type TaskSendHeartbeatCmd struct {
	taskToken
}

// Run sends it.
func (c *TaskSendHeartbeatCmd) Run(ctx context.Context, g *Globals) error {
	tok, err := c.token()
	if err != nil {
		return err
	}
	return g.Client().SendTaskHeartbeat(ctx, tok)
}
