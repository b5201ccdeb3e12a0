package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"golang.org/x/term"
	"io"
	"os"
	"strings"
	"time"

	"github.com/meshgate/meshgate/client"
)

// stdin is where passwords are read from; tests replace it.
var stdin io.Reader = os.Stdin

// LoginCmd signs in with a username and password and prints a new API token
// for the CLI: the CLI authenticates with tokens, not cookies. The session
// used to create it is ended at once.
type LoginCmd struct {
	Username      string        `help:"Your username (without --sso)."`
	SSO           bool          `name:"sso" help:"Sign in through the server's identity provider instead of a password."`
	Provider      string        `help:"With --sso: the provider's name, when the server has several."`
	Browser       bool          `help:"With --sso: use a browser sent back to a loopback port even when the provider offers device sign-in."`
	PasswordStdin bool          `name:"password-stdin" help:"Read the password from standard input without a prompt. If it is temporary, a second line gives the new password."`
	TokenName     string        `name:"token-name" default:"cli" help:"Name of the API token to create."`
	Expires       time.Duration `default:"720h" help:"Lifetime of the API token (0 for none; with --sso, 0 is the server's default, 720h)."`
}

// Run signs in, changes a temporary password if needed, creates the token
// and signs out.
func (c *LoginCmd) Run(ctx context.Context, g *Globals) error {
	// refused before the sign-in, which a negative lifetime would waste
	if c.Expires < 0 {
		return fmt.Errorf("--expires must be 0 or a positive duration such as 720h, not %s", c.Expires)
	}
	if c.SSO {
		if c.Username != "" || c.PasswordStdin {
			return errors.New("--sso signs in through the identity provider: leave out --username and --password-stdin")
		}
		return c.loginSSO(ctx, g)
	}
	if c.Username == "" {
		return errors.New("--username is required (or --sso to sign in through the identity provider)")
	}
	in := bufio.NewReader(stdin)
	password, err := readSecret(in, g, "Password: ", !c.PasswordStdin)
	if err != nil {
		return err
	}
	sc := g.Client().WithSession()
	res, err := sc.Login(ctx, c.Username, password)
	if err != nil {
		return err
	}
	defer sc.Logout(context.WithoutCancel(ctx))
	if res.PasswordChangeRequired {
		fmt.Fprintln(g.stderr, "Your password is temporary; choose a new one (at least 12 characters).")
		next, err := readSecret(in, g, "New password: ", !c.PasswordStdin)
		if err != nil {
			return err
		}
		if err := sc.ChangePassword(ctx, password, next); err != nil {
			return err
		}
	}
	tok, err := sc.CreateToken(ctx, c.TokenName, c.Expires)
	if err != nil {
		return err
	}
	return printLoginToken(g, res.User.AccountID+"/"+res.User.Username, tok)
}

// printLoginToken prints a new CLI token as a shell export (or JSON). A
// server at another endpoint than the default has its endpoint exported
// too, so that the commands after an eval of the output go to it.
func printLoginToken(g *Globals, who string, tok *client.NewToken) error {
	if g.JSON() {
		return g.PrintJSON(tok)
	}
	if g.Endpoint == defaultEndpoint {
		fmt.Fprintf(g.stderr, "signed in as %s; use this token with --token or MESHGATE_TOKEN:\n", who)
		_, err := fmt.Fprintf(g.stdout, "export MESHGATE_TOKEN=%s\n", shellQuote(tok.Secret))
		return err
	}
	fmt.Fprintf(g.stderr, "signed in as %s at %s; use this token with --token or MESHGATE_TOKEN, and this endpoint with --endpoint or MESHGATE_ENDPOINT:\n", who, g.Endpoint)
	_, err := fmt.Fprintf(g.stdout, "export MESHGATE_TOKEN=%s\nexport MESHGATE_ENDPOINT=%s\n", shellQuote(tok.Secret), shellQuote(g.Endpoint))
	return err
}

// shellQuote returns s as one word of a POSIX shell: as it is when it
// holds nothing the shell would read otherwise, else in single quotes.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,:/@%+=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// PasswdCmd changes your password, reading the current and the new one
// from standard input (one per line).
type PasswdCmd struct{}

// Run changes the caller's password.
func (c *PasswdCmd) Run(ctx context.Context, g *Globals) error {
	in := bufio.NewReader(stdin)
	current, err := readSecret(in, g, "Current password: ", true)
	if err != nil {
		return err
	}
	next, err := readSecret(in, g, "New password: ", true)
	if err != nil {
		return err
	}
	if err := g.Client().ChangePassword(ctx, current, next); err != nil {
		return err
	}
	_, err = fmt.Fprintln(g.stdout, "password changed")
	return err
}

// readSecret reads one line, prompting on stderr when asked to. On a
// terminal the line is read without echo, so the password is not shown.
func readSecret(in *bufio.Reader, g *Globals, prompt string, show bool) (string, error) {
	if show {
		fmt.Fprint(g.stderr, prompt)
	}
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(g.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		return string(b), nil
	}
	line, err := in.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", fmt.Errorf("read password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
