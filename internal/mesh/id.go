package mesh

import (
	"regexp"
	"strings"
)

var (
	accountIDRe = regexp.MustCompile(`^(\d{12}|[a-z0-9][a-z0-9-]{1,62})$`)
	nameRe      = regexp.MustCompile(`^[a-z0-9_][a-z0-9_-]*$`)
	usernameRe  = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._@-]*$`)
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
	if !accountIDRe.MatchString(id) {
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
	case !nameRe.MatchString(name):
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
	case !usernameRe.MatchString(name):
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
