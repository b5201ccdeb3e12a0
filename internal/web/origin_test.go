package web

import (
	"net/http/httptest"
	"testing"
)

func TestClientAddr(t *testing.T) {
	proxies, err := ParseTrustedProxies([]string{"10.0.0.0/8", "192.0.2.7", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"no proxy", "203.0.113.9:5000", nil, "203.0.113.9"},
		{"untrusted peer's header is ignored", "203.0.113.9:5000", []string{"198.51.100.1"}, "203.0.113.9"},
		{"trusted proxy", "10.1.2.3:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"right-most untrusted hop", "10.1.2.3:5000", []string{"1.1.1.1, 198.51.100.1, 10.9.9.9"}, "198.51.100.1"},
		{"client's own entries do not count", "192.0.2.7:443", []string{"10.0.0.1, 198.51.100.1"}, "198.51.100.1"},
		{"several headers", "10.1.2.3:5000", []string{"1.1.1.1", "198.51.100.2, 10.0.0.5"}, "198.51.100.2"},
		{"only proxies", "10.1.2.3:5000", []string{"10.0.0.9"}, "10.0.0.9"},
		{"no header", "10.1.2.3:5000", nil, "10.1.2.3"},
		{"garbage after trusted hops", "10.1.2.3:5000", []string{"not-an-ip, 10.0.0.4"}, "10.0.0.4"},
		{"IPv6 proxy", "[::1]:80", []string{"2001:db8::1"}, "2001:db8::1"},
		{"mapped IPv4", "10.1.2.3:5000", []string{"::ffff:198.51.100.3"}, "198.51.100.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", nil)
			r.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientAddr(r, proxies); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.example", "10.0.0"} {
		if _, err := ParseTrustedProxies([]string{bad}); err == nil {
			t.Errorf("%q: got no error, want one", bad)
		}
	}
}
