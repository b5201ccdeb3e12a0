package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/testbin"
)

// TestBootstrapAdmin checks what a fresh store gives its operator: the first
// mesh admin's credentials in DATA/bootstrap-admin.txt (owner-only), an API
// token from MESHGATE_BOOTSTRAP_TOKEN, and a CLI sign-in with the temporary
// password that must be changed on first use.
func TestBootstrapAdmin(t *testing.T) {
	srv := testbin.StartServer(t, testbin.Options{})

	file := filepath.Join(srv.DataDir, "bootstrap-admin.txt")
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatalf("bootstrap admin file: %v", err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("bootstrap-admin.txt mode: got %v, want -rw-------", got)
	}
	text, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^username: (\S+)\npassword: (\S+)$`).FindStringSubmatch(string(text))
	if m == nil {
		t.Fatalf("bootstrap-admin.txt: got %q, want username and password lines", text)
	}
	username, password := m[1], m[2]

	if status, body := get(t, srv.URL+"/api/v1/openapi.json", srv.Token); status != http.StatusOK {
		t.Errorf("openapi with the bootstrap token: got %d, want 200 (%s)", status, body)
	}

	// The first sign-in changes the temporary password and prints a token.
	const newPassword = "a-new-password-for-the-admin"
	out, err := srv.CLIWith(t, testbin.CLIOptions{NoToken: true, Stdin: strings.NewReader(password + "\n" + newPassword + "\n")},
		"login", "--username", username, "--password-stdin")
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	tm := regexp.MustCompile(`export MESHGATE_TOKEN=(\S+)`).FindStringSubmatch(out)
	if tm == nil {
		t.Fatalf("login output: got %q, want an export MESHGATE_TOKEN= line", out)
	}
	out, err = srv.CLIWith(t, testbin.CLIOptions{Token: tm[1]}, "account", "list")
	if err != nil {
		t.Fatalf("account list with the login token: %v", err)
	}
	if !strings.Contains(out, "central") {
		t.Errorf("account list: got %q, want the central account", out)
	}

	// The temporary password is gone.
	_, err = srv.CLIWith(t, testbin.CLIOptions{NoToken: true, Stdin: strings.NewReader(password + "\n")},
		"login", "--username", username, "--password-stdin")
	if err == nil {
		t.Error("login with the old temporary password: got nil error, want a rejection")
	}
}
