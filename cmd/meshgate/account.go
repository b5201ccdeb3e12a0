package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
)

// AccountCmd groups the account commands: the reference design's
// deploy-producer and clean-producer.
type AccountCmd struct {
	Onboard  AccountOnboardCmd  `cmd:"" help:"Onboard an account into the mesh (mesh admins)."`
	Offboard AccountOffboardCmd `cmd:"" help:"Offboard an account with its users and tokens (mesh admins)."`
	List     AccountListCmd     `cmd:"" help:"List the mesh's accounts."`
	Show     AccountShowCmd     `cmd:"" help:"Show one account."`
	Update   AccountUpdateCmd   `cmd:"" help:"Change an account's name, organization or email."`
}

var accountHeader = []string{"ID", "NAME", "ORGANIZATION", "EMAIL", "CREATED"}

func accountRow(a *mesh.Account) []string {
	return []string{a.ID, a.Name, a.Organization, a.Email, a.CreatedAt.Format("2006-01-02 15:04")}
}

// AccountOnboardCmd onboards an account.
type AccountOnboardCmd struct {
	ID           string `required:"" help:"Account id: 12 digits (111122223333) or a slug."`
	Name         string `required:"" help:"Display name."`
	Organization string `help:"Organization id (accounts in the central account's organization get shares without invitations)."`
	Email        string `help:"Contact email."`
	Reonboard    bool   `help:"Allow an id that was offboarded before; the new account inherits nothing of the old one."`
}

// Run onboards the account.
func (c *AccountOnboardCmd) Run(ctx context.Context, g *Globals) error {
	a, err := g.Client().OnboardAccount(ctx, client.AccountInput{ID: c.ID, Name: c.Name, Organization: c.Organization, Email: c.Email, Reonboard: c.Reonboard})
	if err != nil {
		return err
	}
	return g.Print(a, accountHeader, func() [][]string { return [][]string{accountRow(a)} })
}

// AccountOffboardCmd offboards an account.
type AccountOffboardCmd struct {
	ID         string `required:"" help:"Account id."`
	Force      bool   `help:"Offboard even though data products, grants, shares, invitations or links still refer to the account: they end, and its products are deleted unless --transfer-to is given."`
	TransferTo string `name:"transfer-to" placeholder:"ID" help:"With --force, hand the account's data products to this onboarded account instead of deleting them."`
}

// Run offboards the account, or lists what stands in the way.
func (c *AccountOffboardCmd) Run(ctx context.Context, g *Globals) error {
	res, err := g.Client().OffboardAccount(ctx, c.ID, client.OffboardOptions{Force: c.Force, TransferTo: c.TransferTo})
	var apiErr *client.Error
	if errors.As(err, &apiErr) && apiErr.Code == mesh.ECONFLICT && !g.JSON() {
		if d, ok := apiErr.Details.(map[string]any); ok {
			deps, _ := d["dependents"].([]any)
			fmt.Fprintf(g.stderr, "account %s still has %d dependents:\n", c.ID, len(deps))
			for _, dep := range deps {
				fmt.Fprintf(g.stderr, "  %v\n", dep)
			}
			return fmt.Errorf("not offboarded; run again with --force to end all of it (its data products are deleted, or handed to another account with --transfer-to ID)")
		}
	}
	if err != nil {
		return err
	}
	if g.JSON() {
		return g.PrintJSON(res)
	}
	fmt.Fprintf(g.stdout, "offboarded account %s (%s); %d users removed\n", res.Account.ID, res.Account.Name, res.UsersRemoved)
	if res.TransferredTo != "" {
		fmt.Fprintf(g.stdout, "data products handed to account %s\n", res.TransferredTo)
	}
	for _, a := range res.Affected {
		fmt.Fprintf(g.stdout, "  %s\n", a)
	}
	return nil
}

// AccountListCmd lists accounts.
type AccountListCmd struct {
	Organization string `help:"Only accounts of this organization."`
}

// Run lists every account, page by page.
func (c *AccountListCmd) Run(ctx context.Context, g *Globals) error {
	all := []*mesh.Account{}
	o := client.ListOptions{Limit: 1000}
	for {
		page, err := g.Client().ListAccounts(ctx, c.Organization, o)
		if err != nil {
			return err
		}
		all = append(all, page.Accounts...)
		if page.NextToken == "" {
			break
		}
		o.NextToken = page.NextToken
	}
	return printRows(g, all, accountHeader, all, accountRow)
}

// AccountShowCmd shows an account.
type AccountShowCmd struct {
	ID string `required:"" help:"Account id."`
}

// Run shows the account.
func (c *AccountShowCmd) Run(ctx context.Context, g *Globals) error {
	a, err := g.Client().GetAccount(ctx, c.ID)
	if err != nil {
		return err
	}
	return g.Print(a, accountHeader, func() [][]string { return [][]string{accountRow(a)} })
}

// AccountUpdateCmd changes an account.
type AccountUpdateCmd struct {
	ID           string  `required:"" help:"Account id."`
	Name         *string `help:"New display name."`
	Organization *string `help:"New organization id (mesh admins; empty to clear)."`
	Email        *string `help:"New contact email (empty to clear)."`
}

// Run changes the account.
func (c *AccountUpdateCmd) Run(ctx context.Context, g *Globals) error {
	a, err := g.Client().UpdateAccount(ctx, c.ID, client.AccountUpdate{Name: c.Name, Organization: c.Organization, Email: c.Email})
	if err != nil {
		return err
	}
	return g.Print(a, accountHeader, func() [][]string { return [][]string{accountRow(a)} })
}
