package main

import (
	"context"
	"strconv"
	"time"

	"github.com/meshgate/meshgate/client"
)

// ExecutionCmd starts and inspects executions.
type ExecutionCmd struct {
	Start    ExecutionStartCmd    `cmd:"" help:"Start an execution of a state machine."`
	Describe ExecutionDescribeCmd `cmd:"" help:"Show an execution."`
	List     ExecutionListCmd     `cmd:"" help:"List executions, newest first."`
	Stop     ExecutionStopCmd     `cmd:"" help:"Stop (abort) a running execution."`
	History  ExecutionHistoryCmd  `cmd:"" help:"Show an execution's history events."`
}

func executionRow(x *client.Execution) []string {
	stopped := ""
	if !x.StoppedAt.IsZero() {
		stopped = x.StoppedAt.Format(time.RFC3339)
	}
	return []string{x.ID, x.Name, x.StateMachine + ":" + strconv.Itoa(x.Version), x.Status, x.StartedAt.Format(time.RFC3339), stopped, x.Error}
}

var executionHeader = []string{"ID", "NAME", "STATE MACHINE", "STATUS", "STARTED", "STOPPED", "ERROR"}

// ExecutionStartCmd starts an execution.
type ExecutionStartCmd struct {
	StateMachine string `required:"" help:"State machine name."`
	Version      int    `help:"Version (default the latest)."`
	Name         string `help:"Execution name: an idempotency key (same name and input return the existing execution)."`
	Input        string `help:"Input: inline JSON, file://path or -." default:"{}"`
}

// Run starts it.
func (c *ExecutionStartCmd) Run(ctx context.Context, g *Globals) error {
	in, err := readInput(c.Input)
	if err != nil {
		return err
	}
	x, err := g.Client().StartExecution(ctx, client.StartExecutionInput{StateMachine: c.StateMachine, Version: c.Version, Name: c.Name, Input: in})
	if err != nil {
		return err
	}
	return g.Print(x, executionHeader, func() [][]string { return [][]string{executionRow(x)} })
}

// ExecutionDescribeCmd shows an execution.
type ExecutionDescribeCmd struct {
	IDFlag `embed:"" set:"what=Execution id"`
}

// Run shows it.
func (c *ExecutionDescribeCmd) Run(ctx context.Context, g *Globals) error {
	x, err := g.Client().Execution(ctx, c.ID)
	if err != nil {
		return err
	}
	if g.JSON() {
		return g.PrintJSON(x)
	}
	if err := g.PrintTable(executionHeader, [][]string{executionRow(x)}); err != nil {
		return err
	}
	return g.PrintJSON(map[string]any{"input": x.Input, "output": x.Output, "cause": x.Cause})
}

// ExecutionListCmd lists executions.
type ExecutionListCmd struct {
	StateMachine string `help:"Only this state machine's executions."`
	Status       string `help:"Only executions with this status." enum:",RUNNING,SUCCEEDED,FAILED,TIMED_OUT,ABORTED" default:""`
	Limit        int    `help:"At most this many." default:"100"`
	PageToken    string `help:"Continue a listing."`
}

// Run lists them.
func (c *ExecutionListCmd) Run(ctx context.Context, g *Globals) error {
	xs, next, err := g.Client().Executions(ctx, client.ExecutionFilter{StateMachine: c.StateMachine, Status: c.Status, Limit: c.Limit, PageToken: c.PageToken})
	if err != nil {
		return err
	}
	if g.JSON() {
		return g.PrintJSON(map[string]any{"executions": xs, "next_page_token": next})
	}
	rows := make([][]string, 0, len(xs))
	for _, x := range xs {
		rows = append(rows, executionRow(x))
	}
	if err := g.PrintTable(executionHeader, rows); err != nil {
		return err
	}
	if next != "" {
		_, err = g.stdout.Write([]byte("next page: --page-token " + next + "\n"))
	}
	return err
}

// ExecutionStopCmd stops an execution.
type ExecutionStopCmd struct {
	IDFlag `embed:"" set:"what=Execution id"`
	Error  string `help:"Error name recorded with the abort."`
	Cause  string `help:"Cause recorded with the abort."`
}

// Run stops it.
func (c *ExecutionStopCmd) Run(ctx context.Context, g *Globals) error {
	x, err := g.Client().StopExecution(ctx, c.ID, c.Error, c.Cause)
	if err != nil {
		return err
	}
	return g.Print(x, executionHeader, func() [][]string { return [][]string{executionRow(x)} })
}

// ExecutionHistoryCmd shows history events.
type ExecutionHistoryCmd struct {
	IDFlag `embed:"" set:"what=Execution id"`
}

// Run pages through the whole history.
func (c *ExecutionHistoryCmd) Run(ctx context.Context, g *Globals) error {
	var all []*client.HistoryEvent
	for after := 0; ; {
		evs, err := g.Client().History(ctx, c.ID, after)
		if err != nil {
			return err
		}
		all = append(all, evs...)
		if len(evs) < 1000 {
			break
		}
		after = evs[len(evs)-1].ID
	}
	return g.Print(all, []string{"ID", "PREVIOUS", "TIMESTAMP", "TYPE", "DETAILS"}, func() [][]string {
		rows := make([][]string, 0, len(all))
		for _, e := range all {
			d := string(e.Details)
			if len(d) > 120 {
				d = d[:117] + "..."
			}
			rows = append(rows, []string{strconv.Itoa(e.ID), strconv.Itoa(e.PreviousID), e.Timestamp.Format(time.RFC3339Nano), e.Type, d})
		}
		return rows
	})
}
