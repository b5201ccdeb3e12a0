package platform

import (
	"context"
	"log/slog"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// Repair is what reconciling one catalog database found and did.
type Repair struct {
	Database   string   `json:"database"`
	Found      int      `json:"found"`
	Statements []string `json:"statements"`
	Error      string   `json:"error,omitempty"`
}

// ReconcileReport is what reconciling a platform found and repaired.
type ReconcileReport struct {
	Platform  string   `json:"platform"`
	Databases []Repair `json:"databases"`
}

// Reconcile compares the platform's privileges on the objects meshgate
// manages, and the managed roles' memberships that reach them, with
// meshgate's grants and repairs each difference, auditing it
// (platform.repair). Privileges of roles or on objects meshgate does not
// manage are left alone, but for what another role holds on a managed
// object only through a managed role's grant option, which PostgreSQL's
// REVOKE … CASCADE takes with it. Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *Service) Reconcile(ctx context.Context, name string) (*ReconcileReport, error) {
	if _, err := requireMeshAdmin(ctx); err != nil {
		return nil, err
	}
	var rec *store.PlatformRecord
	var dbs []string
	err := s.store.View(ctx, func(tx store.Tx) (err error) {
		if rec, err = tx.FindPlatform(ctx, name); err != nil {
			return err
		}
		dbs, err = platformDatabases(ctx, tx, rec.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &ReconcileReport{Platform: name, Databases: []Repair{}}
	for _, db := range dbs {
		stmts, found, err := s.applyDatabase(ctx, rec.ID, db, true)
		r := Repair{Database: db, Found: found, Statements: stmts}
		if r.Statements == nil {
			r.Statements = []string{}
		}
		if err != nil {
			r.Error = err.Error()
		}
		out.Databases = append(out.Databases, r)
	}
	return out, nil
}

// platformDatabases lists the catalog databases imported from a platform.
func platformDatabases(ctx context.Context, tx store.Tx, id int64) ([]string, error) {
	objs, err := tx.FindPlatformObjects(ctx, id, "")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, o := range objs {
		if o.Table == "" && o.Column == "" {
			out = append(out, o.Database)
		}
	}
	return out, nil
}

// reconcileAll is the periodic reconcile of every platform, as the system.
func (s *Service) reconcileAll(ctx context.Context) {
	ctx = mesh.NewContext(ctx, mesh.SystemActor(s.cfg.CentralAccountID))
	ps, err := s.Platforms(ctx)
	if err != nil {
		slog.Warn("platform reconcile", "err", err)
		return
	}
	for _, p := range ps {
		if r, err := s.Reconcile(ctx, p.Name); err != nil {
			slog.Warn("platform reconcile", "platform", p.Name, "err", err)
		} else {
			for _, d := range r.Databases {
				if d.Error != "" {
					slog.Warn("platform reconcile", "platform", p.Name, "database", d.Database, "err", d.Error)
				}
			}
		}
	}
}
