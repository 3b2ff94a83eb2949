package state

import (
	"context"
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
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o644)
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
