package main

import (
	"context"
	"strings"

	"github.com/meshgate/meshgate/client"
)

// LinkCmd groups the resource link commands.
type LinkCmd struct {
	List   LinkListCmd   `cmd:"" help:"List an account's resource links."`
	Tables LinkTablesCmd `cmd:"" help:"List the tables a resource link shows now."`
}

// LinkListCmd lists resource links.
type LinkListCmd struct {
	Account string `help:"Account (default yours; mesh admins see all without it)."`
}

// Run lists the links.
func (c *LinkListCmd) Run(ctx context.Context, g *Globals) error {
	links, err := g.Client().Links(ctx, c.Account)
	if err != nil {
		return err
	}
	return printLinks(g, links, links)
}

func printLinks(g *Globals, v any, links []client.ResourceLink) error {
	return g.Print(v, []string{"ACCOUNT", "NAME", "POINTS AT", "SHARE", "CREATED"}, func() [][]string {
		var rows [][]string
		for _, l := range links {
			target := l.Database
			if l.Table != "" {
				target += "." + l.Table
			}
			rows = append(rows, []string{l.AccountID, l.Name, target, itoa64(l.ShareID), accessTime(l.CreatedAt)})
		}
		return rows
	})
}

// LinkTablesCmd lists a link's tables.
type LinkTablesCmd struct {
	Account string `required:"" help:"Account that holds the link."`
	Name    string `required:"" help:"Link name."`
}

// Run lists the tables.
func (c *LinkTablesCmd) Run(ctx context.Context, g *Globals) error {
	tables, err := g.Client().LinkTables(ctx, c.Account, c.Name)
	if err != nil {
		return err
	}
	return g.Print(tables, []string{"TABLE", "COLUMNS"}, func() [][]string {
		var rows [][]string
		for _, t := range tables {
			rows = append(rows, []string{t.Database + "." + t.Name, strings.Join(t.Columns, ",")})
		}
		return rows
	})
}
