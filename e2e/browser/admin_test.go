package browser

import (
	"net/http"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/testbin"
)

// TestAdminPages walks a mesh admin through every admin page: onboarding an
// account (first with a bad id), its offboarding impact and the offboarding,
// users (create with a temporary password, roles, remove), a state machine
// (validation problems shown in place, create, edit, versions, rollback), executions
// and the audit log. Each page is checked for accessibility and console errors.
func TestAdminPages(t *testing.T) {
	needBrowser(t)
	srv := testbin.StartServer(t, testbin.Options{Args: []string{"--demo"}})
	b := newBrowser(t, srv)
	b.signIn("admin", adminPassword(t, srv), "admin-password-1")

	// Accounts.
	b.open("/admin/accounts")
	b.fill("#id", "Not An Id")
	b.fill("#name", "Finance")
	if got := b.submit(`form[action="/admin/accounts"] button`); got != http.StatusBadRequest {
		t.Errorf("bad account id: got %d, want 400", got)
	}
	if got := b.text("#id-error"); got == "" {
		t.Errorf("bad account id: want the id field named")
	}
	if got := b.value("#name"); got != "Finance" {
		t.Errorf("bad account id: got name %q, want it kept", got)
	}
	b.fill("#id", "333344445555")
	b.submit(`form[action="/admin/accounts"] button`)
	if got := b.path(); got != "/admin/accounts/333344445555?notice=onboarded" {
		t.Fatalf("after onboarding: got %s", got)
	}
	if got := b.text("#impact"); !strings.Contains(got, "Nothing else depends") {
		t.Errorf("impact of a new account: got %q", got)
	}

	// An account that holds a share shows it as the offboarding's impact.
	cli(t, srv, "grant", "--principal", "222233334444", "--database", "sales", "--table", "orders", "--permissions", "SELECT")
	b.open("/admin/accounts/222233334444")
	if got := b.text("#impact"); got == "" || strings.Contains(got, "Nothing else") {
		t.Errorf("impact of the consumer: got %q, want its share listed", got)
	}
	if got := b.text("main"); !strings.Contains(got, "2 users") {
		t.Errorf("consumer page: got %q, want its 2 users counted", got)
	}
	b.open("/admin/accounts/333344445555")
	b.fill("#confirm", "333344445555")
	b.submit(`form[action$="/offboard"] button`)
	if got := b.path(); got != "/admin/accounts?notice=offboarded" {
		t.Errorf("after offboarding: got %s", got)
	}
	if got := b.text("#accounts"); strings.Contains(got, "333344445555") {
		t.Errorf("accounts after offboarding: got %q, want it gone", got)
	}

	// Users.
	b.open("/admin/users?account=222233334444")
	b.fill("#username", "analyst")
	b.click(`form[method=post][action="/admin/users"] input[name=roles][value=approver]`)
	if got := b.submit(`form[method=post][action="/admin/users"] button[type=submit]`); got != http.StatusCreated {
		t.Errorf("create user: got %d, want 201", got)
	}
	if got := b.value("#temp-password"); len(got) < 12 {
		t.Errorf("temporary password: got %q", got)
	}
	if got := b.text("#users"); !strings.Contains(got, "analyst") {
		t.Fatalf("users: got %q, want analyst", got)
	}
	b.fill("#username", "analyst")
	if got := b.submit(`form[method=post][action="/admin/users"] button[type=submit]`); got != http.StatusConflict {
		t.Errorf("duplicate user: got %d, want 409", got)
	}
	row := ""
	for i, s := range b.texts("#users tbody tr") {
		if strings.HasPrefix(s, "analyst") {
			row = "#" + b.attr("#users tbody tr", i, "id")
		}
	}
	if row == "" {
		t.Fatal("no row for analyst")
	}
	b.click(row + ` input[name=roles][value=admin]`)
	b.submit(row + ` form[action$="/roles"] button`)
	if got := b.path(); got != "/admin/users?account=222233334444&notice=roles" {
		t.Errorf("after saving roles: got %s", got)
	}
	if !b.checked(row+` input[name=roles][value=admin]`) || !b.checked(row+` input[name=roles][value=approver]`) {
		t.Errorf("analyst's roles: want admin and approver")
	}
	b.submit(row + ` a[href*="/delete?"]`)
	if got := b.text("h1"); got != "Remove analyst?" {
		t.Errorf("confirmation: got %q", got)
	}
	b.submit(`main form[action$="/delete"] button`)
	if got := b.text("#users"); strings.Contains(got, "analyst") {
		t.Errorf("users after removing: got %q", got)
	}

	// State machines: problems shown in place, then a valid definition.
	b.open("/admin/state-machines")
	b.submit(`a[href="/admin/state-machines/new"]`)
	b.fill("#name", "hello")
	bad := `{"StartAt": "Missing", "States": {"Wait": {"Type": "Wait", "Seconds": -1, "End": true}}}`
	b.fill("#definition", bad)
	if got := b.submit(`main form button[type=submit]`); got != http.StatusBadRequest {
		t.Errorf("invalid definition: got %d, want 400", got)
	}
	if got := b.text("#problems"); !strings.Contains(got, "Missing") || !strings.Contains(got, "Wait") {
		t.Errorf("problems: got %q, want the missing start state and the bad Wait named", got)
	}
	if got := b.value("#definition"); got != bad {
		t.Errorf("definition after the failure: got %q, want it kept", got)
	}
	b.fill("#definition", `{"StartAt": "Done", "States": {"Done": {"Type": "Pass", "Result": {"hello": "world"}, "End": true}}}`)
	b.submit(`main form button[type=submit]`)
	if got := b.path(); got != "/admin/state-machines/hello?notice=created" {
		t.Fatalf("after creating: got %s", got)
	}
	b.submit(`a[href="/admin/state-machines/hello/edit"]`)
	b.fill("#description", "says hello")
	b.submit(`main form button[type=submit]`)
	if got := b.text("h1"); !strings.Contains(got, "version 2") {
		t.Errorf("after editing: got %q, want version 2", got)
	}
	b.open("/admin/state-machines/hello?version=1")
	if got := b.text("h1"); !strings.Contains(got, "version 1") {
		t.Errorf("version 1: got %q", got)
	}
	// Rolling back to version 1 saves its definition as version 3.
	if got := b.text("#rollback-section"); !strings.Contains(got, "saved again as version 3") {
		t.Errorf("rollback on version 1: got %q, want what it saves", got)
	}
	b.submit(`form[action="/admin/state-machines/hello/rollback"] button`)
	if got := b.path(); got != "/admin/state-machines/hello?notice=rolled-back" {
		t.Fatalf("after rolling back: got %s", got)
	}
	if got := b.text("h1"); !strings.Contains(got, "version 3") {
		t.Errorf("after rolling back: got %q, want version 3", got)
	}
	if got := b.text(".lede"); got != "No description." {
		t.Errorf("after rolling back: got description %q, want version 1's (none)", got)
	}

	// Executions.
	cli(t, srv, "execution", "start", "--state-machine", "hello", "--name", "first-run")
	b.open("/admin/executions?state_machine=hello")
	if got := b.text("#executions"); !strings.Contains(got, "first-run") {
		t.Fatalf("executions: got %q, want first-run", got)
	}
	b.submit(`#executions a[href^="/admin/executions/"]`)
	if got := b.text("#history"); !strings.Contains(got, "ExecutionStarted") {
		t.Errorf("history: got %q, want ExecutionStarted", got)
	}

	// The audit log shows what was done here.
	b.open("/admin/audit?action=account.*")
	if got := b.text("#audit"); !strings.Contains(got, "account.offboard") || !strings.Contains(got, "333344445555") {
		t.Errorf("audit: got %q, want the offboarding", got)
	}
	b.open("/admin/audit?action=no.such.action")
	if got := b.text("p.empty"); !strings.Contains(got, "No audit entries") {
		t.Errorf("empty audit: got %q", got)
	}

	// The remaining pages of every user.
	for _, p := range []string{"/tokens", "/password", "/shared", "/invitations", "/catalog/sales", "/catalog/sales/orders"} {
		if got := b.open(p); got != http.StatusOK {
			t.Errorf("%s: got %d, want 200", p, got)
		}
	}
	b.open("/tokens")
	b.fill("#name", "ci")
	if got := b.submit(`form[action="/tokens"] button`); got != http.StatusCreated {
		t.Errorf("create token: got %d", got)
	}
	secret := b.value("#new-secret")
	if len(secret) < 20 {
		t.Errorf("token secret: got %q", secret)
	}
	if got := b.text("tbody"); !strings.Contains(got, "ci") {
		t.Fatalf("tokens: got %q, want ci listed", got)
	}
	b.submit(`button[aria-label="Revoke token ci"]`)
	if got := b.text(".notice"); !strings.Contains(got, "revoked") {
		t.Errorf("after revoking: got %q", got)
	}
	for _, row := range b.texts("tbody tr") {
		if strings.HasPrefix(row, "ci\t") || strings.HasPrefix(row, "ci ") {
			t.Errorf("tokens after revoking: got row %q, want ci gone", row)
		}
	}
}
