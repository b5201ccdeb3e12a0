package auth

import (
	"math"
	"sync"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
)

// Rate is a token bucket's shape: Burst attempts at once, one more every Every.
type Rate struct {
	Burst int
	Every time.Duration
}

// Limiter is an in-process token-bucket rate limiter keyed by strings (a
// username, a client address). It is safe for concurrent use.
type Limiter struct {
	rate  Rate
	clock mesh.Clock

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// maxBuckets bounds the limiter's memory: beyond it, full buckets are dropped.
const maxBuckets = 10000

// NewLimiter returns a limiter with the given rate and clock.
func NewLimiter(rate Rate, clock mesh.Clock) *Limiter {
	return &Limiter{rate: rate, clock: clock, buckets: map[string]*bucket{}}
}

// refill brings b up to date at now and returns it.
func (l *Limiter) refill(key string, now time.Time) *bucket {
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.prune(now)
		}
		b = &bucket{tokens: float64(l.rate.Burst), at: now}
		l.buckets[key] = b
		return b
	}
	if elapsed := now.Sub(b.at); elapsed > 0 && l.rate.Every > 0 {
		b.tokens = min(float64(l.rate.Burst), b.tokens+float64(elapsed)/float64(l.rate.Every))
	}
	b.at = now
	return b
}

func (l *Limiter) prune(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+float64(now.Sub(b.at))/float64(max(l.rate.Every, 1)) >= float64(l.rate.Burst) {
			delete(l.buckets, k)
		}
	}
}

// Allow takes one token for key and reports whether there was one.
func (l *Limiter) Allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.refill(key, l.clock.Now())
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// minTokens bounds how far Take may overdraw a bucket, so that a long attack
// is forgiven in bounded time once it stops.
const minTokens = -64

// Take takes one token for key even when there is none left, and returns how
// many attempts are now beyond the budget (0 while within it). Callers slow
// such attempts down instead of refusing them.
func (l *Limiter) Take(key string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.refill(key, l.clock.Now())
	b.tokens = max(minTokens, b.tokens-1)
	if b.tokens >= 0 {
		return 0
	}
	return int(math.Ceil(-b.tokens))
}

// Refund gives back a token taken for key (after a successful attempt).
func (l *Limiter) Refund(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.refill(key, l.clock.Now())
	b.tokens = min(float64(l.rate.Burst), b.tokens+1)
}
