package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
)

// UserCmd groups the user commands.
type UserCmd struct {
	Create        UserCreateCmd        `cmd:"" help:"Create a user with a one-time temporary password."`
	List          UserListCmd          `cmd:"" help:"List users."`
	Show          UserShowCmd          `cmd:"" help:"Show one user."`
	SetRoles      UserSetRolesCmd      `cmd:"" name:"set-roles" help:"Replace a user's roles."`
	ResetPassword UserResetPasswordCmd `cmd:"" name:"reset-password" help:"Give a user a new temporary password."`
	Delete        UserDeleteCmd        `cmd:"" help:"Delete a user with its sessions and tokens."`
}

var userHeader = []string{"ID", "ACCOUNT", "USERNAME", "ROLES", "EMAIL", "MUST CHANGE PASSWORD"}

func userRow(u *mesh.User) []string {
	return []string{fmt.Sprint(u.ID), u.AccountID, u.Username, strings.Join(u.Roles, ","), u.Email, fmt.Sprint(u.MustChangePassword)}
}

// UserRef names a user by id or by username.
type UserRef struct {
	ID       int64  `help:"User id." xor:"user" required:""`
	Username string `help:"Username." xor:"user" required:""`
}

func (r UserRef) resolve(ctx context.Context, c *client.Client) (int64, error) {
	if r.ID != 0 {
		return r.ID, nil
	}
	u, err := c.FindUserByName(ctx, r.Username)
	if err != nil {
		return 0, err
	}
	return u.ID, nil
}

// find returns the user: fetched by id, or the one the username's lookup read.
func (r UserRef) find(ctx context.Context, c *client.Client) (*mesh.User, error) {
	if r.ID != 0 {
		return c.GetUser(ctx, r.ID)
	}
	return c.FindUserByName(ctx, r.Username)
}

// UserCreateCmd creates a user.
type UserCreateCmd struct {
	Account  string   `required:"" help:"The user's account id."`
	Username string   `required:"" help:"Username (letters, digits, . _ @ -)."`
	Email    string   `help:"Email address."`
	Role     []string `required:"" help:"Roles: admin, approver, member (repeat or separate with commas)."`
}

// Run creates the user and prints its temporary password, shown only once.
func (c *UserCreateCmd) Run(ctx context.Context, g *Globals) error {
	res, err := g.Client().CreateUser(ctx, c.Account, client.UserInput{Username: c.Username, Email: c.Email, Roles: c.Role})
	if err != nil {
		return err
	}
	if g.JSON() {
		return g.PrintJSON(res)
	}
	if err := g.PrintTable(userHeader, [][]string{userRow(res.User)}); err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "\ntemporary password (shown once; the user must change it at first sign-in): %s\n", res.TemporaryPassword)
	return nil
}

// UserListCmd lists users.
type UserListCmd struct {
	Account string `help:"Only this account's users."`
	Role    string `help:"Only users holding this role."`
}

// Run lists every matching user, page by page.
func (c *UserListCmd) Run(ctx context.Context, g *Globals) error {
	all := []*mesh.User{}
	o := client.ListOptions{Limit: 1000}
	for {
		page, err := g.Client().ListUsers(ctx, c.Account, c.Role, o)
		if err != nil {
			return err
		}
		all = append(all, page.Users...)
		if page.NextToken == "" {
			break
		}
		o.NextToken = page.NextToken
	}
	return printRows(g, all, userHeader, all, userRow)
}

// UserShowCmd shows a user.
type UserShowCmd struct {
	UserRef `embed:""`
}

// Run shows the user.
func (c *UserShowCmd) Run(ctx context.Context, g *Globals) error {
	u, err := c.find(ctx, g.Client())
	if err != nil {
		return err
	}
	return g.Print(u, userHeader, func() [][]string { return [][]string{userRow(u)} })
}

// UserSetRolesCmd replaces a user's roles.
type UserSetRolesCmd struct {
	UserRef `embed:""`
	Role    []string `required:"" help:"The new roles: admin, approver, member (repeat or separate with commas)."`
}

// Run replaces the roles.
func (c *UserSetRolesCmd) Run(ctx context.Context, g *Globals) error {
	id, err := c.resolve(ctx, g.Client())
	if err != nil {
		return err
	}
	u, err := g.Client().UpdateUser(ctx, id, client.UserUpdate{Roles: &c.Role})
	if err != nil {
		return err
	}
	return g.Print(u, userHeader, func() [][]string { return [][]string{userRow(u)} })
}

// UserResetPasswordCmd gives a user a new temporary password.
type UserResetPasswordCmd struct {
	UserRef `embed:""`
}

// Run resets the password and prints the new temporary one.
func (c *UserResetPasswordCmd) Run(ctx context.Context, g *Globals) error {
	id, err := c.resolve(ctx, g.Client())
	if err != nil {
		return err
	}
	pw, err := g.Client().ResetPassword(ctx, id)
	if err != nil {
		return err
	}
	if g.JSON() {
		return g.PrintJSON(map[string]string{"temporary_password": pw})
	}
	_, err = fmt.Fprintf(g.stdout, "temporary password (shown once; the user must change it at first sign-in): %s\n", pw)
	return err
}

// UserDeleteCmd deletes a user.
type UserDeleteCmd struct {
	UserRef `embed:""`
}

// Run deletes the user.
func (c *UserDeleteCmd) Run(ctx context.Context, g *Globals) error {
	id, err := c.resolve(ctx, g.Client())
	if err != nil {
		return err
	}
	if err := g.Client().DeleteUser(ctx, id); err != nil {
		return err
	}
	if g.JSON() {
		return g.PrintJSON(map[string]any{"deleted": id})
	}
	_, err = fmt.Fprintf(g.stdout, "deleted user %d\n", id)
	return err
}
