package planner

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"

	"github.com/lambdas-dev/lambdas/manifest"
	"github.com/lambdas-dev/lambdas/planner/plan"
)

// The file list: ONE list per function of the entries its zip will hold,
// from git's view of the work tree. It is what the fingerprint hashes and
// what the packager zips, so what ships is what was planned.
//
// git's view of a path is what `git add -A` would commit there: the index
// (which HEAD's tree and staged changes already are), with the worktree's
// uncommitted edits and deletions, plus untracked files that are not
// ignored. A clean file's blob hash, size and mtime come from the index
// entry, so a clean tree costs no file read. Symlinks inside the repository
// are resolved to what they point to in that same view (files and folders,
// recursively); cycles and links that leave the repository are errors.

// gitView is git's view of the work tree, scanned for uncommitted changes root
// by root as the plan needs them.
type gitView struct {
	repo    *Repo
	entries []*index.Entry // the index, sorted by name
	prefix  string         // for a submodule's view: its path in the superproject, with "/"

	mu        sync.Mutex
	scanned   map[string]bool            // roots whose uncommitted changes are known
	changes   map[string]Uncommitted     // by path
	listed    map[string][]item          // at's answers, by path
	filters   map[string]map[string]bool // include/exclude answers by patterns, then zip path
	untracked []Uncommitted              // sorted by path
	subs      map[string]*gitView        // submodule views by path
}

func newView(r *Repo) (*gitView, error) {
	idx, _, err := r.loadIndex()
	if err != nil {
		return nil, err
	}
	return &gitView{repo: r, entries: idx.Entries, scanned: map[string]bool{}, listed: map[string][]item{}, changes: map[string]Uncommitted{}, subs: map[string]*gitView{}}, nil
}

// scan makes sure the uncommitted changes under paths are known.
func (v *gitView) scan(paths []string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	var todo []string
	for _, p := range paths {
		if !v.covered(p) {
			todo = append(todo, p)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	dirty, err := v.repo.Uncommitted(todo)
	if err != nil {
		return err
	}
	for _, u := range dirty {
		if _, dup := v.changes[u.Path]; dup {
			continue
		}
		v.changes[u.Path] = u
		if u.Kind == "untracked" {
			v.untracked = append(v.untracked, u)
		}
	}
	sort.Slice(v.untracked, func(i, j int) bool { return v.untracked[i].Path < v.untracked[j].Path })
	for _, p := range collapse(todo) {
		v.scanned[p] = true
	}
	clear(v.listed) // what was listed before may have changed under the new roots
	return nil
}

// linkTargets returns where the symlinks that git's view holds under paths
// lead, so that they are scanned with the rest, at once.
func (v *gitView) linkTargets(paths []string) []string {
	var out []string
	for _, p := range collapse(paths) {
		v.mu.Lock()
		lo := sort.Search(len(v.entries), func(i int) bool { return v.entries[i].Name >= p })
		var links []string
		for j := lo; j < len(v.entries); j++ {
			name := v.entries[j].Name
			if name != p && !strings.HasPrefix(name, p+"/") && p != "." {
				if name > p+"/" {
					break
				}
				continue
			}
			if v.entries[j].Mode == filemode.Symlink {
				links = append(links, name)
			}
		}
		v.mu.Unlock()
		for _, l := range links {
			target, err := os.Readlink(filepath.Join(v.repo.Root, filepath.FromSlash(l)))
			if err != nil {
				continue // listing the package reports it
			}
			if to, err := v.resolve(l, target, 0); err == nil {
				out = append(out, to)
			}
		}
	}
	return out
}

// covered reports whether p or a folder above it was scanned.
func (v *gitView) covered(p string) bool {
	if v.scanned["."] || v.scanned[p] {
		return true
	}
	for i := strings.LastIndexByte(p, '/'); i > 0; i = strings.LastIndexByte(p[:i], '/') {
		if v.scanned[p[:i]] {
			return true
		}
	}
	return false
}

// item is one path in git's view.
type item struct {
	path    string
	mode    filemode.FileMode
	hash    string
	size    int64
	modTime int64
}

// at returns the items at or under p (p itself when it is a file), sorted
// by path. Deleted files are left out; unmerged entries are an error.
func (v *gitView) at(p string) ([]item, error) {
	if err := v.scan([]string{p}); err != nil {
		return nil, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	// Many functions link or bundle the same library: list it once. (The
	// view does not change once a path is scanned.)
	if items, ok := v.listed[p]; ok {
		return items, nil
	}
	items, err := v.atLocked(p)
	if err == nil {
		v.listed[p] = items
	}
	return items, err
}

// atLocked lists p; the caller holds v.mu.
func (v *gitView) atLocked(p string) ([]item, error) {
	var out []item
	add := func(e *index.Entry) error {
		if e.Stage != 0 {
			return fmt.Errorf("%s has a merge conflict; resolve it (git add) before planning", e.Name)
		}
		if e.IntentToAdd && v.changes[e.Name].Kind == "" {
			return nil
		}
		it := item{path: e.Name, mode: e.Mode, hash: e.Hash.String(), size: int64(e.Size), modTime: e.ModifiedAt.UnixNano()}
		if u, ok := v.changes[e.Name]; ok {
			switch u.Kind {
			case "deleted":
				return nil
			case "special":
				return fmt.Errorf("%s is tracked by git but is now a named pipe, socket or device, which cannot be packaged; restore it (git checkout -- %s) or remove it from git", e.Name, e.Name)
			case "modified", "untracked", "added":
				if u.Mode != 0 {
					it.mode, it.hash, it.size, it.modTime = u.Mode, u.Hash, u.Size, u.ModTime
				}
			}
		}
		if e.SkipWorktree && e.Mode != filemode.Submodule {
			return fmt.Errorf("%s is outside the sparse checkout, so its content is not in the worktree; add it to the sparse checkout (git sparse-checkout add) to package it", e.Name)
		}
		out = append(out, it)
		return nil
	}
	// Index entries at p or below it: one contiguous run, p itself first.
	i := sort.Search(len(v.entries), func(i int) bool { return v.entries[i].Name >= p })
	for ; i < len(v.entries) && v.entries[i].Name == p; i++ {
		if err := add(v.entries[i]); err != nil {
			return nil, err
		}
	}
	lo := sort.Search(len(v.entries), func(i int) bool { return v.entries[i].Name >= p+"/" })
	if p == "." {
		lo = 0
	}
	for j := lo; j < len(v.entries) && (p == "." || strings.HasPrefix(v.entries[j].Name, p+"/")); j++ {
		if err := add(v.entries[j]); err != nil {
			return nil, err
		}
	}
	// Unmerged entries appear once per stage: keep one.
	out = uniqueItems(out)
	k := 0
	if p != "." {
		k = sort.Search(len(v.untracked), func(i int) bool { return v.untracked[i].Path >= p })
	}
	for ; k < len(v.untracked); k++ {
		u := v.untracked[k]
		if !(u.Path == p || p == "." || strings.HasPrefix(u.Path, p+"/")) {
			if u.Path > p+"/" {
				break
			}
			continue
		}
		out = append(out, item{path: u.Path, mode: u.Mode, hash: u.Hash, size: u.Size, modTime: u.ModTime})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out, nil
}

func uniqueItems(in []item) []item {
	out := in[:0]
	for i, it := range in {
		if i > 0 && in[i-1].path == it.path {
			continue
		}
		out = append(out, it)
	}
	return out
}

// lookup says what is at path p in git's view: a file or symlink (its
// item), a folder (ok, nil item), or nothing.
func (v *gitView) lookup(p string) (*item, bool, error) {
	// Only what is needed to answer is scanned: a tracked file's own status,
	// never a whole folder (resolving a link asks about every folder on its
	// way, and scanning "functions" would read the whole monorepo).
	v.mu.Lock()
	i := sort.Search(len(v.entries), func(i int) bool { return v.entries[i].Name >= p })
	tracked := i < len(v.entries) && v.entries[i].Name == p
	v.mu.Unlock()
	if tracked {
		if err := v.scan([]string{p}); err != nil {
			return nil, false, err
		}
	}
	v.mu.Lock()
	it, exists, known := v.lookupLocked(p, i, tracked)
	v.mu.Unlock()
	if known || v.covered(p) {
		return it, exists, nil
	}
	// Not in the index: maybe something untracked is there.
	if _, err := os.Lstat(filepath.Join(v.repo.Root, filepath.FromSlash(p))); err != nil {
		return nil, false, nil
	}
	if err := v.scan([]string{p}); err != nil {
		return nil, false, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	it, exists, _ = v.lookupLocked(p, i, false)
	return it, exists, nil
}

// lookupLocked answers lookup from what is known; known is false when the
// answer "nothing there" may be for lack of a scan. The caller holds v.mu.
func (v *gitView) lookupLocked(p string, i int, tracked bool) (*item, bool, bool) {
	if tracked {
		e := v.entries[i]
		u, changed := v.changes[p]
		switch {
		case changed && u.Kind == "deleted":
			return nil, false, true
		case changed && u.Mode != 0:
			return &item{path: p, mode: u.Mode, hash: u.Hash, size: u.Size, modTime: u.ModTime}, true, true
		default:
			return &item{path: p, mode: e.Mode, hash: e.Hash.String(), size: int64(e.Size), modTime: e.ModifiedAt.UnixNano()}, true, true
		}
	}
	if u, ok := v.changes[p]; ok && u.Kind == "untracked" {
		return &item{path: p, mode: u.Mode, hash: u.Hash, size: u.Size, modTime: u.ModTime}, true, true
	}
	// A folder: index entries below it, or untracked files below it. (Its
	// files' own status is scanned when they are listed.)
	if p == "." {
		return nil, true, true
	}
	if j := sort.Search(len(v.entries), func(i int) bool { return v.entries[i].Name >= p+"/" }); j < len(v.entries) && strings.HasPrefix(v.entries[j].Name, p+"/") {
		return nil, true, true
	}
	k := sort.Search(len(v.untracked), func(i int) bool { return v.untracked[i].Path >= p+"/" })
	if k < len(v.untracked) && strings.HasPrefix(v.untracked[k].Path, p+"/") {
		return nil, true, true
	}
	return nil, false, false
}

// items returns git's view of each path (a file, or a folder's files).
func (v *gitView) items(paths []string) ([]item, error) {
	var out []item
	for _, p := range paths {
		if p == "" {
			continue
		}
		its, err := v.at(p)
		if err != nil {
			return nil, err
		}
		out = append(out, its...)
	}
	return out, nil
}

// allChanges is every uncommitted change known so far, submodules' included.
func (v *gitView) allChanges() []Uncommitted {
	v.mu.Lock()
	out := make([]Uncommitted, 0, len(v.changes))
	for _, u := range v.changes {
		out = append(out, u)
	}
	v.mu.Unlock()
	out = append(out, v.submoduleChanges()...)
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// packageLister builds one function's list.
type packageLister struct {
	v        *gitView
	fn       *manifest.Function
	include  []string
	exclude  []string
	filtered bool // include/exclude apply (not to a build's inputs)
	entries  []plan.Entry
	origin   []string // where each entry comes from, for messages
	roots    []root
	excluded map[string]bool // zip folders found excluded
	answers  map[string]bool // selected's answers for these patterns, see filter
	visiting map[string]bool // resolved folders being listed (cycle guard)
}

// root is a repository path whose files land in the zip under zipPath.
type root struct {
	path     string // repository-relative
	zipPath  string // "" for the zip's root
	filtered bool   // include/exclude apply to what lands here
}

// maxLinkDepth bounds symlink resolution, as the kernel's 40 does.
const maxLinkDepth = 40

// listPackage returns the function's package and the repository paths it
// draws from.
func (v *gitView) listPackage(f *manifest.Function) (*plan.Package, []root, error) {
	pk := &plan.Package{}
	l := v.newLister(f)
	if f.Build == nil {
		l.include, l.exclude, l.filtered = f.Include, f.Exclude, true
		if err := l.addTree(f.Source, "", "source "+f.Source); err != nil {
			return nil, nil, err
		}
	} else {
		// A build reads its source folder (all of it: include and exclude
		// apply to what it writes), and the zip holds its output.
		pk.Build = &plan.Build{Kind: f.Build.Preset, Command: f.Build.Command, Output: f.Build.Output, Timeout: f.Build.Timeout}
		if pk.Build.Kind == "" {
			pk.Build.Kind = "command"
		}
		pk.Include, pk.Exclude = f.Include, f.Exclude
		inputs := v.newLister(f)
		if err := inputs.addTree(f.Source, "", "source "+f.Source); err != nil {
			return nil, nil, err
		}
		inputEntries, err := inputs.sorted()
		if err != nil {
			return nil, nil, err
		}
		pk.Inputs = inputEntries
		l.roots = append(l.roots, inputs.roots...)
		l.include, l.exclude, l.filtered = f.Include, f.Exclude, true
	}
	for _, b := range f.Bundles {
		if err := l.addTree(b.From, b.To, "bundle "+b.From); err != nil {
			return nil, nil, err
		}
	}
	var err error
	if pk.Entries, err = l.sorted(); err != nil {
		return nil, nil, err
	}
	if f.Build == nil && len(pk.Entries) == 0 {
		if len(f.Include)+len(f.Exclude) > 0 {
			return nil, nil, fmt.Errorf("no files to package in %s after include %q and exclude %q (only files git tracks or would track count)", f.Source, f.Include, f.Exclude)
		}
		return nil, nil, fmt.Errorf("no files to package in %s (only files git tracks or would track count: are they all ignored?)", f.Source)
	}
	return pk, l.roots, nil
}

// sorted returns the entries by zip path; two on one path are an error
// naming both origins.
func (l *packageLister) sorted() ([]plan.Entry, error) {
	idx := make([]int, len(l.entries))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return l.entries[idx[a]].Path < l.entries[idx[b]].Path })
	out := make([]plan.Entry, len(idx))
	for i, j := range idx {
		out[i] = l.entries[j]
		if i > 0 && out[i-1].Path == out[i].Path {
			return nil, fmt.Errorf("%s lands on zip path %s, which %s also fills; rename one, or change a bundle's to", l.origin[j], out[i].Path, l.origin[idx[i-1]])
		}
	}
	return out, nil
}

func (v *gitView) newLister(f *manifest.Function) *packageLister {
	return &packageLister{v: v, fn: f, excluded: map[string]bool{}, visiting: map[string]bool{}}
}

// filter returns the lister's cache of include/exclude answers, shared by
// every function with the same patterns (most take them from defaults, and
// many package the same library under the same name).
func (l *packageLister) filter() map[string]bool {
	if l.answers == nil {
		key := strings.Join(l.include, "\x00") + "\x01" + strings.Join(l.exclude, "\x00")
		l.v.mu.Lock()
		if l.v.filters == nil {
			l.v.filters = map[string]map[string]bool{}
		}
		if l.v.filters[key] == nil {
			l.v.filters[key] = map[string]bool{}
		}
		l.answers = l.v.filters[key]
		l.v.mu.Unlock()
	}
	return l.answers
}

// addTree adds what git's view holds at repository path p (a folder or a
// file) at zipPath of the zip.
func (l *packageLister) addTree(p, zipPath, why string) error {
	l.roots = append(l.roots, root{path: p, zipPath: zipPath, filtered: l.filtered})
	it, exists, err := l.v.lookup(p)
	if err != nil {
		return err
	}
	if !exists {
		return fmt.Errorf("%s: nothing is there in git's view of the tree (missing, or ignored by .gitignore)", why)
	}
	if it != nil { // a file (or a link)
		name := zipPath
		if name == "" {
			name = path.Base(p)
		}
		return l.addItem(*it, name, why, 0)
	}
	real := l.v.prefix + p
	if l.visiting[real] {
		return fmt.Errorf("%s makes a cycle: %s is already being packaged", why, p)
	}
	l.visiting[real] = true
	defer delete(l.visiting, real)
	items, err := l.v.at(p)
	if err != nil {
		return err
	}
	l.entries = slices.Grow(l.entries, len(items))
	for _, it := range items {
		rel := strings.TrimPrefix(it.path, p+"/")
		if p == "." {
			rel = it.path
		}
		name := rel
		if zipPath != "" {
			name = zipPath + "/" + rel
		}
		if err := l.addItem(it, name, why, 0); err != nil {
			return err
		}
	}
	return nil
}

// addItem adds one item of git's view at zip path name.
func (l *packageLister) addItem(it item, name, why string, depth int) error {
	if l.filtered && !l.selected(name) {
		return nil
	}
	if never(name) {
		return nil
	}
	switch it.mode {
	case filemode.Symlink:
		return l.addLink(it, name, why, depth)
	case filemode.Submodule:
		return l.addSubmodule(it, name, why)
	}
	if strings.Contains(name, `\`) {
		return fmt.Errorf("%s has a backslash in its name (%s), which some unzip tools take for a folder separator (a zip-slip risk); rename it", l.v.prefix+it.path, name)
	}
	l.origin = append(l.origin, why)
	l.entries = append(l.entries, plan.Entry{
		Path: name, File: l.v.prefix + it.path, Exec: it.mode == filemode.Executable,
		Blob: it.hash, Size: it.size, ModTime: it.modTime,
	})
	return nil
}

// addLink resolves a symlink in git's view and adds what it points to.
func (l *packageLister) addLink(it item, name, why string, depth int) error {
	if depth > maxLinkDepth {
		return fmt.Errorf("symlink %s: too many levels of symlinks", it.path)
	}
	abs := filepath.Join(l.v.repo.Root, filepath.FromSlash(it.path))
	target, err := os.Readlink(abs)
	if err != nil {
		return fmt.Errorf("read symlink %s: %w", it.path, err)
	}
	desc := fmt.Sprintf("symlink %s -> %s", l.v.prefix+it.path, target)
	resolved, err := l.v.resolve(it.path, target, 0)
	if err != nil {
		return fmt.Errorf("%s: %w", desc, err)
	}
	tit, exists, err := l.v.lookup(resolved)
	if err != nil {
		return err
	}
	if !exists {
		return fmt.Errorf("%s: %s is not in git's view of the tree (missing, or ignored by .gitignore), so lambdas cannot plan or package it; commit it, fix the link, or exclude %s", desc, resolved, name)
	}
	if tit != nil {
		if tit.mode == filemode.Symlink {
			return l.addLink(*tit, name, why, depth+1)
		}
		if tit.mode == filemode.Submodule {
			return l.addSubmodule(*tit, name, desc)
		}
		return l.addItem(*tit, name, desc, depth)
	}
	// A folder: its files, under the link's name.
	real := l.v.prefix + resolved
	if l.visiting[real] {
		return fmt.Errorf("%s makes a cycle: %s is already being packaged", desc, resolved)
	}
	l.visiting[real] = true
	defer delete(l.visiting, real)
	l.roots = append(l.roots, root{path: resolved, zipPath: name, filtered: l.filtered})
	items, err := l.v.at(resolved)
	if err != nil {
		return err
	}
	l.entries = slices.Grow(l.entries, len(items))
	for _, sub := range items {
		if err := l.addItem(sub, name+"/"+strings.TrimPrefix(sub.path, resolved+"/"), desc, depth); err != nil {
			return err
		}
	}
	return nil
}

// resolve turns the target of the link at repository path link into a
// clean repository path, following links in the folders along the way as
// the kernel would; a path that leaves the repository is an error.
func (v *gitView) resolve(link, target string, depth int) (string, error) {
	if depth > maxLinkDepth {
		return "", errors.New("too many levels of symlinks (a cycle?)")
	}
	var p string
	if filepath.IsAbs(target) {
		rel, err := filepath.Rel(v.repo.Root, filepath.Clean(target))
		if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			return "", errors.New("it leaves the repository; lambdas packages only files inside it (copy the files in, or use a bundle)")
		}
		p = filepath.ToSlash(rel)
	} else {
		p = path.Join(path.Dir(link), filepath.ToSlash(target))
	}
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", errors.New("it leaves the repository; lambdas packages only files inside it (copy the files in, or use a bundle)")
	}
	if p == ".git" || strings.HasPrefix(p, ".git/") {
		return "", errors.New("it points into git's own folder")
	}
	// A link among the folders on the way is followed first.
	parts := strings.Split(p, "/")
	for i := 1; i < len(parts); i++ {
		prefix := strings.Join(parts[:i], "/")
		it, _, err := v.lookup(prefix)
		if err != nil {
			return "", err
		}
		if it != nil && it.mode == filemode.Symlink {
			t, err := os.Readlink(filepath.Join(v.repo.Root, filepath.FromSlash(prefix)))
			if err != nil {
				return "", err
			}
			base, err := v.resolve(prefix, t, depth+1)
			if err != nil {
				return "", err
			}
			return v.resolve(base+"/x", strings.Join(parts[i:], "/"), depth+1)
		}
	}
	if p == "" {
		p = "."
	}
	return p, nil
}

// addSubmodule adds a submodule's own checked-out tree, under the same rules.
func (l *packageLister) addSubmodule(it item, name, why string) error {
	sub, err := l.v.submodule(it.path)
	if err != nil {
		return err
	}
	saved := l.v
	l.v = sub
	defer func() { l.v = saved }()
	items, err := sub.at(".")
	if err != nil {
		return err
	}
	l.roots = append(l.roots, root{path: sub.prefix + ".", zipPath: name, filtered: l.filtered})
	for _, s := range items {
		if err := l.addItem(s, name+"/"+s.path, why+" (submodule "+it.path+")", 0); err != nil {
			return err
		}
	}
	return nil
}

// submodule returns the view of the submodule checked out at p.
func (v *gitView) submodule(p string) (*gitView, error) {
	v.mu.Lock()
	sub, ok := v.subs[p]
	v.mu.Unlock()
	if ok {
		return sub, nil
	}
	dir := filepath.Join(v.repo.Root, filepath.FromSlash(p))
	if _, err := os.Stat(filepath.Join(dir, ".git")); err != nil {
		return nil, fmt.Errorf("submodule %s is not checked out, so there is nothing to package; run `git submodule update --init %s`, or exclude it", v.prefix+p, p)
	}
	r, err := OpenRepo(dir)
	if err != nil {
		return nil, fmt.Errorf("submodule %s: %w", v.prefix+p, err)
	}
	if r.Root != dir {
		return nil, fmt.Errorf("submodule %s is not checked out (its folder is not a repository of its own); run `git submodule update --init %s`", v.prefix+p, p)
	}
	sub, err = newView(r)
	if err != nil {
		return nil, err
	}
	sub.prefix = v.prefix + p + "/"
	v.mu.Lock()
	v.subs[p] = sub
	v.mu.Unlock()
	return sub, nil
}

// submoduleChanges are the uncommitted changes seen in the submodules
// listed so far, with superproject paths.
func (v *gitView) submoduleChanges() []Uncommitted {
	v.mu.Lock()
	subs := make([]*gitView, 0, len(v.subs))
	for _, s := range v.subs {
		subs = append(subs, s)
	}
	v.mu.Unlock()
	var out []Uncommitted
	for _, s := range subs {
		s.mu.Lock()
		for _, u := range s.changes {
			u.Path = s.prefix + u.Path
			out = append(out, u)
		}
		s.mu.Unlock()
		out = append(out, s.submoduleChanges()...)
	}
	return out
}

// never reports zip paths lambdas never packages: anything under a folder
// named .git or .lambdas (its own state and output). (No split: it runs for
// every entry of every package.)
func never(name string) bool {
	for _, dir := range [...]string{".git", ".lambdas"} {
		if name == dir || strings.HasPrefix(name, dir+"/") || strings.HasSuffix(name, "/"+dir) || strings.Contains(name, "/"+dir+"/") {
			return true
		}
	}
	return false
}

// selected applies include and exclude to a zip path: a pattern that
// matches a folder covers everything beneath it; a file is packaged when
// it (or a folder above it) is included, and neither it nor a folder above
// it is excluded.
func (l *packageLister) selected(name string) bool {
	if l.v == nil { // inRoots' throwaway lister
		return l.match(name)
	}
	answers := l.filter()
	if ok, known := answers[name]; known {
		return ok
	}
	ok := l.match(name)
	answers[name] = ok
	return ok
}

func (l *packageLister) match(name string) bool {
	parts := strings.Split(name, "/")
	for i := 1; i < len(parts); i++ {
		dir := strings.Join(parts[:i], "/")
		ex, ok := l.excluded[dir]
		if !ok {
			ex = matchAny(l.exclude, dir)
			l.excluded[dir] = ex
		}
		if ex {
			return false
		}
	}
	if matchAny(l.exclude, name) {
		return false
	}
	if len(l.include) == 0 {
		return true
	}
	for i := 1; i <= len(parts); i++ {
		if matchAny(l.include, strings.Join(parts[:i], "/")) {
			return true
		}
	}
	return false
}

func matchAny(pats []string, name string) bool {
	for _, p := range pats {
		c := strings.TrimPrefix(p, "./")
		if len(c) > 1 {
			c = strings.TrimSuffix(c, "/")
		}
		if doublestar.MatchUnvalidated(c, name) {
			return true
		}
	}
	return false
}

// inRoots says whether a repository path feeds the package through one of
// its roots (and is not filtered out there).
func inRoots(p string, roots []root, include, exclude []string) bool {
	l := &packageLister{include: include, exclude: exclude, excluded: map[string]bool{}}
	for _, r := range roots {
		if !under(p, r.path) {
			continue
		}
		if !r.filtered {
			return true
		}
		rel := strings.TrimPrefix(p, r.path+"/")
		if r.path == "." {
			rel = p
		} else if p == r.path {
			rel = path.Base(p)
		}
		name := rel
		if r.zipPath != "" {
			name = r.zipPath + "/" + rel
			if p == r.path {
				name = r.zipPath
			}
		}
		if l.selected(name) && !never(name) {
			return true
		}
	}
	return false
}
