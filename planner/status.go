package planner

import (
	"bytes"
	"crypto/sha1"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/plumbing/object"
	"golang.org/x/sync/errgroup"
)

// Uncommitted is one path whose worktree or index content differs from HEAD.
type Uncommitted struct {
	Path string // repo-relative
	// Kind: modified, added, deleted, untracked, conflict, or special (a
	// tracked path that is now a named pipe, socket or device: git sees it
	// as modified, and nothing can be packaged from it).
	Kind string
	// Hash is the git hash of what is there now ("" when deleted), so that
	// a fingerprint of a dirty tree changes when the dirty content changes.
	// For worktree content it is what git would store: after the clean
	// conversions .gitattributes and core.autocrlf ask for.
	Hash string
	// Mode is the git mode of what is there now (0 when deleted); Size and
	// ModTime (Unix ns) are the worktree file's, for the packager's check
	// that nothing changed since the plan.
	Mode    filemode.FileMode
	Size    int64
	ModTime int64
}

// Uncommitted lists the uncommitted changes (staged, unstaged, untracked and
// not ignored) under the given repo-relative paths, sorted by path.
//
// It is git status narrowed to the paths a manifest cares about, done the way
// git does it: a file whose size and mtime match its index entry is taken as
// unchanged without being read, so a clean tree costs stat calls only.
// Staged changes are found by hashing the index entries into tree objects and
// comparing them with HEAD's trees: no blob is read either.
func (r *Repo) Uncommitted(paths []string) ([]Uncommitted, error) {
	idx, dirs, err := r.loadIndex()
	if err != nil {
		return nil, err
	}
	var indexTime time.Time
	if fi, err := os.Stat(filepath.Join(r.gitDir, "index")); err == nil {
		indexTime = fi.ModTime()
	}
	scanStart := time.Now()
	s := &scanner{repo: r, entries: idx.Entries, indexTime: indexTime, ignores: newIgnores(r.Root, r.gitDir), dirs: dirs, fileMode: r.fileMode(), trees: r.cachedTrees(idx)}
	roots := collapse(paths)
	results := make([][]Uncommitted, len(roots))
	var g errgroup.Group
	g.SetLimit(4) // stat calls overlap well beyond the core count
	for i, p := range roots {
		g.Go(func() (err error) {
			results[i], err = s.scan(p)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	s.dirs.save(scanStart)
	var out []Uncommitted
	for _, r := range results {
		out = append(out, r...)
	}
	// Files whose stat differs from the index, and untracked files, are
	// hashed now, all at once: as git would store them (attributes, eol).
	hashed, err := r.hashWorktree(s.suspects)
	if err != nil {
		return nil, err
	}
	for i, sus := range s.suspects {
		if u, changed := sus.resolve(hashed[i]); changed {
			out = append(out, u)
		}
	}
	out = dedupe(out)
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// collapse sorts paths, drops duplicates and paths inside another one.
func collapse(paths []string) []string {
	ps := append([]string(nil), paths...)
	// Sort "/" first, so that the paths inside a folder come right after it:
	// plain order puts "fn-a" between "fn" and "fn/x".
	sort.Slice(ps, func(i, j int) bool {
		return strings.ReplaceAll(ps[i], "/", "\x00") < strings.ReplaceAll(ps[j], "/", "\x00")
	})
	var out []string
	for _, p := range ps {
		if p == "" {
			continue
		}
		if p == "." {
			return []string{"."}
		}
		if n := len(out); n > 0 && (out[n-1] == p || strings.HasPrefix(p, out[n-1]+"/")) {
			continue
		}
		out = append(out, p)
	}
	return out
}

type scanner struct {
	repo      *Repo
	entries   []*index.Entry // sorted by Name, as git writes them
	indexTime time.Time
	ignores   *ignores
	dirs      *dirCache
	fileMode  bool                     // core.fileMode: an executable bit in the worktree counts
	trees     map[string]plumbing.Hash // the index's valid cached trees, by folder

	mu       sync.Mutex
	suspects []*suspect // files to hash before they can be judged
}

// suspect is a worktree file that must be hashed to tell whether it changed:
// untracked, or tracked with a stat that differs from its index entry.
type suspect struct {
	rel, abs string
	info     fs.FileInfo
	mode     filemode.FileMode // worktree mode as git would record it
	entry    *index.Entry      // nil when untracked
	staged   *Uncommitted      // the staged change at this path, if any
}

// resolve judges a suspect once its content hash is known.
func (s *suspect) resolve(h plumbing.Hash) (Uncommitted, bool) {
	u := Uncommitted{Path: s.rel, Hash: h.String(), Mode: s.mode, Size: s.info.Size(), ModTime: s.info.ModTime().UnixNano()}
	if s.entry == nil {
		u.Kind = "untracked"
		return u, true
	}
	if h == s.entry.Hash && s.mode == s.entry.Mode {
		return Uncommitted{}, false
	}
	u.Kind = "modified"
	return u, true
}

func (s *scanner) addSuspect(sus *suspect) {
	s.mu.Lock()
	s.suspects = append(s.suspects, sus)
	s.mu.Unlock()
}

// dedupe keeps one change per path, the worktree's over the index's (the
// worktree's content is what would be committed and packaged), sorted.
func dedupe(us []Uncommitted) []Uncommitted {
	rank := map[string]int{"untracked": 3, "modified": 2, "special": 3, "deleted": 1}
	best := map[string]Uncommitted{}
	for _, u := range us {
		if cur, ok := best[u.Path]; ok && rank[cur.Kind] > rank[u.Kind] {
			continue
		}
		best[u.Path] = u
	}
	out := make([]Uncommitted, 0, len(best))
	for _, u := range best {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// under returns the index entries at p or below it. Entries are sorted by
// name, so those below p are one contiguous run starting at p+"/".
func (s *scanner) under(p string) []*index.Entry {
	if p == "." {
		return s.entries
	}
	var out []*index.Entry
	if i := sort.Search(len(s.entries), func(i int) bool { return s.entries[i].Name >= p }); i < len(s.entries) && s.entries[i].Name == p {
		out = append(out, s.entries[i])
	}
	lo := sort.Search(len(s.entries), func(i int) bool { return s.entries[i].Name >= p+"/" })
	hi := lo
	for hi < len(s.entries) && strings.HasPrefix(s.entries[hi].Name, p+"/") {
		hi++
	}
	return append(out, s.entries[lo:hi]...)
}

func (s *scanner) scan(p string) ([]Uncommitted, error) {
	entries := s.under(p)
	changes := map[string]Uncommitted{}

	// Index against HEAD: staged changes and merge conflicts.
	headHash, err := s.repo.HeadEntry(p)
	if err != nil {
		return nil, err
	}
	staged, err := s.stagedChanges(p, entries, headHash)
	if err != nil {
		return nil, err
	}
	for _, u := range staged {
		changes[u.Path] = u
	}

	// Worktree against index.
	byName := make(map[string]*index.Entry, len(entries))
	for _, e := range entries {
		byName[e.Name] = e
	}
	seen := make(map[string]bool, len(entries))
	abs := filepath.Join(s.repo.Root, filepath.FromSlash(p))
	info, err := os.Lstat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// Everything tracked under p was deleted; reported below.
	case err != nil:
		return nil, err
	case info.IsDir():
		if err := s.walk(p, abs, byName, seen, changes); err != nil {
			return nil, err
		}
	default:
		if err := s.checkFile(p, abs, info, byName, seen, changes); err != nil {
			return nil, err
		}
	}
	for _, e := range entries {
		if !seen[e.Name] && !e.SkipWorktree && e.Mode != filemode.Submodule {
			changes[e.Name] = Uncommitted{Path: e.Name, Kind: "deleted"}
		}
	}
	out := make([]Uncommitted, 0, len(changes))
	for _, u := range changes {
		out = append(out, u)
	}
	return out, nil
}

// stagedChanges compares the index under p with HEAD. The common case, equal,
// costs one in-memory tree hash; only a difference walks HEAD's files.
func (s *scanner) stagedChanges(p string, entries []*index.Entry, headHash plumbing.Hash) ([]Uncommitted, error) {
	var out []Uncommitted
	var unmerged map[string]bool // conflicts and intent-to-add: not compared
	for _, e := range entries {
		if e.Stage != 0 || e.IntentToAdd {
			out = append(out, Uncommitted{Path: e.Name, Kind: "conflict"})
			if unmerged == nil {
				unmerged = map[string]bool{}
			}
			unmerged[e.Name] = true
		}
	}
	if out == nil && s.indexHash(p, entries) == headHash {
		changed, err := s.fileModeChanged(p, entries)
		if err != nil || !changed {
			return nil, err
		}
	}
	s.repo.objects.Lock()
	defer s.repo.objects.Unlock()
	type headFile struct {
		hash plumbing.Hash
		mode filemode.FileMode
	}
	head := map[string]headFile{}
	sub, err := s.repo.dirTree(s.repo.headTree, p)
	if err != nil {
		return nil, err
	}
	if sub != nil {
		err := sub.Files().ForEach(func(f *object.File) error {
			name := f.Name
			if p != "." {
				name = p + "/" + name
			}
			head[name] = headFile{f.Hash, f.Mode}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read HEAD's files under %s: %w", p, err)
		}
	} else if !headHash.IsZero() {
		mode, err := s.headMode(p)
		if err != nil {
			return nil, err
		}
		head[p] = headFile{headHash, mode}
	}
	for _, e := range entries {
		if unmerged[e.Name] {
			delete(head, e.Name)
			continue
		}
		h, ok := head[e.Name]
		switch {
		case !ok:
			out = append(out, Uncommitted{Path: e.Name, Kind: "added", Hash: e.Hash.String()})
		case h.hash != e.Hash || h.mode != e.Mode:
			out = append(out, Uncommitted{Path: e.Name, Kind: "modified", Hash: e.Hash.String()})
		}
		delete(head, e.Name)
	}
	for name := range head {
		out = append(out, Uncommitted{Path: name, Kind: "deleted"})
	}
	return out, nil
}

// fileModeChanged reports whether p is a file whose staged mode differs from
// HEAD's (its blob hash, which indexHash gives, says nothing of the mode).
func (s *scanner) fileModeChanged(p string, entries []*index.Entry) (bool, error) {
	if len(entries) != 1 || entries[0].Name != p {
		return false, nil
	}
	s.repo.objects.Lock()
	defer s.repo.objects.Unlock()
	mode, err := s.headMode(p)
	return entries[0].Mode != mode, err
}

// headMode is the mode of the entry at p in HEAD, 0 when there is none. The
// caller holds s.repo.objects.
func (s *scanner) headMode(p string) (filemode.FileMode, error) {
	t, err := s.repo.dirTree(s.repo.headTree, path.Dir(p))
	if t == nil || err != nil {
		return 0, err
	}
	for _, e := range t.Entries {
		if e.Name == path.Base(p) {
			return e.Mode, nil
		}
	}
	return 0, nil
}

// cachedTrees flattens the index's cache-tree extension into folder →
// tree hash, for the entries git marked valid. It is read once.
func (r *Repo) cachedTrees(idx *index.Index) map[string]plumbing.Hash {
	r.treesOnce.Do(func() {
		r.cacheTree = map[string]plumbing.Hash{}
		if idx.Cache == nil {
			return
		}
		es := idx.Cache.Entries
		i := 0
		// Pre-order: each entry is followed by its Trees subtrees.
		var walk func(prefix string)
		walk = func(prefix string) {
			e := es[i]
			i++
			p := e.Path
			switch {
			case prefix == "" && p == "":
				p = "."
			case prefix != "" && prefix != ".":
				p = prefix + "/" + p
			}
			if e.Entries >= 0 {
				r.cacheTree[p] = e.Hash
			}
			for range e.Trees {
				if i >= len(es) {
					return
				}
				walk(p)
			}
		}
		if len(es) > 0 {
			walk("")
		}
	})
	return r.cacheTree
}

// indexHash is the git hash the index entries at or below p would have as a
// tree (or blob, when p is a file) if committed now: from the index's own
// cache of tree hashes (git keeps it valid for the folders nobody staged
// changes in since the last commit) when it has p, else hashed here.
func (s *scanner) indexHash(p string, entries []*index.Entry) plumbing.Hash {
	if h, ok := s.trees[p]; ok {
		return h
	}
	return indexHash(p, entries)
}

func indexHash(p string, entries []*index.Entry) plumbing.Hash {
	if len(entries) == 1 && entries[0].Name == p {
		return entries[0].Hash
	}
	if len(entries) == 0 {
		return plumbing.ZeroHash
	}
	prefix := ""
	if p != "." {
		prefix = p + "/"
	}
	rel := make([]treeItem, 0, len(entries))
	for _, e := range entries {
		rel = append(rel, treeItem{name: strings.TrimPrefix(e.Name, prefix), mode: e.Mode, hash: e.Hash})
	}
	return buildTree(rel)
}

type treeItem struct {
	name string
	mode filemode.FileMode
	hash plumbing.Hash
}

// buildTree hashes items (paths relative to this tree, sorted) as git's tree
// objects, recursively.
func buildTree(items []treeItem) plumbing.Hash {
	var level []treeItem
	for i := 0; i < len(items); {
		name, _, isDir := strings.Cut(items[i].name, "/")
		if !isDir {
			level = append(level, items[i])
			i++
			continue
		}
		j := i
		var sub []treeItem
		for j < len(items) && strings.HasPrefix(items[j].name, name+"/") {
			sub = append(sub, treeItem{name: items[j].name[len(name)+1:], mode: items[j].mode, hash: items[j].hash})
			j++
		}
		level = append(level, treeItem{name: name, mode: filemode.Dir, hash: buildTree(sub)})
		i = j
	}
	// git orders tree entries by name, a folder's name compared as "name/".
	key := func(t treeItem) string {
		if t.mode == filemode.Dir {
			return t.name + "/"
		}
		return t.name
	}
	sort.Slice(level, func(i, j int) bool { return key(level[i]) < key(level[j]) })
	var buf bytes.Buffer
	for _, t := range level {
		buf.WriteString(treeModeString(t.mode))
		buf.WriteByte(' ')
		buf.WriteString(t.name)
		buf.WriteByte(0)
		buf.Write(t.hash[:])
	}
	return hashObject("tree", buf.Bytes())
}

// hashObject is git's object id. Plain SHA-1 here: go-git's hasher detects
// collision attacks, which matters for objects read from others, not for
// trees we hash from our own index, and costs three times as much.
func hashObject(kind string, content []byte) plumbing.Hash {
	h := sha1.New()
	fmt.Fprintf(h, "%s %d\x00", kind, len(content))
	h.Write(content)
	var out plumbing.Hash
	copy(out[:], h.Sum(nil))
	return out
}

func (s *scanner) walk(rel, abs string, byName map[string]*index.Entry, seen map[string]bool, changes map[string]Uncommitted) error {
	names, isDir, err := s.dirs.entries(rel, abs)
	if err != nil {
		return err
	}
	for i, name := range names {
		childRel := path.Join(rel, name)
		childAbs := filepath.Join(abs, name)
		if isDir[i] {
			if name == ".git" {
				continue
			}
			if e, ok := byName[childRel]; ok && e.Mode == filemode.Submodule {
				seen[childRel] = true
				continue
			}
			if !s.hasTracked(childRel) && s.ignores.match(childRel, true) {
				continue
			}
			if err := s.walk(childRel, childAbs, byName, seen, changes); err != nil {
				return err
			}
			continue
		}
		info, err := os.Lstat(childAbs)
		if errors.Is(err, fs.ErrNotExist) {
			continue // vanished while we looked
		}
		if err != nil {
			return err
		}
		if err := s.checkFile(childRel, childAbs, info, byName, seen, changes); err != nil {
			return err
		}
	}
	return nil
}

func (s *scanner) hasTracked(dir string) bool {
	lo := sort.Search(len(s.entries), func(i int) bool { return s.entries[i].Name >= dir+"/" })
	return lo < len(s.entries) && strings.HasPrefix(s.entries[lo].Name, dir+"/")
}

func (s *scanner) checkFile(rel, abs string, info fs.FileInfo, byName map[string]*index.Entry, seen map[string]bool, changes map[string]Uncommitted) error {
	e, tracked := byName[rel]
	special := !info.Mode().IsRegular() && info.Mode()&fs.ModeSymlink == 0
	if !tracked {
		// Named pipes, sockets and devices are not files git can store: it
		// skips them, and so do we, without opening them (a pipe would
		// block the read for ever).
		if special || s.ignores.match(rel, false) {
			return nil
		}
		s.addSuspect(&suspect{rel: rel, abs: abs, info: info, mode: s.worktreeMode(info, nil)})
		return nil
	}
	seen[rel] = true
	if e.SkipWorktree {
		return nil
	}
	if special {
		// git reports a tracked file that became a pipe as modified.
		changes[rel] = Uncommitted{Path: rel, Kind: "special"}
		return nil
	}
	mode := s.worktreeMode(info, e)
	statSame := mode == e.Mode && uint32(info.Size()) == e.Size && info.ModTime().Equal(e.ModifiedAt)
	// A file written in the same instant as the index may have changed
	// without its stat changing ("racy git"): read it.
	racy := !s.indexTime.IsZero() && !e.ModifiedAt.Before(s.indexTime)
	if statSame && !racy {
		return nil
	}
	sus := &suspect{rel: rel, abs: abs, info: info, mode: mode, entry: e}
	if staged, ok := changes[rel]; ok {
		sus.staged = &staged
	}
	s.addSuspect(sus)
	return nil
}

// worktreeMode is the git mode of a worktree file. With core.fileMode
// false, the executable bit comes from the index entry, as git does.
func (s *scanner) worktreeMode(info fs.FileInfo, e *index.Entry) filemode.FileMode {
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		return filemode.Symlink
	case !s.fileMode && e != nil && (e.Mode == filemode.Regular || e.Mode == filemode.Executable):
		return e.Mode
	case s.fileMode && info.Mode()&0o111 != 0:
		return filemode.Executable
	default:
		return filemode.Regular
	}
}

// ignores answers "is this untracked path ignored?" from .git/info/exclude,
// the user's global excludes file and the .gitignore files from the root
// down to the path, read lazily and only for untracked paths.
type ignores struct {
	root   string
	mu     sync.Mutex
	base   []gitignore.Pattern
	perDir map[string][]gitignore.Pattern
}

func newIgnores(root, gitDir string) *ignores {
	ig := &ignores{root: root, perDir: map[string][]gitignore.Pattern{}}
	if ps, err := gitignore.LoadGlobalPatterns(osfs.New("/")); err == nil {
		ig.base = append(ig.base, ps...)
	}
	ig.base = append(ig.base, readIgnoreFile(filepath.Join(gitDir, "info", "exclude"), nil)...)
	return ig
}

func readIgnoreFile(file string, domain []string) []gitignore.Pattern {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	var ps []gitignore.Pattern
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		ps = append(ps, gitignore.ParsePattern(line, domain))
	}
	return ps
}

func (ig *ignores) match(rel string, isDir bool) bool {
	parts := strings.Split(rel, "/")
	ig.mu.Lock()
	ps := append([]gitignore.Pattern(nil), ig.base...)
	for i := 0; i < len(parts); i++ {
		dir := strings.Join(parts[:i], "/")
		dps, ok := ig.perDir[dir]
		if !ok {
			dps = readIgnoreFile(filepath.Join(ig.root, filepath.FromSlash(dir), ".gitignore"), append([]string(nil), parts[:i]...))
			ig.perDir[dir] = dps
		}
		ps = append(ps, dps...)
	}
	ig.mu.Unlock()
	return gitignore.NewMatcher(ps).Match(parts, isDir)
}
