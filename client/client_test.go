package client_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
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

// TestRedirectIsAnError: a server (or a proxy in front of it) that answers
// a call with a redirect gets an error naming where it pointed, instead of
// the client following it: following turns a POST into a GET, so a grant
// "succeeded" having read the grant list and changed nothing.
func TestRedirectIsAnError(t *testing.T) {
	var posts int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/moved/") {
			http.Redirect(w, r, "/moved"+r.URL.Path, http.StatusMovedPermanently)
			return
		}
		if r.Method == http.MethodPost {
			posts++
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"grants": []}`))
	}))
	defer srv.Close()
	g, err := client.New(srv.URL, "").Grant(context.Background(), client.GrantInput{Principal: "222233334444",
		Resource: client.Resource{Database: "sales"}, Permissions: []string{"SELECT"}})
	var apiErr *client.Error
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusMovedPermanently || !strings.Contains(apiErr.Message, srv.URL+"/moved/api/v1/grants") {
		t.Errorf("got %+v, %v; want a 301 error naming the new location", g, err)
	}
	if posts != 0 {
		t.Errorf("got %d POSTs at the new location, want 0", posts)
	}
}
