package main

import (
	"context"
	"strconv"

	"github.com/meshgate/meshgate/client"
)

// ApprovalLinksCmd shows or sets whether an approval link alone decides or
// its approver must also sign in.
type ApprovalLinksCmd struct {
	Account        string `required:"" help:"The owning account's id."`
	SignInRequired *bool  `name:"sign-in-required" help:"true: approvers must sign in to decide through a link; false (the default): the link suffices. Omitted: show the setting."`
}

// Run shows or updates the setting.
func (c *ApprovalLinksCmd) Run(ctx context.Context, g *Globals) error {
	var (
		s   *client.ApprovalLinkSettings
		err error
	)
	if c.SignInRequired == nil {
		s, err = g.Client().ApprovalLinkSettings(ctx, c.Account)
	} else {
		s, err = g.Client().SetApprovalLinkSettings(ctx, c.Account, *c.SignInRequired)
	}
	if err != nil {
		return err
	}
	return printRows(g, s, []string{"ACCOUNT", "SIGN-IN REQUIRED"}, []*client.ApprovalLinkSettings{s},
		func(s *client.ApprovalLinkSettings) []string {
			return []string{s.AccountID, strconv.FormatBool(s.SignInRequired)}
		})
}
