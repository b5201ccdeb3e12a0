package sharing

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/notify"
	"github.com/meshgate/meshgate/internal/store"
)

// Approval links are scanner-proof: each subscription gets its own link,
// signed with the notification service's link key, naming the request, the
// subscription and when the approval expires. Opening one (GET, HEAD, a
// scanner rendering the page) only shows the request and a form; the form's
// POST, carrying the token, decides, as the subscription's recipient, under
// the approval API's rules. Once the approval is decided every link of it
// shows the decision: a link decides once. An account may require the
// approver to sign in as well (ApprovalLinkSettings).
//
// A link opened signed out decides as its recipient, whoever holds it, so
// the requester must never hold one: a link sent to their own address
// refuses, and the built-in mailbox, where mesh admins (who may request for
// any account) read the approvers' mail, withholds the links of a request
// from the mesh admin who made it (linkWithheld).

// ApprovalLinkPath is the page an approval link opens (internal/web/ui).
const ApprovalLinkPath = "/approval-link"

// Decision channels of approval links.
const (
	ChannelEmailLink   = "email-link"
	ChannelWebhookLink = "webhook-link"
)

const linkPurpose = "approval"

// linkClaims are what an approval link's token signs.
type linkClaims struct {
	Request      int64 `json:"r"`
	Subscription int64 `json:"s"`
	// Expires is the approval's expiry (Unix seconds; 0: none).
	Expires int64 `json:"x,omitempty"`
}

func (s *Service) approvalLinkToken(requestID, subID int64, expires time.Time) string {
	c := linkClaims{Request: requestID, Subscription: subID}
	if !expires.IsZero() {
		c.Expires = expires.Unix()
	}
	b, _ := json.Marshal(c)
	return s.cfg.Notify.SignLink(linkPurpose, b)
}

// ApprovalLink is what an approval link shows: the request, its approval
// and the recipient the link was sent to.
type ApprovalLink struct {
	Token    string
	Request  *mesh.AccessRequest
	Approval *mesh.Approval
	// Recipient is the subscription's email address, or its webhook's
	// scheme and host (mesh.RedactURL).
	Recipient string
	// Channel is ChannelEmailLink or ChannelWebhookLink.
	Channel   string
	ExpiresAt time.Time
	// SignInRequired: the owning account wants its approvers signed in.
	SignInRequired bool
	// Decided: the approval carries a decision (by this link or another
	// way); Approval.Decision says which.
	Decided bool
}

var errBadLink = mesh.Errorf(mesh.EFORBIDDEN, "this approval link is not valid: open the link from the message as it was sent")

// OpenApprovalLink checks an approval link and returns what it shows,
// changing nothing. Errors: EFORBIDDEN (a link that is not valid, whose
// subscription ended, sent to the requester's own email address, or opened
// by the requester signed in, on either channel: a webhook's URL names no
// person to compare), ECONFLICT (the approval expired or was cancelled).
func (s *Service) OpenApprovalLink(ctx context.Context, token string) (*ApprovalLink, error) {
	var out *ApprovalLink
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		out, _, err = s.checkLink(ctx, tx, token)
		return err
	})
	return out, err
}

// DecideByLink approves or denies the request of an approval link, as its
// recipient, under the approval API's rules: nobody decides a request they
// made; one decision wins. A link whose approval is decided already returns
// it with Decided set and no error: a second use shows the decision. When
// the owning account requires sign-in, ctx's actor must be an approver or
// admin of that account, or a mesh admin. The decision records the channel
// (email-link, webhook-link) and the recipient in its By.
// Errors: those of OpenApprovalLink, EINVALID (comment), EUNAUTHORIZED and
// EFORBIDDEN (sign-in required).
func (s *Service) DecideByLink(ctx context.Context, token string, approve bool, comment string) (*ApprovalLink, error) {
	if err := checkComment(comment); err != nil {
		return nil, err
	}
	var out *ApprovalLink
	err := s.update(ctx, func(tx store.Tx) error {
		l, sub, err := s.checkLink(ctx, tx, token)
		if err != nil || l.Decided {
			out = l
			return err
		}
		by := l.Recipient + " (subscription " + strconv.FormatInt(sub.ID, 10) + ")"
		// who acts: the signed-in approver, or the link's recipient on
		// behalf of the owning account (named so in the audit log)
		dctx := mesh.NewContext(ctx, &mesh.Actor{AccountID: l.Approval.AccountID, Username: "link:" + l.Recipient, CentralAccountID: s.cfg.CentralAccountID})
		if l.SignInRequired {
			a, err := mesh.RequireActor(ctx)
			if err != nil {
				return mesh.Errorf(mesh.EUNAUTHORIZED, "account %s requires approvers to sign in before deciding through a link", l.Approval.AccountID)
			}
			if !mayDecide(a, l.Approval.AccountID) {
				return mesh.Errorf(mesh.EFORBIDDEN, "only approvers and admins of account %s, and mesh admins, decide request %d", l.Approval.AccountID, l.Request.ID)
			}
			if madeBy(a, l.Request) {
				return mesh.Errorf(mesh.EFORBIDDEN, "nobody decides a request they made")
			}
			by = a.Principal() + " via " + by
			dctx = ctx
		}
		r, ap, err := lockForDecision(ctx, tx, l.Request)
		if err != nil {
			return err
		}
		if ap == nil {
			return store.RequestConflict(r)
		}
		r, err = s.recordDecision(dctx, tx, r, ap, &mesh.RequestDecision{By: by, Comment: comment, Channel: l.Channel, Approved: approve})
		if err != nil {
			return err
		}
		if l.Approval, err = tx.FindApproval(ctx, r.ID); err != nil {
			return err
		}
		l.Request, l.Decided, out = r, true, l
		return nil
	})
	if mesh.IsCode(err, mesh.ECONFLICT) {
		// another decision won: the link shows it
		if l, oerr := s.OpenApprovalLink(ctx, token); oerr == nil && l.Decided {
			return l, nil
		}
	}
	return out, err
}

// checkLink verifies a link's token and reads what it shows, in tx.
func (s *Service) checkLink(ctx context.Context, tx store.Tx, token string) (*ApprovalLink, *store.Subscription, error) {
	if s.cfg.Notify == nil || token == "" || len(token) > 1024 {
		return nil, nil, errBadLink
	}
	raw, ok := s.cfg.Notify.CheckLink(linkPurpose, token)
	var c linkClaims
	if !ok || json.Unmarshal(raw, &c) != nil || c.Request <= 0 || c.Subscription <= 0 {
		return nil, nil, errBadLink
	}
	r, err := tx.FindAccessRequest(ctx, c.Request)
	if mesh.IsCode(err, mesh.ENOTFOUND) {
		return nil, nil, errBadLink
	}
	if err != nil {
		return nil, nil, err
	}
	ap, err := tx.FindApproval(ctx, r.ID)
	if mesh.IsCode(err, mesh.ENOTFOUND) {
		return nil, nil, errBadLink
	}
	if err != nil {
		return nil, nil, err
	}
	sub, err := tx.FindSubscription(ctx, c.Subscription)
	if mesh.IsCode(err, mesh.ENOTFOUND) {
		return nil, nil, mesh.Errorf(mesh.EFORBIDDEN, "the subscription this link was sent to has ended")
	}
	if err != nil {
		return nil, nil, err
	}
	if sub.AccountID != ap.AccountID {
		return nil, nil, errBadLink
	}
	l := &ApprovalLink{Token: token, Request: r, Approval: ap, Recipient: sub.Endpoint, Channel: ChannelWebhookLink,
		Decided: ap.Decision != nil}
	if sub.Protocol == notify.ProtocolEmail {
		l.Channel = ChannelEmailLink
	} else {
		// a webhook URL's path may be its secret (Slack's are): the
		// decision, which requesters read, names only its host
		l.Recipient = "webhook " + mesh.RedactURL(sub.Endpoint)
	}
	if c.Expires > 0 {
		l.ExpiresAt = time.Unix(c.Expires, 0).UTC()
	}
	if l.SignInRequired, err = s.signInRequired(ctx, tx, ap.AccountID); err != nil {
		return nil, nil, err
	}
	if l.Decided {
		return l, sub, nil // a second use shows the decision
	}
	if sub.Status != store.SubscriptionConfirmed {
		return nil, nil, mesh.Errorf(mesh.EFORBIDDEN, "the subscription this link was sent to has ended")
	}
	// A link decides as its recipient, but whoever is signed in is known:
	// the requester does not decide through a team's address or channel.
	if madeBy(mesh.ActorFromContext(ctx), r) {
		return nil, nil, mesh.Errorf(mesh.EFORBIDDEN, "nobody decides a request they made: you are signed in as its requester")
	}
	if l.Channel == ChannelEmailLink && !l.SignInRequired {
		own, err := s.requesterEmail(ctx, tx, r)
		if err != nil {
			return nil, nil, err
		}
		if own != "" && strings.EqualFold(own, sub.Endpoint) {
			return nil, nil, mesh.Errorf(mesh.EFORBIDDEN, "nobody decides a request they made: this link went to the requester's own address")
		}
	}
	switch {
	case ap.Status != mesh.ApprovalPending:
		return nil, nil, &mesh.Error{Code: mesh.ECONFLICT, Message: fmt.Sprintf("the approval of request %d is %s: there is nothing to decide", r.ID, ap.Status), Details: ap}
	case !l.ExpiresAt.IsZero() && !s.clock.Now().Before(l.ExpiresAt),
		!ap.ExpiresAt.IsZero() && !s.clock.Now().Before(ap.ExpiresAt):
		return nil, nil, &mesh.Error{Code: mesh.ECONFLICT, Message: fmt.Sprintf("this approval link expired at %s with the approval of request %d", ap.ExpiresAt.UTC().Format(time.RFC1123), r.ID), Details: ap}
	}
	return l, sub, nil
}

// linkWithheld is the guard of approval links in the mail the notify
// service shows (notify.GuardLinks): the requester reading the built-in
// mailbox gets no link of their own request, which they could open signed
// out and decide as its recipient; any other reader gets it whole.
func (s *Service) linkWithheld(ctx context.Context, tx store.Tx, data []byte) (string, error) {
	var c linkClaims
	if json.Unmarshal(data, &c) != nil {
		return "", nil
	}
	r, err := tx.FindAccessRequest(ctx, c.Request)
	if mesh.IsCode(err, mesh.ENOTFOUND) {
		return "", nil // the link names no request: it decides nothing
	}
	if err != nil || !madeBy(mesh.ActorFromContext(ctx), r) {
		return "", err
	}
	return fmt.Sprintf("you made request %d, and nobody decides a request they made; its approvers decide it", r.ID), nil
}

// ApprovalLinkSettings are an account's rules for approval links.
type ApprovalLinkSettings struct {
	AccountID string `json:"account_id"`
	// SignInRequired: the approver must sign in as well as open the link
	// (default false: the link suffices, as in the reference design).
	SignInRequired bool `json:"sign_in_required"`
}

func signInKey(account string) string { return "sharing.approval_links.sign_in_required." + account }

func (s *Service) signInRequired(ctx context.Context, tx store.Tx, account string) (bool, error) {
	v, err := tx.Setting(ctx, signInKey(account))
	if mesh.IsCode(err, mesh.ENOTFOUND) {
		return false, nil
	}
	return v == "true", err
}

// FindApprovalLinkSettings returns an account's approval-link settings, to
// its admins and approvers and to mesh admins.
// Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND (account).
func (s *Service) FindApprovalLinkSettings(ctx context.Context, account string) (*ApprovalLinkSettings, error) {
	a, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	if !mayDecide(a, account) {
		return nil, mesh.Errorf(mesh.EFORBIDDEN, "only approvers and admins of account %s, and mesh admins, see its approval-link settings", account)
	}
	out := &ApprovalLinkSettings{AccountID: account}
	err = s.store.View(ctx, func(tx store.Tx) error {
		if _, err := tx.FindAccountByID(ctx, account); err != nil {
			return err
		}
		out.SignInRequired, err = s.signInRequired(ctx, tx, account)
		return err
	})
	return out, err
}

// UpdateApprovalLinkSettings sets whether an account's approvers must sign
// in to decide through a link; its admins and mesh admins change it, audited.
// Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND (account).
func (s *Service) UpdateApprovalLinkSettings(ctx context.Context, in ApprovalLinkSettings) (*ApprovalLinkSettings, error) {
	a, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	if !a.IsMeshAdmin() && !a.IsAdminOf(in.AccountID) {
		return nil, mesh.Errorf(mesh.EFORBIDDEN, "only admins of account %s and mesh admins change its approval-link settings", in.AccountID)
	}
	err = s.update(ctx, func(tx store.Tx) error {
		if _, err := tx.FindAccountByID(ctx, in.AccountID); err != nil {
			return err
		}
		if err := tx.PutSetting(ctx, signInKey(in.AccountID), strconv.FormatBool(in.SignInRequired)); err != nil {
			return err
		}
		return store.Audit(ctx, tx, s.clock.Now(), "sharing.approval_links.update", "account/"+in.AccountID,
			"sign_in_required="+strconv.FormatBool(in.SignInRequired))
	})
	if err != nil {
		return nil, err
	}
	return &in, nil
}
