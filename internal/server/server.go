package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/meshgate/meshgate/internal/access"
	"github.com/meshgate/meshgate/internal/account"
	"github.com/meshgate/meshgate/internal/auth"
	"github.com/meshgate/meshgate/internal/auth/oidc"
	"github.com/meshgate/meshgate/internal/catalog"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/notify"
	"github.com/meshgate/meshgate/internal/platform"
	"github.com/meshgate/meshgate/internal/sharing"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/postgres"
	"github.com/meshgate/meshgate/internal/store/sqlite"
	"github.com/meshgate/meshgate/internal/web"
	"github.com/meshgate/meshgate/internal/web/api"
	"github.com/meshgate/meshgate/internal/web/ui"
	"github.com/meshgate/meshgate/internal/workflow"
	"github.com/meshgate/meshgate/internal/workflow/task"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Server is a running meshgate.
type Server struct {
	cfg      Config
	log      *slog.Logger
	Store    store.Store
	Auth     *auth.Service
	OIDC     *oidc.Service // sign-in through identity providers; nil without any
	Accounts *account.Service
	Catalog  *catalog.Service
	Access   *access.Service
	Sharing  *sharing.Service
	// Platforms enforces grants on registered data platforms.
	Platforms *platform.Service
	// Workflow is the state machine engine.
	Workflow *workflow.Engine
	// Notify queues and delivers notifications.
	Notify *notify.Service
	Router *web.Router
	http   *http.Server
	// signInAs is the user a fresh store was bootstrapped or seeded with,
	// whom the start log tells how to sign in once the address is known.
	signInAs string

	// background holds loops (timers, dispatchers, reapers) that stop with the server.
	background []Background
}

// Background is a loop that runs until its context ends.
type Background interface {
	Run(ctx context.Context) error
}

// OpenStore opens the store the config names and applies its migrations;
// log takes what the store logs (PostgreSQL's listeners' outages).
func OpenStore(ctx context.Context, cfg *Config, log *slog.Logger) (store.Store, error) {
	if cfg.DatabaseURL != "" {
		return postgres.Open(ctx, cfg.DatabaseURL, postgres.Options{Clock: cfg.Clock, Logger: log,
			IdleInTransactionTimeout: cfg.IdleInTransactionTimeout, TCPUserTimeout: cfg.TCPUserTimeout})
	}
	return sqlite.Open(ctx, filepath.Join(cfg.DataDir, "meshgate.db"), sqlite.Options{Synchronous: cfg.Synchronous, Clock: cfg.Clock})
}

// New opens the store and assembles the server; it does not listen yet.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	st, err := OpenStore(ctx, &cfg, log)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, Store: st}
	if err := s.assemble(ctx); err != nil {
		st.Close()
		return nil, err
	}
	if err := s.bootstrap(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) assemble(ctx context.Context) error {
	key, err := s.secret(ctx, "page_token_key")
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := web.NewMetrics(reg)
	s.Store = instrumentStore(s.Store, reg)

	authOpts := s.cfg.Auth
	authOpts.CentralAccountID = s.cfg.CentralAccountID
	// published over https: TLS ends at a proxy in front
	authOpts.SecureCookies = strings.HasPrefix(s.cfg.PublicURL, "https://") || strings.HasPrefix(s.cfg.OIDC.PublicURL, "https://")
	s.Auth = auth.NewService(s.Store, s.cfg.Clock, authOpts)
	s.Accounts = account.NewService(s.Store, s.cfg.Clock, account.Central{
		ID: s.cfg.CentralAccountID, Name: s.cfg.CentralAccountName, Organization: s.cfg.Organization})
	s.Accounts.OnOffboard(func(string) { s.Auth.ForgetTokens() })
	s.background = append(s.background, auth.NewSessionReaper(s.Auth, time.Hour, s.log), s.Auth)
	if err := s.newOIDC(ctx); err != nil {
		return err
	}
	s.Catalog = catalog.NewService(s.Store, s.cfg.Clock)
	if err := s.newNotify(ctx); err != nil {
		return err
	}
	if err := s.newAccess(ctx); err != nil {
		return err
	}
	s.newPlatforms(reg)
	// A registry of the server's own: the sharing resources call this
	// server's services, and a process may hold several servers (tests).
	resources := workflow.NewRegistry()
	task.Register(resources, task.HTTPOptions{})
	s.Workflow = workflow.New(s.Store, workflow.Options{Registry: resources, Clock: s.cfg.Clock, Logger: s.log})
	s.background = append(s.background, s.Workflow.Dispatcher(), s.Workflow.Sender())
	reg.MustRegister(s.Workflow.Metrics()...)
	s.Sharing = sharing.New(s.Store, s.cfg.Clock, sharing.Config{CentralAccountID: s.cfg.CentralAccountID,
		ApprovalTimeout: s.cfg.ApprovalTimeout, Logger: s.log, Notify: s.Notify, ExpiryWarning: s.cfg.ExpiryWarning}, s.Workflow, s.Access)
	s.Sharing.SetPlanner(s.Platforms)
	reg.MustRegister(s.Sharing.Metrics()...)
	reg.MustRegister(s.Notify.Metrics()...)
	s.followChanges()
	if err := s.Sharing.EnsureStateMachine(ctx); err != nil {
		return fmt.Errorf("data-sharing state machine: %w", err)
	}
	s.background = append(s.background, s.Sharing.Expiry())

	rt := web.NewRouter(s.Auth, s)
	reg.MustRegister(rt.Collectors()...)
	reg.MustRegister(storeSizeGauge(s.Store, s.log))
	if s.cfg.AuditRetention > 0 {
		ret := NewAuditRetention(s.Store, s.cfg.Clock, s.cfg.AuditRetention, time.Hour, s.cfg.CentralAccountID, s.log)
		reg.MustRegister(ret.deleted)
		s.background = append(s.background, ret)
	}
	if err := rt.TrustOrigins(s.cfg.TrustedOrigins); err != nil {
		return err
	}
	proxies, err := web.ParseTrustedProxies(s.cfg.TrustedProxies)
	if err != nil {
		return err
	}
	rt.TrustProxies(proxies)
	rt.Handle("GET", "/healthz", web.Public, func(w http.ResponseWriter, r *http.Request) error {
		web.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		return nil
	})
	rt.Handle("GET", "/readyz", web.Public, func(w http.ResponseWriter, r *http.Request) error {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.Store.Ping(ctx); err != nil {
			return mesh.Errorf(mesh.EUNAVAILABLE, "store unreachable")
		}
		web.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready", "store": s.Store.Dialect()})
		return nil
	})
	rt.HandleHTTP("GET", "/metrics", web.MeshAdmin, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	// Go's profiles, for mesh admins diagnosing a live server.
	rt.HandleHTTP("GET", "/debug/pprof/", web.MeshAdmin, http.HandlerFunc(pprof.Index))
	rt.HandleHTTP("GET", "/debug/pprof/profile", web.MeshAdmin, http.HandlerFunc(pprof.Profile))
	rt.HandleHTTP("GET", "/debug/pprof/trace", web.MeshAdmin, http.HandlerFunc(pprof.Trace))
	// The API's sign-in routes answer refusals with the pages' error page.
	var signInRefused func(http.ResponseWriter, *http.Request, error) error
	api.Register(rt, &api.Deps{
		Store:            s.Store,
		Clock:            s.cfg.Clock,
		Pages:            web.NewPageTokens(key),
		Auth:             s.Auth,
		Accounts:         s.Accounts,
		Catalog:          s.Catalog,
		Access:           s.Access,
		CentralAccountID: s.cfg.CentralAccountID,
		Workflow:         s.Workflow,
		Sharing:          s.Sharing,
		Notify:           s.Notify,
		OIDC:             s.OIDC,
		SignInRefused: func(w http.ResponseWriter, r *http.Request, err error) error {
			return signInRefused(w, r, err)
		},
		Platforms: s.Platforms,
	})
	formKey, err := s.secret(ctx, "ui_form_key")
	if err != nil {
		return err
	}
	pages, err := ui.New(ui.Deps{Auth: s.Auth, Accounts: s.Accounts, Catalog: s.Catalog,
		Access: s.Access, Workflow: s.Workflow, Sharing: s.Sharing, Notify: s.Notify, Pages: web.NewPageTokens(key), CSRFKey: formKey})
	if err != nil {
		return err
	}
	pages.OIDC = s.OIDC
	signInRefused = pages.SignInRefused
	pages.Register(rt)
	pages.RegisterApprovalLink(rt, s.Sharing)
	s.Router = rt
	s.http = &http.Server{
		Handler:           web.Middleware(rt, metrics, s.log),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	return nil
}

// bootstrap creates the central account if it is missing and, on a fresh
// store, the first mesh admin, whose temporary password is logged once and
// written to DATA/bootstrap-admin.txt (SQLite only: PostgreSQL has no data
// directory of ours).
func (s *Server) bootstrap(ctx context.Context) error {
	if err := s.Accounts.EnsureCentral(ctx); err != nil {
		return err
	}
	dir := s.cfg.DataDir
	if s.cfg.DatabaseURL != "" {
		dir = ""
	}
	b, err := s.Auth.Bootstrap(ctx, dir, s.cfg.BootstrapToken)
	if err != nil {
		return err
	}
	if !b.Created {
		if s.cfg.Demo {
			s.log.Info("the demo mesh is seeded only on a fresh store; this one is not fresh, so it is left as it is")
		}
		return nil
	}
	s.log.Warn("created the first mesh admin; sign in with this temporary password and change it",
		"username", b.Username, "password", b.Password, "file", b.File, "bootstrap_token", s.cfg.BootstrapToken != "")
	s.signInAs = b.Username
	if s.cfg.Demo {
		return s.seedDemo(ctx, dir)
	}
	return nil
}

// secret returns a random server-wide secret kept in the store, shared by replicas.
func (s *Server) secret(ctx context.Context, name string) ([]byte, error) {
	b := make([]byte, 32)
	rand.Read(b)
	var v string
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		var err error
		v, err = tx.EnsureSetting(ctx, name, hex.EncodeToString(b))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("server secret %s: %w", name, err)
	}
	return hex.DecodeString(v)
}

// RecordAudit writes an audit entry in its own transaction (web.Auditor).
func (s *Server) RecordAudit(ctx context.Context, e mesh.AuditEntry) error {
	return s.Store.Update(ctx, func(tx store.Tx) error { return tx.InsertAudit(ctx, &e) })
}

// Handler returns the server's HTTP handler, for in-process tests.
func (s *Server) Handler() http.Handler { return s.http.Handler }

// Serve accepts connections on ln until ctx ends, then shuts down gracefully:
// HTTP first, then background loops, then the store.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.publicURL(ln)
	bgCtx, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	for _, b := range s.background {
		wg.Go(func() {
			if err := b.Run(bgCtx); err != nil && !errors.Is(err, context.Canceled) {
				s.log.Error("background loop stopped", "err", err)
			}
		})
	}
	// Start-up hashed passwords with argon2id, which takes tens of MiB for a
	// moment; hand that memory back before idling instead of keeping it.
	debug.FreeOSMemory()
	// ln is bound already, so these are true before the first request is served.
	s.log.Info("meshgate listening", "addr", ln.Addr().String(), "store", s.Store.Dialect())
	if s.signInAs != "" {
		s.log.Info("sign in with: " + signInHint(CLICommand(), ln.Addr(), s.signInAs))
	}
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(ln) }()

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := s.http.Shutdown(shutdownCtx)
	stopBackground()
	wg.Wait()
	return errors.Join(ignoreClosed(serveErr), err, s.Store.Close())
}

// ListenAndServe listens on the configured address and serves until ctx ends.
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		s.Store.Close()
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	return s.Serve(ctx, ln)
}

func ignoreClosed(err error) error {
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
