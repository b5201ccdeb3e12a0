// Package auth holds users, passwords, sessions, API tokens and roles, and
// authenticates HTTP requests.
//
// Secrets never reach the store: passwords are kept as argon2id hashes, and
// session ids and API tokens (256 random bits each) as their SHA-256, so a
// token is checked with one indexed lookup and no slow hash.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// Options tune the service. Zero fields take the documented defaults.
type Options struct {
	// CentralAccountID is the id of the mesh's central account (default "central").
	CentralAccountID string
	// SessionIdle ends a session unused for this long (default 12h).
	SessionIdle time.Duration
	// SessionMax ends a session this long after sign-in, used or not (default 7 days).
	SessionMax time.Duration
	// Argon2 are the password hashing costs (default DefaultArgon2).
	Argon2 Argon2Params
	// LoginPerUserAddr limits failed sign-ins per username from one client
	// address: beyond it that address is refused for that user (default 10,
	// then one more a minute). Other addresses are not.
	LoginPerUserAddr Rate
	// LoginPerAddr limits failed sign-ins per client address, whatever the
	// usernames (default 30, then one more every 10s).
	LoginPerAddr Rate
	// LoginPerUser is how many failed sign-ins a username takes, from any
	// address, before its sign-ins slow down (default 5, one forgiven a
	// minute). A username is never refused for it, so nobody can lock
	// another user out; each attempt beyond it waits LoginDelay, doubled for
	// each further one, up to LoginMaxDelay.
	LoginPerUser Rate
	// LoginDelay is the first slowed sign-in's wait (default 250ms).
	LoginDelay time.Duration
	// LoginMaxDelay bounds the wait (default 2s).
	LoginMaxDelay time.Duration
	// Sleep waits before a slowed sign-in is checked (default a timer that
	// ends early with ctx); tests record the waits instead.
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxHashes bounds concurrent argon2 computations, which cost memory (default 4).
	MaxHashes int
	// TokenCacheTTL is how long a checked API token is remembered (default
	// 5s; negative: never). Changes made through this process take effect at
	// once; another replica's within this time.
	TokenCacheTTL time.Duration
	// SecureCookies marks the session cookie Secure whatever the request
	// came over: the server is published at an https URL, and the proxy in
	// front of it ends TLS, so its requests come without.
	SecureCookies bool
}

func (o *Options) setDefaults() {
	if o.CentralAccountID == "" {
		o.CentralAccountID = "central"
	}
	if o.SessionIdle == 0 {
		o.SessionIdle = 12 * time.Hour
	}
	if o.SessionMax == 0 {
		o.SessionMax = 7 * 24 * time.Hour
	}
	if o.Argon2 == (Argon2Params{}) {
		o.Argon2 = DefaultArgon2
	}
	if o.LoginPerUserAddr == (Rate{}) {
		o.LoginPerUserAddr = Rate{Burst: 10, Every: time.Minute}
	}
	if o.LoginPerAddr == (Rate{}) {
		o.LoginPerAddr = Rate{Burst: 30, Every: 10 * time.Second}
	}
	if o.LoginPerUser == (Rate{}) {
		o.LoginPerUser = Rate{Burst: 5, Every: time.Minute}
	}
	if o.LoginDelay == 0 {
		o.LoginDelay = 250 * time.Millisecond
	}
	if o.LoginMaxDelay == 0 {
		o.LoginMaxDelay = 2 * time.Second
	}
	if o.Sleep == nil {
		o.Sleep = mesh.Sleep
	}
	if o.MaxHashes == 0 {
		o.MaxHashes = 4
	}
	if o.TokenCacheTTL == 0 {
		o.TokenCacheTTL = 5 * time.Second
	}
}

// loginDelay is the wait of a sign-in that is over attempts beyond its
// username's budget: LoginDelay, doubled for each further one, at most LoginMaxDelay.
func (o *Options) loginDelay(over int) time.Duration {
	if over <= 0 {
		return 0
	}
	d := o.LoginDelay
	for i := 1; i < over && d < o.LoginMaxDelay; i++ {
		d *= 2
	}
	return min(d, o.LoginMaxDelay)
}

// CookieName is the session cookie's name.
const CookieName = "meshgate_session"

// TokenPrefix starts every API token meshgate issues, so leaked tokens are
// easy to recognise (secret scanners, logs).
const TokenPrefix = "mgt_"

// touchEvery limits how often a session's or token's last use is written:
// at most once a minute each, so reads do not turn into writes.
const touchEvery = time.Minute

// Service manages users and credentials.
type Service struct {
	store       store.Store
	clock       mesh.Clock
	opts        Options
	perUser     *Limiter // failures per username: slows down
	perUserAddr *Limiter // failures per username and address: refuses
	perAddr     *Limiter // failures per address: refuses
	hashers     chan struct{}
	tokens      *tokenCache
	// onForget, when set, is told each time a notice empties the token cache (tests).
	onForget func()
	// bearer, when set, resolves bearer credentials that are not meshgate
	// API tokens (an identity provider's access tokens); (nil, nil) passes.
	bearer func(ctx context.Context, raw string) (*mesh.Actor, error)
	// userDeleted run in each user deletion's transaction (OnDeleteUser).
	userDeleted []UserDeleteFunc
	// dummyHash is verified for unknown usernames, so that a sign-in takes as
	// long whether or not the user exists.
	dummyHash string
}

// NewService returns the auth service.
func NewService(s store.Store, clock mesh.Clock, opts Options) *Service {
	opts.setDefaults()
	if clock == nil {
		clock = mesh.SystemClock{}
	}
	return &Service{
		store:       s,
		clock:       clock,
		opts:        opts,
		perUser:     NewLimiter(opts.LoginPerUser, clock),
		perUserAddr: NewLimiter(opts.LoginPerUserAddr, clock),
		perAddr:     NewLimiter(opts.LoginPerAddr, clock),
		hashers:     make(chan struct{}, opts.MaxHashes),
		tokens:      newTokenCache(opts.TokenCacheTTL),
		dummyHash:   HashPassword(TemporaryPassword(), opts.Argon2),
	}
}

// SetBearer makes f resolve bearer credentials that are not meshgate API
// tokens (such as an identity provider's JWT access tokens); f returns
// (nil, nil) for credentials it does not recognise. Call it before serving.
func (s *Service) SetBearer(f func(ctx context.Context, raw string) (*mesh.Actor, error)) {
	s.bearer = f
}

// Options returns the service's options with defaults filled in.
func (s *Service) Options() Options { return s.opts }

// hash and verify bound the number of concurrent argon2 computations.
func (s *Service) hash(password string) string {
	s.hashers <- struct{}{}
	defer func() { <-s.hashers }()
	return HashPassword(password, s.opts.Argon2)
}

func (s *Service) verify(password, encoded string) (bool, error) {
	s.hashers <- struct{}{}
	defer func() { <-s.hashers }()
	return VerifyPassword(password, encoded)
}

// newSecret returns 256 random bits, base64url-encoded.
func newSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// secretHash is what the store keeps of a session id or token.
func secretHash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// ForgetTokens empties the token cache; call it after a change that may end
// tokens outside this package (such as offboarding an account).
func (s *Service) ForgetTokens() { s.tokens.clear() }

var errUnauthorized = mesh.Errorf(mesh.EUNAUTHORIZED, "invalid, expired or revoked credentials")

// Authenticate resolves a request's credentials (a bearer API token or the
// session cookie) to an actor (web.Authenticator). It returns (nil, nil)
// without credentials, EUNAUTHORIZED for unknown, expired or revoked ones,
// and EFORBIDDEN for a session whose user must still change a temporary
// password, except on the routes that change it.
func (s *Service) Authenticate(ctx context.Context, r *http.Request) (*mesh.Actor, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, secret, ok := strings.Cut(h, " ")
		secret = strings.TrimSpace(secret)
		if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" {
			return nil, mesh.Errorf(mesh.EUNAUTHORIZED, "the Authorization header must be \"Bearer <token>\"")
		}
		if s.bearer != nil && !strings.HasPrefix(secret, TokenPrefix) {
			if actor, err := s.bearer(ctx, secret); actor != nil || err != nil {
				return actor, err
			}
		}
		return s.AuthenticateToken(ctx, secret)
	}
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	actor, mustChange, err := s.authenticateSession(ctx, c.Value)
	if err != nil {
		return nil, err
	}
	if mustChange && !passwordChangeRoute(r) {
		return nil, ErrPasswordChangeRequired
	}
	return actor, nil
}

// ErrPasswordChangeRequired refuses a session whose user must still change a
// temporary password; the web pages tell it from other refusals to send the
// user to the password page.
var ErrPasswordChangeRequired = mesh.Errorf(mesh.EFORBIDDEN, "change your temporary password first (POST /api/v1/me/password)")

// passwordChangeRoute reports whether r is one of the calls a session with a
// temporary password may make: read itself, change the password, sign out.
func passwordChangeRoute(r *http.Request) bool {
	switch r.Method + " " + r.URL.Path {
	case "GET /api/v1/me", "POST /api/v1/me/password", "POST /api/v1/logout",
		"GET /password", "POST /password", "POST /logout": // the web pages' own

		return true
	}
	return false
}

// AuthenticateToken resolves an API token to an actor; EUNAUTHORIZED when it
// is unknown, revoked or expired. Its last use is recorded at most once a minute.
func (s *Service) AuthenticateToken(ctx context.Context, secret string) (*mesh.Actor, error) {
	if len(secret) > 512 {
		return nil, errUnauthorized
	}
	now := s.clock.Now()
	h := sha256.Sum256([]byte(secret))
	e, ok := s.tokens.get(h, now)
	if !ok {
		gen := s.tokens.generation()
		var tok *mesh.Token
		var user *mesh.User
		err := s.store.View(ctx, func(tx store.Tx) error {
			var err error
			if tok, err = tx.FindTokenByHash(ctx, h[:]); err != nil {
				return err
			}
			user, err = tx.FindUserByID(ctx, tok.UserID)
			return err
		})
		if mesh.IsCode(err, mesh.ENOTFOUND) {
			return nil, errUnauthorized
		}
		if err != nil {
			return nil, fmt.Errorf("authenticate token: %w", err)
		}
		e = tokenEntry{actor: *s.actor(user), tokenID: tok.ID, expires: tok.ExpiresAt, lastUsed: tok.LastUsedAt, cachedAt: now}
		e.actor.TokenID = tok.ID
		s.tokens.put(h, &e, gen)
	}
	if e.expires != nil && !now.Before(*e.expires) {
		return nil, mesh.Errorf(mesh.EUNAUTHORIZED, "the API token has expired")
	}
	if e.lastUsed == nil || now.Sub(*e.lastUsed) >= touchEvery {
		err := s.store.Update(ctx, func(tx store.Tx) error { return tx.TouchToken(ctx, e.tokenID, now) })
		if err != nil {
			return nil, fmt.Errorf("record token use: %w", err)
		}
		s.tokens.used(h, now)
	}
	actor := e.actor
	actor.Roles = append([]string(nil), e.actor.Roles...)
	return &actor, nil
}

func (s *Service) authenticateSession(ctx context.Context, secret string) (*mesh.Actor, bool, error) {
	if len(secret) > 128 {
		return nil, false, errUnauthorized
	}
	now := s.clock.Now()
	var sess *mesh.Session
	var user *mesh.User
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		if sess, err = tx.FindSessionByHash(ctx, secretHash(secret)); err != nil {
			return err
		}
		user, err = tx.FindUserByID(ctx, sess.UserID)
		return err
	})
	if mesh.IsCode(err, mesh.ENOTFOUND) {
		return nil, false, errUnauthorized
	}
	if err != nil {
		return nil, false, fmt.Errorf("authenticate session: %w", err)
	}
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) >= s.opts.SessionIdle {
		s.store.Update(ctx, func(tx store.Tx) error { return tx.DeleteSession(ctx, sess.ID) })
		return nil, false, mesh.Errorf(mesh.EUNAUTHORIZED, "the session has expired; sign in again")
	}
	if now.Sub(sess.LastSeenAt) >= touchEvery {
		if err := s.store.Update(ctx, func(tx store.Tx) error { return tx.TouchSession(ctx, sess.ID, now) }); err != nil {
			return nil, false, fmt.Errorf("record session use: %w", err)
		}
	}
	actor := s.actor(user)
	actor.SessionID = sess.ID
	return actor, user.MustChangePassword, nil
}

func (s *Service) actor(u *mesh.User) *mesh.Actor {
	return &mesh.Actor{UserID: u.ID, Username: u.Username, AccountID: u.AccountID, Roles: u.Roles, CentralAccountID: s.opts.CentralAccountID}
}

// canManageUsersOf reports whether actor may manage the users of accountID:
// mesh admins any account's, an account's admins their own.
func canManageUsersOf(actor *mesh.Actor, accountID string) bool {
	return actor.IsMeshAdmin() || actor.IsAdminOf(accountID)
}
