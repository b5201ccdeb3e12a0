package ui

import (
	"crypto/rand"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/meshgate/meshgate/internal/access"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/sharing"
)

// RequestForm is the "request access" form of the database and table
// pages: what was typed, and what went wrong with it.
type RequestForm struct {
	Target        string
	Justification string
	Permissions   []string
	Duration      string
	Errors        FieldErrors
	// Error is a failure not tied to one field.
	Error string
	// Accounts suggest the targets a mesh admin may pick (any account, typed
	// by id); nil for others, who request for their own account only.
	Accounts *AccountChoices
	// Offered are the permissions the form offers.
	Offered []mesh.Permission
	// Key is the form's idempotency key, fresh with each rendering: one
	// rendered form makes one request however often it is sent (a double
	// click, a reload that posts again, the back button).
	Key string
}

// Has reports whether the form asks for permission p (to keep boxes ticked).
func (f RequestForm) Has(p mesh.Permission) bool { return slices.Contains(f.Permissions, string(p)) }

// newRequestForm is the form as first shown: the user's own account,
// SELECT and DESCRIBE, no end.
func (u *UI) newRequestForm(r *http.Request, table string) (RequestForm, error) {
	actor := mesh.ActorFromContext(r.Context())
	f := RequestForm{Target: actor.AccountID}
	for _, p := range sharing.DefaultPermissions.List() {
		f.Permissions = append(f.Permissions, string(p))
	}
	return u.fillRequestForm(r, f, table)
}

// fillRequestForm adds what the form offers: the accounts a mesh admin may
// request for, and the permissions valid on the resource.
func (u *UI) fillRequestForm(r *http.Request, f RequestForm, table string) (RequestForm, error) {
	if f.Key == "" {
		f.Key = rand.Text()
	}
	if table == "" {
		table = mesh.AllTables
	}
	kind := mesh.Resource{Database: "x", Table: table}.Kind()
	for _, p := range access.ValidPermissions(kind).List() {
		if p != mesh.PermAll {
			f.Offered = append(f.Offered, p)
		}
	}
	if mesh.ActorFromContext(r.Context()).IsMeshAdmin() {
		c, err := u.accountChoices(r)
		if err != nil {
			return f, err
		}
		f.Accounts = &c
	}
	return f, nil
}

// parseDuration reads a duration as "30d", "12h", "90m" or Go's "1h30m";
// empty means no end.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 {
			return 0, mesh.Invalid("duration", "%q is not a number of days such as 30d", s)
		}
		// checked before multiplying: a number of days too large for a
		// duration would wrap around into a short one
		if maxDays := int(sharing.MaxDuration / (24 * time.Hour)); n > maxDays {
			return 0, mesh.Invalid("duration", "%q is longer than the longest access, %d days", s, maxDays)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, mesh.Invalid("duration", "%q is not a duration such as 30d, 12h or 90m", s)
	}
	return d, nil
}

// createRequest asks for access to a database or a table, for the user's
// own account (or, for a mesh admin, any). On failure the page the form
// came from is shown again with what was typed.
func (u *UI) createRequest(w http.ResponseWriter, r *http.Request) error {
	pf := r.PostForm
	database, table := pf.Get("database"), pf.Get("table")
	f := RequestForm{Target: pf.Get("target_account"), Justification: pf.Get("justification"),
		Permissions: pf["permissions"], Duration: pf.Get("duration")}
	fail := func(err error) error {
		fe, msg, ferr := formFailure(err)
		if ferr != nil {
			return ferr
		}
		f.Errors, f.Error = fe.onForm(msg, "target_account", "justification", "permissions", "duration")
		if f, ferr = u.fillRequestForm(r, f, table); ferr != nil {
			return ferr
		}
		if table != "" {
			return refused(err, u.showTable(w, r, statusOfForm(err), database, table, f))
		}
		return refused(err, u.showDatabase(w, r, statusOfForm(err), database, f))
	}
	// The key stays with a form shown again after a refusal: nothing was
	// made with it yet.
	f.Key = pf.Get("idempotency_key")
	in := sharing.RequestInput{Database: database, Table: table, TargetAccount: f.Target, Justification: f.Justification,
		IdempotencyKey: f.Key}
	if len(f.Permissions) == 0 {
		return fail(mesh.Invalid("permissions", "choose at least one permission"))
	}
	perms, err := mesh.ParsePermissions("permissions", f.Permissions...)
	if err != nil {
		return fail(err)
	}
	in.Permissions = perms
	d, err := parseDuration(f.Duration)
	if err != nil {
		return fail(err)
	}
	in.Duration = mesh.Duration(d)
	req, created, err := u.Sharing.CreateRequest(r.Context(), in)
	var me *mesh.Error
	if errors.As(err, &me) && me.Field == "Idempotency-Key" {
		// the hidden field was altered, or the form sent again changed
		f.Key = ""
		return fail(&mesh.Error{Code: me.Code, Message: "This form was sent already for another request, or changed: check the fields and send it again."})
	}
	if err != nil {
		return fail(err)
	}
	notice := "requested"
	switch {
	case !created && in.IdempotencyKey != "" && req.IdempotencyKey == in.IdempotencyKey:
		notice = "resent"
	case !created:
		notice = "open"
		// another member's request, which this user may not see
		if ok, err := u.Sharing.MaySee(r.Context(), req); err != nil {
			return err
		} else if !ok {
			return redirect(w, r, "/requests", "open-other")
		}
	}
	return redirect(w, r, "/requests/"+strconv.FormatInt(req.ID, 10), notice)
}
