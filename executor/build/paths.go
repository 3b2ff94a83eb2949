package build

import (
	"path/filepath"
	"slices"
	"strings"
)

// within reports whether p is root or lies beneath it, lexically, and
// returns p relative to root. Both must be absolute and clean.
func within(root, p string) (string, bool) {
	rel, err := filepath.Rel(root, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", false
	}
	return rel, true
}

// repoFiles turns absolute file paths that tools report into the sorted,
// de-duplicated, slash-separated paths relative to the repository that
// Result.Inputs holds. Tools may report a path through symlinks or with
// them resolved (a Source reached through a link, /tmp on macOS), so a path
// that is not lexically inside the root is tried again with its symlinks
// resolved against the root's real path. Paths outside the repository (the
// module cache, the Go root) are dropped, as are those keep rejects.
type repoFiles struct {
	root, realRoot string
	keep           func(rel string) bool
	seen           map[string]bool
}

func newRepoFiles(root string, keep func(string) bool) *repoFiles {
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		real = root
	}
	return &repoFiles{root: root, realRoot: real, keep: keep, seen: map[string]bool{}}
}

func (r *repoFiles) add(abs string) {
	abs = filepath.Clean(abs)
	rel, ok := within(r.root, abs)
	if !ok {
		real, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return
		}
		if rel, ok = within(r.realRoot, real); !ok {
			return
		}
	}
	if rel == "." {
		return
	}
	rel = filepath.ToSlash(rel)
	if r.keep != nil && !r.keep(rel) {
		return
	}
	r.seen[rel] = true
}

// list returns the paths added, sorted; nil when there are none.
func (r *repoFiles) list() []string {
	if len(r.seen) == 0 {
		return nil
	}
	out := make([]string, 0, len(r.seen))
	for p := range r.seen {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}
