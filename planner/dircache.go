package planner

import (
	"encoding/gob"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// dirCache remembers the entries of each folder by the folder's mtime, as
// git's untracked cache does: adding, removing or renaming an entry changes
// its folder's mtime, so a folder whose mtime did not change still holds the
// same names and need not be read again. One lstat then replaces opening,
// reading and closing the folder, which is most of a scan's system calls.
//
// It lives in the worktree's git folder (like the index, per worktree) and is
// only ever a shortcut: a missing, stale or unreadable cache means reading
// the folders, never a wrong answer.
type dirCache struct {
	path    string
	old     dirCacheFile
	mu      sync.Mutex
	updated map[string]cachedDir
}

type dirCacheFile struct {
	Version int
	Written int64 // unix nanoseconds when the cache was written
	Dirs    map[string]cachedDir
}

type cachedDir struct {
	MTime int64
	Names []string
	IsDir []bool
}

const dirCacheVersion = 1

// racyWindow: a folder changed this close to the cache's writing may have
// changed again within the same mtime tick; such entries are not trusted.
const racyWindow = 2 * time.Second

func loadDirCache(gitDir string) *dirCache {
	c := &dirCache{path: filepath.Join(gitDir, "lambdas", "dircache"), updated: map[string]cachedDir{}}
	f, err := os.Open(c.path)
	if err != nil {
		return c
	}
	defer f.Close()
	var file dirCacheFile
	if gob.NewDecoder(f).Decode(&file) == nil && file.Version == dirCacheVersion {
		c.old = file
	}
	return c
}

// entries returns the names in folder abs (rel in the cache), and whether each is a folder.
func (c *dirCache) entries(rel, abs string) ([]string, []bool, error) {
	info, err := os.Lstat(abs)
	if err != nil {
		return nil, nil, err
	}
	mtime := info.ModTime().UnixNano()
	if d, ok := c.old.Dirs[rel]; ok && d.MTime == mtime && mtime < c.old.Written-int64(racyWindow) {
		return d.Names, d.IsDir, nil
	}
	dirents, err := os.ReadDir(abs)
	if err != nil {
		return nil, nil, err
	}
	d := cachedDir{MTime: mtime, Names: make([]string, len(dirents)), IsDir: make([]bool, len(dirents))}
	for i, e := range dirents {
		d.Names[i], d.IsDir[i] = e.Name(), e.Type()&fs.ModeDir != 0
	}
	c.mu.Lock()
	c.updated[rel] = d
	c.mu.Unlock()
	return d.Names, d.IsDir, nil
}

// save writes the cache when any folder was read; failures are ignored
// (a read-only checkout just goes without).
func (c *dirCache) save(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.updated) == 0 {
		return
	}
	next := dirCacheFile{Version: dirCacheVersion, Written: now.UnixNano(), Dirs: make(map[string]cachedDir, len(c.old.Dirs)+len(c.updated))}
	for k, v := range c.old.Dirs {
		next.Dirs[k] = v
	}
	for k, v := range c.updated {
		next.Dirs[k] = v
	}
	if err := os.MkdirAll(filepath.Dir(c.path), 0o755); err != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(c.path), ".dircache-*")
	if err != nil {
		return
	}
	defer os.Remove(tmp.Name())
	if gob.NewEncoder(tmp).Encode(&next) != nil || tmp.Close() != nil {
		return
	}
	_ = os.Rename(tmp.Name(), c.path)
}
