package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

const userColumns = `id, account_id, username, email, roles, must_change_password, created_at, updated_at, last_login_at`

// CreateUser inserts u with its password hash and sets u.ID.
func (tx *Tx) CreateUser(ctx context.Context, u *mesh.User, passwordHash string) error {
	skeleton := mesh.NameSkeleton(u.Username)
	if err := tx.refuseLookalike(ctx, u.Username, skeleton); err != nil {
		return err
	}
	res, err := tx.tx.ExecContext(ctx, `INSERT INTO users
		(account_id, username, email, roles, password_hash, must_change_password, created_at, updated_at, last_login_at, username_skeleton)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.AccountID, u.Username, u.Email, strings.Join(u.Roles, ","), passwordHash, u.MustChangePassword,
		formatTime(u.CreatedAt), formatTime(u.UpdatedAt), nullTimePtr(u.LastLoginAt), skeleton)
	switch {
	case isUniqueViolation(err):
		return mesh.Errorf(mesh.ECONFLICT, "user %q exists already", u.Username)
	case isFKViolation(err):
		return mesh.NotFound("account", u.AccountID)
	case err != nil:
		return fmt.Errorf("insert user %s: %w", u.Username, err)
	}
	u.ID, err = res.LastInsertId()
	return err
}

// FindUserByID returns the user, or ENOTFOUND.
func (tx *Tx) FindUserByID(ctx context.Context, id int64) (*mesh.User, error) {
	u, err := scanUser(tx.tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
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
	u, err := scanUser(tx.tx.QueryRowContext(ctx, `SELECT `+userColumns+`, password_hash FROM users WHERE username = ?`, username), &hash)
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
	if f.AccountID != "" {
		where, args = append(where, "account_id = ?"), append(args, f.AccountID)
	}
	if f.Role != "" {
		where, args = append(where, "(',' || roles || ',') LIKE ?"), append(args, "%,"+f.Role+",%")
	}
	if f.AfterID > 0 {
		where, args = append(where, "id > ?"), append(args, f.AfterID)
	}
	q := `SELECT ` + userColumns + ` FROM users`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id LIMIT ?"
	args = append(args, store.ListLimit(f.Limit))
	rows, err := tx.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find users: %w", err)
	}
	return collect(rows, "scan user", func(r rowScanner) (*mesh.User, error) { return scanUser(r) })
}

// CountUsers returns how many users exist.
func (tx *Tx) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// UpdateUser stores u's mutable fields; ENOTFOUND when missing.
func (tx *Tx) UpdateUser(ctx context.Context, u *mesh.User) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE users SET email = ?, roles = ?, must_change_password = ?, updated_at = ?, last_login_at = ? WHERE id = ?`,
		u.Email, strings.Join(u.Roles, ","), u.MustChangePassword, formatTime(u.UpdatedAt), nullTimePtr(u.LastLoginAt), u.ID)
	if err != nil {
		return fmt.Errorf("update user %d: %w", u.ID, err)
	}
	return affectedOne(res, "user", fmt.Sprint(u.ID))
}

// RecordLogin stamps the user's last sign-in if its password is still passwordHash.
func (tx *Tx) RecordLogin(ctx context.Context, userID int64, at time.Time, passwordHash string) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE users SET last_login_at = ? WHERE id = ? AND (? = '' OR password_hash = ?)`,
		formatTime(at), userID, passwordHash, passwordHash)
	if err != nil {
		return fmt.Errorf("record sign-in of user %d: %w", userID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	if _, err := tx.FindUserByID(ctx, userID); err != nil {
		return err
	}
	return mesh.Errorf(mesh.ECONFLICT, "the password of user %d changed", userID)
}

// SetPassword replaces the user's password hash and must-change flag.
func (tx *Tx) SetPassword(ctx context.Context, userID int64, passwordHash string, mustChange bool, now time.Time) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, must_change_password = ?, updated_at = ? WHERE id = ?`,
		passwordHash, mustChange, formatTime(now), userID)
	if err != nil {
		return fmt.Errorf("set password of user %d: %w", userID, err)
	}
	return affectedOne(res, "user", fmt.Sprint(userID))
}

// DeleteUser removes the user; its sessions and tokens go with it.
func (tx *Tx) DeleteUser(ctx context.Context, id int64) error {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete user %d: %w", id, err)
	}
	return affectedOne(res, "user", fmt.Sprint(id))
}

func scanUser(row rowScanner, extra ...any) (*mesh.User, error) {
	var u mesh.User
	var roles, created, updated string
	var lastLogin sql.NullString
	dest := append([]any{&u.ID, &u.AccountID, &u.Username, &u.Email, &roles, &u.MustChangePassword, &created, &updated, &lastLogin}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	u.Roles = splitRoles(roles)
	var err error
	if u.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if u.UpdatedAt, err = parseTime(updated); err != nil {
		return nil, err
	}
	if u.LastLoginAt, err = parseTimePtr(lastLogin); err != nil {
		return nil, err
	}
	return &u, nil
}

func splitRoles(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// CreateSession inserts s and sets s.ID.
func (tx *Tx) CreateSession(ctx context.Context, s *mesh.Session, hash []byte) error {
	res, err := tx.tx.ExecContext(ctx, `INSERT INTO sessions (user_id, hash, created_at, last_seen_at, expires_at, remote_addr)
		VALUES (?, ?, ?, ?, ?, ?)`, s.UserID, hash, formatTime(s.CreatedAt), formatTime(s.LastSeenAt), formatTime(s.ExpiresAt), s.RemoteAddr)
	if isFKViolation(err) {
		return mesh.NotFound("user", fmt.Sprint(s.UserID))
	}
	if err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	s.ID, err = res.LastInsertId()
	return err
}

// FindSessionByHash returns the session, or ENOTFOUND.
func (tx *Tx) FindSessionByHash(ctx context.Context, hash []byte) (*mesh.Session, error) {
	var s mesh.Session
	var created, seen, expires string
	err := tx.tx.QueryRowContext(ctx, `SELECT id, user_id, created_at, last_seen_at, expires_at, remote_addr FROM sessions WHERE hash = ?`, hash).
		Scan(&s.ID, &s.UserID, &created, &seen, &expires, &s.RemoteAddr)
	if isNoRows(err) {
		return nil, mesh.NotFound("session", "")
	}
	if err != nil {
		return nil, fmt.Errorf("find session: %w", err)
	}
	for _, p := range []struct {
		dst *time.Time
		s   string
	}{{&s.CreatedAt, created}, {&s.LastSeenAt, seen}, {&s.ExpiresAt, expires}} {
		if *p.dst, err = parseTime(p.s); err != nil {
			return nil, fmt.Errorf("session %d: %w", s.ID, err)
		}
	}
	return &s, nil
}

// TouchSession records activity on a session.
func (tx *Tx) TouchSession(ctx context.Context, id int64, seen time.Time) error {
	if _, err := tx.tx.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id = ?`, formatTime(seen), id); err != nil {
		return fmt.Errorf("touch session %d: %w", id, err)
	}
	return nil
}

// DeleteSession removes one session.
func (tx *Tx) DeleteSession(ctx context.Context, id int64) error {
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete session %d: %w", id, err)
	}
	return nil
}

// DeleteUserSessions removes the user's sessions except keepID.
func (tx *Tx) DeleteUserSessions(ctx context.Context, userID, keepID int64) error {
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND id <> ?`, userID, keepID); err != nil {
		return fmt.Errorf("delete sessions of user %d: %w", userID, err)
	}
	return nil
}

// DeleteExpiredSessions removes expired and idle sessions.
func (tx *Tx) DeleteExpiredSessions(ctx context.Context, now, idleBefore time.Time) (int, error) {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at < ?`, formatTime(now), formatTime(idleBefore))
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

const tokenColumns = `t.id, t.user_id, u.username, t.name, t.prefix, t.created_at, t.expires_at, t.last_used_at`

// CreateToken inserts t and sets t.ID.
func (tx *Tx) CreateToken(ctx context.Context, t *mesh.Token, hash []byte) error {
	res, err := tx.tx.ExecContext(ctx, `INSERT INTO api_tokens (user_id, hash, name, prefix, created_at, expires_at, last_used_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, t.UserID, hash, t.Name, t.Prefix, formatTime(t.CreatedAt), nullTimePtr(t.ExpiresAt), nullTimePtr(t.LastUsedAt))
	switch {
	case isFKViolation(err):
		return mesh.NotFound("user", fmt.Sprint(t.UserID))
	case isUniqueViolation(err):
		return mesh.Errorf(mesh.ECONFLICT, "token exists already")
	case err != nil:
		return fmt.Errorf("insert token: %w", err)
	}
	t.ID, err = res.LastInsertId()
	return err
}

// FindTokenByHash returns the token, or ENOTFOUND.
func (tx *Tx) FindTokenByHash(ctx context.Context, hash []byte) (*mesh.Token, error) {
	t, err := scanToken(tx.tx.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ?`, hash))
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
	t, err := scanToken(tx.tx.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = ?`, id))
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
	rows, err := tx.tx.QueryContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.user_id = ? ORDER BY t.id`, userID)
	if err != nil {
		return nil, fmt.Errorf("find tokens: %w", err)
	}
	out, err := collect(rows, "scan token", scanToken)
	if out == nil && err == nil {
		out = []*mesh.Token{} // a user without tokens lists none, not null
	}
	return out, err
}

// TouchToken records a use of the token.
func (tx *Tx) TouchToken(ctx context.Context, id int64, used time.Time) error {
	if _, err := tx.tx.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, formatTime(used), id); err != nil {
		return fmt.Errorf("touch token %d: %w", id, err)
	}
	return nil
}

// DeleteToken revokes the token; ENOTFOUND when missing.
func (tx *Tx) DeleteToken(ctx context.Context, id int64) error {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM api_tokens WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete token %d: %w", id, err)
	}
	return affectedOne(res, "token", fmt.Sprint(id))
}

// DeleteUserTokens revokes every token of the user and returns how many.
func (tx *Tx) DeleteUserTokens(ctx context.Context, userID int64) (int, error) {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM api_tokens WHERE user_id = ?`, userID)
	if err != nil {
		return 0, fmt.Errorf("delete tokens of user %d: %w", userID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete tokens of user %d: %w", userID, err)
	}
	return int(n), nil
}

func scanToken(row rowScanner) (*mesh.Token, error) {
	var t mesh.Token
	var created string
	var expires, used sql.NullString
	if err := row.Scan(&t.ID, &t.UserID, &t.Username, &t.Name, &t.Prefix, &created, &expires, &used); err != nil {
		return nil, err
	}
	var err error
	if t.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if t.ExpiresAt, err = parseTimePtr(expires); err != nil {
		return nil, err
	}
	if t.LastUsedAt, err = parseTimePtr(used); err != nil {
		return nil, err
	}
	return &t, nil
}

// nullTimePtr formats an optional time; nil is NULL.
func nullTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}

func parseTimePtr(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := parseTime(s.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}
