package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/meshgate/meshgate/client"
)

// defaultEndpoint is where the client commands find a server unless told
// otherwise: the address `meshgate serve` listens on by default.
const defaultEndpoint = "http://127.0.0.1:8080"

// Globals are the flags every client command shares.
type Globals struct {
	Endpoint string `help:"meshgate server URL." default:"${default_endpoint}" env:"MESHGATE_ENDPOINT"`
	Token    string `help:"API token." env:"MESHGATE_TOKEN"`
	Output   string `short:"o" help:"Output format: table or json." enum:"table,json" default:"table"`

	stdout, stderr io.Writer
}

// Client returns an API client for the global flags.
func (g *Globals) Client() *client.Client { return client.New(g.Endpoint, g.Token) }

// JSON reports whether -o json was asked for.
func (g *Globals) JSON() bool { return g.Output == "json" }

// PrintJSON writes v as indented JSON.
func (g *Globals) PrintJSON(v any) error {
	enc := json.NewEncoder(g.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// PrintTable writes a header row and rows, aligned.
func (g *Globals) PrintTable(header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// Print writes v as JSON with -o json, else as the table rows gives.
func (g *Globals) Print(v any, header []string, rows func() [][]string) error {
	if g.JSON() {
		return g.PrintJSON(v)
	}
	return g.PrintTable(header, rows())
}

// readInput reads a flag value that may be inline JSON, file://path or - for stdin,
// as the AWS CLI accepts.
func readInput(v string) ([]byte, error) {
	switch {
	case strings.HasPrefix(v, "file://"):
		return os.ReadFile(strings.TrimPrefix(v, "file://"))
	case v == "-":
		return io.ReadAll(os.Stdin)
	}
	return []byte(v), nil
}
