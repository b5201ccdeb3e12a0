package main

import (
	"strings"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
)

func TestPrintPlans(t *testing.T) {
	tests := []struct {
		name  string
		plans []mesh.PlatformPlan
		want  string
	}{
		{"none", nil, ""},
		{"statements", []mesh.PlatformPlan{{Platform: "pg", Kind: "postgres", Role: "r", Statements: []string{`GRANT USAGE ON SCHEMA "s" TO "r"`, `GRANT SELECT ON TABLE "s"."t" TO "r"`}}},
			"\nrequest 7 on platform pg (postgres), role r:\n  GRANT USAGE ON SCHEMA \"s\" TO \"r\";\n  GRANT SELECT ON TABLE \"s\".\"t\" TO \"r\";\n"},
		{"note", []mesh.PlatformPlan{{Platform: "pg", Kind: "postgres", Statements: []string{}, Note: "maps to no role"}},
			"\nrequest 7 on platform pg (postgres):\n  -- maps to no role\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			printPlans(&b, []*client.Approval{{RequestID: 7, Plans: tt.plans}})
			if got := b.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
