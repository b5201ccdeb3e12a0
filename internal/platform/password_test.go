package platform_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/server/servertest"
)

// TestPlatformPasswordIsKeptOnlyByReference: a platform's password, from
// the server's environment or a file, is used to connect and stored only
// as its reference: no API answer, audit entry or log line, and no row of
// the store, holds it.
func TestPlatformPasswordIsKeptOnlyByReference(t *testing.T) {
	f := pgFixture(t) // the test server trusts local connections: any password connects
	ctx := context.Background()
	logs := &lockedLog{}
	srv, admin := servertest.New(t, servertest.Options{Log: logs})
	if _, err := admin.OnboardAccount(ctx, client.AccountInput{ID: "111122223333", Name: "Sales"}); err != nil {
		t.Fatal(err)
	}
	env, fromEnv := "MG_TEST_PG_PW_"+randomHex(3), "env-secret-"+randomHex(8)
	t.Setenv(env, fromEnv)
	file, fromFile := filepath.Join(t.TempDir(), "pw"), "file-secret-"+randomHex(8)
	if err := os.WriteFile(file, []byte(fromFile+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var answers []string
	for _, in := range []client.PlatformInput{
		{Name: "pe" + randomHex(3), PasswordEnv: env},
		{Name: "pf" + randomHex(3), PasswordFile: file},
	} {
		in.Kind, in.DSN, in.AccountID, in.Schemas = "postgres", f.dsn, "111122223333", []string{"public"}
		p, err := admin.RegisterPlatform(ctx, in)
		if err != nil {
			t.Fatalf("register %s: %v", in.Name, err)
		}
		if p.PasswordRef == "" {
			t.Errorf("%s: got no password reference, want the variable or file named", in.Name)
		}
		var shown map[string]any
		if err := admin.Do(ctx, "GET", "/api/v1/platforms/"+in.Name, nil, nil, &shown); err != nil {
			t.Fatal(err)
		}
		answers = append(answers, strings.Join([]string{p.PasswordRef, p.DSN}, " "), toJSON(t, shown))
		if _, err := admin.SyncPlatform(ctx, in.Name); err != nil {
			t.Fatalf("sync %s with the password: %v", in.Name, err)
		}
	}
	var list map[string]any
	if err := admin.Do(ctx, "GET", "/api/v1/platforms", nil, nil, &list); err != nil {
		t.Fatal(err)
	}
	answers = append(answers, toJSON(t, list))
	audit, err := admin.ListAudit(ctx, client.AuditFilter{}, client.ListOptions{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	answers = append(answers, toJSON(t, audit), logs.String(), storeFiles(t, srv.DataDir))
	if files := answers[len(answers)-1]; !strings.Contains(files, "env:"+env) || !strings.Contains(files, "file:"+file) {
		t.Error("the store's files lack the references: not the files the store writes?")
	}
	for _, secret := range []string{fromEnv, fromFile} {
		for _, a := range answers {
			if strings.Contains(a, secret) {
				t.Errorf("found the password %s in %.300s", secret, a)
			}
		}
	}
}

// storeFiles returns the bytes of the SQLite store's files in dir (the
// database and its write-ahead log), where a stored password would be.
func storeFiles(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	for _, name := range []string{"meshgate.db", "meshgate.db-wal"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		b.Write(data)
	}
	if b.Len() == 0 {
		t.Fatalf("no store files in %s", dir)
	}
	return b.String()
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// lockedLog collects a server's logs.
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
