package main

import (
	"context"
	"fmt"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
)

// TokenCmd groups the API token commands; tokens are the caller's own.
type TokenCmd struct {
	Create TokenCreateCmd `cmd:"" help:"Create an API token; its secret is printed once."`
	List   TokenListCmd   `cmd:"" help:"List your API tokens."`
	Revoke TokenRevokeCmd `cmd:"" help:"Revoke one of your API tokens."`
}

var tokenHeader = []string{"ID", "NAME", "PREFIX", "CREATED", "EXPIRES", "LAST USED"}

func tokenRow(t *mesh.Token) []string {
	return []string{fmt.Sprint(t.ID), t.Name, t.Prefix + "…", t.CreatedAt.Format("2006-01-02 15:04"), timeOrDash(t.ExpiresAt), timeOrDash(t.LastUsedAt)}
}

func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format("2006-01-02 15:04")
}

// TokenCreateCmd creates a token.
type TokenCreateCmd struct {
	Name    string        `required:"" help:"A name to recognise the token by (ci, laptop)."`
	Expires time.Duration `help:"Lifetime, such as 720h; none by default."`
}

// Run creates the token and prints its secret.
func (c *TokenCreateCmd) Run(ctx context.Context, g *Globals) error {
	res, err := g.Client().CreateToken(ctx, c.Name, c.Expires)
	if err != nil {
		return err
	}
	if g.JSON() {
		return g.PrintJSON(res)
	}
	if err := g.PrintTable(tokenHeader, [][]string{tokenRow(res.Token)}); err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "\nsecret (shown once): %s\n", res.Secret)
	return nil
}

// TokenListCmd lists tokens.
type TokenListCmd struct{}

// Run lists the caller's tokens.
func (c *TokenListCmd) Run(ctx context.Context, g *Globals) error {
	toks, err := g.Client().ListTokens(ctx)
	if err != nil {
		return err
	}
	return printRows(g, toks, tokenHeader, toks, tokenRow)
}

// TokenRevokeCmd revokes a token.
type TokenRevokeCmd struct {
	ID   int64 `required:"" help:"Token id (see token list)."`
	User int64 `help:"Id of the user whose token it is (admins); default the caller."`
}

// Run revokes the token.
func (c *TokenRevokeCmd) Run(ctx context.Context, g *Globals) error {
	var err error
	if c.User != 0 {
		err = g.Client().RevokeUserToken(ctx, c.User, c.ID)
	} else {
		err = g.Client().RevokeToken(ctx, c.ID)
	}
	if err != nil {
		return err
	}
	if g.JSON() {
		return g.PrintJSON(map[string]any{"revoked": c.ID})
	}
	_, err = fmt.Fprintf(g.stdout, "revoked token %d\n", c.ID)
	return err
}
