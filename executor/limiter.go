package executor

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter is a token bucket that every worker takes from before a Lambda
// call of one quota (see Quotas: the 15/s control-plane bucket, GetFunction's
// 100/s): the quota is per account and region, whatever the number of
// workers. It slows down when AWS answers 429 and climbs back to the
// configured rate after a quiet spell, as TCP does with congestion.
type Limiter struct {
	mu           sync.Mutex
	bucket       *rate.Limiter
	base         float64
	current      float64
	floor        float64
	lastThrottle time.Time
	lastDecrease time.Time
	throttles    int
	now          func() time.Time
}

// recoverAfter is how long after the last 429 the rate starts climbing again.
const recoverAfter = time.Second

// decreaseEvery spaces the slow-downs: the 429s that arrive within a second
// of one are answers to calls sent at the old rate, in the same one-second
// window of the quota, and slowing down for each of them again would
// collapse the rate (as TCP reduces its window once per round trip, not
// once per lost packet).
const decreaseEvery = time.Second

// headroom keeps the pace a little under the quota. Calls paced exactly at
// the quota put the 1st and the 16th call exactly one second apart, so a
// millisecond of jitter on the way makes AWS count 16 in a second and
// answer 429; 5% under leaves 50 ms of slack per second. (3% left 30 ms: on
// this project's 2 shared cores, 100 releases at 15/s then met 0 to 5 429s
// from scheduling jitter, 1.07 to 1.18 times the floor; at 5%, 0 and
// 1.10 to 1.12: BENCHMARKS.md.)
const headroom = 0.95

// NewLimiter returns a limiter for a quota of perSecond calls per second.
// Its burst is one call: calls are paced evenly, so no one-second window
// sees more than the quota even when all workers start at once.
func NewLimiter(perSecond float64) *Limiter {
	if perSecond <= 0 {
		perSecond = 15
	}
	perSecond *= headroom
	return &Limiter{bucket: rate.NewLimiter(rate.Limit(perSecond), 1), base: perSecond, current: perSecond, floor: minFloat(1, perSecond), now: time.Now}
}

// Wait blocks until the next call may go. It gives up, and gives its place
// back, when the context ends or the apply is told to stop.
func (l *Limiter) Wait(ctx context.Context) error {
	if stopped(ctx) {
		return stopErr(ctx)
	}
	r := l.bucket.Reserve() // burst 1, one token: always possible
	if err := sleep(ctx, r.Delay()); err != nil {
		r.Cancel()
		return err
	}
	return nil
}

// Throttled is called on a 429: slow down by a fifth, at most once a
// second (decreaseEvery). Gentler than halving:
// with a ceiling at the configured rate, a 429 most often means two calls
// bunched up on the way, not that the rate is far too high.
func (l *Limiter) Throttled() {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.throttles++
	l.lastThrottle = now
	if !l.lastDecrease.IsZero() && now.Sub(l.lastDecrease) < decreaseEvery {
		return // the same window's answer: slowed down for it already
	}
	l.lastDecrease = now
	l.current = maxFloat(l.floor, l.current*0.8)
	l.bucket.SetLimit(rate.Limit(l.current))
}

// Succeeded is called after a call that was not throttled: once AWS has been
// quiet for a while, climb back towards the configured rate.
func (l *Limiter) Succeeded() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.current >= l.base || l.now().Sub(l.lastThrottle) < recoverAfter {
		return
	}
	l.current = minFloat(l.base, l.current+l.base*0.05)
	l.bucket.SetLimit(rate.Limit(l.current))
}

// Rate is the current rate, for reports.
func (l *Limiter) Rate() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.current
}

// Throttles counts the 429 answers seen.
func (l *Limiter) Throttles() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.throttles
}

func minFloat(a, b float64) float64 {
	if a < b {
		return a
	}
	return b
}

func maxFloat(a, b float64) float64 {
	if a > b {
		return a
	}
	return b
}
