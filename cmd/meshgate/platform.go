package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/meshgate/meshgate/client"
)

// PlatformCmd groups the data-platform commands.
type PlatformCmd struct {
	Register  PlatformRegisterCmd  `cmd:"" help:"Register a PostgreSQL or MariaDB data platform (mesh admins)."`
	List      PlatformListCmd      `cmd:"" help:"List data platforms."`
	Show      PlatformShowCmd      `cmd:"" help:"Show a data platform and its grants' states."`
	Remove    PlatformRemoveCmd    `cmd:"" help:"Stop managing a data platform (its privileges and catalog stay)."`
	Sync      PlatformSyncCmd      `cmd:"" help:"Import a platform's schemas, tables and columns into the catalog."`
	Plan      PlatformPlanCmd      `cmd:"" help:"Show the statements each platform would run for a grant or revoke."`
	Reconcile PlatformReconcileCmd `cmd:"" help:"Repair the differences between a platform's privileges and meshgate's grants."`
}

// PlatformRegisterCmd registers a platform.
type PlatformRegisterCmd struct {
	Name          string   `required:"" help:"The platform's name in meshgate."`
	Kind          string   `required:"" enum:"postgres,mariadb" help:"postgres or mariadb."`
	DSN           string   `name:"dsn" required:"" help:"Connection string without a password (postgres://meshgate@db:5432/sales, or meshgate@tcp(db:3306)/)."`
	PasswordEnv   string   `help:"Environment variable of the server that holds the password."`
	PasswordFile  string   `help:"File on the server that holds the password."`
	AccountID     string   `name:"account-id" required:"" help:"The account that owns what the platform holds."`
	Schemas       []string `sep:"," required:"" help:"Schemas (MariaDB: databases) to import."`
	Role          []string `help:"Fixed mapping principal=role (repeatable); without it each user gets mg_<account>_<user>."`
	NoCreateRoles bool     `help:"Do not create the per-user roles: they must exist."`
}

// Run registers the platform.
func (c *PlatformRegisterCmd) Run(ctx context.Context, g *Globals) error {
	in := client.PlatformInput{Name: c.Name, Kind: c.Kind, DSN: c.DSN, PasswordEnv: c.PasswordEnv, PasswordFile: c.PasswordFile,
		AccountID: c.AccountID, Schemas: c.Schemas}
	for _, r := range c.Role {
		p, role, ok := strings.Cut(r, "=")
		if !ok {
			return fmt.Errorf("--role %q: want principal=role", r)
		}
		if in.Roles == nil {
			in.Roles = map[string]string{}
		}
		in.Roles[p] = role
	}
	if c.NoCreateRoles {
		f := false
		in.CreateRoles = &f
	}
	p, err := g.Client().RegisterPlatform(ctx, in)
	if err != nil {
		return err
	}
	return printPlatforms(g, p, []client.Platform{*p})
}

// PlatformListCmd lists platforms.
type PlatformListCmd struct{}

// Run lists the platforms.
func (c *PlatformListCmd) Run(ctx context.Context, g *Globals) error {
	ps, err := g.Client().Platforms(ctx)
	if err != nil {
		return err
	}
	if ps == nil {
		ps = []client.Platform{}
	}
	return printPlatforms(g, ps, ps)
}

func printPlatforms(g *Globals, v any, ps []client.Platform) error {
	return printRows(g, v, []string{"NAME", "KIND", "ACCOUNT", "SCHEMAS", "ROLES", "PENDING"}, ps, func(p client.Platform) []string {
		return []string{p.Name, p.Kind, p.AccountID, strings.Join(p.Schemas, ","), p.RoleMode, strconv.Itoa(p.Pending)}
	})
}

// PlatformShowCmd shows a platform.
type PlatformShowCmd struct {
	Name string `required:"" help:"The platform's name."`
}

// Run shows the platform and its grants' states.
func (c *PlatformShowCmd) Run(ctx context.Context, g *Globals) error {
	p, err := g.Client().Platform(ctx, c.Name)
	if err != nil {
		return err
	}
	sts, err := g.Client().PlatformGrants(ctx, c.Name)
	if err != nil {
		return err
	}
	if sts == nil {
		sts = []client.PlatformGrantStatus{}
	}
	if g.JSON() {
		return g.PrintJSON(map[string]any{"platform": p, "grants": sts})
	}
	if err := printPlatforms(g, p, []client.Platform{*p}); err != nil {
		return err
	}
	fmt.Fprintln(g.stdout)
	return printRows(g, sts, []string{"GRANT", "STATE", "UPDATED", "ERROR"}, sts, func(s client.PlatformGrantStatus) []string {
		return []string{itoa64(s.GrantID), s.State, fmtTime(s.UpdatedAt), s.Error}
	})
}

// PlatformRemoveCmd removes a platform.
type PlatformRemoveCmd struct {
	Name string `required:"" help:"The platform's name."`
}

// Run removes the platform.
func (c *PlatformRemoveCmd) Run(ctx context.Context, g *Globals) error {
	if err := g.Client().RemovePlatform(ctx, c.Name); err != nil {
		return err
	}
	if g.JSON() {
		return g.PrintJSON(map[string]any{"removed": c.Name})
	}
	_, err := fmt.Fprintf(g.stdout, "removed platform %s\n", c.Name)
	return err
}

// PlatformSyncCmd imports a platform's catalog.
type PlatformSyncCmd struct {
	Name string `required:"" help:"The platform's name."`
}

// Run syncs and prints what changed, and what the catalog refused.
func (c *PlatformSyncCmd) Run(ctx context.Context, g *Globals) error {
	r, err := g.Client().SyncPlatform(ctx, c.Name)
	if err != nil {
		return err
	}
	return g.Print(r, []string{"CHANGE", "WHAT"}, func() [][]string {
		var rows [][]string
		for _, group := range []struct {
			name  string
			items []string
		}{{"added", r.Added}, {"changed", r.Changed}, {"dropped", r.Dropped}, {"ended", r.EndedGrants}, {"refused", r.Refused}} {
			for _, it := range group.items {
				rows = append(rows, []string{group.name, it})
			}
		}
		return rows
	})
}

// PlatformPlanCmd previews a grant's or revoke's statements.
type PlatformPlanCmd struct {
	grantFlags `embed:""`
	Revoke     bool `help:"Plan a revoke instead of a grant."`
}

// Run prints the statements per platform.
func (c *PlatformPlanCmd) Run(ctx context.Context, g *Globals) error {
	in, err := c.input()
	if err != nil {
		return err
	}
	plan, err := g.Client().PlanPlatforms(ctx, client.PlanInput{Principal: in.Principal, Resource: in.Resource, Permissions: in.Permissions, Revoke: c.Revoke})
	if err != nil {
		return err
	}
	if plan == nil {
		plan = []client.PlanEntry{}
	}
	return g.Print(map[string]any{"platforms": plan}, []string{"PLATFORM", "STATEMENT"}, func() [][]string {
		var rows [][]string
		for _, p := range plan {
			for _, s := range p.Statements {
				rows = append(rows, []string{p.Platform, s})
			}
			if p.Note != "" {
				rows = append(rows, []string{p.Platform, "-- " + p.Note})
			}
		}
		return rows
	})
}

// PlatformReconcileCmd repairs drift.
type PlatformReconcileCmd struct {
	Name string `required:"" help:"The platform's name."`
}

// Run reconciles and prints each repair.
func (c *PlatformReconcileCmd) Run(ctx context.Context, g *Globals) error {
	r, err := g.Client().ReconcilePlatform(ctx, c.Name)
	if err != nil {
		return err
	}
	return g.Print(r, []string{"DATABASE", "FOUND", "STATEMENT", "ERROR"}, func() [][]string {
		var rows [][]string
		for _, d := range r.Databases {
			if len(d.Statements) == 0 {
				rows = append(rows, []string{d.Database, strconv.Itoa(d.Found), "", d.Error})
			}
			for _, s := range d.Statements {
				rows = append(rows, []string{d.Database, strconv.Itoa(d.Found), s, d.Error})
			}
		}
		return rows
	})
}
