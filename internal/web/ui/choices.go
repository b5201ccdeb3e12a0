package ui

import (
	"net/http"
	"strconv"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// An account or a user is picked in a text input with suggestions (a
// datalist), not a select: a select offers only what the page read, and a
// mesh may hold more accounts, an account more users, than a page should
// carry. Whatever is typed, the service the form calls checks it.

// maxChoices bounds the suggestions one picker carries.
const maxChoices = 1000

// AccountChoices are the suggestions of an account picker, by id; More
// says that other accounts exist, which are typed.
type AccountChoices struct {
	Accounts []*mesh.Account
	More     bool
}

// Note says, when the suggestions stop short, that any other is typed.
func (c AccountChoices) Note() string {
	if !c.More {
		return ""
	}
	return "The suggestions show the first " + strconv.Itoa(len(c.Accounts)) + " accounts by id; type the id of any other."
}

// accountChoices reads the first maxChoices accounts, and whether more follow.
func (u *UI) accountChoices(r *http.Request) (AccountChoices, error) {
	as, err := u.Accounts.FindAccounts(r.Context(), store.AccountFilter{Limit: maxChoices})
	if err != nil || len(as) < maxChoices {
		return AccountChoices{Accounts: as}, err
	}
	// a page of accounts is at most maxChoices long: one more read tells
	more, err := u.Accounts.FindAccounts(r.Context(), store.AccountFilter{AfterID: as[len(as)-1].ID, Limit: 1})
	return AccountChoices{Accounts: as, More: len(more) > 0}, err
}

// UserChoices are the suggestions of a user picker, by id; More says
// that the account has other users, which are typed.
type UserChoices struct {
	Users []*mesh.User
	More  bool
}

// Note says, when the suggestions stop short, that any other is typed.
func (c UserChoices) Note() string {
	if !c.More {
		return ""
	}
	return "The suggestions show the first " + strconv.Itoa(len(c.Users)) + " users; type the username of any other."
}

// userChoices reads the first maxChoices users of an account, and whether
// more follow.
func (u *UI) userChoices(r *http.Request, account string) (UserChoices, error) {
	us, err := u.Auth.FindUsers(r.Context(), store.UserFilter{AccountID: account, Limit: maxChoices + 1})
	if err != nil {
		return UserChoices{}, err
	}
	if len(us) > maxChoices {
		return UserChoices{Users: us[:maxChoices], More: true}, nil
	}
	return UserChoices{Users: us}, nil
}
