package planner

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOpenRepo(t *testing.T) {
	r := newTestRepo(t)
	r.write("fn/deep/app.py", "x\n")
	head := r.commit("one")

	t.Run("root", func(t *testing.T) {
		repo, err := OpenRepo(r.root)
		if err != nil {
			t.Fatal(err)
		}
		if repo.Root != r.root || repo.Head.String() != head || repo.Branch != "main" || repo.Shallow {
			t.Errorf("Root %q Head %s Branch %q Shallow %v; want %q %s main false", repo.Root, repo.Head, repo.Branch, repo.Shallow, r.root, head)
		}
	})

	t.Run("from a subfolder", func(t *testing.T) {
		repo, err := OpenRepo(r.path("fn/deep"))
		if err != nil {
			t.Fatal(err)
		}
		if repo.Root != r.root || repo.Head.String() != head {
			t.Errorf("Root %q Head %s; want %q %s", repo.Root, repo.Head, r.root, head)
		}
		r.write("fn/deep/app.py", "changed\n")
		defer r.write("fn/deep/app.py", "x\n")
		got, err := repo.Uncommitted([]string{"fn"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"fn/deep/app.py"}, uncommittedPaths(got)); diff != "" {
			t.Errorf("Uncommitted paths are relative to the root (-want +got):\n%s", diff)
		}
	})

	t.Run("detached HEAD", func(t *testing.T) {
		r2 := newTestRepo(t)
		r2.write("a", "a\n")
		c := r2.commit("one")
		r2.git("checkout", "-q", "--detach", c)
		repo := r2.open()
		if repo.Branch != "" || repo.Head.String() != c {
			t.Errorf("Branch %q Head %s; want \"\" and %s", repo.Branch, repo.Head, c)
		}
	})

	t.Run("no commits", func(t *testing.T) {
		empty := newTestRepo(t)
		_, err := OpenRepo(empty.root)
		if err == nil || !strings.Contains(err.Error(), "has no commits yet") || !strings.Contains(err.Error(), empty.root) {
			t.Errorf("err = %v, want one saying the repository at %s has no commits yet", err, empty.root)
		}
	})

	t.Run("not a repository", func(t *testing.T) {
		dir := t.TempDir()
		_, err := OpenRepo(dir)
		if err == nil || !strings.Contains(err.Error(), "is not inside a git repository") || !strings.Contains(err.Error(), dir) {
			t.Errorf("err = %v, want one saying %s is not inside a git repository", err, dir)
		}
	})

	t.Run("bare repository", func(t *testing.T) {
		bare := filepath.Join(t.TempDir(), "bare.git")
		gitIn(t, r.root, "clone", "-q", "--bare", r.root, bare)
		_, err := OpenRepo(bare)
		if err == nil {
			t.Error("OpenRepo of a bare repository succeeded")
		}
	})
}

func TestLinkedWorktree(t *testing.T) {
	r := newTestRepo(t)
	r.files(map[string]string{"fn/app.py": "main\n", "fn/lib.py": "lib\n"})
	mainHead := r.commit("one")
	wt := filepath.Join(filepath.Dir(r.root), filepath.Base(r.root)+"-wt")
	r.git("worktree", "add", "-q", "-b", "feature", wt)
	t.Cleanup(func() { os.RemoveAll(wt) })
	w := &testRepo{t: t, root: wt}
	w.write("fn/app.py", "feature\n")
	wtHead := w.commit("feature work")

	// Staged in the worktree, and changed in the main checkout: each sees its own.
	w.write("fn/lib.py", "staged in the worktree\n")
	w.git("add", "fn/lib.py")
	w.write("fn/new.py", "untracked in the worktree\n")
	r.write("fn/app.py", "dirty in main\n")

	repo, err := OpenRepo(filepath.Join(wt, "fn"))
	if err != nil {
		t.Fatal(err)
	}
	if repo.Root != wt || repo.Head.String() != wtHead || repo.Branch != "feature" {
		t.Errorf("Root %q Head %s Branch %q; want %q %s feature", repo.Root, repo.Head, repo.Branch, wt, wtHead)
	}
	got, err := repo.Uncommitted([]string{"fn"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Uncommitted{
		{Path: "fn/lib.py", Kind: "modified", Hash: blob(t, "staged in the worktree\n")},
		{Path: "fn/new.py", Kind: "untracked", Hash: blob(t, "untracked in the worktree\n")},
	}
	if diff := cmp.Diff(want, got, statOnly); diff != "" {
		t.Errorf("worktree Uncommitted (-want +got):\n%s", diff)
	}
	if h, err := repo.HeadEntry("fn/app.py"); err != nil || h.String() != blob(t, "feature\n") {
		t.Errorf("HeadEntry(fn/app.py) = %s, %v, want the worktree's commit", h, err)
	}
	// Diffs reach the main checkout's commits through the common folder.
	files, err := repo.ChangedFiles(mainHead, []string{"fn"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"fn/app.py"}, files); diff != "" {
		t.Errorf("ChangedFiles (-want +got):\n%s", diff)
	}

	main := r.open()
	if main.Head.String() != mainHead || main.Branch != "main" {
		t.Errorf("main checkout: Head %s Branch %q, want %s main", main.Head, main.Branch, mainHead)
	}
	got, err = main.Uncommitted([]string{"fn"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"fn/app.py"}, uncommittedPaths(got)); diff != "" {
		t.Errorf("main checkout Uncommitted (-want +got):\n%s", diff)
	}
}

func TestChangedFiles(t *testing.T) {
	r := newTestRepo(t)
	r.files(map[string]string{
		"fn/app.py":      "1\n",
		"fn/lib/util.py": "1\n",
		"fn-b/x.py":      "1\n",
		"other/x.py":     "1\n",
		"single.txt":     "1\n",
		"same/a.txt":     "1\n",
		"swap":           "a file, then a folder\n",
	})
	c1 := r.commit("one")
	r.write("fn/app.py", "2\n")
	r.write("fn/lib/new.py", "2\n")
	r.write("fn-b/x.py", "2\n")
	r.remove("other")
	r.write("single.txt", "2\n")
	r.write("added.txt", "2\n")
	r.remove("swap")
	r.write("swap/inner.txt", "2\n")
	c2 := r.commit("two")
	repo := r.open()

	tests := []struct {
		name  string
		from  string
		paths []string
		want  []string
	}{
		{"folder", c1, []string{"fn"}, []string{"fn/app.py", "fn/lib/new.py"}},
		{"subfolder", c1, []string{"fn/lib"}, []string{"fn/lib/new.py"}},
		{"file", c1, []string{"single.txt"}, []string{"single.txt"}},
		{"file inside a folder", c1, []string{"fn/app.py"}, []string{"fn/app.py"}},
		{"folder removed", c1, []string{"other"}, []string{"other/x.py"}},
		{"file added", c1, []string{"added.txt"}, []string{"added.txt"}},
		// git also lists the file swap that the folder replaced; ChangedFiles
		// does not when the path itself changed type (only the count in the
		// reason is one short).
		{"file became a folder", c1, []string{"swap"}, []string{"swap/inner.txt"}},
		{"unchanged folder", c1, []string{"same"}, nil},
		{"missing path", c1, []string{"nope"}, nil},
		{"overlapping paths, sorted and once", c1, []string{"single.txt", "fn/lib", "fn", "fn/app.py"}, []string{"fn/app.py", "fn/lib/new.py", "single.txt"}},
		{"root", c1, []string{"."}, []string{"added.txt", "fn-b/x.py", "fn/app.py", "fn/lib/new.py", "other/x.py", "single.txt", "swap", "swap/inner.txt"}},
		{"same commit", c2, []string{"fn", "."}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := repo.ChangedFiles(tt.from, tt.paths)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ChangedFiles(%q) (-want +got):\n%s", tt.paths, diff)
			}
			// git agrees, for what it lists by name.
			args := append([]string{"diff", "--name-only", "--no-renames", tt.from, "HEAD", "--"}, tt.paths...)
			var gitFiles []string
			if out := r.git(args...); out != "" {
				gitFiles = strings.Split(out, "\n")
			}
			for _, f := range gitFiles {
				if !contains(got, f) && !(tt.name == "file became a folder" && f == "swap") {
					t.Errorf("git diff lists %s, ChangedFiles does not", f)
				}
			}
		})
	}

	for _, from := range []string{strings.Repeat("ab", 20), "not-a-hash", ""} {
		if _, err := repo.ChangedFiles(from, []string{"fn"}); !errors.Is(err, ErrCommitMissing) {
			t.Errorf("ChangedFiles(%q): %v, want ErrCommitMissing", from, err)
		}
	}
}

func TestShallowClone(t *testing.T) {
	r := newTestRepo(t)
	r.write("fn/app.py", "1\n")
	c1 := r.commit("one")
	r.write("fn/app.py", "2\n")
	c2 := r.commit("two")
	dst := filepath.Join(t.TempDir(), "clone")
	gitIn(t, r.root, "clone", "-q", "--depth", "1", "file://"+r.root, dst)
	repo, err := OpenRepo(dst)
	if err != nil {
		t.Fatal(err)
	}
	if !repo.Shallow || repo.Head.String() != c2 {
		t.Errorf("Shallow %v Head %s; want true %s", repo.Shallow, repo.Head, c2)
	}
	if _, err := repo.ChangedFiles(c1, []string{"fn"}); !errors.Is(err, ErrCommitMissing) {
		t.Errorf("ChangedFiles from a commit outside the clone: %v, want ErrCommitMissing", err)
	}
}

// TestUnreadableObjectsAreErrors: a tree that cannot be read is an error,
// not "no folder there" (which would plan a function as empty or
// unchanged), and a commit that cannot be read is not "not in this clone".
func TestUnreadableObjectsAreErrors(t *testing.T) {
	r := newTestRepo(t)
	r.write("fn/lib/util.py", "x\n")
	r.write("fn/app.py", "y\n")
	first := r.commit("one")
	r.write("fn/app.py", "z\n")
	r.commit("two")
	corrupt := func(hash string) {
		t.Helper()
		p := r.path(".git/objects/" + hash[:2] + "/" + hash[2:])
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("not a zlib stream"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	corrupt(r.git("rev-parse", "HEAD:fn/lib"))
	repo := r.open()
	if _, err := repo.HeadEntry("fn/lib/util.py"); err == nil {
		t.Error("HeadEntry read through a corrupt tree without an error")
	}

	corrupt(first)
	_, err := r.open().ChangedFiles(first, []string{"fn"})
	if err == nil || errors.Is(err, ErrCommitMissing) {
		t.Errorf("ChangedFiles from a corrupt commit: %v, want an error that is not ErrCommitMissing", err)
	}
	_, err = r.open().ChangedFiles(strings.Repeat("1", 40), []string{"fn"})
	if !errors.Is(err, ErrCommitMissing) {
		t.Errorf("ChangedFiles from an absent commit: %v, want ErrCommitMissing", err)
	}
}
