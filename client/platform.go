package client

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// PlatformInput registers a data platform. The DSN holds no password: it is
// read by the server from PasswordEnv or PasswordFile.
type PlatformInput struct {
	Name         string            `json:"name"`
	Kind         string            `json:"kind"`
	DSN          string            `json:"dsn"`
	PasswordEnv  string            `json:"password_env,omitempty"`
	PasswordFile string            `json:"password_file,omitempty"`
	AccountID    string            `json:"account_id"`
	Schemas      []string          `json:"schemas"`
	Roles        map[string]string `json:"roles,omitempty"`
	CreateRoles  *bool             `json:"create_roles,omitempty"`
}

// Platform is a registered data platform.
type Platform struct {
	Name        string            `json:"name"`
	Kind        string            `json:"kind"`
	DSN         string            `json:"dsn"`
	PasswordRef string            `json:"password_ref,omitempty"`
	AccountID   string            `json:"account_id"`
	Schemas     []string          `json:"schemas,omitempty"`
	RoleMode    string            `json:"role_mode"`
	Roles       map[string]string `json:"roles,omitempty"`
	CreateRoles bool              `json:"create_roles"`
	Pending     int               `json:"pending"`
}

// SyncReport says what a platform sync added, changed and dropped, and
// what the catalog refused.
type SyncReport struct {
	Platform    string   `json:"platform"`
	Added       []string `json:"added"`
	Changed     []string `json:"changed"`
	Dropped     []string `json:"dropped"`
	EndedGrants []string `json:"ended_grants"`
	Refused     []string `json:"refused"`
}

// Repair is what reconciling one database of a platform found and ran.
type Repair struct {
	Database   string   `json:"database"`
	Found      int      `json:"found"`
	Statements []string `json:"statements"`
	Error      string   `json:"error,omitempty"`
}

// ReconcileReport is what reconciling a platform found and repaired.
type ReconcileReport struct {
	Platform  string   `json:"platform"`
	Databases []Repair `json:"databases"`
}

// PlanInput is a proposed grant or, with Revoke, revocation.
type PlanInput struct {
	Principal   string   `json:"principal"`
	Resource    Resource `json:"resource"`
	Permissions []string `json:"permissions"`
	Revoke      bool     `json:"revoke,omitempty"`
}

// PlanEntry is what one platform would run.
type PlanEntry struct {
	Platform   string   `json:"platform"`
	Kind       string   `json:"kind"`
	Statements []string `json:"statements"`
	// Note says what the apply reports rather than runs (what reaches the
	// imported tables through a role meshgate does not end it for), and
	// what the plan could not learn from the platform when it did not
	// answer in time: whether the role exists, and what the apply ends or
	// reports beyond the statements.
	Note string `json:"note,omitempty"`
}

// PlatformGrantStatus is a grant's state on a platform: pending, in_force or failed.
type PlatformGrantStatus struct {
	GrantID   int64     `json:"grant_id"`
	Platform  string    `json:"platform"`
	State     string    `json:"state"`
	Error     string    `json:"error,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

func platformPath(name string, rest string) string {
	return "/api/v1/platforms/" + url.PathEscape(name) + rest
}

// RegisterPlatform registers a data platform after checking its connection.
func (c *Client) RegisterPlatform(ctx context.Context, in PlatformInput) (*Platform, error) {
	var p Platform
	return &p, c.Do(ctx, http.MethodPost, "/api/v1/platforms", nil, in, &p)
}

// Platforms lists the registered platforms.
func (c *Client) Platforms(ctx context.Context) ([]Platform, error) {
	var out struct {
		Platforms []Platform `json:"platforms"`
	}
	return out.Platforms, c.Do(ctx, http.MethodGet, "/api/v1/platforms", nil, nil, &out)
}

// Platform returns one platform.
func (c *Client) Platform(ctx context.Context, name string) (*Platform, error) {
	var p Platform
	return &p, c.Do(ctx, http.MethodGet, platformPath(name, ""), nil, nil, &p)
}

// RemovePlatform unregisters a platform.
func (c *Client) RemovePlatform(ctx context.Context, name string) error {
	return c.Do(ctx, http.MethodDelete, platformPath(name, ""), nil, nil, nil)
}

// SyncPlatform imports the platform's schemas into the catalog.
func (c *Client) SyncPlatform(ctx context.Context, name string) (*SyncReport, error) {
	var r SyncReport
	return &r, c.Do(ctx, http.MethodPost, platformPath(name, "/sync"), nil, nil, &r)
}

// ReconcilePlatform repairs the platform's drift from meshgate's grants.
func (c *Client) ReconcilePlatform(ctx context.Context, name string) (*ReconcileReport, error) {
	var r ReconcileReport
	return &r, c.Do(ctx, http.MethodPost, platformPath(name, "/reconcile"), nil, nil, &r)
}

// PlatformGrants returns the grants' states on a platform.
func (c *Client) PlatformGrants(ctx context.Context, name string) ([]PlatformGrantStatus, error) {
	var out struct {
		Grants []PlatformGrantStatus `json:"grants"`
	}
	return out.Grants, c.Do(ctx, http.MethodGet, platformPath(name, "/grants"), nil, nil, &out)
}

// PlanPlatforms returns the statements each platform would run for a proposed grant or revoke.
func (c *Client) PlanPlatforms(ctx context.Context, in PlanInput) ([]PlanEntry, error) {
	var out struct {
		Platforms []PlanEntry `json:"platforms"`
	}
	return out.Platforms, c.Do(ctx, http.MethodPost, "/api/v1/platforms/plan", nil, in, &out)
}
