package planner

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestDirCacheSeesNewFilesInOldFolders checks the folder cache both ways: a
// folder untouched since the cache was written is not read again, and a file
// added to it afterwards (which changes the folder's mtime) is still seen.
func TestDirCacheSeesNewFilesInOldFolders(t *testing.T) {
	root := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t", "HOME="+root, "GIT_CONFIG_NOSYSTEM=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	for _, f := range []string{"fn/a/app.py", "fn/a/lib/util.py", "fn/b/app.py"} {
		p := filepath.Join(root, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run("init", "-q")
	run("add", "-A")
	run("commit", "-qm", "init")
	// Folders last changed long ago: outside the racy window, so cacheable.
	old := time.Now().Add(-time.Hour)
	for _, d := range []string{"fn", "fn/a", "fn/a/lib", "fn/b"} {
		if err := os.Chtimes(filepath.Join(root, d), old, old); err != nil {
			t.Fatal(err)
		}
	}
	repo, err := OpenRepo(root)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := repo.Uncommitted([]string{"fn"}); err != nil || len(got) != 0 {
		t.Fatalf("clean tree: %v %v", got, err)
	}
	cache := loadDirCache(repo.gitDir)
	if len(cache.old.Dirs) != 4 {
		t.Fatalf("cache holds %d folders, want 4: %v", len(cache.old.Dirs), cache.old.Dirs)
	}
	// A second scan reads no folder: nothing to update.
	s := loadDirCache(repo.gitDir)
	if _, _, err := s.entries("fn/a", filepath.Join(root, "fn/a")); err != nil {
		t.Fatal(err)
	}
	if len(s.updated) != 0 {
		t.Errorf("an unchanged, old folder was read again")
	}

	// A new file changes its folder's mtime: the scan reads it and sees the file.
	if err := os.WriteFile(filepath.Join(root, "fn/a/lib/new.py"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := repo.Uncommitted([]string{"fn"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Path != "fn/a/lib/new.py" || got[0].Kind != "untracked" {
		t.Errorf("want fn/a/lib/new.py untracked, got %+v", got)
	}
	// A cache that is garbage is ignored, not trusted.
	if err := os.WriteFile(cache.path, []byte("not a cache"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := repo.Uncommitted([]string{"fn"}); err != nil || len(got) != 1 {
		t.Errorf("with a corrupt cache: %+v %v", got, err)
	}
}
