package notify

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy says when a failed delivery is tried again: Pre retries
// PreDelay apart, then Backoff retries whose delays grow exponentially from
// MinDelay to MaxDelay, then Post retries PostDelay apart; after that the
// delivery is dead-lettered.
type RetryPolicy struct {
	Pre       int
	PreDelay  time.Duration
	Backoff   int
	MinDelay  time.Duration
	MaxDelay  time.Duration
	Post      int
	PostDelay time.Duration
}

// SNSEmailPolicy is Amazon SNS's delivery policy for email: 2 retries 10 s
// apart, 10 with backoff from 10 s to 600 s, then 38 at 600 s (50 retries,
// about six and a half hours).
var SNSEmailPolicy = RetryPolicy{Pre: 2, PreDelay: 10 * time.Second, Backoff: 10, MinDelay: 10 * time.Second,
	MaxDelay: 600 * time.Second, Post: 38, PostDelay: 600 * time.Second}

// Retries is the number of retries after the first attempt.
func (p RetryPolicy) Retries() int { return p.Pre + p.Backoff + p.Post }

// Next returns the delay before the next attempt of a delivery that has
// failed attempts times (1 after the first attempt), and false when the
// policy has no retry left.
func (p RetryPolicy) Next(attempts int) (time.Duration, bool) {
	r := attempts // the retry about to be scheduled, from 1
	switch {
	case r < 1:
		return 0, true
	case r <= p.Pre:
		return p.PreDelay, true
	case r <= p.Pre+p.Backoff:
		i := r - p.Pre - 1
		if p.Backoff == 1 || p.MinDelay <= 0 {
			return max(p.MinDelay, 0), true
		}
		ratio := float64(p.MaxDelay) / float64(p.MinDelay)
		d := float64(p.MinDelay) * math.Pow(ratio, float64(i)/float64(p.Backoff-1))
		return time.Duration(d).Round(time.Second), true
	case r <= p.Retries():
		return p.PostDelay, true
	}
	return 0, false
}

// String writes the policy in the form ParseRetryPolicy reads.
func (p RetryPolicy) String() string {
	return fmt.Sprintf("%dx%s,%dx%s-%s,%dx%s", p.Pre, p.PreDelay, p.Backoff, p.MinDelay, p.MaxDelay, p.Post, p.PostDelay)
}

// ParseRetryPolicy reads "PRExDELAY,BACKOFFxMIN-MAX,POSTxDELAY", for example
// SNS's email policy "2x10s,10x10s-10m0s,38x10m0s".
func ParseRetryPolicy(s string) (RetryPolicy, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return RetryPolicy{}, fmt.Errorf("retry policy %q: want PRExDELAY,BACKOFFxMIN-MAX,POSTxDELAY", s)
	}
	var p RetryPolicy
	var err error
	phase := func(s string) (int, string, error) {
		n, rest, ok := strings.Cut(s, "x")
		if !ok {
			return 0, "", fmt.Errorf("retry policy phase %q: want COUNTxDELAY", s)
		}
		c, err := strconv.Atoi(n)
		if err != nil || c < 0 {
			return 0, "", fmt.Errorf("retry policy phase %q: bad count", s)
		}
		return c, rest, nil
	}
	dur := func(s string) (time.Duration, error) {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("retry policy delay %q: want a duration such as 10s", s)
		}
		return d, nil
	}
	var rest string
	if p.Pre, rest, err = phase(parts[0]); err != nil {
		return p, err
	}
	if p.PreDelay, err = dur(rest); err != nil {
		return p, err
	}
	if p.Backoff, rest, err = phase(parts[1]); err != nil {
		return p, err
	}
	lo, hi, ok := strings.Cut(rest, "-")
	if !ok {
		return p, fmt.Errorf("retry policy backoff %q: want MIN-MAX", rest)
	}
	if p.MinDelay, err = dur(lo); err != nil {
		return p, err
	}
	if p.MaxDelay, err = dur(hi); err != nil {
		return p, err
	}
	if p.MaxDelay < p.MinDelay {
		return p, fmt.Errorf("retry policy backoff %q: the maximum is below the minimum", rest)
	}
	if p.Post, rest, err = phase(parts[2]); err != nil {
		return p, err
	}
	p.PostDelay, err = dur(rest)
	return p, err
}
