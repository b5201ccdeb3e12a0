package mesh

import (
	"net/mail"
	"regexp"
	"time"
)

var orgRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// Account is a member of the mesh: the central account (the server itself), a
// producer or a consumer. Its id is 12 digits (111122223333) or a slug.
type Account struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Organization is the account's organization id; accounts in the central
	// account's organization get shares without an invitation.
	Organization string    `json:"organization,omitempty"`
	Email        string    `json:"email,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// MaxAccountNameLen bounds an account's display name.
const MaxAccountNameLen = 200

// ValidateAccountName checks a display name: 1 to 200 bytes, no control
// characters, bidirectional controls or zero-width characters.
func ValidateAccountName(field, name string) error {
	_, err := CleanAccountName(field, name)
	return err
}

// CleanAccountName checks a display name as ValidateAccountName does and
// returns it in NFC, the form it is stored in.
func CleanAccountName(field, name string) (string, error) {
	return CleanDisplayName(field, name, MaxAccountNameLen)
}

// ValidateOrganization checks an optional organization id (such as o-example):
// empty, or 1 to 64 characters of the account id's slug alphabet.
func ValidateOrganization(field, org string) error {
	if org == "" {
		return nil
	}
	if len(org) > 64 || !orgRe.MatchString(org) {
		return Invalid(field, "organization %q must be 1 to 64 lowercase letters, digits and dashes", org)
	}
	return nil
}

// ValidateEmail checks an optional contact email address.
func ValidateEmail(field, email string) error {
	if email == "" {
		return nil
	}
	if len(email) > 254 {
		return Invalid(field, "is longer than 254 characters")
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email {
		return Invalid(field, "%q is not an email address", email)
	}
	return nil
}

// OffboardedAccount remembers an offboarded account's id, so that the id is
// not given to a new account by accident (it would look like the old one in
// audit records, other systems' policies and people's memory).
type OffboardedAccount struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	OffboardedAt time.Time `json:"offboarded_at"`
	OffboardedBy Principal `json:"offboarded_by"`
}
