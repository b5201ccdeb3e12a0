package client_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/meshgate/meshgate/client"
)

// closedEndpoint returns the URL of a loopback port nothing listens on.
func closedEndpoint(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	return url
}

func TestUnreachable(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer up.Close()
	down := closedEndpoint(t)
	tests := []struct {
		endpoint        string
		wantUnreachable bool
	}{
		{down, true},
		{"http://no-such-host.invalid:8080", true},
		{up.URL, false},
	}
	for _, tt := range tests {
		err := client.New(tt.endpoint, "").Health(context.Background())
		var ue *client.UnreachableError
		if got := errors.As(err, &ue); got != tt.wantUnreachable {
			t.Errorf("%s: got %v (unreachable %v), want unreachable %v", tt.endpoint, err, got, tt.wantUnreachable)
			continue
		}
		if ue != nil && ue.Endpoint != tt.endpoint {
			t.Errorf("%s: got endpoint %q, want %q", tt.endpoint, ue.Endpoint, tt.endpoint)
		}
	}
}
