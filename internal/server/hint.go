package server

import (
	"net"
	"os"
	"path/filepath"
	"strings"
)

// CLICommand is how to run this program's CLI, for hints printed to people:
// "go run ./cmd/meshgate" when it was started by `go run` (whose binary is a
// temporary file nobody can name), else the name it was started by
// ("./meshgate", "meshgate", a full path), which works where it was started.
func CLICommand() string { return cliCommand(os.Args[0]) }

func cliCommand(arg0 string) string {
	switch {
	case arg0 == "":
		return "meshgate"
	case strings.Contains(filepath.ToSlash(arg0), "/go-build"):
		return "go run ./cmd/meshgate"
	}
	return arg0
}

// endpointURL is the URL a client on this host reaches a listener at: an
// unspecified address (":8080", "0.0.0.0:8080", "[::]:8080") is dialled as
// loopback.
func endpointURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// signInHint is the command that signs username in to the server listening at addr.
func signInHint(cli string, addr net.Addr, username string) string {
	return cli + " login --endpoint " + endpointURL(addr) + " --username " + username
}
