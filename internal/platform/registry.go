package platform

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshgate/meshgate/internal/catalog"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// Defaults of Config.
const (
	DefaultReconcileInterval = 5 * time.Minute
	DefaultPollInterval      = 2 * time.Second
	// maxBackoff bounds the wait between attempts of a failing outbox entry.
	maxBackoff = 5 * time.Minute
	// connectTimeout bounds a connection attempt to a platform.
	connectTimeout = 10 * time.Second
)

// Config tunes the service.
type Config struct {
	// CentralAccountID is the server's own account, whose system actor runs the periodic reconcile.
	CentralAccountID string
	// ReconcileInterval is how often every platform is compared with
	// meshgate's grants and repaired (default 5m; negative turns it off).
	ReconcileInterval time.Duration
	// PollInterval is how often the applier looks for outbox entries that
	// another replica wrote or whose retry is due (default 2s); this
	// process's own entries are applied at once after their commit.
	PollInterval time.Duration
	// ApplyTimeout bounds the platform's part of one database's apply
	// (reading its privileges, the statements); a platform that hangs
	// fails the apply, retried with backoff, instead of holding the
	// applier, and every other platform's changes, for as long as it
	// hangs (default the outbox lease, 30s).
	ApplyTimeout time.Duration
}

// Service registers platforms, imports their catalogs and enforces grants on them.
type Service struct {
	store   store.Store
	catalog *catalog.Service
	clock   mesh.Clock
	cfg     Config
	drivers map[string]Driver

	// mu guards the maps below, and is never held while waiting on a
	// platform: a plan reads them inside a store transaction.
	mu    sync.Mutex
	conns map[int64]Conn // open connections by platform id
	// quiet holds, by platform id, when plans ask a platform again after
	// it failed to answer one (see ask).
	quiet map[int64]quietMark

	wake chan struct{}
	// Counters for /metrics.
	driftFound, driftRepaired, applied, applyFailed atomic.Int64
}

// NewService returns a service over the drivers, by kind.
func NewService(s store.Store, cat *catalog.Service, clock mesh.Clock, cfg Config, drivers map[string]Driver) *Service {
	if cfg.ReconcileInterval == 0 {
		cfg.ReconcileInterval = DefaultReconcileInterval
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.ApplyTimeout <= 0 {
		cfg.ApplyTimeout = outboxLease
	}
	if clock == nil {
		clock = mesh.SystemClock{}
	}
	return &Service{store: s, catalog: cat, clock: clock, cfg: cfg, drivers: drivers,
		conns: map[int64]Conn{}, quiet: map[int64]quietMark{}, wake: make(chan struct{}, 1)}
}

// RegisterInput registers a platform.
type RegisterInput struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// DSN is the connection string, without a password.
	DSN string `json:"dsn"`
	// PasswordEnv names the environment variable of meshgate's server that
	// holds the password; PasswordFile names a file holding it. At most one.
	PasswordEnv  string `json:"password_env,omitempty"`
	PasswordFile string `json:"password_file,omitempty"`
	// AccountID owns what sync imports (the databases' data_owner).
	AccountID string `json:"account_id"`
	// Schemas are the schemas (MariaDB: databases) sync imports.
	Schemas []string `json:"schemas"`
	// Roles maps principals to existing platform roles; when empty each
	// meshgate user gets a role of their own, mg_<account>_<user>.
	Roles map[string]string `json:"roles,omitempty"`
	// CreateRoles lets meshgate create the per-user roles (default true).
	CreateRoles *bool `json:"create_roles,omitempty"`
}

func requireMeshAdmin(ctx context.Context) (*mesh.Actor, error) {
	a, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	if !a.IsMeshAdmin() {
		return nil, mesh.Errorf(mesh.EFORBIDDEN, "only mesh admins manage data platforms")
	}
	return a, nil
}

func (in *RegisterInput) validate(drivers map[string]Driver) (Driver, error) {
	if err := mesh.ValidateName("name", in.Name); err != nil {
		return nil, err
	}
	d, ok := drivers[in.Kind]
	if !ok {
		return nil, mesh.Invalid("kind", "unknown platform kind %q (want %s)", in.Kind, strings.Join(sortedKeys(drivers), " or "))
	}
	if in.DSN == "" {
		return nil, mesh.Invalid("dsn", "is required")
	}
	if err := d.CheckDSN(in.DSN); err != nil {
		return nil, mesh.Invalid("dsn", "%s", err.Error())
	}
	if in.PasswordEnv != "" && in.PasswordFile != "" {
		return nil, mesh.Invalid("password_env", "give the password in an environment variable or a file, not both")
	}
	if in.AccountID == "" {
		return nil, mesh.Invalid("account_id", "is required: the account that owns what the platform holds")
	}
	if len(in.Schemas) == 0 {
		return nil, mesh.Invalid("schemas", "name at least one schema to import")
	}
	for _, s := range in.Schemas {
		if s == "" {
			return nil, mesh.Invalid("schemas", "a schema name is empty")
		}
	}
	for p, r := range in.Roles {
		if _, err := mesh.ParsePrincipal("roles", p); err != nil {
			return nil, err
		}
		if r == "" {
			return nil, mesh.Invalid("roles."+p, "names no role")
		}
		if err := d.CheckRole(r); err != nil {
			return nil, mesh.Invalid("roles."+p, "%s", err.Error())
		}
	}
	return d, nil
}

// passwordRef is where a platform's password is read from.
func (in *RegisterInput) passwordRef() string {
	switch {
	case in.PasswordEnv != "":
		return "env:" + in.PasswordEnv
	case in.PasswordFile != "":
		return "file:" + in.PasswordFile
	}
	return ""
}

// readPassword reads the password ref names; the value is never stored.
func readPassword(ref string) (string, error) {
	switch {
	case ref == "":
		return "", nil
	case strings.HasPrefix(ref, "env:"):
		v, ok := os.LookupEnv(strings.TrimPrefix(ref, "env:"))
		if !ok {
			return "", fmt.Errorf("the environment variable %s is not set", strings.TrimPrefix(ref, "env:"))
		}
		return v, nil
	case strings.HasPrefix(ref, "file:"):
		b, err := os.ReadFile(strings.TrimPrefix(ref, "file:"))
		if err != nil {
			return "", fmt.Errorf("read the password file: %w", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	return "", fmt.Errorf("unknown password reference %q", ref)
}

// Register checks the connection and stores the platform. A connection the
// platform refuses stores nothing and returns the platform's reason.
// Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID, ENOTFOUND (account), ECONFLICT.
func (s *Service) Register(ctx context.Context, in RegisterInput) (*Platform, error) {
	if _, err := requireMeshAdmin(ctx); err != nil {
		return nil, err
	}
	d, err := in.validate(s.drivers)
	if err != nil {
		return nil, err
	}
	pw, err := readPassword(in.passwordRef())
	if err != nil {
		return nil, mesh.Invalid("password", "%s", err.Error())
	}
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	c, err := d.Open(cctx, in.DSN, pw)
	cancel()
	if err != nil {
		return nil, mesh.Invalid("dsn", "the platform refused the connection: %s", redact(err.Error(), pw))
	}
	c.Close()
	mode, roles := RolesPerUser, "{}"
	if len(in.Roles) > 0 {
		mode = RolesFixed
		b, _ := json.Marshal(in.Roles)
		roles = string(b)
	}
	schemas, _ := json.Marshal(in.Schemas)
	now := s.clock.Now()
	rec := &store.PlatformRecord{Name: in.Name, Kind: in.Kind, DSN: in.DSN, PasswordRef: in.passwordRef(), AccountID: in.AccountID,
		RoleMode: mode, RoleMap: roles, Schemas: string(schemas), CreateRoles: mode == RolesPerUser && (in.CreateRoles == nil || *in.CreateRoles),
		CreatedBy: mesh.ActorFromContext(ctx).Principal(), CreatedAt: now, UpdatedAt: now}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.FindAccountByID(ctx, in.AccountID); err != nil {
			return err
		}
		if err := tx.CreatePlatform(ctx, rec); err != nil {
			return err
		}
		return store.Audit(ctx, tx, now, "platform.register", "platform/"+rec.Name,
			fmt.Sprintf("%s platform owned by %s, schemas %s, roles %s", rec.Kind, rec.AccountID, rec.Schemas, mode))
	})
	if err != nil {
		return nil, err
	}
	return toPlatform(rec, 0), nil
}

// redact removes the password from a message, should a driver repeat it.
func redact(msg, pw string) string {
	if pw == "" {
		return msg
	}
	return strings.ReplaceAll(msg, pw, "********")
}

func toPlatform(r *store.PlatformRecord, pending int) *Platform {
	p := &Platform{Name: r.Name, Kind: r.Kind, DSN: r.DSN, PasswordRef: r.PasswordRef, AccountID: r.AccountID,
		RoleMode: r.RoleMode, CreateRoles: r.CreateRoles, Pending: pending}
	_ = json.Unmarshal([]byte(r.Schemas), &p.Schemas)
	if r.RoleMode == RolesFixed {
		_ = json.Unmarshal([]byte(r.RoleMap), &p.Roles)
	}
	return p
}

// Platforms lists the registered platforms. Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *Service) Platforms(ctx context.Context) ([]*Platform, error) {
	if _, err := requireMeshAdmin(ctx); err != nil {
		return nil, err
	}
	var out []*Platform
	err := s.store.View(ctx, func(tx store.Tx) error {
		rs, err := tx.FindPlatforms(ctx)
		if err != nil {
			return err
		}
		for _, r := range rs {
			n, err := tx.CountPlatformChanges(ctx, r.ID)
			if err != nil {
				return err
			}
			out = append(out, toPlatform(r, n))
		}
		return nil
	})
	return out, err
}

// FindPlatform returns one platform. Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *Service) FindPlatform(ctx context.Context, name string) (*Platform, error) {
	if _, err := requireMeshAdmin(ctx); err != nil {
		return nil, err
	}
	var out *Platform
	err := s.store.View(ctx, func(tx store.Tx) error {
		r, err := tx.FindPlatform(ctx, name)
		if err != nil {
			return err
		}
		n, err := tx.CountPlatformChanges(ctx, r.ID)
		out = toPlatform(r, n)
		return err
	})
	return out, err
}

// Remove unregisters a platform: meshgate stops managing its privileges
// and leaves them, and the catalog it imported, as they are.
// Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *Service) Remove(ctx context.Context, name string) error {
	if _, err := requireMeshAdmin(ctx); err != nil {
		return err
	}
	var id int64
	err := s.store.Update(ctx, func(tx store.Tx) error {
		r, err := tx.FindPlatform(ctx, name)
		if err != nil {
			return err
		}
		id = r.ID
		if err := tx.DeletePlatform(ctx, r.ID); err != nil {
			return err
		}
		return store.Audit(ctx, tx, s.clock.Now(), "platform.remove", "platform/"+name, "")
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	if c := s.conns[id]; c != nil {
		c.Close()
		delete(s.conns, id)
	}
	delete(s.quiet, id)
	s.mu.Unlock()
	return nil
}

// conn returns an open connection to the platform, opening it if needed.
// The dial holds no lock, so that openConn never waits on it; two callers
// that find no connection may both dial, and the second to finish keeps
// the first one's connection and closes its own.
func (s *Service) conn(ctx context.Context, r *store.PlatformRecord) (Conn, error) {
	if c := s.openConn(r.ID); c != nil {
		return c, nil
	}
	d, ok := s.drivers[r.Kind]
	if !ok {
		return nil, fmt.Errorf("no driver for platform kind %s", r.Kind)
	}
	pw, err := readPassword(r.PasswordRef)
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	c, err := d.Open(cctx, r.DSN, pw)
	if err != nil {
		return nil, fmt.Errorf("connect to platform %s: %s", r.Name, redact(err.Error(), pw))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if open := s.conns[r.ID]; open != nil {
		c.Close()
		return open, nil
	}
	s.conns[r.ID] = c
	delete(s.quiet, r.ID) // it answered
	return c, nil
}

// openConn returns the platform's open connection, or nil when none is
// open; it never dials.
func (s *Service) openConn(id int64) Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns[id]
}

// dropConn forgets a connection that failed, so the next use reconnects.
// It closes it in the background: closing a connection whose query was
// cut short asks the platform to cancel it first, which a platform that
// hangs answers only after the driver's own limit (pgx: 15 s), and
// neither the caller nor the lock may wait on a platform.
func (s *Service) dropConn(id int64) {
	s.mu.Lock()
	c := s.conns[id]
	delete(s.conns, id)
	s.mu.Unlock()
	if c != nil {
		go c.Close()
	}
}

// Close closes the platforms' connections.
func (s *Service) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, c := range s.conns {
		c.Close()
		delete(s.conns, id)
	}
}
