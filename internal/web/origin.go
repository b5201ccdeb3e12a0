package web

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/meshgate/meshgate/internal/mesh"
)

// TrustOrigins lets browsers on these origins ("https://portal.example.com")
// make changes with the session cookie, besides the server's own origin.
func (rt *Router) TrustOrigins(origins []string) error {
	for _, o := range origins {
		if err := rt.cop.AddTrustedOrigin(o); err != nil {
			return fmt.Errorf("trusted origin %q: %w", o, err)
		}
	}
	return nil
}

// errCrossOrigin refuses a cross-site change made with the session cookie.
var errCrossOrigin = mesh.Errorf(mesh.EFORBIDDEN,
	"cross-origin request refused: a change made with the session cookie must come from this server's own pages or a trusted origin; other clients use an API token (Authorization: Bearer)")

// checkOrigin refuses a state-changing request from another site's pages.
// A request with an Authorization header is not checked: a browser never
// adds one by itself, so another site cannot forge it, and the session
// cookie is not what authenticates it. An empty one is no credential: the
// cookie authenticates that request (auth.Service.Authenticate), so it is
// checked.
func (rt *Router) checkOrigin(r *http.Request) error {
	if v := r.Header["Authorization"]; len(v) > 0 && v[0] != "" {
		return nil
	}
	if rt.cop.Check(r) != nil {
		return errCrossOrigin
	}
	return nil
}

// ParseTrustedProxies parses addresses and CIDR prefixes ("10.0.0.0/8",
// "192.0.2.7", "::1") of reverse proxies whose X-Forwarded-For is believed.
func ParseTrustedProxies(specs []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range specs {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: not an IP address or CIDR prefix", s)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// TrustProxies makes the router believe X-Forwarded-For from these proxies.
func (rt *Router) TrustProxies(prefixes []netip.Prefix) { rt.proxies = prefixes }

// clientAddr returns the caller's address: the connection's peer, or, when
// that peer is a trusted proxy, the right-most address of X-Forwarded-For
// that is not a trusted proxy (the left part of the header is whatever the
// client wrote, so it proves nothing).
func clientAddr(r *http.Request, proxies []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if len(proxies) == 0 {
		return host
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !trusted(peer, proxies) {
		return host
	}
	hops := r.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		parts := strings.Split(hops[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
			if err != nil {
				// Not an address: the hop that wrote it is not one we trust
				// to have, so the last trusted hop's peer is the client.
				return peer.String()
			}
			peer = a.Unmap()
			if !trusted(peer, proxies) {
				return peer.String()
			}
		}
	}
	return peer.String()
}

func trusted(a netip.Addr, proxies []netip.Prefix) bool {
	a = a.Unmap()
	for _, p := range proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
