package auth

import (
	"context"
	"net/http"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// Login is a sign-in's result. Secret is the session id for the cookie,
// shown only here.
type Login struct {
	User    *mesh.User
	Session *mesh.Session
	Secret  string
}

// Credentials are a sign-in attempt and where it came from.
type Credentials struct {
	Username   string
	Password   string
	RemoteAddr string
	RequestID  string
}

// Login checks a username and password and starts a session. A wrong
// password and an unknown user are answered alike. Failed attempts are
// limited per username and address and per address (ERATELIMIT beyond
// them, for that address only); a username that many addresses got wrong
// answers more slowly (Options.LoginPerUser), but is never locked, so its
// rightful user still signs in from elsewhere.
// Errors: EINVALID, EUNAUTHORIZED, ERATELIMIT, EFORBIDDEN (password sign-in
// is switched off).
func (s *Service) Login(ctx context.Context, c Credentials) (*Login, error) {
	username, password, remoteAddr := c.Username, c.Password, c.RemoteAddr
	if username == "" {
		return nil, mesh.Invalid("username", "is required")
	}
	if password == "" {
		return nil, mesh.Invalid("password", "is required")
	}
	// a name no user can have (too long, NUL, not UTF-8) is a wrong name:
	// the stores are not asked, and PostgreSQL would refuse the text
	if len(username) > mesh.MaxUsernameLen || len(password) > MaxPasswordLen || mesh.CheckText("username", username) != nil {
		return nil, mesh.Errorf(mesh.EUNAUTHORIZED, "invalid username or password")
	}
	if on, err := s.PasswordSignIn(ctx); err != nil {
		return nil, err
	} else if !on {
		return nil, mesh.Errorf(mesh.EFORBIDDEN, "password sign-in is switched off; sign in through your organization's identity provider")
	}
	pair := username + "\x00" + remoteAddr
	if !s.perAddr.Allow(remoteAddr) {
		return nil, mesh.Errorf(mesh.ERATELIMIT, "too many failed sign-ins from %s; try again later", remoteAddr)
	}
	if !s.perUserAddr.Allow(pair) {
		s.perAddr.Refund(remoteAddr)
		return nil, mesh.Errorf(mesh.ERATELIMIT, "too many failed sign-ins for %s from %s; try again later", username, remoteAddr)
	}
	// The wait comes before the check, whatever its outcome: an answer that
	// came sooner when the password is right would tell it.
	if d := s.opts.loginDelay(s.perUser.Take(username)); d > 0 {
		if err := s.opts.Sleep(ctx, d); err != nil {
			return nil, err
		}
	}
	var user *mesh.User
	var hash string
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		user, hash, err = tx.FindUserByUsername(ctx, username)
		return err
	})
	if mesh.IsCode(err, mesh.ENOTFOUND) {
		s.verify(password, s.dummyHash)
		return nil, mesh.Errorf(mesh.EUNAUTHORIZED, "invalid username or password")
	}
	if err != nil {
		return nil, err
	}
	ok, err := s.verify(password, hash)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, mesh.Errorf(mesh.EUNAUTHORIZED, "invalid username or password")
	}
	s.perAddr.Refund(remoteAddr)
	s.perUserAddr.Refund(pair)
	s.perUser.Refund(username)

	now := s.clock.Now()
	secret := newSecret()
	sess := &mesh.Session{UserID: user.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.opts.SessionMax), RemoteAddr: remoteAddr}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		// The password checked above must still be the user's: a reset or
		// change that came meanwhile ended its sessions, and this one must
		// not outlive it. The stamp holds the user's row until the commit,
		// so a change that comes later waits and then ends this session.
		err := tx.RecordLogin(ctx, user.ID, now, hash)
		if mesh.IsCode(err, mesh.ECONFLICT) || mesh.IsCode(err, mesh.ENOTFOUND) {
			return mesh.Errorf(mesh.EUNAUTHORIZED, "invalid username or password")
		}
		if err != nil {
			return err
		}
		// roles and the must-change flag as they are now
		if user, err = tx.FindUserByID(ctx, user.ID); err != nil {
			return err
		}
		actx := s.actorContext(ctx, user, remoteAddr, c.RequestID)
		if err := tx.CreateSession(actx, sess, secretHash(secret)); err != nil {
			return err
		}
		return store.Audit(actx, tx, now, "auth.login", userResource(user), "")
	})
	if err != nil {
		return nil, err
	}
	return &Login{User: user, Session: sess, Secret: secret}, nil
}

// Logout ends the actor's session. A call made with an API token ends nothing.
// Errors: EUNAUTHORIZED.
func (s *Service) Logout(ctx context.Context) error {
	actor, err := mesh.RequireActor(ctx)
	if err != nil {
		return err
	}
	if actor.SessionID == 0 {
		return nil
	}
	now := s.clock.Now()
	return s.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.DeleteSession(ctx, actor.SessionID); err != nil {
			return err
		}
		return store.Audit(ctx, tx, now, "auth.logout", "user/"+actor.AccountID+"/"+actor.Username, "")
	})
}

// SessionCookie returns the cookie carrying a new session: HttpOnly,
// SameSite=Lax, Secure as CookieSecure says.
func (s *Service) SessionCookie(r *http.Request, l *Login) *http.Cookie {
	return &http.Cookie{
		Name: CookieName, Value: l.Secret, Path: "/",
		Expires: l.Session.ExpiresAt, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.CookieSecure(r),
	}
}

// ClearCookie returns a cookie that removes the session cookie.
func (s *Service) ClearCookie(r *http.Request) *http.Cookie {
	return &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.CookieSecure(r)}
}

// CookieSecure reports whether the cookies of sign-in go only over https:
// when the server is published at an https URL (Options.SecureCookies) or
// the request came over TLS.
func (s *Service) CookieSecure(r *http.Request) bool { return s.opts.SecureCookies || r.TLS != nil }

// ChangePassword replaces the actor's password after checking the current
// one, clears the must-change flag and ends the user's other sessions.
// Errors: EINVALID, EUNAUTHORIZED (wrong current password), ERATELIMIT.
func (s *Service) ChangePassword(ctx context.Context, current, next string) error {
	actor, err := mesh.RequireActor(ctx)
	if err != nil {
		return err
	}
	switch {
	case current == "":
		return mesh.Invalid("current_password", "is required")
	case len(next) < MinPasswordLen:
		return mesh.Invalid("new_password", "must be at least %d characters", MinPasswordLen)
	case len(next) > MaxPasswordLen:
		return mesh.Invalid("new_password", "must be at most %d characters", MaxPasswordLen)
	case next == current:
		return mesh.Invalid("new_password", "must differ from the current password")
	}
	// Guessing the current password with a stolen session is a sign-in
	// attempt from the thief's address.
	pair := actor.Username + "\x00" + actor.RemoteAddr
	if !s.perUserAddr.Allow(pair) {
		return mesh.Errorf(mesh.ERATELIMIT, "too many password attempts; try again later")
	}
	var hash string
	err = s.store.View(ctx, func(tx store.Tx) error {
		_, hash, err = tx.FindUserByUsername(ctx, actor.Username)
		return err
	})
	if err != nil {
		return err
	}
	ok, err := s.verify(current, hash)
	if err != nil {
		return err
	}
	if !ok {
		return mesh.Errorf(mesh.EUNAUTHORIZED, "the current password is wrong")
	}
	s.perUserAddr.Refund(pair)
	newHash := s.hash(next)
	now := s.clock.Now()
	return s.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.SetPassword(ctx, actor.UserID, newHash, false, now); err != nil {
			return err
		}
		if err := tx.DeleteUserSessions(ctx, actor.UserID, actor.SessionID); err != nil {
			return err
		}
		return store.Audit(ctx, tx, now, "user.change-password", "user/"+actor.AccountID+"/"+actor.Username, "")
	})
}
