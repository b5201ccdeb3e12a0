package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/server/servertest"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

func TestPlatformCLI(t *testing.T) {
	url := storetest.PostgresURL(t)
	ctx := context.Background()
	pg, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close(ctx)
	b := make([]byte, 4)
	rand.Read(b)
	schema := "cli_" + hex.EncodeToString(b)
	// wide has more columns than the catalog holds: the sync reports it.
	wide := make([]string, 1001)
	for i := range wide {
		wide[i] = fmt.Sprintf("c%d int", i)
	}
	if _, err := pg.Exec(ctx, `CREATE SCHEMA `+schema+`; CREATE TABLE `+schema+`.orders (id int, total int); CREATE TABLE `+schema+`.wide (`+strings.Join(wide, ", ")+`)`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`) })
	srv, admin := servertest.New(t, servertest.Options{})
	if _, err := admin.OnboardAccount(ctx, client.AccountInput{ID: "111122223333", Name: "p"}); err != nil {
		t.Fatal(err)
	}
	must := func(args ...string) string {
		t.Helper()
		code, out, errOut := runCLI(t, srv.URL, srv.AdminToken, "", args...)
		if code != 0 {
			t.Fatalf("meshgate %v: exit %d: %s", args, code, errOut)
		}
		return out
	}
	must("platform", "register", "--name", "wh", "--kind", "postgres", "--dsn", url, "--account-id", "111122223333", "--schemas", schema)
	var ps []map[string]any
	if err := json.Unmarshal([]byte(must("platform", "list", "-o", "json")), &ps); err != nil || len(ps) != 1 || ps[0]["name"] != "wh" {
		t.Fatalf("list: got %v (%v), want wh", ps, err)
	}
	out := must("platform", "sync", "--name", "wh")
	if !strings.Contains(out, "table wh-"+schema+".orders") || !regexp.MustCompile(`(?m)^refused +table wh-`+schema+`\.wide: columns: has 1001 columns`).MatchString(out) {
		t.Errorf("sync: got %q, want the orders table added and the wide one refused", out)
	}
	out = must("platform", "plan", "--principal", "111122223333/ada", "--database", "wh-"+schema, "--table", "orders", "--columns", "id", "--permissions", "select")
	if !strings.Contains(out, `GRANT SELECT ("id") ON TABLE "`+schema+`"."orders" TO "mg_111122223333_ada"`) {
		t.Errorf("plan: got %q, want the column grant", out)
	}
	if out := must("platform", "reconcile", "--name", "wh", "-o", "json"); !strings.Contains(out, `"found": 0`) {
		t.Errorf("reconcile: got %q, want nothing found", out)
	}
	must("platform", "show", "--name", "wh")
	must("platform", "remove", "--name", "wh")
	if code, _, errOut := runCLI(t, srv.URL, srv.AdminToken, "", "platform", "show", "--name", "wh"); code == 0 || !strings.Contains(errOut, "not found") {
		t.Errorf("show after remove: exit %d %q, want not found", code, errOut)
	}
}
