package build

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// writeFiles writes files (slash paths relative to root) with mode 0644.
func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// lines is a Spec.Log that records each Write; safe to read from the test
// goroutine while a build writes.
type lines struct {
	mu     sync.Mutex
	writes []string
	onLine func(string)
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.writes = append(l.writes, string(p))
	f := l.onLine
	l.mu.Unlock()
	if f != nil {
		f(string(p))
	}
	return len(p), nil
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.writes, "")
}

// moduleRoot finds the repository from the test's working folder: the
// closest folder above it with the root go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(b, []byte("module github.com/lambdas-dev/lambdas\n")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("repository root (go.mod of github.com/lambdas-dev/lambdas) not found above the test's folder")
		}
		dir = parent
	}
}

// esbuildBinary is examples/node_modules/.bin/esbuild, installed from
// examples/package-lock.json.
func esbuildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(moduleRoot(t), "examples", "node_modules", ".bin", "esbuild")
	needInstalled(t, bin, "run npm ci in examples/")
	return bin
}

// needInstalled skips the test when file, which npm installs, is missing;
// in CI (CI=true) it fails it instead, so that tests never skip silently
// there.
func needInstalled(t *testing.T, file, hint string) {
	t.Helper()
	if _, err := os.Stat(file); err != nil {
		msg := file + " is not installed: " + hint
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}
