package mesh

import (
	"strings"
)

// Limits on names and parameters, shared by every package that validates input.
const (
	MaxNameLen        = 255
	MaxUsernameLen    = 128
	MaxDescriptionLen = 2048
	MaxParamKeyLen    = 255
	MaxParamValueLen  = 4096
	MaxParams         = 100
)

// ValidateAccountID checks an account id: 12 digits (like 111122223333) or a
// slug of 2 to 63 lowercase letters, digits and dashes starting with a letter or digit.
func ValidateAccountID(field, id string) error {
	if !isAccountID(id) {
		return Invalid(field, "account id %q must be 12 digits or a slug [a-z0-9][a-z0-9-]{1,62}", id)
	}
	return nil
}

// ValidateName checks a catalog name (database, table, column, link): 1 to 255
// characters of lowercase letters, digits, underscores and dashes, as Glue stores them.
func ValidateName(field, name string) error {
	switch {
	case name == "":
		return Invalid(field, "is required")
	case len(name) > MaxNameLen:
		return Invalid(field, "is longer than %d characters", MaxNameLen)
	case !isName(name):
		return Invalid(field, "name %q may hold only lowercase letters, digits, '_' and '-'", name)
	}
	return nil
}

// ValidateUsername checks a user name: 1 to 128 letters, digits and . _ @ -.
func ValidateUsername(field, name string) error {
	switch {
	case name == "":
		return Invalid(field, "is required")
	case len(name) > MaxUsernameLen:
		return Invalid(field, "is longer than %d characters", MaxUsernameLen)
	case !isUsername(name):
		return Invalid(field, "user name %q may hold only letters, digits, '.', '_', '@' and '-'", name)
	}
	return nil
}

// ValidateParameters checks a parameter map's size and the length of its keys and values.
func ValidateParameters(field string, params map[string]string) error {
	if len(params) > MaxParams {
		return Invalid(field, "has %d entries, more than %d", len(params), MaxParams)
	}
	for k, v := range params {
		if k == "" || len(k) > MaxParamKeyLen {
			return Invalid(field, "key %q must be 1 to %d characters", k, MaxParamKeyLen)
		}
		if len(v) > MaxParamValueLen {
			return Invalid(field+"."+k, "value is longer than %d characters", MaxParamValueLen)
		}
	}
	return nil
}

// ParseBool reads a catalog flag such as pii_flag the way the reference design
// writes it: "true" in any case counts, anything else does not.
func ParseBool(s string) bool {
	return strings.EqualFold(strings.TrimSpace(s), "true")
}

// The checks below are the loops for [a-z0-9_][a-z0-9_-]*,
// [a-zA-Z0-9][a-zA-Z0-9._@-]* and \d{12}|[a-z0-9][a-z0-9-]{1,62}: every
// authorization request runs them, and loops cost a fraction of regexps.
// id_test.go checks them against those expressions.

func isName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-' && i > 0) {
			return false
		}
	}
	return s != ""
}

func isUsername(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || i > 0 && (c == '.' || c == '_' || c == '@' || c == '-')) {
			return false
		}
	}
	return s != ""
}

func isAccountID(s string) bool {
	if len(s) == 12 {
		digits := true
		for i := 0; i < 12; i++ {
			if s[i] < '0' || s[i] > '9' {
				digits = false
			}
		}
		if digits {
			return true
		}
	}
	if len(s) < 2 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' && i > 0) {
			return false
		}
	}
	return true
}
