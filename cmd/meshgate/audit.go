package main

import (
	"context"
	"fmt"
	"time"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
)

// AuditCmd groups the audit log commands (mesh admins).
type AuditCmd struct {
	List AuditListCmd `cmd:"" help:"Query the audit log, newest first."`
}

// AuditListCmd queries the audit log.
type AuditListCmd struct {
	Principal string    `help:"Only calls by this principal (account/username, or system)."`
	Account   string    `help:"Only calls by users of this account."`
	Action    string    `help:"Only this action, or actions starting with a prefix ending in * (account.*)."`
	Resource  string    `help:"Only this resource, or resources starting with a prefix ending in *."`
	Result    string    `help:"Only this result: ok, or an error code (forbidden, invalid, ...)."`
	Since     time.Time `help:"Only entries at or after this RFC 3339 time."`
	Until     time.Time `help:"Only entries before this RFC 3339 time."`
	Limit     int       `help:"How many entries to show." default:"100"`
	NextToken string    `help:"Continue a previous listing."`
}

// Run prints one page of entries, and how to get the next.
func (c *AuditListCmd) Run(ctx context.Context, g *Globals) error {
	f := client.AuditFilter{Principal: c.Principal, Account: c.Account, Action: c.Action, Resource: c.Resource, Result: c.Result, Since: c.Since, Until: c.Until}
	page, err := g.Client().ListAudit(ctx, f, client.ListOptions{Limit: c.Limit, NextToken: c.NextToken})
	if err != nil {
		return err
	}
	if g.JSON() {
		return g.PrintJSON(page)
	}
	rows := rowsOf(page.Entries, func(e *mesh.AuditEntry) []string {
		return []string{fmt.Sprint(e.ID), e.Time.Format(time.RFC3339), e.Principal, e.Action, e.Resource, e.Result, e.RemoteAddr, e.Detail}
	})
	if err := g.PrintTable([]string{"ID", "TIME", "PRINCIPAL", "ACTION", "RESOURCE", "RESULT", "FROM", "DETAIL"}, rows); err != nil {
		return err
	}
	if page.NextToken != "" {
		fmt.Fprintf(g.stderr, "more entries: --next-token %s\n", page.NextToken)
	}
	return nil
}
