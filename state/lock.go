package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// FunctionLocker takes a lock per function, so that applies of disjoint
// sets of functions (the shards of a CI matrix) run at the same time, and
// two applies that touch one function do not.
type FunctionLocker interface {
	// LockFunctions takes the lock of every label, in sorted order (so two
	// runs never wait for each other in a circle), waiting up to wait for a
	// lock another run holds, then failing with a *LockedError naming that
	// run. ctx bounds the calls and ends the wait early; it is not stored.
	// unlock releases what was taken; call it in every case (defer), with a
	// context that a signal does not cancel.
	LockFunctions(ctx context.Context, labels []string, info LockInfo, wait time.Duration) (unlock func(context.Context) error, err error)
	// ForceUnlock removes the locks with the given lock ID (left by a run
	// that crashed) and returns the labels it freed.
	ForceUnlock(ctx context.Context, id string) ([]string, error)
}

// lockSlots is what a backend provides for LockFunctions: one attempt at one
// function's lock, without waiting.
type lockSlots interface {
	// tryLock takes label's lock, or returns the holder (nil release) when
	// another run has it.
	tryLock(ctx context.Context, label string, info LockInfo) (release func(context.Context) error, holder *LockInfo, err error)
	String() string
}

// lockPoll is the first delay between attempts at a held lock; it doubles
// up to maxLockPoll.
const (
	lockPoll    = 100 * time.Millisecond
	maxLockPoll = 2 * time.Second
)

// acquire takes every label's lock in sorted order, waiting up to wait for
// each one held (the whole call never waits longer than wait in all). On any
// failure the locks already taken are released.
func acquire(ctx context.Context, s lockSlots, labels []string, info LockInfo, wait time.Duration) (func(context.Context) error, error) {
	sorted := append([]string(nil), labels...)
	sort.Strings(sorted)
	deadline := time.Now().Add(wait)
	var held []func(context.Context) error
	unlock := func(ctx context.Context) error {
		var errs []error
		for i := len(held) - 1; i >= 0; i-- {
			if err := held[i](ctx); err != nil {
				errs = append(errs, err)
			}
		}
		held = nil
		return errors.Join(errs...)
	}
	fail := func(err error) (func(context.Context) error, error) {
		if uerr := unlock(context.WithoutCancel(ctx)); uerr != nil {
			err = errors.Join(err, fmt.Errorf("release the locks taken so far: %w", uerr))
		}
		return nil, err
	}
	for i, label := range sorted {
		if i > 0 && label == sorted[i-1] {
			continue
		}
		delay := lockPoll
		for {
			release, holder, err := s.tryLock(ctx, label, info)
			if err != nil {
				return fail(fmt.Errorf("lock function %s in state %s: %w", label, s, err))
			}
			if release != nil {
				held = append(held, release)
				break
			}
			left := time.Until(deadline)
			if left <= 0 {
				le := &LockedError{Location: s.String(), Function: label, Holder: *holder}
				if !holder.Created.IsZero() {
					le.Age = time.Since(holder.Created)
				}
				return fail(le)
			}
			if err := sleepCtx(ctx, min(delay, left)); err != nil {
				return fail(fmt.Errorf("waiting for the lock of function %s (held by %s): %w", label, orUnknown(holder.Who), err))
			}
			delay = min(2*delay, maxLockPoll)
		}
	}
	return unlock, nil
}

// LockFunctions takes a flock per function on "<path>.locks/<label>", with
// the holder's LockInfo written in it for the message of a waiter. The
// kernel drops a flock when its process ends, however it ends, so a local
// lock never outlives its holder: a crashed run leaves a file with its info
// but no lock, and the next run takes it.
func (l *LocalFile) LockFunctions(ctx context.Context, labels []string, info LockInfo, wait time.Duration) (func(context.Context) error, error) {
	return acquire(ctx, localSlots{l}, labels, info, wait)
}

type localSlots struct{ l *LocalFile }

func (s localSlots) String() string { return s.l.String() }

func (l *LocalFile) lockDir() string { return l.Path + ".locks" }

func (s localSlots) tryLock(ctx context.Context, label string, info LockInfo) (func(context.Context) error, *LockInfo, error) {
	if err := checkLabel(label); err != nil {
		return nil, nil, err
	}
	dir := s.l.lockDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, err
	}
	path := filepath.Join(dir, label)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, err
	}
	if err := tryLock(f); err != nil {
		f.Close()
		if !errors.Is(err, errWouldBlock) {
			return nil, nil, err
		}
		holder := LockInfo{}
		if data, rerr := os.ReadFile(path); rerr == nil {
			_ = json.Unmarshal(data, &holder)
		}
		return nil, &holder, nil
	}
	data, _ := json.Marshal(info)
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt(data, 0)
	}
	return func(context.Context) error {
		_ = f.Truncate(0)
		unlock(f)
		return f.Close()
	}, nil, nil
}

// ForceUnlock cannot take a local lock away from a live process: a flock
// belongs to its process until it ends. It reports who holds the locks
// with the ID, or that none is held any more.
func (l *LocalFile) ForceUnlock(ctx context.Context, id string) ([]string, error) {
	ents, err := os.ReadDir(l.lockDir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no lock with id %s in state %s (no function is locked)", id, l)
	}
	if err != nil {
		return nil, err
	}
	var live []string
	var holder LockInfo
	found := false
	for _, e := range ents {
		path := filepath.Join(l.lockDir(), e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		var info LockInfo
		if json.Unmarshal(data, &info) != nil || info.ID != id {
			continue
		}
		found = true
		f, err := os.OpenFile(path, os.O_RDWR, 0o600)
		if err != nil {
			continue
		}
		if err := tryLock(f); errors.Is(err, errWouldBlock) {
			live = append(live, e.Name())
			holder = info
		} else if err == nil {
			_ = f.Truncate(0) // a dead holder's note: clear it
			unlock(f)
		}
		f.Close()
	}
	switch {
	case !found:
		return nil, fmt.Errorf("no lock with id %s in state %s", id, l)
	case len(live) > 0:
		return nil, fmt.Errorf("the locks with id %s (%s) are held by a running process, %s on %s: a local lock is a flock, which ends with its process; stop that process instead",
			id, strings.Join(live, ", "), orUnknown(holder.Who), orUnknown(holder.Host))
	}
	return nil, nil
}

// checkLabel refuses a label that cannot be a lock's file or key name (the
// manifest's labels always can).
func checkLabel(label string) error {
	if label == "" || label == "." || label == ".." || strings.ContainsAny(label, "/\\\x00") {
		return fmt.Errorf("%q cannot name a function's lock", label)
	}
	return nil
}
