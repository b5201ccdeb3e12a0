package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/server"
	"github.com/meshgate/meshgate/internal/store/postgres"
)

// Modes of the sharing load.
const (
	// SharingNoPII requests a product without personal data: shared at once.
	SharingNoPII = "nopii"
	// SharingPII requests a product flagged pii_flag and approves it.
	SharingPII = "pii"
)

// Names of what the sharing load seeds.
const (
	sharingProducer = "100000000001"
	sharingOpenDB   = "load_open"
	sharingPIIDB    = "load_pii"
	sharingTable    = "events"
	// sharingOrg is the central account's organization, which the
	// consumers join so that their shares are active at once.
	sharingOrg = "o-load"
)

// SharingOptions shape a data-sharing load.
type SharingOptions struct {
	// Mode is SharingNoPII (default) or SharingPII.
	Mode string
	// Concurrency is how many requesters run at once (default 32).
	Concurrency int
	// Duration bounds the timed part (default 60s) unless Requests is set.
	Duration time.Duration
	// Requests, when set, is how many requests to run instead of a duration.
	Requests int
	// Accounts is how many consumer accounts ask (default 1,000), in the
	// central account's organization, so each share is active at once.
	Accounts int
	// DatabaseURL selects PostgreSQL; default SQLite (synchronous=FULL) in a
	// temporary directory. The load runs in a schema of its own, dropped at the end.
	DatabaseURL string
	// Replicas is how many `meshgate serve` processes share the load
	// (PostgreSQL only; default 2 there, 1 on SQLite).
	Replicas int
	// ServerExecutable runs each server as a process of its own; default
	// one server in this process.
	ServerExecutable string
	// Pin binds a single server process to core 0 and the load generator to core 1.
	Pin bool
	// CommitProbe is how long to measure the disk's rate of fsync'd
	// single-row SQLite commits before the load (0: not measured).
	CommitProbe time.Duration
	// SampleEvery is the interval of the resident-memory samples (default 5s).
	SampleEvery time.Duration
	// Progress receives a line per phase (may be nil).
	Progress io.Writer
	// CPUProfile, when set, receives a CPU profile of the timed part (of
	// the server too when it runs in this process); with server processes
	// and a Duration, each server's is written to CPUProfile.serverN.
	CPUProfile string
}

// MemorySample is the servers' resident memory at one moment of the load.
type MemorySample struct {
	Seconds  float64 `json:"seconds"`
	Requests int64   `json:"requests"`
	// RSS is each server's resident set, in bytes; Anon its anonymous
	// part (heap and stacks), which leaves out the pages of SQLite's
	// memory-mapped database file (up to 1 GiB) that RSS counts.
	RSS  []int64 `json:"rss_bytes"`
	Anon []int64 `json:"anon_bytes"`
}

// SharingResult is what a sharing load measured.
type SharingResult struct {
	Mode        string `json:"mode"`
	Store       string `json:"store"`
	Replicas    int    `json:"replicas"`
	Concurrency int    `json:"concurrency"`
	Accounts    int    `json:"accounts"`
	// Requests reached their end: shared, granted and allowed by authorize.
	Requests int64 `json:"requests"`
	// Errors counts failed calls and wrong answers (a status other than
	// expected, a grant authorize did not allow).
	Errors    int64   `json:"errors"`
	FirstErr  string  `json:"first_error,omitempty"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"requests_per_second"`
	P50       float64 `json:"p50_ms"`
	P95       float64 `json:"p95_ms"`
	P99       float64 `json:"p99_ms"`
	Max       float64 `json:"max_ms"`
	// CPUPerRequest is the CPU time of servers and load generator per request.
	CPUPerRequest float64 `json:"cpu_us_per_request"`
	// DBCPUPerRequest is the CPU time of the PostgreSQL server per request,
	// all of its processes (this load's and any other work), when it runs
	// on this machine; 0 otherwise, and on SQLite, whose work is the
	// servers'.
	DBCPUPerRequest float64 `json:"db_cpu_us_per_request,omitempty"`
	// CommitsPerSecond is the disk's fsync'd single-row commit rate
	// measured before the load (0: not measured); CommitFraction is
	// PerSecond over it.
	CommitsPerSecond float64 `json:"fsync_commits_per_second,omitempty"`
	CommitFraction   float64 `json:"commit_rate_fraction,omitempty"`
	// StoreBytesPerRequest is the store's growth over the load per request
	// (SQLite: database and WAL files; PostgreSQL: the schema's relations).
	StoreBytesBefore     int64   `json:"store_bytes_before"`
	StoreBytesAfter      int64   `json:"store_bytes_after"`
	StoreBytesPerRequest float64 `json:"store_bytes_per_request"`
	// Writer is what the SQLite server's one writer did during the timed
	// part (nil on PostgreSQL), from its /metrics.
	Writer        *WriterFigures `json:"sqlite_writer,omitempty"`
	Memory        []MemorySample `json:"memory"`
	ServerProcess bool           `json:"server_process"`
	Pinned        bool           `json:"pinned"`
}

// RunSharing starts its own servers on a fresh store, seeds a producer with
// a database without personal data and one flagged pii_flag, opts.Accounts
// consumer accounts and an approver, and then runs requests end to end
// through the API from opts.Concurrency requesters: POST /api/v1/requests
// (as the bootstrap mesh admin, for a consumer account), in PII mode the
// approver's approval, then POST /api/v1/authorize for the consumer, which
// must say yes. A request counts when authorize said yes; its latency runs
// from the POST to that answer.
func RunSharing(ctx context.Context, opts SharingOptions) (*SharingResult, error) {
	if opts.Mode == "" {
		opts.Mode = SharingNoPII
	}
	if opts.Mode != SharingNoPII && opts.Mode != SharingPII {
		return nil, fmt.Errorf("mode %q: want %s or %s", opts.Mode, SharingNoPII, SharingPII)
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 32
	}
	if opts.Duration <= 0 {
		opts.Duration = time.Minute
	}
	if opts.Accounts <= 0 {
		opts.Accounts = 1000
	}
	if opts.SampleEvery <= 0 {
		opts.SampleEvery = 5 * time.Second
	}
	if opts.Replicas <= 0 {
		opts.Replicas = 1
		if opts.DatabaseURL != "" {
			opts.Replicas = 2
		}
	}
	if opts.Replicas > 1 && (opts.DatabaseURL == "" || opts.ServerExecutable == "") {
		return nil, errors.New("several replicas need PostgreSQL (--database) and server processes")
	}
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	dir, err := os.MkdirTemp("", "meshgate-load-sharing-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	res := &SharingResult{Mode: opts.Mode, Store: "sqlite", Replicas: opts.Replicas, Concurrency: opts.Concurrency, Accounts: opts.Accounts}
	if opts.CommitProbe > 0 {
		fmt.Fprintf(progress, "measuring fsync'd single-row commits for %s\n", opts.CommitProbe)
		if res.CommitsPerSecond, err = CommitRate(ctx, dir, opts.CommitProbe); err != nil {
			return nil, fmt.Errorf("commit probe: %w", err)
		}
	}
	var schema string
	if opts.DatabaseURL != "" {
		res.Store = "postgres"
		schema = "meshgate_load_" + authorizeToken(6)
		url, err := postgres.SchemaURL(ctx, opts.DatabaseURL, schema)
		if err != nil {
			return nil, err
		}
		defer postgres.DropSchema(context.WithoutCancel(ctx), opts.DatabaseURL, schema)
		opts.DatabaseURL = url
	}
	token := "mgt_load_" + authorizeToken(16)
	cfg := server.Config{Addr: "127.0.0.1:0", DataDir: dir, DatabaseURL: opts.DatabaseURL, Synchronous: "FULL", BootstrapToken: token, Organization: sharingOrg}
	srv, err := server.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	var addrs []string
	var pids []int // 0: this process
	if opts.ServerExecutable != "" {
		if err := srv.Store.Close(); err != nil {
			return nil, err
		}
		for range opts.Replicas {
			child, err := startServerProcess(ctx, opts.ServerExecutable, dir, opts.DatabaseURL, opts.Pin && opts.Replicas == 1,
				"MESHGATE_ORGANIZATION="+sharingOrg, "MESHGATE_SQLITE_SYNCHRONOUS=FULL")
			if err != nil {
				return nil, err
			}
			defer child.stop()
			addrs, pids = append(addrs, child.addr), append(pids, child.cmd.Process.Pid)
			res.ServerProcess, res.Pinned = true, child.pinned
		}
	} else {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			srv.Store.Close()
			return nil, err
		}
		serveCtx, stop := context.WithCancel(ctx)
		served := make(chan error, 1)
		go func() { served <- srv.Serve(serveCtx, ln) }()
		defer func() { stop(); <-served }()
		addrs, pids = []string{ln.Addr().String()}, []int{0}
	}
	hc := NewHTTPClient(opts.Concurrency)
	admins := make([]*client.Client, len(addrs))
	for i, a := range addrs {
		admins[i] = client.New("http://"+a, token).WithHTTPClient(hc)
	}
	fmt.Fprintf(progress, "seeding %d consumer accounts on %s (%d server(s))\n", opts.Accounts, res.Store, len(addrs))
	consumers, approverToken, err := seedSharing(ctx, admins[0], opts.Accounts)
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	approvers := make([]*client.Client, len(addrs))
	for i, a := range addrs {
		approvers[i] = client.New("http://"+a, approverToken).WithHTTPClient(hc)
	}
	storeSize := func() int64 {
		if schema != "" {
			n, _ := postgres.SchemaSize(ctx, opts.DatabaseURL, schema)
			return n
		}
		return sqliteSize(dir)
	}
	res.StoreBytesBefore = storeSize()
	dbCPU := func() (time.Duration, bool) { return 0, false }
	if schema != "" {
		postgres.WithBackend(ctx, opts.DatabaseURL, func(backend int) {
			if pm, ok := postmasterOf(backend); ok {
				dbCPU = func() (time.Duration, bool) { return postgresCPU(pm) }
			}
		})
	}
	cpuNow := func() time.Duration {
		d := authorizeCPUTime()
		for _, pid := range pids {
			if pid != 0 {
				c, _ := ProcessCPU(pid)
				d += c
			}
		}
		return d
	}

	db := sharingOpenDB
	if opts.Mode == SharingPII {
		db = sharingPIIDB
	}
	want := mesh.RequestShared
	if opts.Mode == SharingPII {
		want = mesh.RequestPendingApproval
	}
	var next, done, errs atomic.Int64
	var firstErr atomic.Value
	fail := func(err error) {
		errs.Add(1)
		firstErr.CompareAndSwap(nil, err.Error())
	}
	// one request end to end; false when it did not reach its end
	run := func(w int, i int64) (bool, error) {
		admin, approver := admins[w%len(admins)], approvers[w%len(approvers)]
		acct := consumers[int(i)%len(consumers)]
		r, created, err := admin.CreateRequest(ctx, client.RequestInput{Database: db, Table: sharingTable, TargetAccount: acct, Justification: "load"})
		if err != nil {
			return false, fmt.Errorf("create request: %w", err)
		}
		if !created {
			return false, nil // another requester has this one open: theirs to finish
		}
		if r.Status != want {
			return false, fmt.Errorf("request %d: got %s, want %s", r.ID, r.Status, want)
		}
		if opts.Mode == SharingPII {
			if r, err = approver.Decide(ctx, r.ID, true, "", ""); err != nil {
				return false, fmt.Errorf("approve: %w", err)
			}
			if r.Status != mesh.RequestShared {
				return false, fmt.Errorf("approved request %d: got %s, want SHARED", r.ID, r.Status)
			}
		}
		d, err := admin.Authorize(ctx, client.AuthorizeRequest{Principal: acct, Action: string(mesh.PermSelect),
			Resource: client.Resource{Database: db, Table: sharingTable}})
		if err != nil {
			return false, fmt.Errorf("authorize: %w", err)
		}
		if !d.Allowed {
			return false, fmt.Errorf("authorize %s on request %d: got no (%s), want yes", acct, r.ID, d.Reason)
		}
		return true, nil
	}

	fmt.Fprintf(progress, "running %s requests from %d requesters\n", opts.Mode, opts.Concurrency)
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if opts.Requests <= 0 {
		var stopTimer func() bool
		t := time.AfterFunc(opts.Duration, cancel)
		stopTimer = t.Stop
		defer stopTimer()
	}
	if opts.CPUProfile != "" {
		stop, err := startCPUProfile(opts.CPUProfile)
		if err != nil {
			return nil, err
		}
		defer stop()
	}
	var profiled chan error // the server processes' profiles
	if opts.CPUProfile != "" && opts.Requests <= 0 {
		profiled = profileServers(ctx, token, addrs, pids, opts.Duration, opts.CPUProfile)
	}
	db0, dbOK := dbCPU()
	writer := func() (map[string]float64, error) { return nil, nil }
	if schema == "" {
		writer = func() (map[string]float64, error) { return writerCounters(ctx, token, addrs[0]) }
	}
	writer0, err := writer()
	if err != nil {
		return nil, err
	}
	begin := time.Now()
	cpu0 := cpuNow()
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(opts.SampleEvery)
		defer tick.Stop()
		for {
			s := MemorySample{Seconds: time.Since(begin).Seconds(), Requests: done.Load()}
			for _, pid := range pids {
				rss, anon := processRSS(pid)
				s.RSS, s.Anon = append(s.RSS, rss), append(s.Anon, anon)
			}
			res.Memory = append(res.Memory, s)
			select {
			case <-lctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	lat := make([][]time.Duration, opts.Concurrency)
	var wg sync.WaitGroup
	for w := range opts.Concurrency {
		wg.Go(func() {
			var mine []time.Duration
			for lctx.Err() == nil {
				i := next.Add(1) - 1
				if opts.Requests > 0 && i >= int64(opts.Requests) {
					break
				}
				t0 := time.Now()
				ok, err := run(w, i)
				if err != nil {
					if lctx.Err() != nil {
						break // the duration ended during the call
					}
					fail(err)
					continue
				}
				if ok {
					mine = append(mine, time.Since(t0))
					done.Add(1)
				}
			}
			lat[w] = mine
		})
	}
	wg.Wait()
	elapsed := time.Since(begin)
	cpu := cpuNow() - cpu0
	db1, dbOK1 := dbCPU()
	writer1, err := writer()
	if err != nil {
		return nil, err
	}
	cancel()
	<-sampled
	final := MemorySample{Seconds: elapsed.Seconds(), Requests: done.Load()}
	for _, pid := range pids {
		rss, anon := processRSS(pid)
		final.RSS, final.Anon = append(final.RSS, rss), append(final.Anon, anon)
	}
	res.Memory = append(res.Memory, final)
	res.StoreBytesAfter = storeSize()

	all := slices.Concat(lat...)
	l := summarize("sharing", opts.Concurrency, all, int(errs.Load()), elapsed)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	res.Requests, res.Errors = done.Load(), errs.Load()
	if s, ok := firstErr.Load().(string); ok {
		res.FirstErr = s
	}
	res.Seconds, res.PerSecond = elapsed.Seconds(), l.PerSecond
	res.P50, res.P95, res.P99, res.Max = ms(l.P50), ms(percentile(all, 0.95)), ms(l.P99), ms(l.Max)
	if res.Requests > 0 {
		res.CPUPerRequest = float64(cpu.Microseconds()) / float64(res.Requests)
		if dbOK && dbOK1 {
			res.DBCPUPerRequest = float64((db1 - db0).Microseconds()) / float64(res.Requests)
		}
		res.StoreBytesPerRequest = float64(res.StoreBytesAfter-res.StoreBytesBefore) / float64(res.Requests)
	}
	if res.CommitsPerSecond > 0 {
		res.CommitFraction = res.PerSecond / res.CommitsPerSecond
	}
	if writer0 != nil {
		res.Writer = writerFigures(writer0, writer1, elapsed, res.Requests)
	}
	if profiled != nil {
		if err := <-profiled; err != nil {
			return nil, err
		}
	}
	return res, nil
}

// profileServers asks each server process (pids[i] != 0) for a CPU profile
// of the next d through its /debug/pprof endpoint and writes it to
// path.serverN (N from 1). The channel receives the first error, or nil,
// once every profile is written.
func profileServers(ctx context.Context, token string, addrs []string, pids []int, d time.Duration, path string) chan error {
	done := make(chan error, 1)
	var wg sync.WaitGroup
	errs := make([]error, len(addrs))
	for i, addr := range addrs {
		if pids[i] == 0 {
			continue // profiled with this process
		}
		wg.Go(func() {
			errs[i] = fetchProfile(ctx, token, addr, d, fmt.Sprintf("%s.server%d", path, i+1))
		})
	}
	go func() {
		wg.Wait()
		done <- errors.Join(errs...)
	}()
	return done
}

func fetchProfile(ctx context.Context, token, addr string, d time.Duration, path string) error {
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, max(1, int(d.Round(time.Second)/time.Second)))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req) // as long as the profile takes
	if err != nil {
		return fmt.Errorf("server profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("server profile: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("server profile: %w", err)
	}
	return f.Close()
}

// seedSharing onboards the producer and the consumers, catalogs the two
// databases and creates the producer's approver with a token.
func seedSharing(ctx context.Context, admin *client.Client, accounts int) (consumers []string, approverToken string, err error) {
	if _, err := admin.OnboardAccount(ctx, client.AccountInput{ID: sharingProducer, Name: "Load producer", Organization: sharingOrg}); err != nil {
		return nil, "", err
	}
	consumers = make([]string, accounts)
	var next atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= accounts {
					return
				}
				consumers[i] = fmt.Sprintf("2%011d", i)
				if _, err := admin.OnboardAccount(ctx, client.AccountInput{ID: consumers[i], Name: fmt.Sprint("Load consumer ", i), Organization: sharingOrg}); err != nil {
					mu.Lock()
					firstErr = cmpErr(firstErr, err)
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, "", firstErr
	}
	for _, d := range []*client.Database{
		{Name: sharingOpenDB, Parameters: map[string]string{mesh.ParamDataOwner: sharingProducer}},
		{Name: sharingPIIDB, Parameters: map[string]string{mesh.ParamDataOwner: sharingProducer, mesh.ParamPIIFlag: "true"}},
	} {
		if _, err := admin.CreateDatabase(ctx, d); err != nil {
			return nil, "", err
		}
		if err := admin.CreateTables(ctx, d.Name, []client.Table{{Name: sharingTable,
			Columns: []client.Column{{Name: "id", Type: "bigint"}, {Name: "at", Type: "timestamp"}}}}); err != nil {
			return nil, "", err
		}
	}
	u, err := admin.CreateUser(ctx, sharingProducer, client.UserInput{Username: "load-approver", Roles: []string{mesh.RoleApprover}})
	if err != nil {
		return nil, "", err
	}
	tok, err := admin.IssueToken(ctx, u.User.ID, "load", 0)
	if err != nil {
		return nil, "", err
	}
	return consumers, tok.Secret, nil
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// sqliteSize is the size of the SQLite store's database and WAL files in dir.
func sqliteSize(dir string) int64 {
	var n int64
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(dir + "/meshgate.db" + suffix); err == nil {
			n += fi.Size()
		}
	}
	return n
}
