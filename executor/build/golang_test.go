package build

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// goFunction writes a tiny main package with its own module (no external
// dependencies) under root/functions/hello: an internal package and an
// embedded file, so that Inputs has something to find.
func goFunction(t *testing.T, root string) string {
	t.Helper()
	writeFiles(t, root, map[string]string{
		"functions/hello/go.mod": "module example.com/hello\n\ngo 1.26\n",
		"functions/hello/main.go": `package main

import (
	_ "embed"
	"fmt"

	"example.com/hello/internal/greet"
)

//go:embed greeting.txt
var greeting string

func main() { fmt.Println(greet.Greet(greeting)) }
`,
		"functions/hello/greeting.txt":                 "hello",
		"functions/hello/internal/greet/greet.go":      "package greet\n\nfunc Greet(s string) string { return s + \", world\" }\n",
		"functions/hello/internal/greet/greet_test.go": "package greet\n",
		"functions/hello/README.md":                    "not an input\n",
	})
	return filepath.Join(root, "functions", "hello")
}

func goSpec(t *testing.T, root, src, arch string) Spec {
	return Spec{
		Function: "hello", RepoRoot: root, Source: src, Preset: "go",
		Runtime: "provided.al2023", Architecture: arch, Handler: "bootstrap",
		WorkDir: t.TempDir(), Timeout: 5 * time.Minute,
	}
}

func TestGoBuild(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatal("go is not on PATH")
	}
	root := t.TempDir()
	src := goFunction(t, root)
	for _, tc := range []struct {
		arch    string
		machine elf.Machine
		goarch  string
	}{
		{"arm64", elf.EM_AARCH64, "arm64"},
		{"x86_64", elf.EM_X86_64, "amd64"},
	} {
		t.Run(tc.arch, func(t *testing.T) {
			s := goSpec(t, root, src, tc.arch)
			res, err := Run(context.Background(), s)
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(s.WorkDir, "out"); res.Dir != want {
				t.Errorf("Dir = %s, want %s", res.Dir, want)
			}
			bin := filepath.Join(res.Dir, "bootstrap")
			fi, err := os.Stat(bin)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode() != 0o755 {
				t.Errorf("bootstrap mode = %v, want -rwxr-xr-x", fi.Mode())
			}
			ents, _ := os.ReadDir(res.Dir)
			if len(ents) != 1 {
				t.Errorf("out holds %d entries, want only bootstrap", len(ents))
			}
			f, err := elf.Open(bin)
			if err != nil {
				t.Fatal(err)
			}
			if f.Machine != tc.machine {
				t.Errorf("ELF machine = %v, want %v", f.Machine, tc.machine)
			}
			if f.Section(".symtab") != nil {
				t.Error("bootstrap has a symbol table: -ldflags=-s not applied")
			}
			f.Close()
			info, err := buildinfo.ReadFile(bin)
			if err != nil {
				t.Fatal(err)
			}
			settings := map[string]string{}
			for _, s := range info.Settings {
				settings[s.Key] = s.Value
			}
			for k, v := range map[string]string{
				"GOOS": "linux", "GOARCH": tc.goarch, "CGO_ENABLED": "0",
				"-trimpath": "true", "-tags": "lambda.norpc",
				// -ldflags is not recorded under -trimpath (it may hold
				// paths); the missing .symtab above shows -s.
			} {
				if settings[k] != v {
					t.Errorf("build setting %s = %q, want %q", k, settings[k], v)
				}
			}
			if _, ok := settings["vcs"]; ok {
				t.Error("VCS information stamped despite -buildvcs=false")
			}
			wantInputs := []string{
				"functions/hello/go.mod",
				"functions/hello/greeting.txt",
				"functions/hello/internal/greet/greet.go",
				"functions/hello/main.go",
			}
			if diff := cmp.Diff(wantInputs, res.Inputs); diff != "" {
				t.Errorf("Inputs (-want +got):\n%s", diff)
			}

			// Byte-identical into another work folder, and from a copy of
			// the sources somewhere else (another checkout, another machine).
			again, err := Run(context.Background(), goSpec(t, root, src, tc.arch))
			if err != nil {
				t.Fatal(err)
			}
			root2 := t.TempDir()
			elsewhere, err := Run(context.Background(), goSpec(t, root2, goFunction(t, root2), tc.arch))
			if err != nil {
				t.Fatal(err)
			}
			want, _ := os.ReadFile(bin)
			for _, r := range []*Result{again, elsewhere} {
				got, err := os.ReadFile(filepath.Join(r.Dir, "bootstrap"))
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("%s differs from the first build (%d vs %d bytes, %v)", r.Dir, len(got), len(want), err)
				}
			}
		})
	}
}

// The environment is the user's, but for the three variables the preset
// forces.
func TestGoBuildForcesTarget(t *testing.T) {
	t.Setenv("GOOS", "windows")
	t.Setenv("GOARCH", "386")
	t.Setenv("CGO_ENABLED", "1")
	root := t.TempDir()
	res, err := Run(context.Background(), goSpec(t, root, goFunction(t, root), "arm64"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(filepath.Join(res.Dir, "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 {
		t.Errorf("machine = %v", f.Machine)
	}
}

func TestGoBuildErrors(t *testing.T) {
	root := t.TempDir()
	src := goFunction(t, root)

	t.Run("compile error", func(t *testing.T) {
		writeFiles(t, root, map[string]string{"functions/hello/broken.go": "package main\n\nfunc broken() { undefinedThing() }\n"})
		defer os.Remove(filepath.Join(src, "broken.go"))
		_, err := Run(context.Background(), goSpec(t, root, src, "arm64"))
		if err == nil {
			t.Fatal("no error")
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "hello: build: go build exited with status 1:\n") || !strings.Contains(msg, "broken.go:3:17: undefined: undefinedThing") {
			t.Errorf("error = %q, want go build's status and the compiler's message", msg)
		}
	})

	t.Run("not main", func(t *testing.T) {
		lib := filepath.Join(src, "internal", "greet")
		_, err := Run(context.Background(), goSpec(t, root, lib, "arm64"))
		if want := `hello: build: the go preset builds a command, but the package in ` + lib + ` is "greet", not main`; err == nil || err.Error() != want {
			t.Errorf("error = %v, want %q", err, want)
		}
	})

	t.Run("wrong runtime", func(t *testing.T) {
		s := goSpec(t, root, src, "arm64")
		s.Runtime = "nodejs22.x"
		if _, err := Run(context.Background(), s); err == nil || !strings.Contains(err.Error(), `not for "nodejs22.x"`) {
			t.Errorf("error = %v", err)
		}
	})

	t.Run("wrong architecture", func(t *testing.T) {
		if _, err := Run(context.Background(), goSpec(t, root, src, "riscv")); err == nil || !strings.Contains(err.Error(), `architecture "riscv"`) {
			t.Errorf("error = %v", err)
		}
	})

	t.Run("no go", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		_, err := Run(context.Background(), goSpec(t, root, src, "arm64"))
		if err == nil || !strings.HasPrefix(err.Error(), "hello: build: the go preset needs the go command, which is not on PATH: install Go from https://go.dev/dl") {
			t.Errorf("error = %v", err)
		}
	})
}
