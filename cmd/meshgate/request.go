package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
)

// RequestCmd groups the access request commands.
type RequestCmd struct {
	Create RequestCreateCmd `cmd:"" help:"Request access to a database or one of its tables for your account."`
	Get    RequestGetCmd    `cmd:"" help:"Show a request with its approval and timeline."`
	List   RequestListCmd   `cmd:"" help:"List the requests you may see."`
	Cancel RequestCancelCmd `cmd:"" help:"Cancel an open request."`
	Revoke RequestRevokeCmd `cmd:"" help:"End a shared request's access early (owning or requesting account's admins)."`
}

// RequestCreateCmd asks for access.
type RequestCreateCmd struct {
	Database      string        `required:"" help:"Database."`
	Table         string        `help:"One table (default: the whole database)."`
	TargetAccount string        `help:"Account that receives the access (default yours; mesh admins name any)."`
	Justification string        `required:"" help:"Why the access is needed."`
	Permissions   []string      `help:"Permissions (default SELECT,DESCRIBE)." sep:","`
	Duration      time.Duration `help:"How long the access lasts once shared, such as 720h (default: until revoked)."`
	// IdempotencyKey makes a retry safe: the CLI does not retry by itself,
	// so a script that lost the answer runs the command again with the same key.
	IdempotencyKey string `help:"Key that makes the create safe to run again after a lost answer: the same key returns the request it made (default: a fresh one each run)."`
}

// Run creates the request and prints it as the first steps left it.
func (c *RequestCreateCmd) Run(ctx context.Context, g *Globals) error {
	in := client.RequestInput{Database: c.Database, Table: c.Table, TargetAccount: c.TargetAccount,
		Justification: c.Justification, Permissions: c.Permissions, IdempotencyKey: c.IdempotencyKey}
	if c.Duration != 0 { // a negative one goes to the server, which refuses it
		in.Duration = c.Duration.String()
	}
	r, created, err := g.Client().CreateRequest(ctx, in)
	if err != nil {
		return err
	}
	if !created && !g.JSON() {
		if c.IdempotencyKey != "" && r.IdempotencyKey == c.IdempotencyKey {
			fmt.Fprintf(g.stderr, "request %d was made with this idempotency key already\n", r.ID)
		} else if r.RequesterUser == "" {
			// the server names no requester to those who may not see it
			fmt.Fprintf(g.stderr, "request %d for the same resource and account is open already, made by another user of your account\n", r.ID)
		} else {
			fmt.Fprintf(g.stderr, "request %d for the same resource and account is open already\n", r.ID)
		}
	}
	return printRequests(g, r, []*client.AccessRequest{r})
}

// printRequests prints requests as a table, with the personal data the
// catalog lookup found in each (as approval list does), or as JSON.
func printRequests(g *Globals, v any, rs []*client.AccessRequest) error {
	return printRows(g, v, []string{"ID", "RESOURCE", "TARGET", "REQUESTER", "PERMISSIONS", "PERSONAL DATA", "STATUS", "EXPIRES", "CREATED"}, rs,
		func(r *client.AccessRequest) []string {
			return []string{itoa64(r.ID), dbTable(r.Database, r.Table), r.TargetAccount, requesterOf(r),
				r.Permissions.String(), strings.Join(r.PIIColumns, ","), r.Status, fmtTime(r.ExpiresAt), fmtTime(r.CreatedAt)}
		})
}

// requesterOf is who made r, "account/user"; the account alone when the
// server leaves the user out (another member's open request).
func requesterOf(r *client.AccessRequest) string {
	if r.RequesterUser == "" {
		return r.RequesterAccount
	}
	return r.RequesterAccount + "/" + r.RequesterUser
}

// RequestGetCmd shows a request.
type RequestGetCmd struct {
	ID int64 `required:"" help:"Request id."`
}

// Run prints the request, its decision or error, and its timeline.
func (c *RequestGetCmd) Run(ctx context.Context, g *Globals) error {
	v, err := g.Client().Request(ctx, c.ID)
	if err != nil {
		return err
	}
	if g.JSON() {
		return g.PrintJSON(v)
	}
	if err := printRequests(g, v, []*client.AccessRequest{v.AccessRequest}); err != nil {
		return err
	}
	w := g.stdout
	fmt.Fprintf(w, "\njustification: %s\n", v.Justification)
	if len(v.PIIColumns) > 0 {
		fmt.Fprintf(w, "personal data: %s\n", strings.Join(v.PIIColumns, ", "))
	}
	if d := v.Decision; d != nil {
		verb := "denied"
		if d.Approved {
			verb = "approved"
		}
		fmt.Fprintf(w, "%s by %s at %s via %s: %s\n", verb, d.By, fmtTime(d.At), d.Channel, d.Comment)
	}
	if v.Error != "" {
		fmt.Fprintf(w, "error: %s: %s\n", v.Error, v.Cause)
	}
	if v.EndedBy != "" {
		fmt.Fprintf(w, "ended by: %s\n", v.EndedBy)
	}
	fmt.Fprintln(w, "\ntimeline:")
	rows := make([][]string, len(v.Timeline))
	for i, ev := range v.Timeline {
		rows[i] = []string{itoa64(int64(ev.ID)), fmtTime(ev.Timestamp), ev.Type}
	}
	return g.PrintTable([]string{"EVENT", "TIME", "TYPE"}, rows)
}

// RequestListCmd lists requests.
type RequestListCmd struct {
	Status string `help:"Only this status." enum:",SUBMITTED,PENDING_APPROVAL,SHARED,DENIED,EXPIRED,CANCELLED,FAILED,REVOKED" default:""`
	Mine   bool   `help:"Only your own requests."`
	Limit  int    `help:"At most this many." default:"100"`
	Before int64  `help:"Only requests with a smaller id (the next page)."`
}

// Run lists the requests.
func (c *RequestListCmd) Run(ctx context.Context, g *Globals) error {
	rs, err := g.Client().Requests(ctx, client.RequestsFilter{Status: c.Status, Mine: c.Mine, Before: c.Before, Limit: c.Limit})
	if err != nil {
		return err
	}
	if err := printRequests(g, map[string]any{"requests": rs}, rs); err != nil {
		return err
	}
	if len(rs) == c.Limit {
		fmt.Fprintf(g.stderr, "more requests may follow: --before %d\n", rs[len(rs)-1].ID)
	}
	return nil
}

// RequestCancelCmd cancels a request.
type RequestCancelCmd struct {
	ID int64 `required:"" help:"Request id."`
}

// Run cancels the request.
func (c *RequestCancelCmd) Run(ctx context.Context, g *Globals) error {
	r, err := g.Client().CancelRequest(ctx, c.ID)
	if err != nil {
		return err
	}
	return printRequests(g, r, []*client.AccessRequest{r})
}

// RequestRevokeCmd revokes a shared request.
type RequestRevokeCmd struct {
	ID int64 `required:"" help:"Request id."`
}

// Run revokes the request's access.
func (c *RequestRevokeCmd) Run(ctx context.Context, g *Globals) error {
	r, err := g.Client().RevokeRequest(ctx, c.ID)
	if err != nil {
		return err
	}
	return printRequests(g, r, []*client.AccessRequest{r})
}

// ApprovalCmd groups the approval commands.
type ApprovalCmd struct {
	List    ApprovalListCmd    `cmd:"" help:"List the approvals you may decide (pending by default)."`
	Approve ApprovalApproveCmd `cmd:"" help:"Approve a request waiting for your account's approval; it is shared at once."`
	Deny    ApprovalDenyCmd    `cmd:"" help:"Deny a request waiting for your account's approval."`
	Links   ApprovalLinksCmd   `cmd:"" help:"Show or set whether an approval link alone decides or its approver must also sign in."`
}

// ApprovalListCmd lists approvals.
type ApprovalListCmd struct {
	Status string `help:"Only this status (default PENDING; all for every one)." enum:",PENDING,APPROVED,DENIED,EXPIRED,CANCELLED,all" default:""`
	Limit  int    `help:"At most this many." default:"100"`
	Before int64  `help:"Only approvals of requests with a smaller id (the next page)."`
}

// Run lists the approvals with what they ask for.
func (c *ApprovalListCmd) Run(ctx context.Context, g *Globals) error {
	as, err := g.Client().Approvals(ctx, client.ApprovalsFilter{Status: c.Status, Before: c.Before, Limit: c.Limit})
	if err != nil {
		return err
	}
	if len(as) == c.Limit {
		defer fmt.Fprintf(g.stderr, "more approvals may follow: --before %d\n", as[len(as)-1].RequestID)
	}
	err = printRows(g, map[string]any{"approvals": as}, []string{"ID", "RESOURCE", "TARGET", "REQUESTER", "PERSONAL DATA", "STATUS", "EXPIRES", "JUSTIFICATION"}, as,
		func(a *client.Approval) []string {
			r := a.Request
			if r == nil {
				r = &mesh.AccessRequest{}
			}
			return []string{itoa64(a.RequestID), dbTable(r.Database, r.Table), r.TargetAccount, r.RequesterAccount + "/" + r.RequesterUser,
				strings.Join(a.PIIColumns, ","), a.Status, fmtTime(a.ExpiresAt), r.Justification}
		})
	if err != nil || g.JSON() {
		return err
	}
	printPlans(g.stdout, as)
	return nil
}

// printPlans writes, below the table, what each data platform would run if
// a pending request is approved.
func printPlans(w io.Writer, as []*client.Approval) {
	for _, a := range as {
		for _, p := range a.Plans {
			fmt.Fprintf(w, "\nrequest %d on platform %s (%s)", a.RequestID, p.Platform, p.Kind)
			if p.Role != "" {
				fmt.Fprintf(w, ", role %s", p.Role)
			}
			fmt.Fprintln(w, ":")
			for _, st := range p.Statements {
				fmt.Fprintf(w, "  %s;\n", st)
			}
			if p.Note != "" {
				fmt.Fprintf(w, "  -- %s\n", p.Note)
			}
		}
	}
}

// ApprovalApproveCmd approves a request.
type ApprovalApproveCmd struct {
	ID      int64  `required:"" help:"Request id."`
	Comment string `help:"Comment recorded with the decision."`
}

// Run approves the request.
func (c *ApprovalApproveCmd) Run(ctx context.Context, g *Globals) error {
	r, err := g.Client().Decide(ctx, c.ID, true, c.Comment, mesh.ChannelCLI)
	if err != nil {
		return err
	}
	return printRequests(g, r, []*client.AccessRequest{r})
}

// ApprovalDenyCmd denies a request.
type ApprovalDenyCmd struct {
	ID      int64  `required:"" help:"Request id."`
	Comment string `help:"Why: the request's error cause."`
}

// Run denies the request.
func (c *ApprovalDenyCmd) Run(ctx context.Context, g *Globals) error {
	r, err := g.Client().Decide(ctx, c.ID, false, c.Comment, mesh.ChannelCLI)
	if err != nil {
		return err
	}
	return printRequests(g, r, []*client.AccessRequest{r})
}
