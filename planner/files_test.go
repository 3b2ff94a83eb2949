package planner

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lambdas-dev/lambdas/manifest"
	"github.com/lambdas-dev/lambdas/planner/plan"
	"github.com/lambdas-dev/lambdas/state"
)

// gitsView is what git itself says the work tree holds under p, path →
// blob hash of what `git add -A` would store: tracked and untracked files
// that are not ignored (git ls-files -co --exclude-standard), without the
// deleted ones, hashed by git hash-object (which applies attributes).
func gitsView(t *testing.T, r *testRepo, p string) map[string]string {
	t.Helper()
	out := map[string]string{}
	list := r.git("-c", "core.quotepath=off", "ls-files", "-z", "-co", "--exclude-standard", "--", p)
	deleted := map[string]bool{}
	for _, d := range strings.Split(r.git("ls-files", "-z", "-d", "--", p), "\x00") {
		deleted[d] = true
	}
	var files []string
	for _, f := range strings.Split(list, "\x00") {
		if f != "" && !deleted[f] {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		return out
	}
	// Symlinks are stored as their target text; hash-object would follow them.
	var regular []string
	for _, f := range files {
		fi, err := os.Lstat(r.path(f))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(r.path(f))
			out[f] = blob(t, target)
		case fi.Mode().IsRegular():
			regular = append(regular, f)
		}
	}
	cmd := exec.Command("git", "hash-object", "--stdin-paths")
	cmd.Dir = r.root
	cmd.Stdin = strings.NewReader(strings.Join(regular, "\n") + "\n")
	data, err := cmd.Output()
	if err != nil {
		t.Fatalf("git hash-object: %v", err)
	}
	for i, h := range strings.Fields(string(data)) {
		out[regular[i]] = h
	}
	return out
}

func ourView(t *testing.T, r *testRepo, p string) map[string]string {
	t.Helper()
	v, err := newView(r.open())
	if err != nil {
		t.Fatal(err)
	}
	items, err := v.at(p)
	if err != nil {
		t.Fatalf("view of %s: %v", p, err)
	}
	out := map[string]string{}
	for _, it := range items {
		out[it.path] = it.hash
	}
	return out
}

// TestViewMatchesGit: the files the planner sees, and their blob hashes,
// are git's, in repositories with nested .gitignore files, excludes,
// ignored-but-tracked files, uncommitted, staged, deleted and untracked
// files, and with and without the git binary.
func TestViewMatchesGit(t *testing.T) {
	setup := func(t *testing.T) *testRepo {
		r := newTestRepo(t)
		r.files(map[string]string{
			".gitignore":                   "*.log\n/build/\n",
			"fn/app.py":                    "print('app')\n",
			"fn/.gitignore":                "__pycache__/\n.env\n!keep.log\n/local.cfg\n",
			"fn/keep.log":                  "kept: negated\n",
			"fn/sub/.gitignore":            "*.tmp\n",
			"fn/sub/mod.py":                "x = 1\n",
			"fn/sub/deep/local.cfg":        "anchored only at fn/, so this one counts\n",
			"fn/tracked-then-ignored.tmp":  "tracked before the rule\n",
			"other/file.py":                "other\n",
			"fn/sub/tracked.tmp.committed": "no rule matches\n",
		})
		r.git("add", "-A")
		r.git("add", "-f", "fn/tracked-then-ignored.tmp")
		r.git("commit", "-qm", "base")
		// After the commit: ignored, untracked, modified, staged, deleted.
		r.files(map[string]string{
			"fn/.env":                "SECRET=1\n",
			"fn/__pycache__/app.pyc": "bytecode\n",
			"fn/debug.log":           "ignored by the root .gitignore\n",
			"fn/local.cfg":           "ignored: anchored at fn/\n",
			"fn/sub/scratch.tmp":     "ignored by fn/sub/.gitignore\n",
			"fn/new.py":              "untracked, not ignored\n",
			"fn/sub/mod.py":          "x = 2  # modified\n",
			"fn/staged.py":           "staged\n",
			"build/out.js":           "ignored folder\n",
			"fn/excluded-by-info.py": "excluded in .git/info/exclude\n",
		})
		r.git("add", "fn/staged.py")
		r.remove("fn/keep.log")
		if err := os.MkdirAll(r.path(".git/info"), 0o755); err != nil {
			t.Fatal(err)
		}
		r.write(".git/info/exclude", "excluded-by-info.py\n")
		return r
	}
	for _, git := range []string{"", "off"} {
		name := "with the git binary"
		if git == "off" {
			name = "without it (LAMBDAS_GIT=off)"
		}
		t.Run(name, func(t *testing.T) {
			setGitBinary(t, git)
			r := setup(t)
			for _, p := range []string{"fn", "fn/sub", ".", "other/file.py"} {
				if diff := cmp.Diff(gitsView(t, r, p), ourView(t, r, p)); diff != "" {
					t.Errorf("view of %s (-git +lambdas):\n%s", p, diff)
				}
			}
		})
	}
}

// setGitBinary forces the in-process hashing ("off") or the git binary.
func setGitBinary(t *testing.T, v string) {
	t.Helper()
	old := gitBinary
	t.Cleanup(func() { gitBinary = old })
	if v == "off" {
		gitBinary = func() string { return "" }
		return
	}
	p, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	gitBinary = func() string { return p }
}

// TestAttributesAndEOL: a touch on a file under `*.py text eol=crlf` does
// not make the tree dirty where git status says clean, nor does a CRLF
// checkout with core.autocrlf; a real edit still does. With and without
// the git binary.
func TestAttributesAndEOL(t *testing.T) {
	cases := []struct {
		name  string
		setup func(r *testRepo)
	}{
		{"eol=crlf attribute", func(r *testRepo) {
			r.write(".gitattributes", "*.py text eol=crlf\n")
		}},
		{"text=auto", func(r *testRepo) {
			r.write(".gitattributes", "* text=auto\n")
		}},
		{"core.autocrlf=true", func(r *testRepo) {
			r.git("config", "core.autocrlf", "true")
		}},
		{"nested attributes override", func(r *testRepo) {
			r.write(".gitattributes", "*.py -text\n")
			r.write("fn/.gitattributes", "*.py text eol=crlf\n")
		}},
	}
	for _, git := range []string{"", "off"} {
		for _, c := range cases {
			t.Run(c.name+"/git="+git, func(t *testing.T) {
				setGitBinary(t, git)
				r := newTestRepo(t)
				c.setup(r)
				r.write("fn/app.py", "line one\nline two\n")
				r.commit("base")
				// A checkout that applies the conversion: CRLF in the worktree.
				r.remove("fn/app.py")
				r.git("checkout", "--", "fn/app.py")
				future := time.Now().Add(time.Minute)
				if err := os.Chtimes(r.path("fn/app.py"), future, future); err != nil { // a touch
					t.Fatal(err)
				}
				got, err := r.open().Uncommitted([]string{"fn"})
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(gitStatusPaths(t, r, []string{"fn"}), uncommittedPaths(got)); diff != "" {
					t.Errorf("after a touch (-git +lambdas):\n%s", diff)
				}
				if diff := cmp.Diff(gitsView(t, r, "fn"), ourView(t, r, "fn")); diff != "" {
					t.Errorf("view after a touch (-git +lambdas):\n%s", diff)
				}
				data, _ := os.ReadFile(r.path("fn/app.py"))
				r.write("fn/app.py", strings.Replace(string(data), "two", "2", 1))
				got, err = r.open().Uncommitted([]string{"fn"})
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff([]string{"fn/app.py"}, uncommittedPaths(got)); diff != "" {
					t.Errorf("after an edit (-want +lambdas):\n%s", diff)
				}
				if diff := cmp.Diff(gitsView(t, r, "fn"), ourView(t, r, "fn")); diff != "" {
					t.Errorf("view after an edit (-git +lambdas):\n%s", diff)
				}
			})
		}
	}
}

// TestFileMode: with core.fileMode=false a chmod is not a change, as git
// says, and the zip keeps the index's mode.
func TestFileMode(t *testing.T) {
	r := newTestRepo(t)
	r.write("fn/run.sh", "#!/bin/sh\n")
	r.chmod("fn/run.sh", 0o755)
	r.write("fn/app.py", "x\n")
	r.commit("base")
	r.git("config", "core.fileMode", "false")
	r.chmod("fn/run.sh", 0o644)
	r.chmod("fn/app.py", 0o755)
	got, err := r.open().Uncommitted([]string{"fn"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(gitStatusPaths(t, r, []string{"fn"}), uncommittedPaths(got)); diff != "" {
		t.Errorf("(-git +lambdas):\n%s", diff)
	}
	pk := listOf(t, r, &manifest.Function{Label: "fn", Source: "fn", Runtime: "python3.12", Architecture: "x86_64"})
	want := map[string]bool{"app.py": false, "run.sh": true}
	for _, e := range pk.Entries {
		if want[e.Path] != e.Exec {
			t.Errorf("%s: exec %v, want the index's %v", e.Path, e.Exec, want[e.Path])
		}
	}
}

func listOf(t *testing.T, r *testRepo, f *manifest.Function) *plan.Package {
	t.Helper()
	pk, _, err := listFunction(r, f)
	if err != nil {
		t.Fatalf("list %s: %v", f.Label, err)
	}
	return pk
}

func listFunction(r *testRepo, f *manifest.Function) (*plan.Package, []root, error) {
	v, err := newView(r.open())
	if err != nil {
		return nil, nil, err
	}
	if err := v.scan(Paths(f)); err != nil {
		return nil, nil, err
	}
	return v.listPackage(f)
}

func entryPaths(pk *plan.Package) []string {
	out := []string{}
	for _, e := range pk.Entries {
		out = append(out, e.Path)
	}
	return out
}

// TestPackageList: what a function's zip holds, case by case.
func TestPackageList(t *testing.T) {
	base := map[string]string{
		"libs/py/shared/__init__.py":   "from .money import *\n",
		"libs/py/shared/money.py":      "def cents(x): return x\n",
		"libs/py/shared/tests/test.py": "def test(): pass\n",
		"libs/js/util.js":              "module.exports = {}\n",
		"fn/app.py":                    "import shared\n",
		"fn/tests/test_app.py":         "def test(): pass\n",
		"fn/.gitignore":                ".env\n__pycache__/\n",
		".lambdas/state.json":          "{}\n",
	}
	fn := func(mod func(f *manifest.Function)) *manifest.Function {
		f := &manifest.Function{Label: "fn", Name: "fn", Source: "fn", Runtime: "python3.12", Architecture: "x86_64", Handler: "app.handler"}
		if mod != nil {
			mod(f)
		}
		return f
	}
	tests := []struct {
		name    string
		setup   func(r *testRepo)
		fn      *manifest.Function
		want    []string // zip paths
		wantErr string
	}{
		{name: "the source's files, never .lambdas", fn: fn(nil),
			want: []string{".gitignore", "app.py", "tests/test_app.py"}},
		{name: "exclude prunes a folder", fn: fn(func(f *manifest.Function) { f.Exclude = []string{"tests/**", ".gitignore"} }),
			want: []string{"app.py"}},
		{name: "include keeps what matches, folders cover their files", fn: fn(func(f *manifest.Function) { f.Include = []string{"*.py", "tests"} }),
			want: []string{"app.py", "tests/test_app.py"}},
		{name: "ignored files never ship", setup: func(r *testRepo) {
			r.write("fn/.env", "SECRET=1\n")
			r.write("fn/__pycache__/app.cpython-312.pyc", "bytecode")
		}, fn: fn(nil), want: []string{".gitignore", "app.py", "tests/test_app.py"}},
		{name: "untracked files that are not ignored ship", setup: func(r *testRepo) {
			r.write("fn/new.py", "new\n")
		}, fn: fn(nil), want: []string{".gitignore", "app.py", "new.py", "tests/test_app.py"}},
		{name: "a deleted file is gone", setup: func(r *testRepo) { r.remove("fn/tests/test_app.py") }, fn: fn(nil),
			want: []string{".gitignore", "app.py"}},
		{name: "a folder symlink is followed in git's view", setup: func(r *testRepo) {
			r.symlink("../libs/py/shared", "fn/shared")
			r.write("libs/py/shared/untracked.py", "seen through the link\n")
			r.write("libs/py/shared/ignored.pyc", "not seen\n")
			r.write("libs/py/.gitignore", "*.pyc\n")
		}, fn: fn(func(f *manifest.Function) { f.Exclude = []string{"**/tests/**"} }),
			want: []string{".gitignore", "app.py", "shared/__init__.py", "shared/money.py", "shared/untracked.py"}},
		{name: "a file symlink is the file", setup: func(r *testRepo) { r.symlink("../libs/js/util.js", "fn/util.js") }, fn: fn(nil),
			want: []string{".gitignore", "app.py", "tests/test_app.py", "util.js"}},
		{name: "links through links", setup: func(r *testRepo) {
			r.symlink("py", "libs/current")
			r.symlink("../libs/current/shared", "fn/shared")
		}, fn: fn(func(f *manifest.Function) { f.Exclude = []string{"**/tests/**"} }),
			want: []string{".gitignore", "app.py", "shared/__init__.py", "shared/money.py"}},
		{name: "an excluded broken link is no error", setup: func(r *testRepo) { r.symlink("../nowhere", "fn/tests/broken") },
			fn: fn(func(f *manifest.Function) { f.Exclude = []string{"tests"} }), want: []string{".gitignore", "app.py"}},
		{name: "a link that leaves the repository", setup: func(r *testRepo) { r.symlink("/etc/passwd", "fn/passwd") }, fn: fn(nil),
			wantErr: "symlink fn/passwd -> /etc/passwd: it leaves the repository"},
		{name: "a relative link that leaves the repository", setup: func(r *testRepo) { r.symlink("../../../../../../etc", "fn/etc") }, fn: fn(nil),
			wantErr: "it leaves the repository"},
		{name: "a link to an ignored folder", setup: func(r *testRepo) {
			r.write(".gitignore", "/build/\n")
			r.write("build/vendor/x.js", "x\n")
			r.symlink("../build/vendor", "fn/vendor")
		}, fn: fn(nil), wantErr: "symlink fn/vendor -> ../build/vendor: build/vendor is not in git's view of the tree"},
		{name: "a broken link", setup: func(r *testRepo) { r.symlink("missing.py", "fn/gone.py") }, fn: fn(nil),
			wantErr: "fn/missing.py is not in git's view of the tree"},
		{name: "a cycle", setup: func(r *testRepo) { r.symlink("..", "fn/sub/up") }, fn: fn(nil),
			wantErr: "makes a cycle"},
		{name: "a bundle", fn: fn(func(f *manifest.Function) {
			f.Bundles = []manifest.Bundle{{From: "libs/py/shared", To: "vendor/shared"}, {From: "libs/js/util.js", To: "util.js"}}
			f.Exclude = []string{"tests/**", "**/tests/**"}
		}), want: []string{".gitignore", "app.py", "util.js", "vendor/shared/__init__.py", "vendor/shared/money.py"}},
		{name: "a bundle landing on a source file", setup: func(r *testRepo) { r.write("fn/util.js", "mine\n") },
			fn:      fn(func(f *manifest.Function) { f.Bundles = []manifest.Bundle{{From: "libs/js/util.js", To: "util.js"}} }),
			wantErr: "bundle libs/js/util.js lands on zip path util.js, which source fn also fills"},
		{name: "a backslash in a name", setup: func(r *testRepo) { r.write(`fn/..\evil.py`, "x\n") }, fn: fn(nil),
			wantErr: "has a backslash in its name"},
		{name: "a tracked file that became a pipe", setup: func(r *testRepo) {
			r.remove("fn/app.py")
			if err := syscall.Mkfifo(r.path("fn/app.py"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, fn: fn(nil), wantErr: "fn/app.py is tracked by git but is now a named pipe"},
		{name: "an untracked pipe and socket are skipped", setup: func(r *testRepo) {
			if err := syscall.Mkfifo(r.path("fn/pipe"), 0o644); err != nil {
				t.Fatal(err)
			}
			fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer syscall.Close(fd)
			if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: r.path("fn/sock")}); err != nil {
				t.Skipf("cannot bind a unix socket here: %v", err)
			}
		}, fn: fn(nil), want: []string{".gitignore", "app.py", "tests/test_app.py"}},
		{name: "nothing left", fn: fn(func(f *manifest.Function) { f.Include = []string{"*.go"} }), wantErr: "no files to package in fn after include"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newTestRepo(t)
			r.files(base)
			r.commit("base")
			if tt.setup != nil {
				tt.setup(r)
			}
			done := make(chan struct{})
			var pk *plan.Package
			var err error
			go func() {
				defer close(done)
				pk, _, err = listFunction(r, tt.fn)
			}()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("listing hangs") // a pipe opened for reading would
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, entryPaths(pk)); diff != "" {
				t.Errorf("zip paths (-want +got):\n%s", diff)
			}
			// Every entry's blob is git's hash of the file it reads.
			for _, e := range pk.Entries {
				if want := gitsView(t, r, e.File)[e.File]; want != e.Blob {
					t.Errorf("%s (%s): blob %s, git says %s", e.Path, e.File, e.Blob, want)
				}
			}
		})
	}
}

// TestSymlinkedLibraryCommitChangesItsDependentsOnly: a commit to a library
// reached only through symlinks (no watch) changes exactly the functions
// that link it.
func TestSymlinkedLibraryCommitChangesItsDependentsOnly(t *testing.T) {
	r := newTestRepo(t)
	r.files(map[string]string{
		"libs/a/a.py": "a = 1\n", "libs/b/b.py": "b = 1\n",
		"fn1/app.py": "1\n", "fn2/app.py": "2\n", "fn3/app.py": "3\n",
	})
	r.symlink("../libs/a", "fn1/a")
	r.symlink("../libs/a", "fn2/a")
	r.symlink("../libs/b", "fn3/b")
	r.commit("base")
	m := &manifest.Manifest{RepoRoot: r.root, Project: manifest.Project{Name: "shop"}}
	for _, l := range []string{"fn1", "fn2", "fn3"} {
		m.Functions = append(m.Functions, &manifest.Function{Label: l, Name: l, Source: l, Runtime: "python3.12", Architecture: "x86_64", Alias: "live"})
	}
	st := released(makePlan(t, r, m, state.NewDocument()))
	r.write("libs/a/a.py", "a = 2\n")
	r.commit("a changes")
	p := makePlan(t, r, m, st)
	var changed []string
	for _, f := range p.Functions {
		if f.Change != plan.Unchanged {
			changed = append(changed, f.Name)
			if diff := cmp.Diff([]string{"libs/a/a.py"}, f.ChangedFiles); diff != "" {
				t.Errorf("%s: changed files (-want +got):\n%s", f.Name, diff)
			}
		}
	}
	if diff := cmp.Diff([]string{"fn1", "fn2"}, changed); diff != "" {
		t.Errorf("changed functions (-want +got):\n%s", diff)
	}
}

// TestSubmodule: a submodule under source is packaged from its own
// checked-out tree; its uncommitted edit is seen; one not checked out is
// refused with the command that fixes it.
func TestSubmodule(t *testing.T) {
	lib := newTestRepo(t)
	lib.files(map[string]string{"lib.py": "v = 1\n", ".gitignore": "*.pyc\n"})
	lib.commit("lib")

	r := newTestRepo(t)
	r.write("fn/app.py", "x\n")
	r.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", lib.root, "fn/vendor")
	r.commit("with a submodule")
	f := &manifest.Function{Label: "fn", Name: "fn", Source: "fn", Runtime: "python3.12", Architecture: "x86_64"}

	pk := listOf(t, r, f)
	if diff := cmp.Diff([]string{"app.py", "vendor/.gitignore", "vendor/lib.py"}, entryPaths(pk)); diff != "" {
		t.Errorf("zip paths (-want +got):\n%s", diff)
	}
	for _, e := range pk.Entries {
		if e.Path == "vendor/lib.py" && (e.File != "fn/vendor/lib.py" || e.Blob != blob(t, "v = 1\n")) {
			t.Errorf("submodule entry %+v", e)
		}
	}
	ref, _ := fingerprints(t, r.root, f)

	// An uncommitted edit inside the submodule changes the fingerprint and
	// counts as uncommitted; an ignored file in it does not.
	r.write("fn/vendor/junk.pyc", "x")
	if got, _ := fingerprints(t, r.root, f); got != ref {
		t.Errorf("an ignored file in the submodule changed the fingerprint")
	}
	r.write("fn/vendor/lib.py", "v = 2\n")
	got, _ := fingerprints(t, r.root, f)
	if got == ref {
		t.Errorf("an edit in the submodule did not change the fingerprint")
	}
	m := &manifest.Manifest{RepoRoot: r.root, Project: manifest.Project{Name: "shop"}, Functions: []*manifest.Function{f}}
	p, err := Make(Input{Manifest: m, Repo: r.open(), State: state.NewDocument()})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Dirty || !contains(p.Functions[0].Uncommitted, "fn/vendor/lib.py") {
		t.Errorf("the submodule's edit is not uncommitted: dirty %v, %q", p.Dirty, p.Functions[0].Uncommitted)
	}

	// A clone without `git submodule update --init`.
	clone := filepath.Join(t.TempDir(), "clone")
	gitIn(t, filepath.Dir(clone), "clone", "-q", r.root, clone)
	cr := &testRepo{t: t, root: clone}
	_, _, err = listFunction(cr, f)
	if err == nil || !strings.Contains(err.Error(), "submodule fn/vendor is not checked out") || !strings.Contains(err.Error(), "git submodule update --init fn/vendor") {
		t.Errorf("unchecked-out submodule: %v", err)
	}
}

// TestPackagesOfTwoClonesAreIdentical: two clones of one commit list the
// same entries, and so give the same fingerprint, whatever is ignored or
// left around in each.
func TestPackagesOfTwoClonesAreIdentical(t *testing.T) {
	r := newTestRepo(t)
	r.files(map[string]string{"fn/app.py": "x\n", "fn/.gitignore": "*.pyc\n.env\n", "lib/l.py": "l\n"})
	r.symlink("../lib", "fn/lib")
	r.commit("base")
	f := &manifest.Function{Label: "fn", Name: "fn", Source: "fn", Runtime: "python3.12", Architecture: "x86_64"}
	var prints []string
	for i := range 2 {
		clone := filepath.Join(t.TempDir(), "clone")
		gitIn(t, filepath.Dir(clone), "clone", "-q", r.root, clone)
		c := &testRepo{t: t, root: clone}
		if i == 1 {
			c.write("fn/.env", "SECRET=only here\n")
			c.write("fn/app.pyc", "bytecode")
		}
		fp, _ := fingerprints(t, clone, f)
		prints = append(prints, fp)
	}
	if prints[0] != prints[1] {
		t.Errorf("two clones of one commit: fingerprints %s and %s", prints[0], prints[1])
	}
}

// TestPlanDoesNotHangOnAFIFO: a named pipe in a source folder neither hangs
// the plan nor fails it.
func TestPlanDoesNotHangOnAFIFO(t *testing.T) {
	r := newTestRepo(t)
	r.write("fn/app.py", "x\n")
	r.commit("base")
	if err := syscall.Mkfifo(r.path("fn/pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := fingerprintsErr(r.root, &manifest.Function{Label: "fn", Name: "fn", Source: "fn", Runtime: "python3.12", Architecture: "x86_64"})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatal("the plan hangs on a named pipe")
	}
}

func fingerprintsErr(root string, f *manifest.Function) (string, error) {
	r, err := OpenRepo(root)
	if err != nil {
		return "", err
	}
	m := &manifest.Manifest{RepoRoot: root, Project: manifest.Project{Name: "shop"}, Functions: []*manifest.Function{f}}
	p, err := Make(Input{Manifest: m, Repo: r, State: state.NewDocument()})
	if err != nil {
		return "", err
	}
	return p.Functions[0].CodeFingerprint, nil
}
