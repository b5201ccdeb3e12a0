package main

import (
	"context"
	"fmt"

	"github.com/meshgate/meshgate/client"
)

// InvitationCmd groups the share invitation commands.
type InvitationCmd struct {
	List   InvitationListCmd   `cmd:"" help:"List your account's invitations."`
	Accept InvitationAcceptCmd `cmd:"" help:"Accept an invitation (your account's admins); creates a resource link."`
	Reject InvitationRejectCmd `cmd:"" help:"Reject an invitation (your account's admins)."`
	Resend InvitationResendCmd `cmd:"" help:"Offer a share's current invitation again, pending or expired, with a new expiry."`
}

// InvitationListCmd lists invitations, newest first.
type InvitationListCmd struct {
	Account   string `help:"Account (default yours; mesh admins see all without it)."`
	Status    string `help:"Only this status." enum:",pending,accepted,rejected,expired,withdrawn" default:""`
	Limit     int    `help:"Page size." default:"100"`
	NextToken string `help:"Continue a previous listing."`
	All       bool   `help:"Follow every page."`
}

// Run prints a page of invitations (every page with --all), and how to get the next.
func (c *InvitationListCmd) Run(ctx context.Context, g *Globals) error {
	f := client.InvitationsFilter{Account: c.Account, Status: c.Status, Limit: c.Limit, PageToken: c.NextToken}
	all := []client.Invitation{}
	var next string
	for {
		invs, n, err := g.Client().InvitationPage(ctx, f)
		if err != nil {
			return err
		}
		all, next = append(all, invs...), n
		if next == "" || !c.All {
			break
		}
		f.PageToken = next
	}
	if err := printInvitations(g, all, all); err != nil {
		return err
	}
	if next != "" {
		fmt.Fprintf(g.stderr, "more invitations: --next-token %s\n", next)
	}
	return nil
}

func printInvitations(g *Globals, v any, invs []client.Invitation) error {
	return printRows(g, v, []string{"ID", "ACCOUNT", "RESOURCE", "STATUS", "SENT BY", "EXPIRES", "DECIDED BY"}, invs, func(inv client.Invitation) []string {
		return []string{itoa64(inv.ID), inv.AccountID, dbTable(inv.Database, inv.Table), inv.Status, inv.SentBy, fmtTime(inv.ExpiresAt), inv.DecidedBy}
	})
}

// InvitationAcceptCmd accepts an invitation.
type InvitationAcceptCmd struct {
	ID       int64  `required:"" help:"Invitation id."`
	LinkName string `help:"Name of the resource link (default: the shared database's name, made unique)."`
}

// Run accepts the invitation and prints it with its link.
func (c *InvitationAcceptCmd) Run(ctx context.Context, g *Globals) error {
	d, err := g.Client().AcceptInvitation(ctx, c.ID, c.LinkName)
	if err != nil {
		return err
	}
	return printDecided(g, d)
}

// InvitationRejectCmd rejects an invitation.
type InvitationRejectCmd struct {
	ID int64 `required:"" help:"Invitation id."`
}

// Run rejects the invitation.
func (c *InvitationRejectCmd) Run(ctx context.Context, g *Globals) error {
	d, err := g.Client().RejectInvitation(ctx, c.ID)
	if err != nil {
		return err
	}
	return printDecided(g, d)
}

func printDecided(g *Globals, d *client.InvitationDecision) error {
	if g.JSON() {
		return g.PrintJSON(d)
	}
	if err := printInvitations(g, d, []client.Invitation{*d.Invitation}); err != nil {
		return err
	}
	if d.Link != nil {
		return printLinks(g, d.Link, []client.ResourceLink{*d.Link})
	}
	return nil
}

// InvitationResendCmd resends an invitation.
type InvitationResendCmd struct {
	ID int64 `required:"" help:"Invitation id."`
}

// Run resends the invitation.
func (c *InvitationResendCmd) Run(ctx context.Context, g *Globals) error {
	inv, err := g.Client().ResendInvitation(ctx, c.ID)
	if err != nil {
		return err
	}
	return printInvitations(g, inv, []client.Invitation{*inv})
}
