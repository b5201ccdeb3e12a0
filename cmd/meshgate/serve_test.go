package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/alecthomas/kong"
)

// TestIdleInTransactionTimeoutFlag checks the flag's default, its
// environment variable, and that 0 asks the server config for
// PostgreSQL's own setting (a negative value).
func TestIdleInTransactionTimeoutFlag(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  string
		want time.Duration
	}{
		{"default", nil, "", time.Minute},
		{"flag", []string{"--idle-in-transaction-timeout", "5m"}, "", 5 * time.Minute},
		{"environment", nil, "90s", 90 * time.Second},
		{"0: PostgreSQL's own", []string{"--idle-in-transaction-timeout", "0"}, "", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env != "" {
				t.Setenv("MESHGATE_POSTGRES_IDLE_IN_TRANSACTION_TIMEOUT", tt.env)
			}
			var cli CLI
			parser, err := kong.New(&cli, kong.Exit(func(int) { t.Fatal("kong exited") }), kong.Writers(&bytes.Buffer{}, &bytes.Buffer{}),
				kong.Vars{"default_endpoint": defaultEndpoint})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := parser.Parse(append([]string{"serve"}, tt.args...)); err != nil {
				t.Fatal(err)
			}
			cfg, err := cli.Serve.Config()
			if err != nil {
				t.Fatal(err)
			}
			if cfg.IdleInTransactionTimeout != tt.want {
				t.Errorf("got %v, want %v", cfg.IdleInTransactionTimeout, tt.want)
			}
		})
	}
}
