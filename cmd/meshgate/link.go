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
	return printRows(g, v, []string{"ACCOUNT", "NAME", "POINTS AT", "SHARE", "CREATED"}, links, func(l client.ResourceLink) []string {
		return []string{l.AccountID, l.Name, dbTable(l.Database, l.Table), itoa64(l.ShareID), fmtTime(l.CreatedAt)}
	})
}

// LinkTablesCmd lists a link's tables.
type LinkTablesCmd struct {
	Account string `help:"Account that holds the link (default yours)."`
	Name    string `required:"" help:"Link name."`
}

// Run lists the tables.
func (c *LinkTablesCmd) Run(ctx context.Context, g *Globals) error {
	cl := g.Client()
	account := c.Account
	if account == "" {
		me, err := cl.Me(ctx)
		if err != nil {
			return err
		}
		account = me.User.AccountID
	}
	tables, err := cl.LinkTables(ctx, account, c.Name)
	if err != nil {
		return err
	}
	return printRows(g, tables, []string{"TABLE", "COLUMNS"}, tables, func(t client.LinkedTable) []string {
		return []string{t.Database + "." + t.Name, strings.Join(t.Columns, ",")}
	})
}
