package server

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/meshgate/meshgate/internal/auth"
	"github.com/meshgate/meshgate/internal/mesh"
)

// DemoUsersFile is where, in the data directory, the demo users' temporary
// passwords are written.
const DemoUsersFile = "demo-users.txt"

// The demo mesh: a producer with a sensitive and a non-sensitive database, a
// consumer, and users for each.
const (
	demoProducerID   = "111122223333"
	demoProducerName = "Sales"
	demoConsumerID   = "222233334444"
	demoConsumerName = "Analytics"
)

var demoAccounts = []mesh.Account{
	{ID: demoProducerID, Name: demoProducerName},
	{ID: demoConsumerID, Name: demoConsumerName},
}

var demoUsers = []auth.NewUser{
	{AccountID: demoProducerID, Username: "sales-admin", Roles: []string{mesh.RoleAdmin}},
	{AccountID: demoProducerID, Username: "sales-approver", Roles: []string{mesh.RoleApprover}},
	{AccountID: demoConsumerID, Username: "analytics-admin", Roles: []string{mesh.RoleAdmin}},
	{AccountID: demoConsumerID, Username: "analytics-member", Roles: []string{mesh.RoleMember}},
}

func demoOwner(pii bool) map[string]string {
	return map[string]string{
		mesh.ParamDataOwner:     demoProducerID,
		mesh.ParamDataOwnerName: demoProducerName,
		mesh.ParamPIIFlag:       fmt.Sprint(pii),
	}
}

var demoDatabases = []mesh.Database{
	{Name: "sales", Description: "Orders and customers of the web shop", LocationURI: "s3://sales-data/", Parameters: demoOwner(true)},
	{Name: "marketing", Description: "Campaigns and their reach", LocationURI: "s3://marketing-data/", Parameters: demoOwner(false)},
}

var demoTables = []mesh.Table{
	{
		DatabaseName: "sales", Name: "orders", Description: "Orders placed in the web shop",
		TableType: "EXTERNAL_TABLE", Location: "s3://sales-data/orders/",
		Parameters: map[string]string{"classification": "parquet"},
		Columns: []mesh.Column{
			{Name: "order_id", Type: "bigint"},
			{Name: "customer_email", Type: "string", Comment: "who ordered", Parameters: map[string]string{mesh.ParamPIIFlag: "true"}},
			{Name: "amount", Type: "decimal(10,2)"},
			{Name: "status", Type: "string"},
		},
		PartitionKeys: []mesh.Column{{Name: "order_date", Type: "date"}},
	},
	{
		DatabaseName: "sales", Name: "customers", Description: "Customer segments by region",
		TableType: "EXTERNAL_TABLE", Location: "s3://sales-data/customers/",
		Parameters: map[string]string{"classification": "parquet"},
		Columns: []mesh.Column{
			{Name: "customer_id", Type: "bigint"},
			{Name: "region", Type: "string"},
			{Name: "segment", Type: "string"},
		},
	},
	{
		DatabaseName: "marketing", Name: "campaigns", Description: "Marketing campaigns and their reach",
		TableType: "EXTERNAL_TABLE", Location: "s3://marketing-data/campaigns/",
		Parameters: map[string]string{"classification": "parquet"},
		Columns: []mesh.Column{
			{Name: "campaign_id", Type: "bigint"},
			{Name: "channel", Type: "string"},
			{Name: "impressions", Type: "bigint"},
			{Name: "start_date", Type: "date"},
		},
	},
}

// demoUser is a seeded user and its temporary password.
type demoUser struct {
	Account, Username, Roles, Password string
}

// seedDemo seeds the demo mesh through the services, as the central
// account's system actor. It runs once, right after the store was
// bootstrapped, logs the users' temporary passwords and writes them to
// dir/demo-users.txt (mode 0600) unless dir is empty (PostgreSQL).
func (s *Server) seedDemo(ctx context.Context, dir string) error {
	ctx = mesh.NewContext(ctx, mesh.SystemActor(s.cfg.CentralAccountID))
	for i := range demoAccounts {
		a := demoAccounts[i]
		if err := s.Accounts.CreateAccount(ctx, &a); err != nil {
			return fmt.Errorf("demo account %s: %w", a.ID, err)
		}
	}
	var users []demoUser
	for _, n := range demoUsers {
		u, password, err := s.Auth.CreateUser(ctx, n)
		if err != nil {
			return fmt.Errorf("demo user %s: %w", n.Username, err)
		}
		users = append(users, demoUser{Account: u.AccountID, Username: u.Username, Roles: strings.Join(u.Roles, ","), Password: password})
	}
	for i := range demoDatabases {
		d := demoDatabases[i]
		if _, err := s.Catalog.CreateDatabase(ctx, &d); err != nil {
			return fmt.Errorf("demo database %s: %w", d.Name, err)
		}
	}
	for i := range demoTables {
		t := demoTables[i]
		if _, err := s.Catalog.CreateTable(ctx, &t); err != nil {
			return fmt.Errorf("demo table %s.%s: %w", t.DatabaseName, t.Name, err)
		}
	}
	if err := s.seedDemoRequests(ctx); err != nil {
		return err
	}
	file := ""
	if dir != "" {
		file = filepath.Join(dir, DemoUsersFile)
		if err := auth.WritePrivateFile(file, []byte(demoUsersText(users))); err != nil {
			return fmt.Errorf("demo: write %s: %w", file, err)
		}
	}
	for _, u := range users {
		s.log.Warn("created a demo user; sign in with this temporary password and change it",
			"account", u.Account, "username", u.Username, "roles", u.Roles, "password", u.Password)
	}
	s.log.Info("seeded the demo mesh: producer 111122223333 Sales (databases sales and marketing), consumer 222233334444 Analytics",
		"users_file", file)
	s.signInAs = demoUsers[0].Username
	return nil
}

// demoUsersText is the content of demo-users.txt.
func demoUsersText(users []demoUser) string {
	var b strings.Builder
	fmt.Fprintf(&b, "meshgate demo users. Each password is temporary: sign in (%s login --endpoint URL --username NAME, as the server's log says) and change it.\n", CLICommand())
	b.WriteString("account        username          roles     password\n")
	for _, u := range users {
		fmt.Fprintf(&b, "%-14s %-17s %-9s %s\n", u.Account, u.Username, u.Roles, u.Password)
	}
	return b.String()
}
