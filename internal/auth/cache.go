package auth

import (
	"context"
	"sync"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// tokenCache remembers recently checked API tokens for a few seconds, so
// that a busy client's calls do not each cost a store lookup. Changes made
// through this process (revocation, role changes, deletions, password
// resets, offboarding) empty it at once. With several replicas on
// PostgreSQL, another replica's change empties it when its notification
// arrives (Service.Run), milliseconds after the commit; the TTL bounds the
// staleness when a notification is lost (the listener reconnecting).
type tokenCache struct {
	ttl time.Duration

	mu  sync.Mutex
	gen uint64
	m   map[[32]byte]*tokenEntry
}

type tokenEntry struct {
	actor    mesh.Actor
	tokenID  int64
	expires  *time.Time
	lastUsed *time.Time
	cachedAt time.Time
}

// maxCachedTokens bounds the cache; beyond it, it starts afresh.
const maxCachedTokens = 10000

func newTokenCache(ttl time.Duration) *tokenCache {
	return &tokenCache{ttl: ttl, m: map[[32]byte]*tokenEntry{}}
}

// get returns a copy of the entry for h if it is fresh at now.
func (c *tokenCache) get(h [32]byte, now time.Time) (tokenEntry, bool) {
	if c.ttl <= 0 {
		return tokenEntry{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[h]
	if !ok || now.Sub(e.cachedAt) >= c.ttl || now.Before(e.cachedAt) {
		return tokenEntry{}, false
	}
	return *e, true
}

// generation returns the current generation, read before a store lookup.
func (c *tokenCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put caches e unless the cache was emptied since gen was read: the lookup
// may then have seen what the change removed.
func (c *tokenCache) put(h [32]byte, e *tokenEntry, gen uint64) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if len(c.m) >= maxCachedTokens {
		c.m = map[[32]byte]*tokenEntry{}
	}
	c.m[h] = e
}

// used records a use written to the store.
func (c *tokenCache) used(h [32]byte, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[h]; ok {
		e.lastUsed = &at
	}
}

// clear empties the cache.
func (c *tokenCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.m)
}

// Run keeps the token cache in step with other replicas until ctx ends
// (server.Background): on a store that notifies of changes that end or
// narrow tokens (PostgreSQL's LISTEN/NOTIFY), each notice empties the
// cache. Other stores serve one process, whose changes empty it directly.
func (s *Service) Run(ctx context.Context) error {
	l, ok := store.As[store.AuthListener](s.store)
	if !ok {
		<-ctx.Done()
		return ctx.Err()
	}
	return l.ListenAuth(ctx, func() {
		s.tokens.clear()
		if s.onForget != nil {
			s.onForget()
		}
	})
}
