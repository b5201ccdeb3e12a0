package ui

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/notify"
	"github.com/meshgate/meshgate/internal/store"
)

// NotificationsPage shows an account's topic and its subscriptions (every
// account's for mesh admins), and subscribes endpoints to it.
type NotificationsPage struct {
	Page
	// Account is the account shown ("" for all, mesh admins only).
	Account string
	// Accounts suggest the accounts a mesh admin may choose.
	Accounts      AccountChoices
	Topics        []*store.Topic
	Subscriptions []*store.Subscription
	Protocols     []string
	Form          notify.SubscribeInput
	Errors        FieldErrors
	// Created is a subscription just made; a webhook's signing secret is
	// shown only then.
	Created *notify.Subscribed
}

var subscribeProtocols = []string{notify.ProtocolEmail, notify.ProtocolHTTPS, notify.ProtocolHTTP}

func (u *UI) notificationsPage(w http.ResponseWriter, r *http.Request) error {
	account := r.URL.Query().Get("account")
	if err := u.knownAccount(r, account); err != nil {
		return err
	}
	return u.showNotifications(w, r, http.StatusOK, NotificationsPage{Account: account})
}

func (u *UI) showNotifications(w http.ResponseWriter, r *http.Request, status int, p NotificationsPage) error {
	msg := p.Error
	p.Page = u.page(r, "Notifications", "notifications")
	p.Error, p.Protocols = msg, subscribeProtocols
	if !p.Actor.IsMeshAdmin() {
		p.Account = p.Actor.AccountID
	}
	if p.Form.AccountID == "" {
		p.Form.AccountID = p.Account
		if p.Form.AccountID == "" {
			p.Form.AccountID = p.Actor.AccountID
		}
	}
	if p.Form.Protocol == "" {
		p.Form.Protocol = notify.ProtocolEmail
	}
	var err error
	if p.Actor.IsMeshAdmin() {
		if p.Accounts, err = u.accountChoices(r); err != nil {
			return err
		}
	}
	if p.Topics, err = u.Notify.FindTopics(r.Context(), p.Account); err != nil {
		return err
	}
	if p.Subscriptions, err = u.Notify.FindSubscriptions(r.Context(), p.Account); err != nil {
		return err
	}
	return u.render(w, status, "notifications", p)
}

func (u *UI) subscribe(w http.ResponseWriter, r *http.Request) error {
	pf := r.PostForm
	in := notify.SubscribeInput{AccountID: pf.Get("account_id"), Protocol: pf.Get("protocol"), Endpoint: pf.Get("endpoint"), Slack: pf.Get("slack") == "on"}
	p := NotificationsPage{Account: r.URL.Query().Get("account"), Form: in}
	sub, err := u.Notify.Subscribe(r.Context(), in)
	if err != nil {
		fe, msg, ferr := formFailure(err)
		if ferr != nil {
			return ferr
		}
		p.Errors, p.Error = fe, msg
		return refused(err, u.showNotifications(w, r, statusOfForm(err), p))
	}
	if sub.SigningSecret == "" {
		return redirect(w, r, listLink("/admin/notifications", map[string]string{"account": p.Account}), "subscribed")
	}
	// The signing secret is shown once, so this page is the answer itself.
	p.Created, p.Form = sub, notify.SubscribeInput{}
	return u.showNotifications(w, r, http.StatusCreated, p)
}

func (u *UI) unsubscribe(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := u.Notify.Unsubscribe(r.Context(), id); err != nil {
		return err
	}
	return redirect(w, r, listLink("/admin/notifications", map[string]string{"account": r.URL.Query().Get("account")}), "unsubscribed")
}

// deliveriesPageSize is how many deliveries one page lists.
const deliveriesPageSize = 50

// DeliveriesPage lists the notification outbox, newest first: pending,
// sent and failed (dead-lettered) deliveries, which admins send again.
type DeliveriesPage struct {
	Page
	Status      string
	Statuses    []string
	Deliveries  []*store.Delivery
	Next, First string
	// Here links to this page, which its forms return to.
	Here string
}

// deliveriesPath is the deliveries list's path.
const deliveriesPath = "/admin/deliveries"

// deliveryStatuses are those the deliveries list filters by.
var deliveryStatuses = []string{store.DeliveryPending, store.DeliverySent, store.DeliveryFailed}

func (u *UI) deliveriesPage(w http.ResponseWriter, r *http.Request) error {
	return u.showDeliveries(w, r, r.URL.Query(), http.StatusOK, "")
}

// showDeliveries lists the page of deliveries q's "status" and "before"
// name: the page's own query, or that of the page a form returns to.
func (u *UI) showDeliveries(w http.ResponseWriter, r *http.Request, q url.Values, status int, msg string) error {
	p := DeliveriesPage{Page: u.page(r, "Deliveries", "notifications"), Status: q.Get("status"),
		Statuses: deliveryStatuses}
	p.Error = msg
	f := store.DeliveryFilter{Status: p.Status, Limit: deliveriesPageSize + 1}
	filter := map[string]string{"status": p.Status}
	var err error
	if f.BeforeID, err = beforeParam(q, "delivery id"); err != nil {
		return err
	}
	p.Here = deliveriesLink(q)
	if f.BeforeID != 0 {
		p.First = listLink(deliveriesPath, filter)
	}
	ds, err := u.Notify.FindDeliveries(r.Context(), f)
	if err != nil {
		return err
	}
	p.Deliveries, p.Next = nextPage(ds, deliveriesPageSize, deliveriesPath, filter, func(d *store.Delivery) int64 { return d.ID })
	return u.render(w, status, "deliveries", p)
}

func (u *UI) retryDelivery(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	back := keepFilter(u.returnQuery(r, deliveriesPath), "status", deliveryStatuses)
	if _, err := u.Notify.RetryDelivery(r.Context(), id); err != nil {
		if mesh.IsCode(err, mesh.ECONFLICT) {
			return refused(err, u.showDeliveries(w, r, back, http.StatusConflict, mesh.ErrorMessage(err)))
		}
		return err
	}
	return redirect(w, r, deliveriesLink(back), "retried")
}

// deliveriesLink links to the page of deliveries q's "status" and "before"
// name, leaving out any other parameter.
func deliveriesLink(q url.Values) string {
	return listLink(deliveriesPath, map[string]string{"status": q.Get("status"), "before": q.Get("before")})
}

// MailboxPage lists the built-in mailbox: mail sent while no SMTP server
// is configured (mesh admins).
type MailboxPage struct {
	Page
	Messages []*store.MailboxMessage
	Next     string
	First    string
}

// mailboxPageSize is how many messages one page lists.
const mailboxPageSize = 50

func (u *UI) mailboxPage(w http.ResponseWriter, r *http.Request) error {
	p := MailboxPage{Page: u.page(r, "Mailbox", "notifications")}
	before, err := beforeParam(r.URL.Query(), "message id")
	if err != nil {
		return err
	}
	if before != 0 {
		p.First = "/admin/mailbox"
	}
	ms, err := u.Notify.FindMailbox(r.Context(), before, mailboxPageSize+1)
	if err != nil {
		return err
	}
	p.Messages, p.Next = nextPage(ms, mailboxPageSize, "/admin/mailbox", nil, func(m *store.MailboxMessage) int64 { return m.ID })
	return u.render(w, http.StatusOK, "mailbox", p)
}

// MailboxMessagePage shows one message of the built-in mailbox as text.
// Its HTML part is not rendered: the text part says the same, and mail
// content is not this site's to run. Links not for the reader (an approval
// link of a request they made) are withheld, and the page says why.
type MailboxMessagePage struct {
	Page
	Message *store.MailboxMessage
	// WithheldLink is what stands for a withheld link in the text.
	WithheldLink string
}

func (u *UI) mailboxMessagePage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	m, err := u.Notify.FindMailboxMessage(r.Context(), id)
	if err != nil {
		return err
	}
	return u.render(w, http.StatusOK, "mailbox_message", MailboxMessagePage{Page: u.page(r, "Message "+strconv.FormatInt(id, 10), "notifications"), Message: m,
		WithheldLink: notify.WithheldLink})
}
