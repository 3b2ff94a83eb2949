package executor

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/time/rate"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestLimiter(perSecond float64) (*Limiter, *fakeClock) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := NewLimiter(perSecond)
	l.now = clock.now
	return l, clock
}

var approx = cmpopts.EquateApprox(0, 1e-9)

// checkRate checks Rate and that the token bucket paces at that rate.
func checkRate(t *testing.T, l *Limiter, want float64, when string) {
	t.Helper()
	if diff := cmp.Diff(want, l.Rate(), approx); diff != "" {
		t.Errorf("%s: Rate (-want +got):\n%s", when, diff)
	}
	if diff := cmp.Diff(rate.Limit(l.Rate()), l.bucket.Limit(), approx); diff != "" {
		t.Errorf("%s: the bucket does not pace at Rate (-rate +bucket):\n%s", when, diff)
	}
}

func TestNewLimiter(t *testing.T) {
	tests := []struct {
		perSecond float64
		wantRate  float64
		wantFloor float64
	}{
		{15, 15 * headroom, 1},
		{0, 15 * headroom, 1},
		{-4, 15 * headroom, 1},
		{100, 100 * headroom, 1},
		{1, headroom, headroom},
		{0.5, 0.5 * headroom, 0.5 * headroom},
	}
	for _, tt := range tests {
		l := NewLimiter(tt.perSecond)
		checkRate(t, l, tt.wantRate, "new")
		if diff := cmp.Diff(tt.wantFloor, l.floor, approx); diff != "" {
			t.Errorf("NewLimiter(%v): floor (-want +got):\n%s", tt.perSecond, diff)
		}
		if l.bucket.Burst() != 1 {
			t.Errorf("NewLimiter(%v): burst %d, want 1 (calls paced evenly)", tt.perSecond, l.bucket.Burst())
		}
		if l.Throttles() != 0 {
			t.Errorf("NewLimiter(%v): Throttles %d, want 0", tt.perSecond, l.Throttles())
		}
	}
}

func TestLimiterThrottledSlowsDownToTheFloor(t *testing.T) {
	tests := []struct {
		perSecond float64
		floor     float64
	}{
		{15, 1},
		{0.5, 0.5 * headroom}, // a quota under one call a second: never below it
	}
	for _, tt := range tests {
		l, clock := newTestLimiter(tt.perSecond)
		want := tt.perSecond * headroom
		for i := 1; i <= 30; i++ {
			clock.advance(decreaseEvery)
			l.Throttled()
			want = max(tt.floor, want*0.8)
			checkRate(t, l, want, "after a 429")
			if l.Rate() < tt.floor {
				t.Fatalf("rate %.4f below the floor %.4f after %d throttles", l.Rate(), tt.floor, i)
			}
			if l.Throttles() != i {
				t.Errorf("Throttles = %d, want %d", l.Throttles(), i)
			}
		}
		checkRate(t, l, tt.floor, "after 30 throttles")
	}
}

func TestLimiterRecoversAfterQuietPeriod(t *testing.T) {
	l, clock := newTestLimiter(20)
	base := 20 * headroom

	l.Succeeded()
	checkRate(t, l, base, "success at the base rate")

	l.Throttled()
	clock.advance(decreaseEvery)
	l.Throttled()
	slow := base * 0.8 * 0.8
	checkRate(t, l, slow, "after two 429s a second apart")

	// Within the quiet period: successes do not speed up.
	for _, d := range []time.Duration{0, 10 * time.Millisecond, recoverAfter / 2, recoverAfter - time.Nanosecond} {
		clock.t = l.lastThrottle.Add(d)
		l.Succeeded()
		checkRate(t, l, slow, "success "+d.String()+" after the last 429")
	}

	// After it: each success climbs by 5% of the base.
	clock.t = l.lastThrottle.Add(recoverAfter)
	l.Succeeded()
	checkRate(t, l, slow+base*0.05, "first success after the quiet period")
	l.Succeeded()
	checkRate(t, l, slow+2*base*0.05, "second success after the quiet period")

	// A new 429 starts the quiet period again.
	clock.advance(decreaseEvery)
	l.Throttled()
	afterThrottle := (slow + 2*base*0.05) * 0.8
	clock.advance(recoverAfter / 2)
	l.Succeeded()
	checkRate(t, l, afterThrottle, "success within the new quiet period")

	// Never above the base (the quota with its headroom), however many successes.
	clock.advance(time.Hour)
	for range 100 {
		l.Succeeded()
		if l.Rate() > base {
			t.Fatalf("rate %.4f above the base %.4f", l.Rate(), base)
		}
	}
	checkRate(t, l, base, "after many successes")
	if l.Throttles() != 3 {
		t.Errorf("Throttles = %d, want 3", l.Throttles())
	}
}

func TestLimiterWaitPacesAndHonoursContext(t *testing.T) {
	l := NewLimiter(1000)
	for range 3 {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatalf("Wait: %v", err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Wait(ctx); err == nil {
		t.Error("Wait with a cancelled context returned nil")
	}
}

func TestLimiterSlowsDownOncePerWindow(t *testing.T) {
	l, clock := newTestLimiter(15)
	base := 15 * headroom
	// A burst of 429s from one window: one slow-down, every one counted.
	for range 5 {
		l.Throttled()
		clock.advance(100 * time.Millisecond)
	}
	checkRate(t, l, base*0.8, "after five 429s within half a second")
	clock.advance(decreaseEvery)
	l.Throttled()
	checkRate(t, l, base*0.8*0.8, "after a 429 in the next window")
	if l.Throttles() != 6 {
		t.Errorf("Throttles = %d, want 6", l.Throttles())
	}
}
