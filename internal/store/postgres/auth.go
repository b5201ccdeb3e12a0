package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

const userColumns = `id, account_id, username, email, roles, must_change_password, created_at, updated_at, last_login_at`

// CreateUser inserts u with its password hash and sets u.ID.
func (tx *Tx) CreateUser(ctx context.Context, u *mesh.User, passwordHash string) error {
	// The account is checked first: a foreign key violation would abort the transaction.
	var exists bool
	if err := tx.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1)`, u.AccountID).Scan(&exists); err != nil {
		return fmt.Errorf("insert user %s: %w", u.Username, err)
	}
	if !exists {
		return mesh.NotFound("account", u.AccountID)
	}
	skeleton := mesh.NameSkeleton(u.Username)
	if err := tx.refuseLookalike(ctx, u.Username, skeleton); err != nil {
		return err
	}
	err := tx.tx.QueryRow(ctx, `INSERT INTO users
		(account_id, username, email, roles, password_hash, must_change_password, created_at, updated_at, last_login_at, username_skeleton)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (username) DO NOTHING RETURNING id`,
		u.AccountID, u.Username, u.Email, strings.Join(u.Roles, ","), passwordHash, u.MustChangePassword,
		u.CreatedAt, u.UpdatedAt, u.LastLoginAt, skeleton).Scan(&u.ID)
	if isNoRows(err) {
		return mesh.Errorf(mesh.ECONFLICT, "user %q exists already", u.Username)
	}
	if err != nil {
		return fmt.Errorf("insert user %s: %w", u.Username, err)
	}
	return nil
}

// FindUserByID returns the user, or ENOTFOUND.
func (tx *Tx) FindUserByID(ctx context.Context, id int64) (*mesh.User, error) {
	u, err := scanUser(tx.tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if isNoRows(err) {
		return nil, mesh.NotFound("user", fmt.Sprint(id))
	}
	if err != nil {
		return nil, fmt.Errorf("find user %d: %w", id, err)
	}
	return u, nil
}

// FindUserByUsername returns the user and its password hash, or ENOTFOUND.
func (tx *Tx) FindUserByUsername(ctx context.Context, username string) (*mesh.User, string, error) {
	if u, hash, ok := tx.Memo().User(username); ok {
		return u, hash, nil
	}
	var hash string
	u, err := scanUser(tx.tx.QueryRow(ctx, `SELECT `+userColumns+`, password_hash FROM users WHERE username = $1`, username), &hash)
	if isNoRows(err) {
		return nil, "", mesh.NotFound("user", username)
	}
	if err != nil {
		return nil, "", fmt.Errorf("find user %s: %w", username, err)
	}
	tx.Memo().PutUser(u, hash)
	return u, hash, nil
}

// FindUsers returns users matching f ordered by id.
func (tx *Tx) FindUsers(ctx context.Context, f store.UserFilter) ([]*mesh.User, error) {
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if f.AccountID != "" {
		where = append(where, "account_id = "+arg(f.AccountID))
	}
	if f.Role != "" {
		where = append(where, arg(f.Role)+" = ANY (string_to_array(roles, ','))")
	}
	if f.AfterID > 0 {
		where = append(where, "id > "+arg(f.AfterID))
	}
	q := `SELECT ` + userColumns + ` FROM users`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id LIMIT " + arg(store.ListLimit(f.Limit))
	rows, err := tx.tx.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find users: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*mesh.User, error) { return scanUser(row) })
	if err != nil {
		return nil, fmt.Errorf("find users: %w", err)
	}
	return out, nil
}

// CountUsers returns how many users exist.
func (tx *Tx) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := tx.tx.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// UpdateUser stores u's mutable fields; ENOTFOUND when missing.
func (tx *Tx) UpdateUser(ctx context.Context, u *mesh.User) error {
	tag, err := tx.tx.Exec(ctx, `UPDATE users SET email = $1, roles = $2, must_change_password = $3, updated_at = $4, last_login_at = $5 WHERE id = $6`,
		u.Email, strings.Join(u.Roles, ","), u.MustChangePassword, u.UpdatedAt, u.LastLoginAt, u.ID)
	if err != nil {
		return fmt.Errorf("update user %d: %w", u.ID, err)
	}
	return affectedOne(tag, "user", fmt.Sprint(u.ID))
}

// RecordLogin stamps the user's last sign-in if its password is still
// passwordHash; the update locks the row until the transaction ends.
func (tx *Tx) RecordLogin(ctx context.Context, userID int64, at time.Time, passwordHash string) error {
	tag, err := tx.tx.Exec(ctx, `UPDATE users SET last_login_at = $1 WHERE id = $2 AND ($3 = '' OR password_hash = $3)`,
		at, userID, passwordHash)
	if err != nil {
		return fmt.Errorf("record sign-in of user %d: %w", userID, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	if _, err := tx.FindUserByID(ctx, userID); err != nil {
		return err
	}
	return mesh.Errorf(mesh.ECONFLICT, "the password of user %d changed", userID)
}

// SetPassword replaces the user's password hash and must-change flag.
func (tx *Tx) SetPassword(ctx context.Context, userID int64, passwordHash string, mustChange bool, now time.Time) error {
	tag, err := tx.tx.Exec(ctx, `UPDATE users SET password_hash = $1, must_change_password = $2, updated_at = $3 WHERE id = $4`,
		passwordHash, mustChange, now, userID)
	if err != nil {
		return fmt.Errorf("set password of user %d: %w", userID, err)
	}
	return affectedOne(tag, "user", fmt.Sprint(userID))
}

// DeleteUser removes the user; its sessions and tokens go with it.
func (tx *Tx) DeleteUser(ctx context.Context, id int64) error {
	tag, err := tx.tx.Exec(ctx, `DELETE FROM users WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete user %d: %w", id, err)
	}
	return affectedOne(tag, "user", fmt.Sprint(id))
}

func scanUser(row pgx.Row, extra ...any) (*mesh.User, error) {
	var u mesh.User
	var roles string
	dest := append([]any{&u.ID, &u.AccountID, &u.Username, &u.Email, &roles, &u.MustChangePassword, &u.CreatedAt, &u.UpdatedAt, &u.LastLoginAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	u.Roles = []string{}
	if roles != "" {
		u.Roles = strings.Split(roles, ",")
	}
	u.CreatedAt, u.UpdatedAt, u.LastLoginAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC(), utcPtr(u.LastLoginAt)
	return &u, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// CreateSession inserts s and sets s.ID.
func (tx *Tx) CreateSession(ctx context.Context, s *mesh.Session, hash []byte) error {
	// Inserting only for an existing user keeps the transaction usable (a
	// foreign key violation would abort it).
	err := tx.tx.QueryRow(ctx, `INSERT INTO sessions (user_id, hash, created_at, last_seen_at, expires_at, remote_addr)
		SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM users WHERE id = $1) RETURNING id`,
		s.UserID, hash, s.CreatedAt, s.LastSeenAt, s.ExpiresAt, s.RemoteAddr).Scan(&s.ID)
	if isNoRows(err) {
		return mesh.NotFound("user", fmt.Sprint(s.UserID))
	}
	if err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	return nil
}

// FindSessionByHash returns the session, or ENOTFOUND.
func (tx *Tx) FindSessionByHash(ctx context.Context, hash []byte) (*mesh.Session, error) {
	var s mesh.Session
	err := tx.tx.QueryRow(ctx, `SELECT id, user_id, created_at, last_seen_at, expires_at, remote_addr FROM sessions WHERE hash = $1`, hash).
		Scan(&s.ID, &s.UserID, &s.CreatedAt, &s.LastSeenAt, &s.ExpiresAt, &s.RemoteAddr)
	if isNoRows(err) {
		return nil, mesh.NotFound("session", "")
	}
	if err != nil {
		return nil, fmt.Errorf("find session: %w", err)
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = s.CreatedAt.UTC(), s.LastSeenAt.UTC(), s.ExpiresAt.UTC()
	return &s, nil
}

// TouchSession records activity on a session.
func (tx *Tx) TouchSession(ctx context.Context, id int64, seen time.Time) error {
	if _, err := tx.tx.Exec(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE id = $2`, seen, id); err != nil {
		return fmt.Errorf("touch session %d: %w", id, err)
	}
	return nil
}

// DeleteSession removes one session.
func (tx *Tx) DeleteSession(ctx context.Context, id int64) error {
	if _, err := tx.tx.Exec(ctx, `DELETE FROM sessions WHERE id = $1`, id); err != nil {
		return fmt.Errorf("delete session %d: %w", id, err)
	}
	return nil
}

// DeleteUserSessions removes the user's sessions except keepID.
func (tx *Tx) DeleteUserSessions(ctx context.Context, userID, keepID int64) error {
	if _, err := tx.tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id <> $2`, userID, keepID); err != nil {
		return fmt.Errorf("delete sessions of user %d: %w", userID, err)
	}
	return nil
}

// DeleteExpiredSessions removes expired and idle sessions.
func (tx *Tx) DeleteExpiredSessions(ctx context.Context, now, idleBefore time.Time) (int, error) {
	tag, err := tx.tx.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2`, now, idleBefore)
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

const tokenColumns = `t.id, t.user_id, u.username, t.name, t.prefix, t.created_at, t.expires_at, t.last_used_at`

// CreateToken inserts t and sets t.ID.
func (tx *Tx) CreateToken(ctx context.Context, t *mesh.Token, hash []byte) error {
	var exists bool
	if err := tx.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)`, t.UserID).Scan(&exists); err != nil {
		return fmt.Errorf("insert token: %w", err)
	}
	if !exists {
		return mesh.NotFound("user", fmt.Sprint(t.UserID))
	}
	err := tx.tx.QueryRow(ctx, `INSERT INTO api_tokens (user_id, hash, name, prefix, created_at, expires_at, last_used_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (hash) DO NOTHING RETURNING id`,
		t.UserID, hash, t.Name, t.Prefix, t.CreatedAt, t.ExpiresAt, t.LastUsedAt).Scan(&t.ID)
	switch {
	case isNoRows(err):
		return mesh.Errorf(mesh.ECONFLICT, "token exists already")
	case err != nil:
		return fmt.Errorf("insert token: %w", err)
	}
	return nil
}

// FindTokenByHash returns the token, or ENOTFOUND.
func (tx *Tx) FindTokenByHash(ctx context.Context, hash []byte) (*mesh.Token, error) {
	t, err := scanToken(tx.tx.QueryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = $1`, hash))
	if isNoRows(err) {
		return nil, mesh.NotFound("token", "")
	}
	if err != nil {
		return nil, fmt.Errorf("find token: %w", err)
	}
	return t, nil
}

// FindTokenByID returns the token, or ENOTFOUND.
func (tx *Tx) FindTokenByID(ctx context.Context, id int64) (*mesh.Token, error) {
	t, err := scanToken(tx.tx.QueryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1`, id))
	if isNoRows(err) {
		return nil, mesh.NotFound("token", fmt.Sprint(id))
	}
	if err != nil {
		return nil, fmt.Errorf("find token %d: %w", id, err)
	}
	return t, nil
}

// FindTokens returns the user's tokens ordered by id.
func (tx *Tx) FindTokens(ctx context.Context, userID int64) ([]*mesh.Token, error) {
	rows, err := tx.tx.Query(ctx, `SELECT `+tokenColumns+` FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.user_id = $1 ORDER BY t.id`, userID)
	if err != nil {
		return nil, fmt.Errorf("find tokens: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*mesh.Token, error) { return scanToken(row) })
	if err != nil {
		return nil, fmt.Errorf("find tokens: %w", err)
	}
	if out == nil {
		out = []*mesh.Token{}
	}
	return out, nil
}

// TouchToken records a use of the token.
func (tx *Tx) TouchToken(ctx context.Context, id int64, used time.Time) error {
	if _, err := tx.tx.Exec(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, used, id); err != nil {
		return fmt.Errorf("touch token %d: %w", id, err)
	}
	return nil
}

// DeleteToken revokes the token; ENOTFOUND when missing.
func (tx *Tx) DeleteToken(ctx context.Context, id int64) error {
	tag, err := tx.tx.Exec(ctx, `DELETE FROM api_tokens WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete token %d: %w", id, err)
	}
	return affectedOne(tag, "token", fmt.Sprint(id))
}

// DeleteUserTokens revokes every token of the user and returns how many.
func (tx *Tx) DeleteUserTokens(ctx context.Context, userID int64) (int, error) {
	tag, err := tx.tx.Exec(ctx, `DELETE FROM api_tokens WHERE user_id = $1`, userID)
	if err != nil {
		return 0, fmt.Errorf("delete tokens of user %d: %w", userID, err)
	}
	return int(tag.RowsAffected()), nil
}

func scanToken(row pgx.Row) (*mesh.Token, error) {
	var t mesh.Token
	if err := row.Scan(&t.ID, &t.UserID, &t.Username, &t.Name, &t.Prefix, &t.CreatedAt, &t.ExpiresAt, &t.LastUsedAt); err != nil {
		return nil, err
	}
	t.CreatedAt, t.ExpiresAt, t.LastUsedAt = t.CreatedAt.UTC(), utcPtr(t.ExpiresAt), utcPtr(t.LastUsedAt)
	return &t, nil
}
