package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
)

// CatalogOptions configure a catalog load.
type CatalogOptions struct {
	// Client calls the server; give it an HTTP client that keeps enough
	// connections alive (see NewHTTPClient).
	Client *client.Client
	Spec   CatalogSpec
	// Concurrency is the number of concurrent batch requests while loading,
	// and the higher of the two read concurrencies measured.
	Concurrency int
	// Batch is the number of tables per batch request (default 100).
	Batch int
	// Requests is the number of requests of each latency measurement (default 2000).
	Requests int
	// SkipLoad measures a catalog loaded earlier with the same spec.
	SkipLoad bool
	// Progress, when set, receives a line per phase.
	Progress io.Writer
	// ServerPID, when set and the server runs on this machine, adds the
	// server process's CPU time per request to each measurement: a figure
	// that, unlike latency, does not depend on what else the machine runs.
	ServerPID int
}

// Latency summarizes one measurement's request durations.
type Latency struct {
	Name        string        `json:"name"`
	Concurrency int           `json:"concurrency"`
	Requests    int           `json:"requests"`
	Errors      int           `json:"errors"`
	PerSecond   float64       `json:"per_second"`
	P50         time.Duration `json:"p50_ns"`
	P90         time.Duration `json:"p90_ns"`
	P99         time.Duration `json:"p99_ns"`
	Max         time.Duration `json:"max_ns"`
	// ServerCPU is the server's CPU time (user and system) per request, when measured.
	ServerCPU time.Duration `json:"server_cpu_per_request_ns,omitempty"`
}

// CatalogResult is what a catalog load measured.
type CatalogResult struct {
	Databases int `json:"databases"`
	Tables    int `json:"tables"`
	Columns   int `json:"columns_per_table"`
	// Load is the time to create the databases and tables through the API.
	Load            time.Duration `json:"load_ns"`
	TablesPerSecond float64       `json:"tables_per_second"`
	Latencies       []Latency     `json:"latencies"`
}

func (o *CatalogOptions) logf(format string, args ...any) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, format+"\n", args...)
	}
}

// Catalog loads the catalog the spec describes through the API (databases
// one by one, tables in batch requests), then measures get-table and search
// latencies at concurrency 1 and at Concurrency.
func Catalog(ctx context.Context, o CatalogOptions) (*CatalogResult, error) {
	o.Spec = o.Spec.WithDefaults()
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.Batch <= 0 {
		o.Batch = 100
	}
	if o.Requests <= 0 {
		o.Requests = 2000
	}
	res := &CatalogResult{Databases: o.Spec.Databases(), Tables: o.Spec.Tables, Columns: o.Spec.Columns}
	if !o.SkipLoad {
		begin := time.Now()
		if err := loadCatalog(ctx, &o); err != nil {
			return nil, err
		}
		res.Load = time.Since(begin)
		res.TablesPerSecond = float64(o.Spec.Tables) / res.Load.Seconds()
		o.logf("loaded %d tables in %.1fs (%.0f tables/s)", o.Spec.Tables, res.Load.Seconds(), res.TablesPerSecond)
	}
	// The reads fetch the whole answer but do not decode it: the figures are
	// the server's, and the load runs on the same machine as the server.
	spec := o.Spec
	getTable := func(ctx context.Context, r *rand.Rand) error {
		i := r.IntN(spec.Tables)
		path := "/api/v1/catalog/databases/" + client.PathEscape(spec.TableDatabase(i)) + "/tables/" + client.PathEscape(spec.TableName(i))
		return o.Client.Do(ctx, http.MethodGet, path, nil, nil, nil)
	}
	search := func(common bool) func(ctx context.Context, r *rand.Rand) error {
		return func(ctx context.Context, r *rand.Rand) error {
			q := url.Values{"q": {SearchQuery(r, common)}, "limit": {"20"}}
			return o.Client.Do(ctx, http.MethodGet, "/api/v1/catalog/search", q, nil, nil)
		}
	}
	for _, m := range []struct {
		name     string
		requests int
		do       func(context.Context, *rand.Rand) error
	}{
		{"get-table", o.Requests, getTable},
		{"search", o.Requests, search(false)},
		{"search (1 in 10 a term in every table)", o.Requests / 2, search(true)},
	} {
		for _, conc := range slices.Compact([]int{1, o.Concurrency}) {
			cpu0, cpuErr := ProcessCPU(o.ServerPID)
			l := measure(ctx, m.name, conc, m.requests, m.do)
			if cpu1, err := ProcessCPU(o.ServerPID); o.ServerPID > 0 && cpuErr == nil && err == nil && l.Requests > 0 {
				l.ServerCPU = (cpu1 - cpu0) / time.Duration(l.Requests)
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			o.logf("%s at concurrency %d: p50 %v p90 %v p99 %v (%d errors)", l.Name, conc, l.P50, l.P90, l.P99, l.Errors)
			res.Latencies = append(res.Latencies, l)
		}
	}
	return res, nil
}

func loadCatalog(ctx context.Context, o *CatalogOptions) error {
	if err := onboardOwners(ctx, o); err != nil {
		return err
	}
	for i := range o.Spec.Databases() {
		d := o.Spec.Database(i)
		_, err := o.Client.CreateDatabase(ctx, &client.Database{Name: d.Name, Description: d.Description, LocationURI: d.LocationURI, Parameters: d.Parameters})
		if err != nil {
			return fmt.Errorf("create database %s (load into a fresh store, or pick another --prefix): %w", d.Name, err)
		}
	}
	o.logf("created %d databases", o.Spec.Databases())
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var done atomic.Int64
	var wg sync.WaitGroup
	for range o.Concurrency {
		wg.Go(func() {
			for ctx.Err() == nil {
				start := int(next.Add(int64(o.Batch))) - o.Batch
				if start >= o.Spec.Tables {
					return
				}
				end := min(start+o.Batch, o.Spec.Tables)
				if err := createBatch(ctx, o, start, end); err != nil {
					cancel(err)
					return
				}
				if n := done.Add(int64(end - start)); o.Progress != nil && n%10000 < int64(end-start) {
					o.logf("  %d tables", n)
				}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	if done.Load() != int64(o.Spec.Tables) {
		return fmt.Errorf("loaded %d of %d tables: %v", done.Load(), o.Spec.Tables, ctx.Err())
	}
	return nil
}

// onboardOwners onboards the accounts that own the spec's databases (a
// database's data_owner must be an onboarded account), leaving those an
// earlier load onboarded as they are.
func onboardOwners(ctx context.Context, o *CatalogOptions) error {
	seen := map[string]bool{}
	for i := range o.Spec.Databases() {
		owner := o.Spec.Database(i).DataOwner()
		if seen[owner] {
			continue
		}
		seen[owner] = true
		if _, err := o.Client.GetAccount(ctx, owner); err == nil {
			continue
		}
		if _, err := o.Client.OnboardAccount(ctx, client.AccountInput{ID: owner, Name: "Producer " + owner[:4]}); err != nil {
			return fmt.Errorf("onboard account %s, which owns load databases: %w", owner, err)
		}
	}
	return nil
}

// createBatch creates tables [start, end): one request per database the
// range touches (a batch request creates tables of one database).
func createBatch(ctx context.Context, o *CatalogOptions, start, end int) error {
	for start < end {
		db := o.Spec.TableDatabase(start)
		stop := start
		var tables []client.Table
		for stop < end && o.Spec.TableDatabase(stop) == db {
			tables = append(tables, ClientTable(o.Spec.Table(stop)))
			stop++
		}
		if err := o.Client.CreateTables(ctx, db, tables); err != nil {
			return fmt.Errorf("create tables %d-%d: %w", start, stop-1, err)
		}
		start = stop
	}
	return nil
}

// ClientTable converts a generated table to the client's shape.
func ClientTable(t *mesh.Table) client.Table {
	return client.Table{
		Name: t.Name, Description: t.Description, TableType: t.TableType, Location: t.Location,
		Format: t.Format, Parameters: t.Parameters, Columns: t.Columns, PartitionKeys: t.PartitionKeys,
	}
}

// measure runs requests calls of do from conc workers and summarizes their latencies.
func measure(ctx context.Context, name string, conc, requests int, do func(context.Context, *rand.Rand) error) Latency {
	durations := make([]time.Duration, requests)
	var next, errs atomic.Int64
	var wg sync.WaitGroup
	begin := time.Now()
	for w := range conc {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w)+1, uint64(len(name))))
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(requests) {
					return
				}
				start := time.Now()
				if err := do(ctx, r); err != nil {
					errs.Add(1)
				}
				durations[i] = time.Since(start)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(begin)
	return summarize(name, conc, durations, int(errs.Load()), elapsed)
}

// summarize sorts d and reads its percentiles.
func summarize(name string, conc int, d []time.Duration, errs int, elapsed time.Duration) Latency {
	slices.Sort(d)
	l := Latency{Name: name, Concurrency: conc, Requests: len(d), Errors: errs,
		P50: percentile(d, 0.50), P90: percentile(d, 0.90), P99: percentile(d, 0.99)}
	if len(d) > 0 {
		l.Max = d[len(d)-1]
		l.PerSecond = float64(len(d)) / elapsed.Seconds()
	}
	return l
}

// percentile returns the p-th quantile (0 to 1) of the sorted durations d.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, int(p*float64(len(d))))]
}

// ProcessCPU returns the user and system CPU time a process has used, read
// from /proc (Linux); an error elsewhere or for pid 0.
func ProcessCPU(pid int) (time.Duration, error) {
	if pid <= 0 {
		return 0, errors.New("no process id")
	}
	st, err := readProcStat(pid)
	return st.cpu, err
}
