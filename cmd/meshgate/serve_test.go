package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/alecthomas/kong"

	"github.com/meshgate/meshgate/internal/server"
)

// TestPostgresTimeoutFlags checks the default of the idle-in-transaction
// and TCP user timeouts' flags, their environment variables, and that 0
// asks the server config for PostgreSQL's own setting (a negative value).
func TestPostgresTimeoutFlags(t *testing.T) {
	flags := []struct {
		flag, env string
		got       func(server.Config) time.Duration
	}{
		{"--idle-in-transaction-timeout", "MESHGATE_POSTGRES_IDLE_IN_TRANSACTION_TIMEOUT",
			func(c server.Config) time.Duration { return c.IdleInTransactionTimeout }},
		{"--tcp-user-timeout", "MESHGATE_POSTGRES_TCP_USER_TIMEOUT",
			func(c server.Config) time.Duration { return c.TCPUserTimeout }},
	}
	tests := []struct {
		name string
		arg  string // the flag's value
		env  string
		want time.Duration
	}{
		{"default", "", "", time.Minute},
		{"flag", "5m", "", 5 * time.Minute},
		{"environment", "", "90s", 90 * time.Second},
		{"0: PostgreSQL's own", "0", "", -1},
	}
	for _, f := range flags {
		for _, tt := range tests {
			t.Run(f.flag+"/"+tt.name, func(t *testing.T) {
				if tt.env != "" {
					t.Setenv(f.env, tt.env)
				}
				args := []string{"serve"}
				if tt.arg != "" {
					args = append(args, f.flag, tt.arg)
				}
				var cli CLI
				parser, err := kong.New(&cli, kong.Exit(func(int) { t.Fatal("kong exited") }), kong.Writers(&bytes.Buffer{}, &bytes.Buffer{}),
					kong.Vars{"default_endpoint": defaultEndpoint})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := parser.Parse(args); err != nil {
					t.Fatal(err)
				}
				cfg, err := cli.Serve.Config()
				if err != nil {
					t.Fatal(err)
				}
				if got := f.got(cfg); got != tt.want {
					t.Errorf("got %v, want %v", got, tt.want)
				}
			})
		}
	}
}
