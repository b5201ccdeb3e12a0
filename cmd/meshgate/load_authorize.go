package main

import (
	"context"
	"fmt"
	"os"

	"github.com/meshgate/meshgate/internal/loadtest"
)

// LoadAuthorizeCmd measures the authorization decision over HTTP.
type LoadAuthorizeCmd struct {
	Grants      int    `help:"Grants stored before the load." default:"100000"`
	Concurrency int    `help:"Clients asking at once." default:"8"`
	Requests    int    `help:"Requests to time (after 1,000 warm-up requests)." default:"50000"`
	Batch       int    `help:"Decisions per request (1: single requests)." default:"1"`
	Database    string `help:"PostgreSQL URL; default a temporary SQLite store." env:"MESHGATE_LOAD_DATABASE"`
	Placement   string `help:"Where the server runs: isolated (a meshgate serve process on core 0, the load generator on core 1; as process on one core), process (a meshgate serve process, unbound) or shared (in this process, sharing its cores with the load generator)." enum:"isolated,process,shared" default:"isolated"`
	CPUProfile  string `help:"Write a CPU profile of the timed part to this file (of server and load generator with --placement shared, of the load generator otherwise)."`
	Trace       string `help:"Write a Go execution trace of the timed part to this file (of server and load generator with --placement shared, of the load generator otherwise)."`
}

// Run runs the load and prints its figures.
func (c *LoadAuthorizeCmd) Run(ctx context.Context, g *Globals) error {
	opts := loadtest.AuthorizeOptions{
		Grants: c.Grants, Concurrency: c.Concurrency, Requests: c.Requests, Batch: c.Batch,
		DatabaseURL: c.Database, Progress: g.stderr, CPUProfile: c.CPUProfile, Trace: c.Trace,
		Pin: c.Placement == "isolated",
	}
	if c.Placement != "shared" {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		opts.ServerExecutable = exe
	}
	res, err := loadtest.RunAuthorize(ctx, opts)
	if err != nil {
		return err
	}
	if g.JSON() {
		return g.PrintJSON(res)
	}
	server := "in this process"
	switch {
	case res.Pinned:
		server = "own process, core 0 (load generator on core 1)"
	case res.ServerProcess:
		server = "own process"
	}
	fmt.Fprintln(g.stdout, "server:", server)
	return g.PrintTable([]string{"STORE", "GRANTS", "CONCURRENCY", "REQUESTS", "REQ/S", "P50 MS", "P90 MS", "P99 MS", "MAX MS", "CPU US/REQ", "ERRORS"},
		[][]string{{res.Store, fmt.Sprint(res.Grants), fmt.Sprint(res.Concurrency), fmt.Sprint(res.Requests),
			fmt.Sprintf("%.0f", res.PerSecond), fmt.Sprintf("%.3f", res.P50), fmt.Sprintf("%.3f", res.P90),
			fmt.Sprintf("%.3f", res.P99), fmt.Sprintf("%.3f", res.Max), fmt.Sprintf("%.0f", res.CPUPerRequest), fmt.Sprint(res.Errors)}})
}
