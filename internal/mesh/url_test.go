package mesh_test

import (
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
)

func TestRedactURL(t *testing.T) {
	tests := []struct {
		name, in string
		want     string
	}{
		// printf %s URL | sha256sum | cut -c1-8
		{"slack path", "https://hooks.slack.com/services/T000/B000/XXXXXXXX", "https://hooks.slack.com (sha256:25335732)"},
		{"port kept", "http://hooks.example.com:8080/mesh", "http://hooks.example.com:8080 (sha256:7002f917)"},
		{"user info and query", "https://bob:pw@hooks.example.com/h?token=t1", "https://hooks.example.com (sha256:dfe58030)"},
		{"no path", "https://hooks.example.com", "https://hooks.example.com (sha256:74858b59)"},
		{"not a URL", "hooks.example.com/secret", "(sha256:a6b2e641)"},
		{"unparsable", "https://hooks.example.com/%zzsecret", "(sha256:3a558889)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mesh.RedactURL(tt.in)
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			for _, secret := range []string{"XXXXXXXX", "services", "bob", "pw@", "token", "secret", "/mesh", "/h?"} {
				if strings.Contains(got, secret) {
					t.Errorf("got %q, which holds %q", got, secret)
				}
			}
		})
	}
}
