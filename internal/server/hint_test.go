package server

import (
	"net"
	"testing"
)

func TestCLICommand(t *testing.T) {
	tests := []struct {
		arg0, want string
	}{
		{"/tmp/go-build1170438085/b001/exe/meshgate", "go run ./cmd/meshgate"},
		{"/tmp/go-build42/b001/server.test", "go run ./cmd/meshgate"},
		{"./meshgate", "./meshgate"},
		{"meshgate", "meshgate"},
		{"/usr/local/bin/meshgate", "/usr/local/bin/meshgate"},
		{"", "meshgate"},
	}
	for _, tt := range tests {
		if got := cliCommand(tt.arg0); got != tt.want {
			t.Errorf("cliCommand(%q): got %q, want %q", tt.arg0, got, tt.want)
		}
	}
}

func TestSignInHint(t *testing.T) {
	tests := []struct {
		addr *net.TCPAddr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9090}, "go run ./cmd/meshgate login --endpoint http://127.0.0.1:9090 --username sales-admin"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8080}, "go run ./cmd/meshgate login --endpoint http://127.0.0.1:8080 --username sales-admin"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}, "go run ./cmd/meshgate login --endpoint http://127.0.0.1:8080 --username sales-admin"},
		{&net.TCPAddr{IP: net.ParseIP("10.1.2.3"), Port: 80}, "go run ./cmd/meshgate login --endpoint http://10.1.2.3:80 --username sales-admin"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 8080}, "go run ./cmd/meshgate login --endpoint http://[::1]:8080 --username sales-admin"},
	}
	for _, tt := range tests {
		if got := signInHint("go run ./cmd/meshgate", tt.addr, "sales-admin"); got != tt.want {
			t.Errorf("%v: got %q, want %q", tt.addr, got, tt.want)
		}
	}
}
