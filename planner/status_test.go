package planner

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// indexEntries returns the index entries at or below p, as Uncommitted sees them.
func indexEntries(t *testing.T, repo *Repo, p string) []*index.Entry {
	t.Helper()
	idx, _, err := repo.loadIndex()
	if err != nil {
		t.Fatal(err)
	}
	s := &scanner{entries: idx.Entries}
	return s.under(p)
}

// TestIndexHashMatchesGit hashes index entries into trees and compares with
// the hashes git itself gives: of HEAD's trees after a commit, and of
// `git write-tree --prefix` for an index with staged changes.
func TestIndexHashMatchesGit(t *testing.T) {
	r := newTestRepo(t)
	r.files(map[string]string{
		// Names that sort differently as files and as folders: git orders a
		// folder "a" as "a/", after "a-b" and "a.txt", before "a0".
		"a/b":        "a/b\n",
		"a/b.c":      "a/b.c\n",
		"a/a-b/c":    "deep\n",
		"a.txt":      "a.txt\n",
		"a-b":        "a-b\n",
		"a0":         "a0\n",
		"lib/x/y/z":  "z\n",
		"lib/x.py":   "x.py\n",
		"lib/x-y.py": "x-y\n",
		"lib/x0/k":   "k\n",
		"lib/xx":     "xx\n",
		"bin/run.sh": "#!/bin/sh\necho run\n",
		"empty":      "",
		"sp ace.txt": "space\n",
		"ü/ñ.txt":    "unicode\n",
		"top.txt":    "top\n",
	})
	r.chmod("bin/run.sh", 0o755)
	r.symlink("run.sh", "bin/link")
	r.symlink("../lib", "bin/dirlink")
	r.symlink("does/not/exist", "dangling")
	r.commit("tricky names")

	dirs := []string{".", "a", "a/a-b", "lib", "lib/x", "lib/x/y", "bin", "ü"}
	files := []string{"a.txt", "a-b", "a/b", "bin/run.sh", "bin/link", "bin/dirlink", "dangling", "empty", "sp ace.txt", "ü/ñ.txt"}

	check := func(when string, want func(p string, dir bool) string) {
		t.Helper()
		repo := r.open()
		for _, p := range append(append([]string(nil), dirs...), files...) {
			isDir := !contains(files, p)
			got := indexHash(p, indexEntries(t, repo, p)).String()
			if w := want(p, isDir); got != w {
				t.Errorf("%s: indexHash(%q) = %s, git says %s", when, p, got, w)
			}
		}
	}

	check("committed", func(p string, dir bool) string {
		if p == "." {
			return r.git("rev-parse", "HEAD^{tree}")
		}
		return r.git("rev-parse", "HEAD:"+p)
	})

	// Stage changes of every kind, then compare with what git would commit.
	r.write("lib/x.py", "x.py changed\n")
	r.write("lib/new/n.py", "new\n")
	r.write("a/a-b/c0", "sibling\n")
	r.chmod("top.txt", 0o755)
	r.symlink("x.py", "lib/x/link")
	r.git("add", "-A")
	r.git("rm", "-q", "a0", "lib/xx")
	check("staged", func(p string, dir bool) string {
		if !dir {
			return r.git("rev-parse", ":"+p)
		}
		if p == "." {
			return r.git("write-tree")
		}
		return r.git("write-tree", "--prefix="+p+"/")
	})

	// A path nothing is at hashes to zero.
	repo := r.open()
	if h := indexHash("nope", indexEntries(t, repo, "nope")); !h.IsZero() {
		t.Errorf("indexHash of a missing path = %s, want zero", h)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// baseRepo is the repository most Uncommitted cases start from.
func baseRepo(t *testing.T) *testRepo {
	t.Helper()
	r := newTestRepo(t)
	r.files(map[string]string{
		".gitignore":       "*.log\n!keep.log\nbuild/\n",
		"fn/.gitignore":    "*.tmp\n/local.txt\nlib/gen.py\n",
		"fn/app.py":        "print('app')\n",
		"fn/run.sh":        "#!/bin/sh\necho run\n",
		"fn/lib/util.py":   "def util(): pass\n",
		"other/x.py":       "x = 1\n",
		"single.txt":       "single\n",
		"fn/tracked.log":   "tracked log\n",
		"fn/build/keep.js": "keep\n",
	})
	r.chmod("fn/run.sh", 0o755)
	r.symlink("fn/app.py", "link")
	r.git("add", "-A")
	r.git("add", "-f", "fn/tracked.log", "fn/build/keep.js")
	r.git("commit", "-q", "-m", "base")
	return r
}

func TestUncommitted(t *testing.T) {
	app, appNew := "print('app')\n", "print('new')\n"
	u := func(path, kind, content string) Uncommitted {
		if kind == "deleted" {
			return Uncommitted{Path: path, Kind: kind}
		}
		return Uncommitted{Path: path, Kind: kind, Hash: blob(t, content)}
	}
	all := []string{"fn", "other", "single.txt", "link"}
	tests := []struct {
		name  string
		setup func(r *testRepo)
		paths []string // default: all
		want  []Uncommitted
	}{
		{name: "clean", setup: func(r *testRepo) {}},
		{name: "clean, whole tree", setup: func(r *testRepo) {}, paths: []string{"."}},
		{name: "modified", setup: func(r *testRepo) { r.write("fn/app.py", "print('app changed')\n") },
			want: []Uncommitted{u("fn/app.py", "modified", "print('app changed')\n")}},
		{name: "modified, same size", setup: func(r *testRepo) { r.write("fn/app.py", appNew) },
			want: []Uncommitted{u("fn/app.py", "modified", appNew)}},
		{name: "chmod +x", setup: func(r *testRepo) { r.chmod("fn/app.py", 0o755) },
			want: []Uncommitted{u("fn/app.py", "modified", app)}},
		{name: "chmod -x", setup: func(r *testRepo) { r.chmod("fn/run.sh", 0o644) },
			want: []Uncommitted{u("fn/run.sh", "modified", "#!/bin/sh\necho run\n")}},
		{name: "staged only", setup: func(r *testRepo) { r.write("fn/app.py", appNew); r.git("add", "fn/app.py") },
			want: []Uncommitted{u("fn/app.py", "modified", appNew)}},
		{name: "staged mode change", setup: func(r *testRepo) { r.chmod("fn/app.py", 0o755); r.git("add", "fn/app.py") },
			want: []Uncommitted{u("fn/app.py", "modified", app)}},
		{name: "staged, then changed again", setup: func(r *testRepo) {
			r.write("fn/app.py", appNew)
			r.git("add", "fn/app.py")
			r.write("fn/app.py", "print('newer')\n")
		}, want: []Uncommitted{u("fn/app.py", "modified", "print('newer')\n")}},
		{name: "staged new file", setup: func(r *testRepo) { r.write("fn/new.py", "new\n"); r.git("add", "fn/new.py") },
			want: []Uncommitted{u("fn/new.py", "added", "new\n")}},
		{name: "deleted", setup: func(r *testRepo) { r.remove("fn/lib/util.py") },
			want: []Uncommitted{u("fn/lib/util.py", "deleted", "")}},
		{name: "deleted, staged", setup: func(r *testRepo) { r.git("rm", "-q", "fn/lib/util.py") },
			want: []Uncommitted{u("fn/lib/util.py", "deleted", "")}},
		{name: "folder deleted", setup: func(r *testRepo) { r.remove("fn") },
			want: []Uncommitted{
				u("fn/.gitignore", "deleted", ""), u("fn/app.py", "deleted", ""), u("fn/build/keep.js", "deleted", ""),
				u("fn/lib/util.py", "deleted", ""), u("fn/run.sh", "deleted", ""), u("fn/tracked.log", "deleted", ""),
			}},
		{name: "untracked", setup: func(r *testRepo) { r.write("fn/new.py", "new\n") },
			want: []Uncommitted{u("fn/new.py", "untracked", "new\n")}},
		{name: "untracked in a new folder", setup: func(r *testRepo) { r.write("fn/a/b/c.py", "c\n") },
			want: []Uncommitted{u("fn/a/b/c.py", "untracked", "c\n")}},
		{name: "untracked symlink", setup: func(r *testRepo) { r.symlink("../single.txt", "fn/s") },
			want: []Uncommitted{u("fn/s", "untracked", "../single.txt")}},
		{name: "ignored by the root .gitignore", setup: func(r *testRepo) { r.write("fn/debug.log", "x\n"); r.write("debug.log", "x\n") },
			paths: []string{"."}},
		{name: "re-included by a negation", setup: func(r *testRepo) { r.write("fn/keep.log", "keep\n") },
			want: []Uncommitted{u("fn/keep.log", "untracked", "keep\n")}},
		{name: "ignored by a nested .gitignore", setup: func(r *testRepo) { r.write("fn/scratch.tmp", "x\n"); r.write("fn/lib/deeper.tmp", "x\n") }},
		{name: "a nested .gitignore does not reach outside its folder", setup: func(r *testRepo) { r.write("other/scratch.tmp", "x\n") },
			want: []Uncommitted{u("other/scratch.tmp", "untracked", "x\n")}},
		{name: "anchored patterns of a nested .gitignore are relative to its folder", setup: func(r *testRepo) {
			r.write("fn/local.txt", "x\n")
			r.write("fn/lib/gen.py", "x\n")
			r.write("fn/lib/local.txt", "x\n")
			r.write("other/lib/gen.py", "x\n")
		}, want: []Uncommitted{u("fn/lib/local.txt", "untracked", "x\n"), u("other/lib/gen.py", "untracked", "x\n")}},
		{name: "ignored by .git/info/exclude", setup: func(r *testRepo) {
			r.write(".git/info/exclude", "# local\nsecret.env\n")
			r.write("fn/secret.env", "x\n")
		}},
		{name: "ignored by the global excludes file", setup: func(r *testRepo) { r.write("fn/x.globalignored", "x\n") }},
		{name: "untracked in an ignored folder", setup: func(r *testRepo) { r.write("other/build/out.js", "x\n"); r.write("build/out.js", "x\n") },
			paths: []string{"."}},
		{name: "untracked in an ignored folder that holds tracked files", setup: func(r *testRepo) { r.write("fn/build/out.js", "x\n") }},
		{name: "tracked file in an ignored folder, modified", setup: func(r *testRepo) { r.write("fn/build/keep.js", "changed\n") },
			want: []Uncommitted{u("fn/build/keep.js", "modified", "changed\n")}},
		{name: "tracked file matching an ignore pattern, modified", setup: func(r *testRepo) { r.write("fn/tracked.log", "changed\n") },
			want: []Uncommitted{u("fn/tracked.log", "modified", "changed\n")}},
		{name: "path is a file", setup: func(r *testRepo) { r.write("single.txt", "changed\n"); r.write("fn/app.py", appNew) },
			paths: []string{"single.txt"},
			want:  []Uncommitted{u("single.txt", "modified", "changed\n")}},
		{name: "path is a file, deleted", setup: func(r *testRepo) { r.remove("single.txt") },
			paths: []string{"single.txt"},
			want:  []Uncommitted{u("single.txt", "deleted", "")}},
		{name: "path is a file, staged", setup: func(r *testRepo) { r.write("single.txt", "staged\n"); r.git("add", "single.txt") },
			paths: []string{"single.txt"},
			want:  []Uncommitted{u("single.txt", "modified", "staged\n")}},
		{name: "path is a file, staged mode change", setup: func(r *testRepo) { r.chmod("single.txt", 0o755); r.git("add", "single.txt") },
			paths: []string{"single.txt"},
			want:  []Uncommitted{u("single.txt", "modified", "single\n")}},
		{name: "path is a symlink, retargeted", setup: func(r *testRepo) { r.symlink("other/x.py", "link") },
			want: []Uncommitted{u("link", "modified", "other/x.py")}},
		{name: "file became a symlink", setup: func(r *testRepo) { r.symlink("run.sh", "fn/app.py") },
			want: []Uncommitted{u("fn/app.py", "modified", "run.sh")}},
		{name: "changes outside the paths are not listed", setup: func(r *testRepo) {
			r.write("other/x.py", "x = 2\n")
			r.write("other/new.py", "n\n")
			r.write("top.py", "t\n")
		}, paths: []string{"fn", "single.txt"}},
		{name: "a path with no files", setup: func(r *testRepo) { r.write("fn/app.py", appNew) }, paths: []string{"nope", "fn/nope"}},
		{name: "path prefix is not a folder prefix", setup: func(r *testRepo) { r.write("fn2/x.py", "x\n"); r.write("fn.py", "x\n") },
			paths: []string{"fn"}},
		{name: "overlapping paths list a change once", setup: func(r *testRepo) { r.write("fn/lib/util.py", "changed\n") },
			paths: []string{"fn/lib", "fn", "fn/lib/util.py", "fn"},
			want:  []Uncommitted{u("fn/lib/util.py", "modified", "changed\n")}},
		{name: "whole tree, sorted", setup: func(r *testRepo) {
			r.write("zz.txt", "z\n")
			r.write("other/x.py", "x = 2\n")
			r.write("fn/app.py", appNew)
			r.remove("single.txt")
		}, paths: []string{"."}, want: []Uncommitted{
			u("fn/app.py", "modified", appNew), u("other/x.py", "modified", "x = 2\n"),
			u("single.txt", "deleted", ""), u("zz.txt", "untracked", "z\n"),
		}},
		{name: "paths whose plain sort puts a sibling between a folder and its subfolder", setup: func(r *testRepo) {
			r.write("fn/lib/util.py", "changed\n")
			r.remove("fn/run.sh")
		}, paths: []string{"fn/lib", "fn-a", "fn", "fn/run.sh"},
			want: []Uncommitted{u("fn/lib/util.py", "modified", "changed\n"), u("fn/run.sh", "deleted", "")}},
		{name: "staged change beside an intent-to-add file", setup: func(r *testRepo) {
			r.write("fn/app.py", appNew)
			r.git("add", "fn/app.py")
			r.write("fn/later.py", "later\n")
			r.git("add", "-N", "fn/later.py")
		}, want: []Uncommitted{u("fn/app.py", "modified", appNew), u("fn/later.py", "modified", "later\n")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := baseRepo(t)
			tt.setup(r)
			paths := tt.paths
			if paths == nil {
				paths = all
			}
			got, err := r.open().Uncommitted(paths)
			if err != nil {
				t.Fatalf("Uncommitted: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, statOnly); diff != "" {
				t.Errorf("Uncommitted(%q) (-want +got):\n%s", paths, diff)
			}
			// git status must list the same paths.
			if diff := cmp.Diff(gitStatusPaths(t, r, paths), uncommittedPaths(got)); diff != "" {
				t.Errorf("paths differ from git status (-git +lambdas):\n%s", diff)
			}
		})
	}
}

func uncommittedPaths(us []Uncommitted) []string {
	out := []string{}
	for _, u := range us {
		out = append(out, u.Path)
	}
	return out
}

// gitStatusPaths is the paths git status lists as changed under paths, one
// per file. --no-optional-locks keeps git from refreshing the index, which
// would change what the next scan sees.
func gitStatusPaths(t *testing.T, r *testRepo, paths []string) []string {
	t.Helper()
	args := append([]string{"--no-optional-locks", "-c", "status.renames=false", "status", "--porcelain=v1", "-z", "-uall", "--"}, paths...)
	cmd := exec.Command("git", args...)
	cmd.Dir = r.root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git status: %v", err)
	}
	set := map[string]bool{}
	for _, rec := range strings.Split(string(out), "\x00") {
		if len(rec) > 3 {
			set[rec[3:]] = true
		}
	}
	list := []string{}
	for p := range set {
		list = append(list, p)
	}
	sort.Strings(list)
	return list
}

// TestUncommittedRacyGit changes a file's content without changing its size
// and puts its mtime back (os.Chtimes), so that its stat matches the index.
//
// What we found: lambdas, like git, trusts a matching stat unless the entry
// is "racy" (its mtime not older than the index file's) and then reads the
// file. So the change is seen when the index is not newer than the file
// (cases "index as old as the file" and "file dated in the future"). When
// the index is newer, lambdas takes the file as unchanged: it compares mode,
// size and mtime only, as git does with core.trustCtime=false and
// core.checkStat=minimal. Plain git also compares ctime and the inode; the
// git on this machine (built without USE_NSEC, whole seconds only) missed
// the change as well when the ctime moved within the same second.
func TestUncommittedRacyGit(t *testing.T) {
	const before, after = "content one\n", "content two\n" // same size
	entryMTime := func(t *testing.T, r *testRepo, name string) time.Time {
		t.Helper()
		idx, _, err := r.open().loadIndex()
		if err != nil {
			t.Fatal(err)
		}
		e, err := idx.Entry(name)
		if err != nil {
			t.Fatal(err)
		}
		return e.ModifiedAt
	}
	setup := func(t *testing.T, fileTime time.Time) (*testRepo, time.Time) {
		r := newTestRepo(t)
		r.write("fn/a.txt", before)
		if !fileTime.IsZero() {
			if err := os.Chtimes(r.path("fn/a.txt"), fileTime, fileTime); err != nil {
				t.Fatal(err)
			}
		}
		r.commit("one")
		m := entryMTime(t, r, "fn/a.txt")
		r.write("fn/a.txt", after)
		if err := os.Chtimes(r.path("fn/a.txt"), m, m); err != nil {
			t.Fatal(err)
		}
		return r, m
	}
	setIndexTime := func(t *testing.T, r *testRepo, when time.Time) {
		t.Helper()
		if err := os.Chtimes(filepath.Join(r.root, ".git", "index"), when, when); err != nil {
			t.Fatal(err)
		}
	}
	modified := []Uncommitted{{Path: "fn/a.txt", Kind: "modified", Hash: blob(t, after)}}

	t.Run("index as old as the file", func(t *testing.T) {
		r, m := setup(t, time.Time{})
		setIndexTime(t, r, m)
		got, err := r.open().Uncommitted([]string{"fn"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(modified, got, statOnly); diff != "" {
			t.Errorf("racily clean file (-want +got):\n%s", diff)
		}
	})

	t.Run("file dated in the future", func(t *testing.T) {
		future := time.Now().Add(time.Hour).Truncate(time.Second).Add(123456789)
		r, m := setup(t, future)
		if !m.Equal(future) {
			t.Fatalf("index entry mtime %v, want %v", m, future)
		}
		got, err := r.open().Uncommitted([]string{"fn"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(modified, got, statOnly); diff != "" {
			t.Errorf("file newer than the index (-want +got):\n%s", diff)
		}
	})

	t.Run("index newer than the file", func(t *testing.T) {
		r, m := setup(t, time.Time{})
		setIndexTime(t, r, m.Add(10*time.Second))
		got, err := r.open().Uncommitted([]string{"fn"})
		if err != nil {
			t.Fatal(err)
		}
		minimal := r.git("--no-optional-locks", "-c", "core.trustCtime=false", "-c", "core.checkStat=minimal", "status", "--porcelain", "--", "fn")
		t.Logf("lambdas: %v; git status with trustCtime=false, checkStat=minimal: %q", got, minimal)
		if (len(got) == 0) != (minimal == "") {
			t.Errorf("lambdas sees %v, git with trustCtime=false and checkStat=minimal sees %q: they should agree", got, minimal)
		}
	})
}

func TestCollapse(t *testing.T) {
	tests := []struct {
		in   []string
		want []string
	}{
		{nil, nil},
		{[]string{""}, nil},
		{[]string{"fn"}, []string{"fn"}},
		{[]string{"fn", "fn"}, []string{"fn"}},
		{[]string{"fn/lib", "fn"}, []string{"fn"}},
		{[]string{"fn/lib/x.py", "fn/lib", "fn"}, []string{"fn"}},
		{[]string{"fn", "fn2", "fn-a", "fn.py"}, []string{"fn", "fn-a", "fn.py", "fn2"}},
		{[]string{"fn-a/x", "fn", "fn/x"}, []string{"fn", "fn-a/x"}},
		{[]string{"b", ".", "a"}, []string{"."}},
		{[]string{"libs/shared", "functions/api", "libs/shared/x", "", "functions/api/requirements.txt"}, []string{"functions/api", "libs/shared"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, collapse(tt.in)); diff != "" {
			t.Errorf("collapse(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
	in := []string{"b", "a"}
	collapse(in)
	if diff := cmp.Diff([]string{"b", "a"}, in); diff != "" {
		t.Errorf("collapse changed its argument (-want +got):\n%s", diff)
	}
}

// TestUncommittedDuringAMergeConflict: a merge stops on a conflict in one
// file and stages the files it merged cleanly; both kinds are uncommitted.
func TestUncommittedDuringAMergeConflict(t *testing.T) {
	r := baseRepo(t)
	r.git("checkout", "-q", "-b", "side")
	r.write("fn/app.py", "print('side')\n")
	r.write("fn/lib/util.py", "def util(): return 'side'\n")
	r.commit("side")
	r.git("checkout", "-q", "main")
	r.write("fn/app.py", "print('main')\n")
	r.commit("main")
	cmd := exec.Command("git", "merge", "-q", "--no-edit", "side")
	cmd.Dir = r.root
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("merge did not stop on a conflict:\n%s", out)
	}
	got, err := r.open().Uncommitted([]string{"fn"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(gitStatusPaths(t, r, []string{"fn"}), uncommittedPaths(got)); diff != "" {
		t.Errorf("paths differ from git status (-git +lambdas):\n%s", diff)
	}
	for _, u := range got {
		if u.Path == "fn/lib/util.py" && u.Hash != blob(t, "def util(): return 'side'\n") {
			t.Errorf("merged file %+v: want the hash of the merged content", u)
		}
	}
}

// statOnly compares what Uncommitted says changed, not the stat it carries
// for the packager.
var statOnly = cmp.Options{cmpopts.IgnoreFields(Uncommitted{}, "Mode", "Size", "ModTime"), cmpopts.EquateEmpty()}

// TestCachedTreesMatchGit: the index's cache of tree hashes, as the planner
// reads it, gives git's tree hashes, and folders with staged changes are
// not in it.
func TestCachedTreesMatchGit(t *testing.T) {
	r := newTestRepo(t)
	r.files(map[string]string{"a/b/c.txt": "c\n", "a/d.txt": "d\n", "e/f.txt": "f\n", "top.txt": "t\n"})
	r.commit("base")
	r.write("e/f.txt", "staged\n")
	r.git("add", "e/f.txt")
	repo := r.open()
	idx, _, err := repo.loadIndex()
	if err != nil {
		t.Fatal(err)
	}
	trees := repo.cachedTrees(idx)
	for _, p := range []string{"a", "a/b"} {
		if got, want := trees[p].String(), r.git("rev-parse", "HEAD:"+p); got != want {
			t.Errorf("cached tree of %s = %s, git says %s", p, got, want)
		}
	}
	for _, p := range []string{".", "e"} {
		if h, ok := trees[p]; ok {
			t.Errorf("%s has a staged change but a cached tree %s", p, h)
		}
	}
}
