package planner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Repo is the git repository the manifest lives in, read through go-git.
type Repo struct {
	git      *git.Repository
	Root     string        // absolute worktree root
	Head     plumbing.Hash // the commit HEAD points at
	Branch   string        // short branch name, "" when detached
	Shallow  bool
	headTree *object.Tree
	gitDir   string // where the index lives (a linked worktree has its own)
	// objects serialises reads of git objects: go-git's trees cache lookups
	// in unguarded maps and its object storage is not safe for concurrent use.
	objects sync.Mutex
	trees   map[string]*object.Tree // see dirTree
	// prefetched is the index and folder cache, read in the background from
	// OpenRepo on: decoding them overlaps with loading the manifest.
	prefetched chan prefetch

	configOnce sync.Once
	config     map[string]string // see configValue
	treesOnce  sync.Once
	cacheTree  map[string]plumbing.Hash // see cachedTrees
}

type prefetch struct {
	index *index.Index
	err   error
	dirs  *dirCache
}

// OpenRepo opens the repository containing dir: from a subfolder, in a
// linked worktree (whose objects live in the common dir), in a shallow clone.
func OpenRepo(dir string) (*Repo, error) {
	r, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, fmt.Errorf("%s is not inside a git repository; lambdas plans from git history: run it in your monorepo (git init, commit your functions)", dir)
	}
	if err != nil {
		return nil, fmt.Errorf("open git repository at %s: %w", dir, err)
	}
	wt, err := r.Worktree()
	if err != nil {
		return nil, fmt.Errorf("open git repository at %s: %w (a bare repository has no files to release)", dir, err)
	}
	ref, err := r.Head()
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return nil, fmt.Errorf("the git repository at %s has no commits yet; commit your functions first", wt.Filesystem.Root())
	}
	if err != nil {
		return nil, fmt.Errorf("read HEAD: %w", err)
	}
	commit, err := r.CommitObject(ref.Hash())
	if err != nil {
		return nil, fmt.Errorf("read HEAD commit %s: %w", ref.Hash(), err)
	}
	tree, err := commit.Tree()
	if err != nil {
		return nil, fmt.Errorf("read HEAD tree: %w", err)
	}
	repo := &Repo{git: r, Root: wt.Filesystem.Root(), Head: ref.Hash(), headTree: tree}
	if ref.Name().IsBranch() {
		repo.Branch = ref.Name().Short()
	}
	if shallow, err := r.Storer.Shallow(); err == nil && len(shallow) > 0 {
		repo.Shallow = true
	}
	repo.gitDir = findGitDir(repo.Root)
	repo.prefetched = make(chan prefetch, 1)
	go func() {
		idx, err := r.Storer.Index()
		repo.prefetched <- prefetch{index: idx, err: err, dirs: loadDirCache(repo.gitDir)}
	}()
	return repo, nil
}

// findGitDir returns the folder holding this worktree's index: .git, or the
// folder a linked worktree's .git file points at.
func findGitDir(root string) string {
	dot := filepath.Join(root, ".git")
	fi, err := os.Stat(dot)
	if err != nil || fi.IsDir() {
		return dot
	}
	data, err := os.ReadFile(dot)
	if err != nil {
		return dot
	}
	line := strings.TrimSpace(string(data))
	if p, ok := strings.CutPrefix(line, "gitdir:"); ok {
		p = strings.TrimSpace(p)
		if !filepath.IsAbs(p) {
			p = filepath.Join(root, p)
		}
		return p
	}
	return dot
}

// HeadEntry returns the hash of the tree or blob at path in HEAD ("." is the
// root tree), or the zero hash when HEAD has nothing there.
func (r *Repo) HeadEntry(path string) (plumbing.Hash, error) {
	r.objects.Lock()
	defer r.objects.Unlock()
	return r.entryAt(r.headTree, path)
}

// entryAt returns the hash of the tree or blob at path under root, or the
// zero hash. The caller holds r.objects.
func (r *Repo) entryAt(root *object.Tree, path string) (plumbing.Hash, error) {
	if path == "." || path == "" {
		return root.Hash, nil
	}
	dir, name := "", path
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		dir, name = path[:i], path[i+1:]
	}
	parent, err := r.dirTree(root, dir)
	if parent == nil || err != nil {
		return plumbing.ZeroHash, err
	}
	for _, e := range parent.Entries {
		if e.Name == name {
			return e.Hash, nil
		}
	}
	return plumbing.ZeroHash, nil
}

// dirTree returns the tree at folder dir ("" or "." is root itself) under
// root, or nil when there is no folder there. Trees are cached by root and
// folder: go-git decodes a tree again on every FindEntry, and hundreds of
// functions share parent folders. A tree that cannot be read is an error,
// never cached as "no folder". The caller holds r.objects.
func (r *Repo) dirTree(root *object.Tree, dir string) (*object.Tree, error) {
	if dir == "" || dir == "." {
		return root, nil
	}
	key := root.Hash.String() + ":" + dir
	if t, ok := r.trees[key]; ok {
		return t, nil
	}
	parentPath, name := "", dir
	if i := strings.LastIndexByte(dir, '/'); i >= 0 {
		parentPath, name = dir[:i], dir[i+1:]
	}
	var t *object.Tree
	parent, err := r.dirTree(root, parentPath)
	if err != nil {
		return nil, err
	}
	if parent != nil {
		for _, e := range parent.Entries {
			if e.Name == name && e.Mode == filemode.Dir {
				if t, err = r.git.TreeObject(e.Hash); err != nil {
					return nil, fmt.Errorf("read git tree %s (%s): %w", dir, e.Hash, err)
				}
				break
			}
		}
	}
	if r.trees == nil {
		r.trees = map[string]*object.Tree{}
	}
	r.trees[key] = t
	return t, nil
}

// ErrCommitMissing says a recorded commit is not in this clone.
var ErrCommitMissing = errors.New("commit not in this clone")

// ChangedFiles lists the files under paths that differ between commit from
// and HEAD, sorted. It returns ErrCommitMissing when from is not in the
// repository (a shallow clone, rewritten history).
func (r *Repo) ChangedFiles(from string, paths []string) ([]string, error) {
	r.objects.Lock()
	defer r.objects.Unlock()
	c, err := r.git.CommitObject(plumbing.NewHash(from))
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, ErrCommitMissing
	}
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", from, err)
	}
	old, err := c.Tree()
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, ErrCommitMissing // a shallow clone's boundary
	}
	if err != nil {
		return nil, fmt.Errorf("read the tree of commit %s: %w", from, err)
	}
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		files, err := r.diffPath(old, r.headTree, p)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// diffPath diffs one path (folder or file) between two root trees. The
// caller holds r.objects.
func (r *Repo) diffPath(oldRoot, newRoot *object.Tree, p string) ([]string, error) {
	oldHash, err := r.entryAt(oldRoot, p)
	if err != nil {
		return nil, err
	}
	newHash, err := r.entryAt(newRoot, p)
	if err != nil {
		return nil, err
	}
	if oldHash == newHash {
		return nil, nil
	}
	oldSub, err := r.dirTree(oldRoot, p)
	if err != nil {
		return nil, err
	}
	newSub, err := r.dirTree(newRoot, p)
	if err != nil {
		return nil, err
	}
	oldIsTree, newIsTree := oldSub != nil, newSub != nil
	if !oldIsTree && !newIsTree {
		return []string{p}, nil // a file, or a path that appeared or vanished as a file
	}
	if !oldIsTree {
		oldSub = &object.Tree{}
	}
	if !newIsTree {
		newSub = &object.Tree{}
	}
	changes, err := object.DiffTree(oldSub, newSub)
	if err != nil {
		return nil, fmt.Errorf("diff %s: %w", p, err)
	}
	var out []string
	for _, ch := range changes {
		name := ch.To.Name
		if name == "" {
			name = ch.From.Name
		}
		if p != "." {
			name = p + "/" + name
		}
		out = append(out, name)
	}
	return out, nil
}

// treeModeString is the octal mode git writes in tree objects.
func treeModeString(m filemode.FileMode) string {
	return fmt.Sprintf("%o", uint32(m))
}

// loadIndex returns this worktree's index and folder cache, read once.
func (r *Repo) loadIndex() (*index.Index, *dirCache, error) {
	p := <-r.prefetched
	r.prefetched <- p // for the next caller
	if p.err != nil {
		return nil, nil, fmt.Errorf("read git index: %w", p.err)
	}
	return p.index, p.dirs, nil
}
