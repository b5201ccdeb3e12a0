package main

import "context"

// TaskCmd answers tasks waiting for a task token (.waitForTaskToken).
type TaskCmd struct {
	SendSuccess   TaskSendSuccessCmd   `cmd:"" help:"Complete the task waiting for a token, with an output."`
	SendFailure   TaskSendFailureCmd   `cmd:"" help:"Fail the task waiting for a token."`
	SendHeartbeat TaskSendHeartbeatCmd `cmd:"" help:"Report that the task waiting for a token is still alive."`
}

// TaskSendSuccessCmd is SendTaskSuccess.
type TaskSendSuccessCmd struct {
	TaskToken  string `name:"task-token" required:"" help:"The task token (--token is the API token)."`
	TaskOutput string `name:"task-output" help:"Task output: inline JSON, file://path or - (-o is the print format)." default:"{}"`
}

// Run sends it.
func (c *TaskSendSuccessCmd) Run(ctx context.Context, g *Globals) error {
	out, err := readInput(c.TaskOutput)
	if err != nil {
		return err
	}
	return g.Client().SendTaskSuccess(ctx, c.TaskToken, out)
}

// TaskSendFailureCmd is SendTaskFailure.
type TaskSendFailureCmd struct {
	TaskToken string `name:"task-token" required:"" help:"The task token (--token is the API token)."`
	Error     string `help:"Error name (default States.TaskFailed)."`
	Cause     string `help:"Cause."`
}

// Run sends it.
func (c *TaskSendFailureCmd) Run(ctx context.Context, g *Globals) error {
	return g.Client().SendTaskFailure(ctx, c.TaskToken, c.Error, c.Cause)
}

// TaskSendHeartbeatCmd is SendTaskHeartbeat.
type TaskSendHeartbeatCmd struct {
	TaskToken string `name:"task-token" required:"" help:"The task token (--token is the API token)."`
}

// Run sends it.
func (c *TaskSendHeartbeatCmd) Run(ctx context.Context, g *Globals) error {
	return g.Client().SendTaskHeartbeat(ctx, c.TaskToken)
}
