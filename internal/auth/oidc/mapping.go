package oidc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"github.com/meshgate/meshgate/internal/auth"
	"github.com/meshgate/meshgate/internal/mesh"
)

// claims are the ID token claims meshgate reads besides the standard ones.
type claims struct {
	PreferredUsername string `json:"preferred_username"`
	Email             string `json:"email"`
	EmailVerified     *bool  `json:"email_verified"`
}

// Mapping is what a provider's claims give a user.
type Mapping struct {
	AccountID string
	Roles     []string
	Groups    []string
}

// Map applies the provider's rules to the groups claim's value: the
// account and roles of every matching rule. Refusals (EFORBIDDEN) say what
// is missing: the claim, a matching group, or a single account.
func Map(pc ProviderConfig, all map[string]any) (*Mapping, error) {
	v, ok := all[pc.GroupsClaim]
	if !ok {
		return nil, mesh.Errorf(mesh.EFORBIDDEN, "your identity provider sent no %q claim, so meshgate cannot tell your groups; ask its administrators to include it", pc.GroupsClaim)
	}
	var groups []string
	switch g := v.(type) {
	case string:
		groups = []string{g}
	case []any:
		for _, e := range g {
			if s, ok := e.(string); ok {
				groups = append(groups, s)
			}
		}
	default:
		return nil, mesh.Errorf(mesh.EFORBIDDEN, "the %q claim is neither a list of groups nor a group", pc.GroupsClaim)
	}
	m := &Mapping{Groups: groups}
	var accounts []string
	for _, r := range pc.Rules {
		if !slices.Contains(groups, r.Group) {
			continue
		}
		if !slices.Contains(accounts, r.AccountID) {
			accounts = append(accounts, r.AccountID)
		}
		if !slices.Contains(m.Roles, r.Role) {
			m.Roles = append(m.Roles, r.Role)
		}
	}
	switch len(accounts) {
	case 0:
		shown := groups
		if len(shown) > 10 {
			shown = shown[:10]
		}
		return nil, mesh.Errorf(mesh.EFORBIDDEN, "none of your groups (%s) gives access to meshgate; ask a mesh admin to map one of them", strings.Join(shown, ", "))
	case 1:
		m.AccountID = accounts[0]
	default:
		return nil, mesh.Errorf(mesh.EFORBIDDEN, "your groups map to several accounts (%s), and a user belongs to one; ask a mesh admin", strings.Join(accounts, ", "))
	}
	slices.Sort(m.Roles)
	return m, nil
}

// resolve maps a verified token's claims and finds or creates its user.
func (s *Service) resolve(ctx context.Context, p *provider, idt *gooidc.IDToken, remoteAddr, requestID string) (*mesh.User, string, error) {
	var all map[string]any
	var c claims
	if err := idt.Claims(&all); err != nil {
		return nil, "", mesh.Errorf(mesh.EUNAUTHORIZED, "the token's claims cannot be read: %v", err)
	}
	idt.Claims(&c)
	m, err := Map(p.cfg, all)
	if err != nil {
		return nil, "", err
	}
	email := c.Email
	if c.EmailVerified != nil && !*c.EmailVerified {
		email = ""
	}
	res, err := s.auth.ResolveExternal(ctx, auth.External{Provider: p.cfg.Name, Subject: idt.Subject,
		Username: Username(c.PreferredUsername, email, idt.Subject), Email: email,
		AccountID: m.AccountID, Roles: m.Roles, Groups: m.Groups, RemoteAddr: remoteAddr, RequestID: requestID})
	if err != nil {
		return nil, "", err
	}
	detail := "provider=" + p.cfg.Name + " subject=" + idt.Subject + " roles=" + strings.Join(res.User.Roles, ",")
	return res.User, detail, nil
}

// Username derives a meshgate user name from a provider's claims: the
// preferred username, else the email, else the subject, kept to the
// letters, digits and . _ @ - that user names allow (anything else becomes
// '-', so no look-alike characters pass), starting with a letter or digit.
// A subject alone gives "user-" and a digest of it.
func Username(preferred, email, subject string) string {
	for _, cand := range []string{preferred, email} {
		if n := cleanUsername(cand); n != "" {
			return n
		}
	}
	h := sha256.Sum256([]byte(subject))
	return "user-" + hex.EncodeToString(h[:6])
}

func cleanUsername(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '.' || r == '_' || r == '@' || r == '-':
			if b.Len() > 0 {
				b.WriteRune(r)
			}
		default:
			if b.Len() > 0 {
				b.WriteByte('-')
			}
		}
	}
	n := b.String()
	if len(n) > mesh.MaxUsernameLen-4 { // room for a suffix
		n = n[:mesh.MaxUsernameLen-4]
	}
	if mesh.ValidateUsername("username", n) != nil {
		return ""
	}
	return n
}
