// Command meshgate is the meshgate server (`meshgate serve`) and its CLI (every
// other subcommand, a client of a running server over the REST API).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kong"
	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := (&Main{Stdout: os.Stdout, Stderr: os.Stderr}).Run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// Main runs one invocation of the command; tests call it in-process.
type Main struct {
	Stdout, Stderr io.Writer
}

// CLI is the command tree. Each command group lives in the file named after it.
type CLI struct {
	Globals

	Serve   ServeCmd   `cmd:"" help:"Run the meshgate server."`
	Migrate MigrateCmd `cmd:"" help:"Apply the store's migrations and exit."`
	Version VersionCmd `cmd:"" help:"Print the version."`

	Login          LoginCmd          `cmd:"" help:"Sign in with a username and password, or through the identity provider (--sso), and print an API token for the CLI."`
	Passwd         PasswdCmd         `cmd:"" help:"Change your password."`
	Account        AccountCmd        `cmd:"" help:"Onboard, offboard, list and show accounts."`
	User           UserCmd           `cmd:"" help:"Manage users and their roles."`
	PasswordSignIn PasswordSignInCmd `cmd:"" name:"password-sign-in" help:"Switch password sign-in on or off (mesh admins); identity providers and API tokens work either way."`
	Token          TokenCmd          `cmd:"" help:"Create, list and revoke your API tokens."`
	Audit          AuditCmd          `cmd:"" help:"Query the audit log (mesh admins)."`
	Catalog        CatalogCmd        `cmd:"" help:"Databases, tables and columns of the central catalog (Glue-compatible)."`

	Workflow     WorkflowCmd     `cmd:"" help:"Manage state machines; run a definition locally."`
	Execution    ExecutionCmd    `cmd:"" help:"Start, list, stop and inspect executions."`
	Task         TaskCmd         `cmd:"" help:"Answer tasks waiting for a task token."`
	Grant        GrantCmd        `cmd:"" help:"Grant permissions on a database, tables or columns (shares with other accounts)."`
	Revoke       RevokeCmd       `cmd:"" help:"Revoke exactly the named permissions; what was granted from them goes too."`
	Grants       GrantsCmd       `cmd:"" help:"List grants."`
	Invitation   InvitationCmd   `cmd:"" help:"List, accept, reject and resend share invitations."`
	Link         LinkCmd         `cmd:"" help:"List resource links and the tables they show."`
	Authorize    AuthorizeCmd    `cmd:"" help:"Ask whether a principal may do an action on a resource."`
	Topic        TopicCmd        `cmd:"" help:"List notification topics."`
	Subscribe    SubscribeCmd    `cmd:"" help:"Subscribe an email address or webhook to an account's topic."`
	Unsubscribe  UnsubscribeCmd  `cmd:"" help:"End a subscription."`
	Subscription SubscriptionCmd `cmd:"" help:"List, show and confirm subscriptions."`
	Delivery     DeliveryCmd     `cmd:"" help:"List notification deliveries and retry dead letters."`
	Mailbox      MailboxCmd      `cmd:"" help:"Read the built-in mailbox (mesh admins)."`
	Request      RequestCmd      `cmd:"" help:"Request access to data products; list, show, cancel and revoke requests."`
	Approval     ApprovalCmd     `cmd:"" help:"List, approve and deny requests waiting for your account's approval."`
	Platform     PlatformCmd     `cmd:"" help:"Data platforms (PostgreSQL, MariaDB) where grants take effect: register, sync, plan, reconcile."`
	Load         LoadCmd         `cmd:"" help:"Load a server and measure it."`
}

// exit carries an exit code requested by the parser (after --help, say) out
// of kong, which would otherwise call os.Exit in the middle of a test.
type exit int

// Run parses args and runs the chosen command, returning the exit code.
func (m *Main) Run(ctx context.Context, args []string) (code int) {
	var cli CLI
	parser, err := kong.New(&cli,
		kong.Name("meshgate"),
		kong.Description("A self-hosted data-sharing workflow for data meshes."),
		kong.UsageOnError(),
		kong.Writers(m.Stdout, m.Stderr),
		kong.Exit(func(code int) { panic(exit(code)) }),
		kong.BindTo(ctx, (*context.Context)(nil)),
		kong.Vars{"default_endpoint": defaultEndpoint},
	)
	if err != nil {
		fmt.Fprintln(m.Stderr, "meshgate:", err)
		return 2
	}
	defer func() {
		switch p := recover().(type) {
		case nil:
		case exit:
			code = int(p)
		default:
			panic(p)
		}
	}()
	if len(args) == 0 {
		args = []string{"--help"}
	}
	kctx, err := parser.Parse(args)
	if err != nil {
		fmt.Fprintln(m.Stderr, "meshgate:", err)
		return 2
	}
	cli.Globals.stdout, cli.Globals.stderr = m.Stdout, m.Stderr
	if err := kctx.Run(&cli.Globals); err != nil {
		fmt.Fprintln(m.Stderr, "meshgate:", explain(err))
		return 1
	}
	return 0
}

// explain words an error for the person at the terminal: with no server at
// the endpoint, what to do about it rather than Go's dial error.
func explain(err error) string {
	var down *client.UnreachableError
	if errors.As(err, &down) {
		return fmt.Sprintf("%v; start one with `%s serve` or point --endpoint (MESHGATE_ENDPOINT) at one", down, server.CLICommand())
	}
	return err.Error()
}
