package executor

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrInterrupted is how work stopped by SIGINT or SIGTERM ends: nothing new
// was started after the signal, and what finished was recorded.
var ErrInterrupted = errors.New("interrupted")

// Grace is how long calls already in flight when an apply is interrupted
// may take to finish before they are cancelled.
const Grace = 30 * time.Second

// An apply runs under two signals. The caller's context ends at SIGINT or
// SIGTERM: from then on nothing new starts (no step, no call, no retry, no
// poll). The calls in flight at that moment run under a second context that
// the signal does not cancel, so that their answers arrive and are recorded;
// it ends Grace later. The first travels inside the second as a
// request-scoped value (its Done channel), which the waiting loops (tokens,
// backoffs, polls) and the step loop read; calls are made with the second.

type stopKey struct{}

// graceful returns the context for an apply's work, and its cancel func.
func graceful(parent context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	base := context.WithValue(context.WithoutCancel(parent), stopKey{}, parent.Done())
	ctx, cancel := context.WithCancelCause(base)
	var mu sync.Mutex
	var timer *time.Timer
	stopWatching := context.AfterFunc(parent, func() {
		mu.Lock()
		defer mu.Unlock()
		timer = time.AfterFunc(grace, func() {
			cancel(fmt.Errorf("%w: calls still under way %s after the signal were cancelled", ErrInterrupted, grace))
		})
	})
	return ctx, func() {
		stopWatching()
		mu.Lock()
		if timer != nil {
			timer.Stop()
		}
		mu.Unlock()
		cancel(nil)
	}
}

// stopping returns the channel that closes when the apply is told to stop,
// or nil outside an apply (then the context's own end is the only signal).
func stopping(ctx context.Context) <-chan struct{} {
	ch, _ := ctx.Value(stopKey{}).(<-chan struct{})
	return ch
}

// stopped reports whether nothing new may start.
func stopped(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	select {
	case <-stopping(ctx): // a nil channel never is ready
		return true
	default:
		return false
	}
}

// stopErr is the error of a context that stopped: ErrInterrupted when the
// apply was told to stop, else the context's own.
func stopErr(ctx context.Context) error {
	select {
	case <-stopping(ctx):
		return ErrInterrupted
	default:
	}
	if cause := context.Cause(ctx); errors.Is(cause, ErrInterrupted) {
		return cause
	}
	return ctx.Err()
}

// sleep waits d, or less when the context ends or the apply is told to
// stop; it returns nil only when the whole d passed.
func sleep(ctx context.Context, d time.Duration) error {
	if stopped(ctx) {
		return stopErr(ctx)
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return stopErr(ctx)
	case <-stopping(ctx):
		return ErrInterrupted
	}
}
