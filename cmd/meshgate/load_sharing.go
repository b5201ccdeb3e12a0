package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/meshgate/meshgate/internal/loadtest"
)

// LoadSharingCmd runs data-sharing requests end to end on servers of its own.
type LoadSharingCmd struct {
	Mode        string        `help:"nopii: requests shared at once; pii: requests approved by the producer's approver." enum:"nopii,pii" default:"nopii"`
	Concurrency int           `help:"Requesters at once." default:"32"`
	Duration    time.Duration `help:"How long the timed part runs (unless --requests is set)." default:"60s"`
	Requests    int           `help:"Run this many requests instead of for --duration (e.g. 1000000 for the flat-memory check)."`
	Accounts    int           `help:"Consumer accounts asking." default:"1000"`
	Database    string        `help:"PostgreSQL URL; default a temporary SQLite store with synchronous=FULL." env:"MESHGATE_LOAD_DATABASE"`
	Replicas    int           `help:"meshgate serve processes sharing the load (PostgreSQL only; default 2 there, 1 on SQLite)."`
	Placement   string        `help:"Where a single server runs: isolated (a meshgate serve process on core 0, the load generator on core 1), process (a meshgate serve process, unbound) or shared (in this process)." enum:"isolated,process,shared" default:"process"`
	CommitProbe time.Duration `help:"How long to measure the disk's fsync'd single-row commit rate first (0: skip)." default:"3s"`
	SampleEvery time.Duration `help:"Interval of the resident-memory samples." default:"5s"`
	CPUProfile  string        `help:"Write a CPU profile of the timed part to this file (of server and load generator with --placement shared, of the load generator otherwise; each server process's to FILE.serverN)."`
}

// Run runs the load and prints its figures.
func (c *LoadSharingCmd) Run(ctx context.Context, g *Globals) error {
	opts := loadtest.SharingOptions{Mode: c.Mode, Concurrency: c.Concurrency, Duration: c.Duration, Requests: c.Requests,
		Accounts: c.Accounts, DatabaseURL: c.Database, Replicas: c.Replicas, Pin: c.Placement == "isolated",
		CommitProbe: c.CommitProbe, SampleEvery: c.SampleEvery, Progress: g.stderr, CPUProfile: c.CPUProfile}
	if c.Placement != "shared" || c.Database != "" {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		opts.ServerExecutable = exe
	}
	res, err := loadtest.RunSharing(ctx, opts)
	if err != nil {
		return err
	}
	if g.JSON() {
		if err := g.PrintJSON(res); err != nil {
			return err
		}
	} else if err := printSharing(g, res); err != nil {
		return err
	}
	if res.Errors > 0 {
		return fmt.Errorf("%d requests failed; the first: %s", res.Errors, res.FirstErr)
	}
	return nil
}

func printSharing(g *Globals, res *loadtest.SharingResult) error {
	mib := func(b int64) string { return fmt.Sprintf("%.1f", float64(b)/(1<<20)) }
	fraction := "-"
	if res.CommitsPerSecond > 0 {
		fraction = fmt.Sprintf("%.0f%% of %.0f", 100*res.CommitFraction, res.CommitsPerSecond)
	}
	dbCPU := "-"
	if res.DBCPUPerRequest > 0 {
		dbCPU = fmt.Sprintf("%.0f", res.DBCPUPerRequest)
	}
	err := g.PrintTable([]string{"MODE", "STORE", "REPLICAS", "CONCURRENCY", "REQUESTS", "ERRORS", "SECONDS", "REQ/S", "P50 MS", "P95 MS", "P99 MS", "MAX MS", "CPU US/REQ", "DB CPU US/REQ", "OF FSYNC COMMITS/S", "STORE B/REQ"},
		[][]string{{res.Mode, res.Store, fmt.Sprint(res.Replicas), fmt.Sprint(res.Concurrency), fmt.Sprint(res.Requests), fmt.Sprint(res.Errors),
			fmt.Sprintf("%.1f", res.Seconds), fmt.Sprintf("%.0f", res.PerSecond), fmt.Sprintf("%.2f", res.P50), fmt.Sprintf("%.2f", res.P95),
			fmt.Sprintf("%.2f", res.P99), fmt.Sprintf("%.2f", res.Max), fmt.Sprintf("%.0f", res.CPUPerRequest), dbCPU, fraction,
			fmt.Sprintf("%.0f", res.StoreBytesPerRequest)}})
	if err != nil {
		return err
	}
	if w := res.Writer; w != nil {
		fmt.Fprintln(g.stdout)
		err := g.PrintTable([]string{"SQLITE WRITER BUSY", "OF IT COMMIT", "WRITE TX/S", "CALLS/TX", "REQUESTS/TX"},
			[][]string{{fmt.Sprintf("%.0f%%", 100*w.Busy), fmt.Sprintf("%.0f%%", 100*w.CommitShare), fmt.Sprintf("%.0f", w.TransactionsPerSecond),
				fmt.Sprintf("%.1f", w.CallsPerTransaction), fmt.Sprintf("%.1f", w.RequestsPerTransaction)}})
		if err != nil {
			return err
		}
	}
	var rows [][]string
	for _, s := range res.Memory {
		join := func(bs []int64) string {
			out := ""
			for i, b := range bs {
				if i > 0 {
					out += " "
				}
				out += mib(b)
			}
			return out
		}
		rows = append(rows, []string{fmt.Sprintf("%.0f", s.Seconds), fmt.Sprint(s.Requests), join(s.RSS), join(s.Anon)})
	}
	fmt.Fprintln(g.stdout)
	return g.PrintTable([]string{"SECOND", "REQUESTS", "SERVER RSS MIB", "ANONYMOUS MIB"}, rows)
}
