package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/meshgate/meshgate/client"
)

// grantFlags name a principal, a resource and permissions, for grant and revoke.
type grantFlags struct {
	Principal      string   `required:"" help:"Account id (222233334444) or account/user."`
	Database       string   `required:"" help:"Database, or a resource link of your account."`
	Table          string   `help:"One table (default: the database itself)."`
	AllTables      bool     `help:"All tables of the database, including tables added later."`
	Columns        []string `sep:"," help:"Only these columns of --table (SELECT only)."`
	ExcludeColumns []string `sep:"," help:"Every column of --table but these (SELECT only)."`
	Permissions    []string `sep:"," help:"DESCRIBE, SELECT, INSERT, DELETE, ALTER, DROP, CREATE_TABLE, ALL."`
	Grantable      []string `sep:"," help:"The permissions given (or, with revoke, taken) WITH GRANT OPTION."`
}

func (f *grantFlags) input() (client.GrantInput, error) {
	r := client.Resource{Database: f.Database, Table: f.Table, Columns: f.Columns, ExcludedColumns: f.ExcludeColumns}
	if f.AllTables {
		if f.Table != "" {
			return client.GrantInput{}, errors.New("give --table or --all-tables, not both")
		}
		r.Table = "*"
	}
	return client.GrantInput{Principal: f.Principal, Resource: r, Permissions: upperAll(f.Permissions), Grantable: upperAll(f.Grantable)}, nil
}

func upperAll(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.ToUpper(strings.TrimSpace(s)); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// GrantCmd grants permissions on a catalog resource.
type GrantCmd struct {
	grantFlags `embed:""`
}

// Run grants and prints the resulting grant.
func (c *GrantCmd) Run(ctx context.Context, g *Globals) error {
	in, err := c.input()
	if err != nil {
		return err
	}
	gr, err := g.Client().Grant(ctx, in)
	if err != nil {
		return err
	}
	return printGrants(g, gr, []client.Grant{*gr})
}

// RevokeCmd revokes exactly the named permissions (or, with only
// --grantable, only their grant option).
type RevokeCmd struct {
	grantFlags `embed:""`
}

// Run revokes and prints what is left of the grant.
func (c *RevokeCmd) Run(ctx context.Context, g *Globals) error {
	in, err := c.input()
	if err != nil {
		return err
	}
	gr, err := g.Client().Revoke(ctx, in)
	if err != nil {
		return err
	}
	if gr == nil {
		if g.JSON() {
			return g.PrintJSON(map[string]any{"revoked": true, "grant": nil})
		}
		_, err := g.stdout.Write([]byte("revoked; nothing is left of the grant\n"))
		return err
	}
	return printGrants(g, gr, []client.Grant{*gr})
}

// GrantsCmd groups the grant listings.
type GrantsCmd struct {
	List GrantsListCmd `cmd:"" help:"List grants by principal or resource."`
}

// GrantsListCmd lists grants.
type GrantsListCmd struct {
	Principal string `help:"Only this principal's grants."`
	Account   string `help:"Only grants of this account and its users."`
	Database  string `help:"Only grants on this database."`
	Table     string `help:"Only grants on this table (* for all-tables grants)."`
	Limit     int    `help:"Page size." default:"100"`
	NextToken string `help:"Continue a previous listing."`
	All       bool   `help:"Follow every page."`
}

// Run prints a page of grants (every page with --all), and how to get the next.
func (c *GrantsListCmd) Run(ctx context.Context, g *Globals) error {
	f := client.GrantsFilter{Principal: c.Principal, Account: c.Account, Database: c.Database, Table: c.Table, Limit: c.Limit, PageToken: c.NextToken}
	var all []client.Grant
	var next string
	for {
		gs, n, err := g.Client().Grants(ctx, f)
		if err != nil {
			return err
		}
		all, next = append(all, gs...), n
		if next == "" || !c.All {
			break
		}
		f.PageToken = next
	}
	if all == nil {
		all = []client.Grant{}
	}
	if err := printGrants(g, all, all); err != nil {
		return err
	}
	if next != "" {
		fmt.Fprintf(g.stderr, "more grants: --next-token %s\n", next)
	}
	return nil
}

func printGrants(g *Globals, v any, gs []client.Grant) error {
	return printRows(g, v, []string{"ID", "PRINCIPAL", "RESOURCE", "PERMISSIONS", "GRANTABLE", "STATUS", "SOURCE"}, gs, func(gr client.Grant) []string {
		return []string{itoa64(gr.ID), gr.Principal, describeResource(gr.Resource),
			strings.Join(gr.Permissions, ","), strings.Join(gr.Grantable, ","), gr.Status, gr.Source}
	})
}

// describeResource writes a resource as sales, sales.*, sales.orders,
// sales.orders(id,total) or sales.orders(-email).
func describeResource(r client.Resource) string {
	s := dbTable(r.Database, r.Table)
	switch {
	case len(r.Columns) > 0:
		s += "(" + strings.Join(r.Columns, ",") + ")"
	case len(r.ExcludedColumns) > 0:
		s += "(-" + strings.Join(r.ExcludedColumns, ",-") + ")"
	}
	return s
}
