package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/alecthomas/kong"
	"github.com/meshgate/meshgate/client"
)

// AuthorizeCmd asks the one authorization decision.
type AuthorizeCmd struct {
	Principal string   `help:"Account id or account/user (default: you)."`
	Action    string   `required:"" help:"DESCRIBE, SELECT, INSERT, DELETE, ALTER, DROP, CREATE_TABLE or ALL."`
	Database  string   `required:"" help:"Database, or a resource link of the principal's account."`
	Table     string   `help:"Table (default: the database itself)."`
	Columns   []string `sep:"," help:"Columns asked for (SELECT)."`
}

// Run prints the decision. Like `kubectl auth can-i`, it exits 0 when the
// answer is yes and 1 when it is no (other failures exit 1 with a message
// on standard error).
func (c *AuthorizeCmd) Run(ctx context.Context, g *Globals, k *kong.Context) error {
	d, err := g.Client().Authorize(ctx, client.AuthorizeRequest{
		Principal: c.Principal, Action: strings.ToUpper(c.Action),
		Resource: client.Resource{Database: c.Database, Table: c.Table, Columns: c.Columns},
	})
	if err != nil {
		return err
	}
	if g.JSON() {
		if err := g.PrintJSON(d); err != nil {
			return err
		}
		deniedExit(k, d)
		return nil
	}
	ids := make([]string, len(d.Grants))
	for i, id := range d.Grants {
		ids[i] = strconv.FormatInt(id, 10)
	}
	answer := "DENIED"
	if d.Allowed {
		answer = "ALLOWED"
	}
	if _, err := fmt.Fprintf(g.stdout, "%s\t%s\tgrants: %s\n", answer, d.Reason, strings.Join(ids, ",")); err != nil {
		return err
	}
	deniedExit(k, d)
	return nil
}

// deniedExit ends the command with exit status 1 when the answer is no,
// without an error message: the answer is printed.
func deniedExit(k *kong.Context, d *client.Decision) {
	if !d.Allowed {
		k.Exit(1)
	}
}
