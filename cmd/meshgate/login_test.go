package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/server/servertest"
)

// TestLoginExportsEndpoint: login against a server at another endpoint than
// the default prints its endpoint's export after the token's, so that the
// commands after `eval "$(meshgate login …)"` go to that server; -o json
// prints the token alone, as before.
func TestLoginExportsEndpoint(t *testing.T) {
	srv, _ := servertest.New(t, servertest.Options{})
	must := func(input string, args ...string) string {
		t.Helper()
		code, out, errOut := runCLI(t, srv.URL, srv.AdminToken, input, args...)
		if code != 0 {
			t.Fatalf("meshgate %v: exit %d: %s", args, code, errOut)
		}
		return out
	}
	must("", "account", "onboard", "--id", "111122223333", "--name", "Sales")
	var created struct {
		TemporaryPassword string `json:"temporary_password"`
	}
	if err := json.Unmarshal([]byte(must("", "user", "create", "--account", "111122223333", "--username", "ann", "--role", "member", "-o", "json")), &created); err != nil {
		t.Fatal(err)
	}

	out := must(created.TemporaryPassword+"\nann's new password\n", "login", "--username", "ann", "--password-stdin")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "export MESHGATE_TOKEN=mgt_") || lines[1] != "export MESHGATE_ENDPOINT="+srv.URL {
		t.Fatalf("login at %s printed %q, want the token's export and then export MESHGATE_ENDPOINT=%s", srv.URL, out, srv.URL)
	}
	token := strings.TrimPrefix(lines[0], "export MESHGATE_TOKEN=")
	if code, out, errOut := runCLI(t, srv.URL, token, "", "token", "list"); code != 0 || !strings.Contains(out, "cli") {
		t.Errorf("token list with the new token: exit %d, %q%s; want the cli token", code, out, errOut)
	}

	out = must("ann's new password\n", "login", "--username", "ann", "--password-stdin", "-o", "json")
	var got map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &got); err != nil || !slices.Equal(slices.Sorted(maps.Keys(got)), []string{"secret", "token"}) {
		t.Errorf("login -o json printed %q (%v), want the new token's JSON: secret and token", out, err)
	}
}

// TestLoginTokenExports: at the default endpoint login exports the token
// alone; an endpoint the shell would read otherwise is quoted.
func TestLoginTokenExports(t *testing.T) {
	tok := &client.NewToken{Secret: "mgt_abc-DEF_123"}
	for _, c := range []struct {
		endpoint string
		want     string
	}{
		{defaultEndpoint, "export MESHGATE_TOKEN=mgt_abc-DEF_123\n"},
		{"https://meshgate.example.com", "export MESHGATE_TOKEN=mgt_abc-DEF_123\nexport MESHGATE_ENDPOINT=https://meshgate.example.com\n"},
		{"http://h/a b&c'd", "export MESHGATE_TOKEN=mgt_abc-DEF_123\nexport MESHGATE_ENDPOINT='http://h/a b&c'\\''d'\n"},
	} {
		var out, errOut bytes.Buffer
		g := &Globals{Endpoint: c.endpoint, Output: "table", stdout: &out, stderr: &errOut}
		if err := printLoginToken(g, "111122223333/ann", tok); err != nil || out.String() != c.want {
			t.Errorf("%s: printed %q (%v), want %q", c.endpoint, out.String(), err, c.want)
		}
		if sh, err := exec.LookPath("sh"); err == nil {
			cmd := exec.Command(sh, "-c", out.String()+`printf '%s\n%s' "$MESHGATE_TOKEN" "${MESHGATE_ENDPOINT-unset}"`)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
			got, err := cmd.Output()
			want := tok.Secret + "\n" + c.endpoint
			if c.endpoint == defaultEndpoint {
				want = tok.Secret + "\nunset"
			}
			if err != nil || string(got) != want {
				t.Errorf("%s: the shell read %q (%v), want %q", c.endpoint, got, err, want)
			}
		}
	}
}
