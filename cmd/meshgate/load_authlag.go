package main

import (
	"context"
	"fmt"
	"os"

	"github.com/meshgate/meshgate/internal/loadtest"
)

// LoadAuthLagCmd measures how fast credentials ended on one replica stop
// working on another.
type LoadAuthLagCmd struct {
	Database string `required:"" help:"PostgreSQL URL the two replicas share (a schema of its own is created and dropped)." env:"MESHGATE_LOAD_DATABASE"`
	Rounds   int    `help:"Times each change is measured." default:"50"`
}

// Run runs the measurement and prints its figures.
func (c *LoadAuthLagCmd) Run(ctx context.Context, g *Globals) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	res, err := loadtest.RunAuthLag(ctx, loadtest.AuthLagOptions{DatabaseURL: c.Database, ServerExecutable: exe, Rounds: c.Rounds, Progress: g.stderr})
	if err != nil {
		return err
	}
	if g.JSON() {
		return g.PrintJSON(res)
	}
	var rows [][]string
	for _, k := range res.Kinds {
		rows = append(rows, []string{k.Kind, fmt.Sprint(k.Rounds), fmt.Sprint(k.AtOnce),
			fmt.Sprintf("%.2f", k.P50), fmt.Sprintf("%.2f", k.P90), fmt.Sprintf("%.2f", k.P99), fmt.Sprintf("%.2f", k.Max)})
	}
	return g.PrintTable([]string{"CHANGE ON REPLICA A", "ROUNDS", "REFUSED AT ONCE ON B", "P50 MS", "P90 MS", "P99 MS", "MAX MS"}, rows)
}
