package ui

import (
	"bytes"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
)

func TestLocalPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/catalog", "/catalog"},
		{"/catalog?q=email", "/catalog?q=email"},
		{"", ""},
		{"catalog", ""},
		{"//evil.example/", ""},
		{"/\\evil.example/", ""},
		{"https://evil.example/", ""},
		{"/catalog\r\nSet-Cookie: x=y", ""},
		// browsers drop tabs and newlines from a URL: these lead to //evil.example/
		{"/\t/evil.example/", ""},
		{"/\n/evil.example/", ""},
		{"/\x7f", ""},
		// http.Redirect cleans the path: these would go out as /\evil.example/
		{"/a/../\\evil.example/", ""},
		{"/catalog#/../../\\evil.example/", ""},
		{"/catalog/search?q=a\\b", "/catalog/search?q=a\\b"},
	}
	for _, tt := range tests {
		if got := localPath(tt.in); got != tt.want {
			t.Errorf("localPath(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTemplatesParse(t *testing.T) {
	st, err := loadAssets()
	if err != nil {
		t.Fatal(err)
	}
	e, err := parseTemplates(st)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"login", "password", "tokens", "catalog", "database", "table", "invitations", "shared", "link",
		"accounts", "account", "users", "statemachines", "statemachine", "statemachine_edit", "executions", "execution", "audit", "error", "user_delete"} {
		if e.pages[name] == nil {
			t.Errorf("page %s: got no template, want one", name)
		}
	}
}

// TestApprovalsShowPlatformPlans renders the approvals page with a pending
// approval that carries data platform plans: the approver sees each
// platform's statements, or why it runs none, and what else the apply
// does, before deciding.
func TestApprovalsShowPlatformPlans(t *testing.T) {
	st, err := loadAssets()
	if err != nil {
		t.Fatal(err)
	}
	e, err := parseTemplates(st)
	if err != nil {
		t.Fatal(err)
	}
	req := &mesh.AccessRequest{ID: 7, Database: "sales", Table: "orders", TargetAccount: "222233334444",
		RequesterAccount: "222233334444", RequesterUser: "analytics-member", Justification: "churn"}
	p := ApprovalsPage{Page: Page{Title: "Approvals", Actor: &mesh.Actor{AccountID: "111122223333", Username: "sales-approver"}},
		Approvals: []*mesh.Approval{{RequestID: 7, AccountID: "111122223333", Status: mesh.ApprovalPending, Request: req,
			Plans: []mesh.PlatformPlan{
				{Platform: "warehouse", Kind: "postgres", Role: "analytics", Statements: []string{`GRANT SELECT ON TABLE "sales"."orders" TO "analytics"`},
					Note: "the apply also reports what reaches the imported tables"},
				{Platform: "shop", Kind: "mariadb", Note: "account 222233334444 maps to no role here"},
			}}}}
	var buf bytes.Buffer
	if err := e.execute(&buf, "approvals", p); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	for _, want := range []string{"On data platforms", "warehouse (postgres), role <code>analytics</code> would run:",
		"GRANT SELECT ON TABLE &#34;sales&#34;.&#34;orders&#34; TO &#34;analytics&#34;", "shop (mariadb)", "account 222233334444 maps to no role here", "the apply also reports what reaches the imported tables"} {
		if !strings.Contains(got, want) {
			t.Errorf("approvals page: want %q in\n%s", want, got)
		}
	}
}
