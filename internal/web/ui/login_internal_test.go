package ui

import "testing"

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
