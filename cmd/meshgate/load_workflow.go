package main

import (
	"context"
	"fmt"
	"time"

	"github.com/meshgate/meshgate/internal/loadtest"
)

// LoadWorkflowCmd is the workflow load.
type LoadWorkflowCmd struct {
	Executions  int           `help:"Executions to start." default:"10000"`
	Concurrency int           `help:"Concurrent start requests; more of them make bigger group commits." default:"256"`
	Definition  string        `help:"Definition to run instead of the built-in short one: inline JSON or file://path."`
	Timeout     time.Duration `help:"How long to wait for the executions to end." default:"10m"`
}

// Run runs the load and prints what it measured.
func (c *LoadWorkflowCmd) Run(ctx context.Context, g *Globals) error {
	var def string
	if c.Definition != "" {
		b, err := readInput(c.Definition)
		if err != nil {
			return err
		}
		def = string(b)
	}
	cl := g.Client().WithHTTPClient(loadtest.NewHTTPClient(c.Concurrency))
	res, err := loadtest.Workflow(ctx, loadtest.WorkflowOptions{
		Client: cl, Executions: c.Executions, Concurrency: c.Concurrency, Definition: def, Timeout: c.Timeout})
	if err != nil {
		return err
	}
	if g.JSON() {
		return g.PrintJSON(res)
	}
	return g.PrintTable([]string{"EXECUTIONS", "SUCCEEDED", "OTHER", "START ERRORS", "STATES/EXEC", "TRANSITIONS", "SECONDS", "TRANSITIONS/S", "EXECUTIONS/S"},
		[][]string{{fmt.Sprint(res.Executions), fmt.Sprint(res.Succeeded), fmt.Sprint(res.Other), fmt.Sprint(res.StartErrors),
			fmt.Sprint(res.StatesPerRun), fmt.Sprint(res.Transitions), fmt.Sprintf("%.2f", res.Elapsed.Seconds()),
			fmt.Sprintf("%.0f", res.TransitionsPerSecond), fmt.Sprintf("%.0f", res.ExecutionsPerSecond)}})
}
