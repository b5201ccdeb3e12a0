package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/meshgate/meshgate/internal/loadtest"
)

// LoadCmd groups the load commands; each area adds its load as a subcommand
// here. Some load a running server (--endpoint), others start their own on a
// throwaway store; each says which.
type LoadCmd struct {
	Catalog   LoadCatalogCmd   `cmd:"" help:"Load a synthetic catalog into a running server through the API, then measure get-table and search latencies."`
	Authorize LoadAuthorizeCmd `cmd:"" help:"Measure POST /api/v1/authorize with many grants stored (starts its own server)."`
	Workflow  LoadWorkflowCmd  `cmd:"" help:"Start short executions on a running server through the API and measure state transitions per second."`
	Sharing   LoadSharingCmd   `cmd:"" help:"Run data-sharing requests end to end (request, approval, grant, authorize) on servers of its own and measure requests per second, latency, memory and store growth."`
	AuthLag   LoadAuthLagCmd   `cmd:"" name:"auth-lag" help:"Measure how long a token or session ended on one PostgreSQL replica still works on another (starts two servers)."`
}

// LoadCatalogCmd is the catalog load.
type LoadCatalogCmd struct {
	Tables            int    `help:"Tables to create." default:"100000"`
	Columns           int    `help:"Columns per table." default:"20"`
	TablesPerDatabase int    `help:"Tables per database." default:"1000"`
	Concurrency       int    `help:"Concurrent batch requests while loading; the higher read concurrency measured." default:"8"`
	Batch             int    `help:"Tables per batch request." default:"100"`
	Requests          int    `help:"Requests per latency measurement." default:"2000"`
	Prefix            string `help:"Prefix of the generated databases' names." default:"load"`
	SkipLoad          bool   `help:"Only measure a catalog an earlier run loaded with the same sizes."`
	Data              string `help:"The server's data directory, to report its SQLite store's size." type:"path"`
	ServerPID         int    `help:"Process id of a server on this machine, to report its CPU time per request."`
}

// Run loads, measures and prints the figures.
func (c *LoadCatalogCmd) Run(ctx context.Context, g *Globals) error {
	cl := g.Client().WithHTTPClient(loadtest.NewHTTPClient(c.Concurrency))
	progress := g.stderr
	res, err := loadtest.Catalog(ctx, loadtest.CatalogOptions{
		Client: cl, Concurrency: c.Concurrency, Batch: c.Batch, Requests: c.Requests, SkipLoad: c.SkipLoad, Progress: progress, ServerPID: c.ServerPID,
		Spec: loadtest.CatalogSpec{Tables: c.Tables, Columns: c.Columns, TablesPerDatabase: c.TablesPerDatabase, Prefix: c.Prefix},
	})
	if err != nil {
		return err
	}
	size := int64(-1)
	if c.Data != "" {
		size = 0
		for _, suffix := range []string{"", "-wal"} {
			if fi, err := os.Stat(filepath.Join(c.Data, "meshgate.db"+suffix)); err == nil {
				size += fi.Size()
			}
		}
	}
	if g.JSON() {
		return g.PrintJSON(struct {
			*loadtest.CatalogResult
			StoreBytes int64 `json:"store_bytes,omitempty"`
		}{res, size})
	}
	if !c.SkipLoad {
		fmt.Fprintf(g.stdout, "loaded %d tables x %d columns in %d databases in %.1fs (%.0f tables/s)\n",
			res.Tables, res.Columns, res.Databases, res.Load.Seconds(), res.TablesPerSecond)
	}
	if size >= 0 {
		fmt.Fprintf(g.stdout, "store file: %.1f MiB\n", float64(size)/(1<<20))
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }
	cpu := func(d time.Duration) string {
		if d == 0 {
			return "-"
		}
		return fmt.Sprintf("%.0f", float64(d)/float64(time.Microsecond))
	}
	var rows [][]string
	failed := 0
	for _, l := range res.Latencies {
		failed += l.Errors
		rows = append(rows, []string{l.Name, fmt.Sprint(l.Concurrency), fmt.Sprint(l.Requests), fmt.Sprint(l.Errors),
			fmt.Sprintf("%.0f", l.PerSecond), ms(l.P50), ms(l.P90), ms(l.P99), ms(l.Max), cpu(l.ServerCPU)})
	}
	if err := g.PrintTable([]string{"REQUEST", "CONCURRENCY", "REQUESTS", "ERRORS", "PER_SECOND", "P50_MS", "P90_MS", "P99_MS", "MAX_MS", "SERVER_CPU_US"}, rows); err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d requests failed", failed)
	}
	return nil
}
