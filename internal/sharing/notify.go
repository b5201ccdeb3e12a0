package sharing

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/notify"
	"github.com/meshgate/meshgate/internal/store"
)

// The workflow's messages go out through the notification service's outbox,
// in the transaction of the event that causes them, beside the request's
// notification history (which stays: GET /api/v1/requests/{id} shows it):
//   - an approval request to every confirmed subscription of the owning
//     account's topic, each with Approve and Deny links of its own (link.go);
//   - the outcome (shared, denied, expired, failed, revoked) and the warning
//     before a time-bound grant ends, by email to the requester: the user's
//     email, else the requesting account's;
//   - a new invitation, by email to the consumer account's admins (their
//     own emails, else the account's).
// Without a notification service only the history is kept.

// Message events of the history that go out to the requester.
var requesterEvents = map[string]bool{
	"request.shared": true, "request.denied": true, "request.expired": true,
	"request.failed": true, "request.revoked": true, "request.expiring": true,
}

// deliver queues the delivery of a notification just recorded in tx. A
// message the notification service refuses (an address it finds invalid)
// is logged and left to the history: it never fails the workflow's step.
func (s *Service) deliver(ctx context.Context, tx store.Tx, r *mesh.AccessRequest, n *mesh.Notification, ap *mesh.Approval) error {
	if s.cfg.Notify == nil {
		return nil
	}
	err := s.queue(ctx, tx, r, n, ap)
	if mesh.IsCode(err, mesh.EINVALID) {
		s.log.Warn("sharing: notification not sent", "request", r.ID, "event", n.Event, "err", err)
		return nil
	}
	return err
}

func (s *Service) queue(ctx context.Context, tx store.Tx, r *mesh.AccessRequest, n *mesh.Notification, ap *mesh.Approval) error {
	switch {
	case n.Event == "approval.requested":
		return s.publishApproval(ctx, tx, r, n, ap)
	case requesterEvents[n.Event]:
		to, err := s.requesterEmail(ctx, tx, r)
		if err != nil || to == "" {
			return err // no address: the history has it
		}
		msg := notify.Message{ID: fmt.Sprintf("%s-%d", strings.ReplaceAll(n.Event, ".", "-"), r.ID), Subject: n.Subject,
			Text: n.Body + "\n\n" + requestFacts(r), Data: eventData(n.Event, r, nil),
			Links: []notify.Link{{Label: "View the request", URL: s.cfg.Notify.PublicURL() + "/api/v1/requests/" + itoa(r.ID)}}}
		if n.Event == "request.expiring" {
			msg.ID += "-" + itoa(r.ExpiresAt.Unix()) // a renewed grant's warning is a new message
		}
		if err := s.cfg.Notify.Send(ctx, tx, to, msg); err != nil {
			return err
		}
		if n.Event == "request.shared" {
			return s.sendInvitation(ctx, tx, r)
		}
	}
	return nil
}

// publishApproval sends the approval request to the owning account's topic,
// one message per subscription with that subscription's own links; ap is
// the request's approval, read when nil.
func (s *Service) publishApproval(ctx context.Context, tx store.Tx, r *mesh.AccessRequest, n *mesh.Notification, ap *mesh.Approval) error {
	return s.cfg.Notify.PublishEach(ctx, tx, n.AccountID, func(sub *store.Subscription) (notify.Message, error) {
		if ap == nil {
			var err error
			if ap, err = tx.FindApproval(ctx, r.ID); err != nil {
				return notify.Message{}, err
			}
		}
		token := s.approvalLinkToken(r.ID, sub.ID, ap.ExpiresAt)
		base := s.cfg.Notify.PublicURL() + ApprovalLinkPath + "?token=" + url.QueryEscape(token)
		text := fmt.Sprintf("%s asks for access to %s for account %s.\n\n%s\n\n"+
			"The links below open a page that shows the request and asks you to confirm; nothing is decided until you do.",
			requester(r), what(r), r.TargetAccount, requestFacts(r))
		if !ap.ExpiresAt.IsZero() {
			text += " They work once, until " + ap.ExpiresAt.UTC().Format(time.RFC1123) + "."
		}
		return notify.Message{ID: "approval-request-" + itoa(r.ID), Subject: "Approval needed: " + what(r) + " for account " + r.TargetAccount,
			Text: text, Data: eventData(n.Event, r, ap),
			Links: []notify.Link{{Label: "Approve", URL: base + "&decision=approve"}, {Label: "Deny", URL: base + "&decision=deny"}}}, nil
	})
}

// requestFacts lists what a request asks for, one fact a line.
func requestFacts(r *mesh.AccessRequest) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Request: %d\nDatabase: %s\n", r.ID, r.Database)
	if r.Table == mesh.AllTables {
		b.WriteString("Table: the whole database (all tables, now and later)\n")
	} else {
		fmt.Fprintf(&b, "Table: %s\n", r.Table)
	}
	fmt.Fprintf(&b, "Target account: %s\nRequester: %s\nPermissions: %s\nJustification: %s\n", r.TargetAccount, requester(r), r.Permissions, r.Justification)
	if len(r.PIIColumns) > 0 {
		fmt.Fprintf(&b, "Flagged as personal data: %s\n", strings.Join(r.PIIColumns, ", "))
	}
	if r.Duration > 0 {
		fmt.Fprintf(&b, "Duration: %s\n", time.Duration(r.Duration))
	}
	if !r.ExpiresAt.IsZero() {
		fmt.Fprintf(&b, "Access ends: %s\n", r.ExpiresAt.UTC().Format(time.RFC1123))
	}
	if r.Decision != nil && r.Decision.Comment != "" {
		fmt.Fprintf(&b, "Comment: %s\n", r.Decision.Comment)
	}
	if r.Cause != "" {
		fmt.Fprintf(&b, "Reason: %s\n", r.Cause)
	}
	return strings.TrimRight(b.String(), "\n")
}

// eventData is the structured content of a webhook body.
func eventData(event string, r *mesh.AccessRequest, ap *mesh.Approval) json.RawMessage {
	m := map[string]any{"event": event, "request_id": r.ID, "status": r.Status, "database": r.Database, "table": r.Table,
		"target_account": r.TargetAccount, "requester": requester(r), "justification": r.Justification,
		"permissions": r.Permissions.String(), "pii_columns": r.PIIColumns}
	if ap != nil && !ap.ExpiresAt.IsZero() {
		m["approval_expires_at"] = ap.ExpiresAt.UTC()
	}
	if r.Decision != nil {
		m["decision"] = r.Decision
	}
	if r.Cause != "" {
		m["error"], m["cause"] = r.Error, r.Cause
	}
	if !r.ExpiresAt.IsZero() {
		m["expires_at"] = r.ExpiresAt.UTC()
	}
	b, _ := json.Marshal(m)
	return b
}

// requesterEmail is where the requester is told: the user's email, else
// the requesting account's; "" when neither has one.
func (s *Service) requesterEmail(ctx context.Context, tx store.Tx, r *mesh.AccessRequest) (string, error) {
	u, _, err := tx.FindUserByUsername(ctx, r.RequesterUser)
	switch {
	case err == nil && u.AccountID == r.RequesterAccount && u.Email != "":
		return u.Email, nil
	case err != nil && !mesh.IsCode(err, mesh.ENOTFOUND):
		return "", err
	}
	return s.accountEmail(ctx, tx, r.RequesterAccount)
}

func (s *Service) accountEmail(ctx context.Context, tx store.Tx, id string) (string, error) {
	a, err := tx.FindAccountByID(ctx, id)
	if mesh.IsCode(err, mesh.ENOTFOUND) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return a.Email, nil
}

// sendInvitation tells the consumer account's admins of the invitation a
// share outside the organization waits on: each admin with an email, or
// the account's email when none has one.
func (s *Service) sendInvitation(ctx context.Context, tx store.Tx, r *mesh.AccessRequest) error {
	if r.ShareID == 0 {
		return nil
	}
	sh, err := tx.FindShareByID(ctx, r.ShareID)
	if err != nil || sh.Status != mesh.SharePending {
		return err
	}
	admins, err := tx.FindUsers(ctx, store.UserFilter{AccountID: r.TargetAccount, Role: mesh.RoleAdmin, Limit: 100})
	if err != nil {
		return err
	}
	var to []string
	for _, u := range admins {
		if u.Email != "" {
			to = append(to, u.Email)
		}
	}
	if len(to) == 0 {
		a, err := s.accountEmail(ctx, tx, r.TargetAccount)
		if err != nil || a == "" {
			return err
		}
		to = append(to, a)
	}
	msg := notify.Message{ID: fmt.Sprintf("invitation-share-%d", sh.ID), Subject: "Invitation: " + what(r) + " shared with account " + r.TargetAccount,
		Text: fmt.Sprintf("Account %s shares %s with your account %s (request %d by %s). An admin of your account accepts the invitation, "+
			"which creates a resource link, then grants your users through it:\n  meshgate invitation list\n  meshgate invitation accept --id N",
			r.OwnerAccount, what(r), r.TargetAccount, r.ID, requester(r)),
		Data:  eventData("invitation.created", r, nil),
		Links: []notify.Link{{Label: "Open the invitations", URL: s.cfg.Notify.PublicURL() + "/invitations"}}}
	for _, addr := range to {
		if err := s.cfg.Notify.Send(ctx, tx, addr, msg); err != nil {
			return err
		}
	}
	return nil
}

// warnExpiring warns the requesters of time-bound grants that end within
// the configured lead time (at most half the grant's duration, so that a
// short grant is not warned of as soon as it starts), once per grant: the
// request's history says whether it was warned.
func (s *Service) warnExpiring(ctx context.Context) error {
	lead := s.cfg.ExpiryWarning
	if lead < 0 {
		return nil
	}
	now := s.clock.Now()
	var due []*mesh.AccessRequest
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		due, err = tx.FindAccessRequests(ctx, store.RequestFilter{Status: mesh.RequestShared, ExpiresBefore: now.Add(lead), Limit: 1000})
		return err
	})
	if err != nil {
		return err
	}
	live := make(map[int64]bool, len(due))
	for _, r := range due {
		live[r.ID] = true
	}
	s.warned.Range(func(id, _ any) bool {
		if !live[id.(int64)] {
			s.warned.Delete(id) // ended: it needs no memory
		}
		return true
	})
	for _, r := range due {
		if at, ok := s.warned.Load(r.ID); ok && at.(time.Time).Equal(r.ExpiresAt) {
			continue
		}
		if now.Before(r.ExpiresAt.Add(-min(lead, time.Duration(r.Duration)/2))) {
			continue
		}
		err := s.update(ctx, func(tx store.Tx) error {
			r, err := tx.FindAccessRequest(ctx, r.ID)
			if err != nil || r.Status != mesh.RequestShared || !s.clock.Now().Before(r.ExpiresAt) {
				return err // ended, or the sweep's to end
			}
			// Hold the request's row, writing it as it is, while SHARED: an
			// ending (a revocation, another replica's sweep) that committed
			// since the read refuses the write, and one after it waits for
			// this warning's commit, so that the warning never follows the
			// end. Only the row is taken, and nothing after it that an
			// ending, holding the access version, holds: no circle.
			if err := tx.UpdateAccessRequest(ctx, r, mesh.RequestShared); mesh.IsCode(err, mesh.ECONFLICT) {
				return nil
			} else if err != nil {
				return err
			}
			past, err := tx.FindNotifications(ctx, store.NotificationFilter{RequestID: r.ID, Limit: 1000})
			if err != nil {
				return err
			}
			for _, n := range past {
				if n.Event == "request.expiring" && !n.CreatedAt.Before(r.UpdatedAt) {
					return nil // warned already (by another replica, or before a restart)
				}
			}
			return s.notify(ctx, tx, r, r.RequesterAccount, requester(r), "request.expiring", "Access ends soon: "+what(r),
				fmt.Sprintf("Your access to %s for account %s (request %d) ends at %s. Ask again before then if you still need it.",
					what(r), r.TargetAccount, r.ID, r.ExpiresAt.UTC().Format(time.RFC1123)))
		})
		if err != nil {
			return fmt.Errorf("warn of the end of request %d: %w", r.ID, err)
		}
		s.warned.Store(r.ID, r.ExpiresAt)
	}
	return nil
}
