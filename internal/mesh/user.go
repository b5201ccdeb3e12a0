package mesh

import (
	"fmt"
	"slices"
	"time"
)

// User is a person or a machine of one account, with roles in it. Admins of
// the central account are mesh admins.
type User struct {
	ID        int64    `json:"id"`
	AccountID string   `json:"account_id"`
	Username  string   `json:"username"`
	Email     string   `json:"email,omitempty"`
	Roles     []string `json:"roles"`
	// MustChangePassword is set while the user holds a temporary password:
	// until it is changed, a session may only change it.
	MustChangePassword bool       `json:"must_change_password"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
	LastLoginAt        *time.Time `json:"last_login_at,omitempty"`
}

// Token describes an API token. The secret is shown once, at creation, and
// only its hash is kept.
type Token struct {
	ID       int64  `json:"id"`
	UserID   int64  `json:"user_id"`
	Username string `json:"username,omitempty"`
	Name     string `json:"name"`
	// Prefix is the secret's first characters, to recognise a token.
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// Expired reports whether the token has expired at now.
func (t *Token) Expired(now time.Time) bool {
	return t.ExpiresAt != nil && !now.Before(*t.ExpiresAt)
}

// Session is a browser sign-in. Its id travels in a cookie; only the id's
// hash is stored.
type Session struct {
	ID         int64     `json:"id"`
	UserID     int64     `json:"user_id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	// ExpiresAt is the absolute expiry; idle expiry is counted from LastSeenAt.
	ExpiresAt  time.Time `json:"expires_at"`
	RemoteAddr string    `json:"remote_addr,omitempty"`
}

// Roles lists every role a user may hold, from most to least powerful.
var Roles = []string{RoleAdmin, RoleApprover, RoleMember}

// ValidateRoles checks a role list: at least one role, each known, none twice.
func ValidateRoles(field string, roles []string) error {
	if len(roles) == 0 {
		return Invalid(field, "needs at least one of %v", Roles)
	}
	for i, r := range roles {
		if !slices.Contains(Roles, r) {
			return Invalid(fmt.Sprintf("%s[%d]", field, i), "unknown role %q; roles are %v", r, Roles)
		}
		if slices.Contains(roles[:i], r) {
			return Invalid(fmt.Sprintf("%s[%d]", field, i), "role %q is listed twice", r)
		}
	}
	return nil
}

// MaxTokenNameLen bounds an API token's name.
const MaxTokenNameLen = 100

// ValidateTokenName checks a token's name: 1 to 100 bytes, no control
// characters, bidirectional controls or zero-width characters.
func ValidateTokenName(field, name string) error {
	switch {
	case name == "":
		return Invalid(field, "is required")
	case len(name) > MaxTokenNameLen:
		return Invalid(field, "is longer than %d characters", MaxTokenNameLen)
	}
	if bad := CheckDisplayText(name); bad != "" {
		return Invalid(field, "must not hold %s", bad)
	}
	return nil
}
