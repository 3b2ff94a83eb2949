package state

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// LocalFile stores the state in a file, written atomically (temp file,
// fsync, rename, fsync of the folder) so a crash leaves the old or the new
// document, never half of one.
type LocalFile struct {
	Path    string // absolute
	Display string // how messages name it; defaults to Path
}

func (l *LocalFile) String() string {
	if l.Display != "" {
		return l.Display
	}
	return l.Path
}

// Get reads the file.
func (l *LocalFile) Get(ctx context.Context) ([]byte, error) {
	data, err := os.ReadFile(l.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotExist
	}
	return data, err
}

// Put replaces the file atomically.
func (l *LocalFile) Put(ctx context.Context, data []byte) error {
	return WriteFileAtomic(l.Path, data)
}

// WriteFileAtomic replaces path with data so that a crash leaves the old
// content or the new, never half of it: a temp file beside it, fsync,
// rename, fsync of the folder.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// Read reads the file; its version is the SHA-256 of its bytes.
func (l *LocalFile) Read(ctx context.Context) ([]byte, string, error) {
	data, err := l.Get(ctx)
	if err != nil {
		return nil, "", err
	}
	return data, contentVersion(data), nil
}

func contentVersion(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// writeLockWait bounds how long a write waits for another process's write
// of the same file to finish (each holds it for one read and one write).
const writeLockWait = 30 * time.Second

// WriteIf replaces the file if it still holds version ("": if there is no
// file), under an exclusive flock on "<path>.lock" held for the read, the
// comparison and the atomic replacement only: two processes writing the
// same state file never lose each other's records.
func (l *LocalFile) WriteIf(ctx context.Context, data []byte, version string) (string, error) {
	f, err := l.flock(ctx, l.Path+".lock", writeLockWait)
	if err != nil {
		return "", err
	}
	defer func() {
		unlock(f)
		f.Close()
	}()
	cur, err := os.ReadFile(l.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if version != "" {
			return "", fmt.Errorf("%s was removed since it was read: %w", l, ErrConflict)
		}
	case err != nil:
		return "", err
	case version == "":
		return "", fmt.Errorf("%s was created by another run since it was read: %w", l, ErrConflict)
	case contentVersion(cur) != version:
		return "", fmt.Errorf("%s was written by another run since it was read: %w", l, ErrConflict)
	}
	if err := WriteFileAtomic(l.Path, data); err != nil {
		return "", err
	}
	return contentVersion(data), nil
}

// flock opens path (creating it, 0600) and takes an exclusive flock on it,
// waiting up to wait (and while ctx lasts).
func (l *LocalFile) flock(ctx context.Context, path string, wait time.Duration) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(wait)
	delay := time.Millisecond
	for {
		err := tryLock(f)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, errWouldBlock) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("lock %s: another process held it for more than %s", path, wait)
		}
		if err := sleepCtx(ctx, delay); err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		delay = min(2*delay, 50*time.Millisecond)
	}
}

// Delete removes the file.
func (l *LocalFile) Delete(ctx context.Context) error {
	err := os.Remove(l.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// Lock takes an exclusive advisory lock on "<path>.lock". The kernel drops
// it when the process dies, so a crashed run never leaves a stale lock. The
// holder's LockInfo is written into the file for the message of a waiter.
func (l *LocalFile) Lock(ctx context.Context, info LockInfo) (func() error, error) {
	lockPath := l.Path + ".lock"
	if err := os.MkdirAll(filepath.Dir(lockPath), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = tryLock(f)
		if err == nil {
			break
		}
		if !errors.Is(err, errWouldBlock) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", lockPath, err)
		}
		select {
		case <-ctx.Done():
			holder := LockInfo{}
			if data, rerr := os.ReadFile(lockPath); rerr == nil {
				_ = json.Unmarshal(data, &holder)
			}
			f.Close()
			return nil, &LockedError{Location: l.String(), Holder: holder}
		case <-time.After(100 * time.Millisecond):
		}
	}
	data, _ := json.Marshal(info)
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt(data, 0)
	}
	return func() error {
		_ = f.Truncate(0)
		unlock(f)
		return f.Close()
	}, nil
}
