package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/server"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/postgres"
)

// AuthorizeOptions shape an authorization load.
type AuthorizeOptions struct {
	// Grants is how many grants to store before the load (default 100,000).
	Grants int
	// Concurrency is how many clients ask at once (default 8).
	Concurrency int
	// Requests is how many decisions to ask for, after a warm-up (default 50,000).
	Requests int
	// Batch, when above 1, sends that many decisions per request.
	Batch int
	// DatabaseURL selects PostgreSQL; default SQLite in a temporary directory.
	// The load runs in a schema of its own, dropped at the end.
	DatabaseURL string
	// Progress receives a line per phase (may be nil).
	Progress io.Writer
	// CPUProfile, when set, receives a CPU profile of the timed part.
	CPUProfile string
	// Trace, when set, receives a Go execution trace of the timed part
	// (`go tool trace -pprof=sched` shows where requests waited for a core).
	Trace string
	// ServerExecutable, when set, is a meshgate binary that serves the seeded
	// store in a process of its own; default the server runs in this process.
	ServerExecutable string
	// Pin binds that server process to core 0 and the load generator to core 1.
	Pin bool
}

// AuthorizeResult is what one load measured.
type AuthorizeResult struct {
	Store       string  `json:"store"`
	Grants      int     `json:"grants"`
	Concurrency int     `json:"concurrency"`
	Requests    int     `json:"requests"`
	Batch       int     `json:"batch"`
	Allowed     int64   `json:"allowed"`
	Errors      int64   `json:"errors"`
	SeedSeconds float64 `json:"seed_seconds"`
	LoadSeconds float64 `json:"index_load_seconds"`
	Seconds     float64 `json:"seconds"`
	PerSecond   float64 `json:"requests_per_second"`
	P50         float64 `json:"p50_ms"`
	P90         float64 `json:"p90_ms"`
	P99         float64 `json:"p99_ms"`
	P999        float64 `json:"p999_ms"`
	Max         float64 `json:"max_ms"`
	// CPUPerRequest is the CPU time client and server used per request,
	// which other work on the machine does not inflate as it does latency.
	CPUPerRequest float64 `json:"cpu_us_per_request"`
	// ServerProcess tells whether the server ran in a process of its own.
	ServerProcess bool `json:"server_process"`
	// Pinned tells whether server and load generator had a core each.
	Pinned bool `json:"pinned"`
}

// authorizeCase is one prepared request body and whether it should be allowed.
type authorizeCase struct {
	body  []byte
	allow bool
}

// RunAuthorize starts a server on a fresh store, stores opts.Grants grants
// straight into the store, loads the decision index, and then asks
// POST /api/v1/authorize opts.Requests times from opts.Concurrency clients
// over loopback HTTP with a bearer token (the bootstrap admin's), so token
// authentication is part of every request. Half the requests should be
// allowed, half denied; a wrong answer counts as an error.
func RunAuthorize(ctx context.Context, opts AuthorizeOptions) (*AuthorizeResult, error) {
	if opts.Grants <= 0 {
		opts.Grants = 100_000
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	if opts.Requests <= 0 {
		opts.Requests = 50_000
	}
	if opts.Batch <= 0 {
		opts.Batch = 1
	}
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	dir, err := os.MkdirTemp("", "meshgate-load-authorize-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	token := "mgt_load_" + authorizeToken(16)
	cfg := server.Config{Addr: "127.0.0.1:0", DataDir: dir, Synchronous: "NORMAL", BootstrapToken: token}
	if opts.DatabaseURL != "" {
		url, drop, err := authorizeSchema(ctx, opts.DatabaseURL)
		if err != nil {
			return nil, err
		}
		defer drop()
		cfg.DatabaseURL = url
	}
	srv, err := server.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	res := &AuthorizeResult{Store: srv.Store.Dialect(), Grants: opts.Grants, Concurrency: opts.Concurrency, Requests: opts.Requests, Batch: opts.Batch}

	fmt.Fprintf(progress, "storing %d grants in %s\n", opts.Grants, res.Store)
	start := time.Now()
	cases, err := seedGrants(ctx, srv.Store, opts.Grants)
	if err != nil {
		srv.Store.Close()
		return nil, err
	}
	res.SeedSeconds = time.Since(start).Seconds()
	start = time.Now()
	if err := srv.Access.Load(ctx); err != nil {
		srv.Store.Close()
		return nil, err
	}
	res.LoadSeconds = time.Since(start).Seconds()
	if n := srv.Access.Index().Len(); n != opts.Grants {
		srv.Store.Close()
		return nil, fmt.Errorf("index holds %d grants, want %d", n, opts.Grants)
	}

	var addr string
	serverCPU := func() time.Duration { return 0 } // in-process: counted with the client
	if opts.ServerExecutable != "" {
		// The server runs in a process of its own on the seeded store, so the
		// measuring side does not share its Go scheduler.
		if err := srv.Store.Close(); err != nil {
			return nil, err
		}
		child, err := startServerProcess(ctx, opts.ServerExecutable, dir, cfg.DatabaseURL, opts.Pin)
		if err != nil {
			return nil, err
		}
		defer child.stop()
		addr, serverCPU = child.addr, child.cpu
		res.ServerProcess, res.Pinned = true, child.pinned
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
		addr = ln.Addr().String()
	}
	bodies := authorizeBatches(cases, opts.Batch)
	// Each client keeps one connection and speaks plain HTTP/1.1 on it, as
	// wrk does, so the measuring side costs little of the shared CPU.
	conns := make([]*authorizeConn, opts.Concurrency)
	for i := range conns {
		if conns[i], err = dialAuthorize(addr, token); err != nil {
			return nil, err
		}
		defer conns[i].Close()
	}
	ask := func(c *authorizeConn, i int) (int64, error) {
		b := bodies[i%len(bodies)]
		raw, err := c.post(b.body)
		if err != nil {
			return 0, err
		}
		return checkAuthorizeAnswer(raw, b.allow, opts.Batch)
	}
	// Warm up connections and caches; a first failure stops the load.
	fmt.Fprintf(progress, "warming up\n")
	for i := range min(1000, opts.Requests) {
		if _, err := ask(conns[i%len(conns)], i); err != nil {
			return nil, fmt.Errorf("warm-up request: %w", err)
		}
	}
	fmt.Fprintf(progress, "asking %d requests from %d clients\n", opts.Requests, opts.Concurrency)
	if opts.Trace != "" {
		f, err := os.Create(opts.Trace)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			return nil, err
		}
		defer trace.Stop()
	}
	if opts.CPUProfile != "" {
		stop, err := startCPUProfile(opts.CPUProfile)
		if err != nil {
			return nil, err
		}
		defer stop()
	}
	lat := make([][]time.Duration, opts.Concurrency)
	var next, allowed, errs atomic.Int64
	var wg sync.WaitGroup
	start = time.Now()
	cpu0 := authorizeCPUTime() + serverCPU()
	for w := range opts.Concurrency {
		wg.Go(func() {
			mine := make([]time.Duration, 0, opts.Requests/opts.Concurrency+1)
			for {
				i := int(next.Add(1)) - 1
				if i >= opts.Requests {
					break
				}
				t0 := time.Now()
				n, err := ask(conns[w], i*7919) // stride through the cases
				mine = append(mine, time.Since(t0))
				if err != nil {
					errs.Add(1)
					continue
				}
				allowed.Add(n)
			}
			lat[w] = mine
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	res.CPUPerRequest = float64((authorizeCPUTime() + serverCPU() - cpu0).Microseconds()) / float64(opts.Requests)
	all := slices.Concat(lat...)
	l := summarize("authorize", opts.Concurrency, all, int(errs.Load()), elapsed)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	res.Seconds, res.PerSecond = elapsed.Seconds(), l.PerSecond
	res.Allowed, res.Errors = allowed.Load(), errs.Load()
	res.P50, res.P90, res.P99, res.P999, res.Max = ms(l.P50), ms(l.P90), ms(l.P99), ms(percentile(all, 0.999)), ms(l.Max)
	return res, nil
}

// seedGrants stores n grants over 10,000 users of 1,000 accounts, 100
// databases and 10 tables each, mixing all-tables, table and column grants,
// and returns requests that half should be allowed and half denied.
func seedGrants(ctx context.Context, st store.Store, n int) ([]authorizeCase, error) {
	const users = 10_000
	now := time.Now().UTC()
	principal := func(u int) mesh.Principal {
		return mesh.UserPrincipal(fmt.Sprintf("%012d", 100000000000+u%1000), fmt.Sprintf("user%d", u))
	}
	var cases []authorizeCase
	const perTx = 5000
	for base := 0; base < n; base += perTx {
		err := st.Update(ctx, func(tx store.Tx) error {
			for i := base; i < min(base+perTx, n); i++ {
				u, k := i%users, i/users
				db := fmt.Sprintf("db%03d", (u*7+k)%100)
				r := mesh.Resource{Database: db, Table: fmt.Sprintf("t%d", k)}
				ask := r
				switch k % 4 {
				case 0:
					r.Table, ask.Table = mesh.AllTables, "t42"
				case 1:
					r.Columns, ask.Columns = []string{"a", "b", "c"}, []string{"b"}
				}
				g := &mesh.Grant{Principal: principal(u), Resource: r, Permissions: mesh.PermissionsOf(mesh.PermSelect, mesh.PermDescribe),
					Status: mesh.GrantActive, GrantedBy: "load", CreatedAt: now, UpdatedAt: now}
				if err := tx.CreateGrant(ctx, g); err != nil {
					return fmt.Errorf("seed grant %d: %w", i, err)
				}
				if i%5 == 0 {
					cases = append(cases, newAuthorizeCase(g.Principal, ask, true))
					denied := ask
					denied.Database = fmt.Sprintf("nodb%03d", i%100)
					cases = append(cases, newAuthorizeCase(g.Principal, denied, false))
				}
			}
			_, err := tx.BumpAccessVersion(ctx)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return cases, nil
}

func newAuthorizeCase(p mesh.Principal, r mesh.Resource, allow bool) authorizeCase {
	b, _ := json.Marshal(map[string]any{"principal": p, "action": mesh.PermSelect, "resource": r})
	return authorizeCase{body: b, allow: allow}
}

// authorizeBatches groups cases into batch requests of size n (n 1: as they are).
// A batch "should be allowed" counts its allowed members instead.
func authorizeBatches(cases []authorizeCase, n int) []authorizeCase {
	if n <= 1 {
		return cases
	}
	var out []authorizeCase
	for i := 0; i+n <= len(cases); i += n {
		var reqs []json.RawMessage
		for _, c := range cases[i : i+n] {
			reqs = append(reqs, c.body)
		}
		b, _ := json.Marshal(map[string]any{"requests": reqs})
		out = append(out, authorizeCase{body: b})
	}
	return out
}

// checkAuthorizeAnswer returns how many decisions allowed, and an error when a single
// decision is not the expected one.
func checkAuthorizeAnswer(raw []byte, want bool, batch int) (int64, error) {
	if batch > 1 {
		var out struct {
			Decisions []mesh.Decision `json:"decisions"`
		}
		if err := json.Unmarshal(raw, &out); err != nil {
			return 0, err
		}
		if len(out.Decisions) != batch {
			return 0, fmt.Errorf("got %d decisions, want %d", len(out.Decisions), batch)
		}
		var n int64
		for _, d := range out.Decisions {
			if d.Allowed {
				n++
			}
		}
		return n, nil
	}
	// A single answer is checked without decoding it, to keep the measuring
	// side cheap: the server writes {"allowed":true|false,...}.
	allowed := bytes.HasPrefix(raw, []byte(`{"allowed":true`))
	if !allowed && !bytes.HasPrefix(raw, []byte(`{"allowed":false`)) {
		return 0, errors.New("not a decision: " + string(raw))
	}
	if allowed != want {
		return 0, errors.New("wrong decision: " + string(raw))
	}
	if allowed {
		return 1, nil
	}
	return 0, nil
}

// authorizeConn is one keep-alive HTTP/1.1 connection to the server.
type authorizeConn struct {
	net.Conn
	r    *bufio.Reader
	head []byte
	buf  []byte
}

func dialAuthorize(addr, token string) (*authorizeConn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	head := "POST /api/v1/authorize HTTP/1.1\r\nHost: " + addr + "\r\nAuthorization: Bearer " + token +
		"\r\nContent-Type: application/json\r\nContent-Length: "
	return &authorizeConn{Conn: c, r: bufio.NewReaderSize(c, 64<<10), head: []byte(head)}, nil
}

// post sends one request and returns the response body; a status other
// than 200 is an error.
func (c *authorizeConn) post(body []byte) ([]byte, error) {
	c.buf = append(c.buf[:0], c.head...)
	c.buf = strconv.AppendInt(c.buf, int64(len(body)), 10)
	c.buf = append(c.buf, "\r\n\r\n"...)
	c.buf = append(c.buf, body...)
	if _, err := c.Write(c.buf); err != nil {
		return nil, err
	}
	status, err := c.r.ReadSlice('\n')
	if err != nil {
		return nil, err
	}
	ok := bytes.HasPrefix(status, []byte("HTTP/1.1 200 "))
	length := -1
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return nil, err
		}
		if len(line) <= 2 {
			break
		}
		if k, v, found := bytes.Cut(line, []byte(":")); found && strings.EqualFold(string(k), "Content-Length") {
			if length, err = strconv.Atoi(string(bytes.TrimSpace(v))); err != nil {
				return nil, fmt.Errorf("bad Content-Length: %w", err)
			}
		}
	}
	if length < 0 {
		return nil, errors.New("response without Content-Length")
	}
	raw := make([]byte, length)
	if _, err := io.ReadFull(c.r, raw); err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%s%s", bytes.TrimSpace(status), raw)
	}
	return raw, nil
}

// authorizeSchema creates a schema of its own for the load and returns the
// URL that uses it and a function that drops it.
func authorizeSchema(ctx context.Context, dbURL string) (string, func(), error) {
	schema := "meshgate_load_" + authorizeToken(6)
	u, err := postgres.SchemaURL(ctx, dbURL, schema)
	if err != nil {
		return "", nil, err
	}
	return u, func() { postgres.DropSchema(context.WithoutCancel(ctx), dbURL, schema) }, nil
}

func authorizeToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// startCPUProfile writes a CPU profile of this process to path until stop.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
