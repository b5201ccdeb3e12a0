package main

import (
	"strings"
	"testing"
)

func TestOIDCFlags(t *testing.T) {
	t.Setenv("MESHGATE_OIDC_CLIENT_SECRET", "shared")
	t.Setenv("MESHGATE_OIDC_CLIENT_SECRET_PARTNER_IDP", "partner-secret")
	tests := []struct {
		name    string
		flags   OIDCFlags
		want    string // providers as name:client:secret:display, or the error's text
		wantErr bool
	}{
		{name: "none", flags: OIDCFlags{}, want: ""},
		{name: "one, default name", flags: OIDCFlags{Issuer: []string{"https://a"}, ClientID: []string{"mg"}, Map: []string{"g=central:admin"}},
			want: "sso:mg:shared:"},
		{name: "two, a secret of its own", flags: OIDCFlags{Issuer: []string{"https://a", "https://b"}, ClientID: []string{"mg", "mg2"},
			Name: []string{"corp", "partner-idp"}, DisplayName: []string{"Corp"}, Map: []string{"g=central:admin"}},
			want: "corp:mg:shared:Corp partner-idp:mg2:partner-secret:"},
		{name: "a client id missing", flags: OIDCFlags{Issuer: []string{"https://a", "https://b"}, ClientID: []string{"mg"}},
			want: "--oidc-client-id is given 1 times for 2 --oidc-issuer", wantErr: true},
		{name: "too many names", flags: OIDCFlags{Issuer: []string{"https://a"}, ClientID: []string{"mg"}, Name: []string{"a", "b"}},
			want: "--oidc-name is given 2 times", wantErr: true},
		{name: "bad rule", flags: OIDCFlags{Issuer: []string{"https://a"}, ClientID: []string{"mg"}, Map: []string{"g=central"}},
			want: "must read group=account:role", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := tt.flags.Config("http://127.0.0.1:8080")
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("got %v, want an error saying %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range cfg.Providers {
				got = append(got, p.Name+":"+p.ClientID+":"+p.ClientSecret+":"+p.DisplayName)
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("got %q, want %q", strings.Join(got, " "), tt.want)
			}
		})
	}
}
