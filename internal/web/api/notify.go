package api

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/notify"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/web"
)

func registerNotify(rt *web.Router, d *Deps) {
	rt.Handle("GET", "/api/v1/topics", web.Authenticated, d.listTopics)
	rt.Handle("POST", "/api/v1/subscriptions", web.Authenticated, d.subscribe)
	rt.Handle("GET", "/api/v1/subscriptions", web.Authenticated, d.listSubscriptions)
	rt.Handle("GET", "/api/v1/subscriptions/{id}", web.Authenticated, d.getSubscription)
	rt.Handle("DELETE", "/api/v1/subscriptions/{id}", web.Authenticated, d.unsubscribe)
	// The links messages carry: GET shows a page whose button POSTs, so a
	// mail scanner or link preview opening them changes nothing.
	rt.Handle("GET", "/api/v1/subscriptions/confirm", web.Public, d.confirmPage)
	rt.Handle("POST", "/api/v1/subscriptions/confirm", web.Public, d.confirmSubscription)
	rt.Handle("GET", "/api/v1/subscriptions/{id}/unsubscribe", web.Public, d.unsubscribePage)
	rt.Handle("POST", "/api/v1/subscriptions/{id}/unsubscribe", web.Public, d.unsubscribeByLink)
	rt.Handle("GET", "/api/v1/optout", web.Public, d.optOutPage)
	rt.Handle("POST", "/api/v1/optout", web.Public, d.optOut)
	rt.Handle("GET", "/api/v1/deliveries", web.Authenticated, d.listDeliveries)
	rt.Handle("POST", "/api/v1/deliveries/{id}/retry", web.Authenticated, d.retryDelivery)
	rt.Handle("GET", "/api/v1/mailbox", web.MeshAdmin, d.listMailbox)
	rt.Handle("GET", "/api/v1/mailbox/{id}", web.MeshAdmin, d.getMailbox)
}

func (d *Deps) listTopics(w http.ResponseWriter, r *http.Request) error {
	acct, err := accountParam(r)
	if err != nil {
		return err
	}
	ts, err := d.Notify.FindTopics(r.Context(), acct)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"topics": ts})
	return nil
}

func (d *Deps) subscribe(w http.ResponseWriter, r *http.Request) error {
	var in notify.SubscribeInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	sub, err := d.Notify.Subscribe(r.Context(), in)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, sub)
	return nil
}

func (d *Deps) listSubscriptions(w http.ResponseWriter, r *http.Request) error {
	acct, err := accountParam(r)
	if err != nil {
		return err
	}
	subs, err := d.Notify.FindSubscriptions(r.Context(), acct)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"subscriptions": subs})
	return nil
}

func (d *Deps) getSubscription(w http.ResponseWriter, r *http.Request) error {
	id, err := identInt64(r, "id")
	if err != nil {
		return err
	}
	sub, err := d.Notify.FindSubscription(r.Context(), id)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, sub)
	return nil
}

func (d *Deps) unsubscribe(w http.ResponseWriter, r *http.Request) error {
	id, err := identInt64(r, "id")
	if err != nil {
		return err
	}
	sub, err := d.Notify.Unsubscribe(r.Context(), id)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, sub)
	return nil
}

// linkPage is the small page a confirmation or unsubscribe link opens.
var linkPage = template.Must(template.New("link").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Title}} - meshgate</title></head>
<body><h1>{{.Title}}</h1><p>{{.Text}}</p>
{{if .Action}}<form method="post" action="{{.Action}}"><button type="submit">{{.Button}}</button></form>{{end}}
</body></html>
`))

type linkPageData struct {
	Title, Text, Action, Button string
}

func writeLinkPage(w http.ResponseWriter, status int, p linkPageData) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; form-action 'self'")
	w.WriteHeader(status)
	linkPage.Execute(w, p)
}

// wantsHTML tells a browser's form post from an API call.
func wantsHTML(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") ||
		strings.Contains(r.Header.Get("Accept"), "text/html")
}

func (d *Deps) confirmPage(w http.ResponseWriter, r *http.Request) error {
	token := r.URL.Query().Get("token")
	if token == "" {
		return mesh.Invalid("token", "is required")
	}
	writeLinkPage(w, http.StatusOK, linkPageData{Title: "Confirm subscription",
		Text:   "Confirm to start receiving this topic's messages. Nothing is confirmed until you press the button.",
		Action: "confirm?token=" + token, Button: "Confirm subscription"})
	return nil
}

// confirmInput is the JSON body of a confirmation by API call.
type confirmInput struct {
	Token string `json:"token"`
}

func (d *Deps) confirmSubscription(w http.ResponseWriter, r *http.Request) error {
	token := r.URL.Query().Get("token")
	if token == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var in confirmInput
		if err := web.DecodeJSON(w, r, &in); err != nil {
			return err
		}
		token = in.Token
	}
	sub, err := d.Notify.Confirm(r.Context(), token)
	if err == nil {
		sub = forLinkHolder(sub)
	}
	if wantsHTML(r) {
		if err != nil {
			writeLinkPage(w, web.StatusOf(err), linkPageData{Title: "Not confirmed", Text: mesh.ErrorMessage(err)})
			return web.Answered(err) // the router audits it, as it does the JSON call's
		}
		writeLinkPage(w, http.StatusOK, linkPageData{Title: "Subscription confirmed",
			Text: "Subscription " + strconv.FormatInt(sub.ID, 10) + " (" + sub.Endpoint + ") now receives the topic's messages."})
		return nil
	}
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, sub)
	return nil
}

// forLinkHolder is sub as the answer to whoever holds a link its messages
// carry: a webhook's URL named by its scheme and host only, for its path
// may be its secret and a Slack channel's every member reads the links
// posted to it. The account's admins read the URL whole.
func forLinkHolder(sub *store.Subscription) *store.Subscription {
	c := *sub
	c.Endpoint = store.EndpointName(c.Protocol, c.Endpoint)
	return &c
}

func (d *Deps) unsubscribePage(w http.ResponseWriter, r *http.Request) error {
	id, err := identInt64(r, "id")
	if err != nil {
		return err
	}
	sig := r.URL.Query().Get("sig")
	if !d.Notify.CheckUnsubscribeSig(id, sig) {
		return mesh.Errorf(mesh.EFORBIDDEN, "this unsubscribe link is not valid")
	}
	writeLinkPage(w, http.StatusOK, linkPageData{Title: "Unsubscribe",
		Text:   "Stop subscription " + strconv.FormatInt(id, 10) + " from receiving this topic's messages?",
		Action: "unsubscribe?sig=" + sig, Button: "Unsubscribe"})
	return nil
}

func (d *Deps) unsubscribeByLink(w http.ResponseWriter, r *http.Request) error {
	id, err := identInt64(r, "id")
	if err != nil {
		return err
	}
	sub, err := d.Notify.UnsubscribeByLink(r.Context(), id, r.URL.Query().Get("sig"))
	if err == nil {
		sub = forLinkHolder(sub)
	}
	if wantsHTML(r) {
		if err != nil {
			writeLinkPage(w, web.StatusOf(err), linkPageData{Title: "Not unsubscribed", Text: mesh.ErrorMessage(err)})
			return web.Answered(err)
		}
		writeLinkPage(w, http.StatusOK, linkPageData{Title: "Unsubscribed", Text: sub.Endpoint + " receives nothing more from this topic."})
		return nil
	}
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, sub)
	return nil
}

func (d *Deps) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.DeliveryFilter{Status: q.Get("status")}
	var err error
	if f.AccountID, err = accountParam(r); err != nil {
		return err
	}
	if f.Limit, err = identLimit(q.Get("limit"), 100, 1000); err != nil {
		return err
	}
	if f.BeforeID, err = identBefore(q.Get("before"), "delivery"); err != nil {
		return err
	}
	ds, err := d.Notify.FindDeliveries(r.Context(), f)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"deliveries": ds})
	return nil
}

func (d *Deps) retryDelivery(w http.ResponseWriter, r *http.Request) error {
	id, err := identInt64(r, "id")
	if err != nil {
		return err
	}
	dl, err := d.Notify.RetryDelivery(r.Context(), id)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, dl)
	return nil
}

func (d *Deps) listMailbox(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := identLimit(q.Get("limit"), 100, 1000)
	if err != nil {
		return err
	}
	before, err := identBefore(q.Get("before"), "message")
	if err != nil {
		return err
	}
	ms, err := d.Notify.FindMailbox(r.Context(), before, limit)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"messages": ms})
	return nil
}

func (d *Deps) getMailbox(w http.ResponseWriter, r *http.Request) error {
	id, err := identInt64(r, "id")
	if err != nil {
		return err
	}
	m, err := d.Notify.FindMailboxMessage(r.Context(), id)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, m)
	return nil
}

func (d *Deps) optOutPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	address, sig := q.Get("address"), q.Get("sig")
	if !d.Notify.CheckOptOutSig(address, sig) {
		return mesh.Errorf(mesh.EFORBIDDEN, "this unsubscribe link is not valid")
	}
	writeLinkPage(w, http.StatusOK, linkPageData{Title: "Unsubscribe",
		Text:   "Stop sending " + address + " meshgate's direct messages (request outcomes, invitations)?",
		Action: "optout?" + r.URL.RawQuery, Button: "Unsubscribe"})
	return nil
}

func (d *Deps) optOut(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	address := q.Get("address")
	err := d.Notify.OptOutByLink(r.Context(), address, q.Get("sig"))
	if wantsHTML(r) {
		if err != nil {
			writeLinkPage(w, web.StatusOf(err), linkPageData{Title: "Not unsubscribed", Text: mesh.ErrorMessage(err)})
			return web.Answered(err)
		}
		writeLinkPage(w, http.StatusOK, linkPageData{Title: "Unsubscribed", Text: address + " receives no more direct messages."})
		return nil
	}
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"address": address, "opted_out": true})
	return nil
}
