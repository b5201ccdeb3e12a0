package auth

import (
	"sync"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
)

// tokenCache remembers recently checked API tokens for a few seconds, so
// that a busy client's calls do not each cost a store lookup. Changes made
// through this process (revocation, role changes, deletions, offboarding)
// empty it at once; with several replicas, another replica's change takes
// effect here within the cache's TTL.
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
