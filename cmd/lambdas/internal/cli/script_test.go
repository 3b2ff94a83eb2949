package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/lambdas-dev/lambdas/internal/testenv"
)

var updateScripts = flag.Bool("update", false, "rewrite the expected output in testdata/script")

func TestMain(m *testing.M) {
	code := testscript.RunMain(m, map[string]func() int{
		"lambdas": func() int { return Run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr) },
	})
	testenv.StopSharedMoto()
	os.Exit(code)
}

// TestScripts runs the CLI end to end over real git repositories built by
// the scripts in testdata/script (txtar). Commit dates are fixed, so commit
// hashes, and therefore outputs, are the same on every run.
func TestScripts(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is required by the CLI tests")
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		UpdateScripts:       *updateScripts,
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			for k, v := range map[string]string{
				"HOME":                env.WorkDir,
				"GIT_AUTHOR_NAME":     "Test",
				"GIT_AUTHOR_EMAIL":    "test@example.com",
				"GIT_COMMITTER_NAME":  "Test",
				"GIT_COMMITTER_EMAIL": "test@example.com",
				"GIT_AUTHOR_DATE":     "2026-01-01T00:00:00Z",
				"GIT_COMMITTER_DATE":  "2026-01-01T00:00:00Z",
				"GIT_CONFIG_NOSYSTEM": "1",
				"NO_COLOR":            "1",
				// builder = "auto" resolves to local whatever this machine runs:
				// the plans shown do not depend on a Docker engine.
				"DOCKER_HOST": "unix://" + env.WorkDir + "/no-docker.sock",
				// Builds share the machine's Go caches and never download a toolchain.
				"GOCACHE":     goEnv("GOCACHE"),
				"GOMODCACHE":  goEnv("GOMODCACHE"),
				"GOPATH":      goEnv("GOPATH"),
				"GOTOOLCHAIN": "local",
				"GOPROXY":     goEnv("GOPROXY"),
			} {
				env.Setenv(k, v)
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"changes":  cmdChanges,
			"fixture":  cmdFixture,
			"nest":     cmdNest,
			"zipls":    cmdZipls,
			"samesums": cmdSameSums,
			"mkfifo":   cmdMkfifo,
			"elfarch":  cmdElfArch,
		},
	})
}

// goEnv is `go env NAME` of the machine running the tests.
func goEnv(name string) string {
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// cmdChanges prints "name change" for each function of a plan JSON file
// whose change is not "unchanged" (or of every function with -all).
func cmdChanges(ts *testscript.TestScript, neg bool, args []string) {
	all := len(args) > 0 && args[0] == "-all"
	if all {
		args = args[1:]
	}
	if len(args) != 1 {
		ts.Fatalf("usage: changes [-all] plan.json")
	}
	var p struct {
		Functions []struct {
			Name   string `json:"name"`
			Change string `json:"change"`
		} `json:"functions"`
	}
	if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &p); err != nil {
		ts.Fatalf("parse %s: %v", args[0], err)
	}
	var lines []string
	for _, f := range p.Functions {
		if all || f.Change != "unchanged" {
			lines = append(lines, fmt.Sprintf("%s %s", f.Name, f.Change))
		}
	}
	sort.Strings(lines)
	out := strings.Join(lines, "\n")
	if out != "" {
		out += "\n"
	}
	fmt.Fprint(ts.Stdout(), out)
}

// cmdNest writes a manifest whose project name is an expression nested N
// brackets deep.
func cmdNest(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: nest N FILE")
	}
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	text := "project {\n  name = " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n}\n"
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(text), 0o644))
}

// cmdZipls prints "name mode" for each entry of a zip, in archive order.
func cmdZipls(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: zipls FILE")
	}
	zr, err := zip.OpenReader(ts.MkAbs(args[0]))
	ts.Check(err)
	defer zr.Close()
	for _, f := range zr.File {
		fmt.Fprintf(ts.Stdout(), "%s %o\n", f.Name, f.Mode().Perm())
	}
}

// cmdSameSums checks that two `lambdas package --json` outputs give every
// function the same CodeSha256.
func cmdSameSums(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: samesums A.json B.json")
	}
	sums := func(file string) map[string]string {
		var res struct {
			Functions []struct {
				Name       string `json:"name"`
				CodeSha256 string `json:"code_sha256"`
			} `json:"functions"`
		}
		ts.Check(json.Unmarshal([]byte(ts.ReadFile(file)), &res))
		m := map[string]string{}
		for _, f := range res.Functions {
			m[f.Name] = f.CodeSha256
		}
		return m
	}
	a, b := sums(args[0]), sums(args[1])
	if len(a) == 0 || !maps.Equal(a, b) {
		ts.Fatalf("CodeSha256s differ:\n%v\n%v", a, b)
	}
}

// cmdElfArch checks the machine of an ELF executable inside a zip.
func cmdElfArch(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: elfarch ZIP ENTRY arm64|x86_64")
	}
	zr, err := zip.OpenReader(ts.MkAbs(args[0]))
	ts.Check(err)
	defer zr.Close()
	f, err := zr.Open(args[1])
	ts.Check(err)
	defer f.Close()
	data, err := io.ReadAll(f)
	ts.Check(err)
	e, err := elf.NewFile(bytes.NewReader(data))
	ts.Check(err)
	want := map[string]elf.Machine{"arm64": elf.EM_AARCH64, "x86_64": elf.EM_X86_64}[args[2]]
	if e.Machine != want || e.OSABI != elf.ELFOSABI_NONE && e.OSABI != elf.ELFOSABI_LINUX {
		ts.Fatalf("%s is %v (%v), want %v for Linux", args[1], e.Machine, e.OSABI, want)
	}
}

// cmdMkfifo makes a named pipe.
func cmdMkfifo(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: mkfifo PATH")
	}
	ts.Check(syscall.Mkfifo(ts.MkAbs(args[0]), 0o644))
}

// cmdFixture copies testdata/fixtures/NAME into the current folder.
func cmdFixture(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: fixture NAME")
	}
	src, err := filepath.Abs(filepath.Join("testdata", "fixtures", args[0]))
	ts.Check(err)
	ts.Check(copyFixture(src, ts.MkAbs(".")))
}

// fixtureLinks are the symlinks of the monorepo fixture: functions take the
// shared libraries into their packages through links, as examples/ does.
// They are made here because os.CopyFS does not copy links.
var fixtureLinks = map[string]string{
	"functions/orders/shared":   "../../libs/py/shared",
	"functions/invoices/shared": "../../libs/py/shared",
	"functions/thumbs/util.js":  "../../libs/js/util.js",
}

func copyFixture(src, dst string) error {
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		return err
	}
	if filepath.Base(src) != "monorepo" {
		return nil
	}
	for link, target := range fixtureLinks {
		if err := os.Symlink(target, filepath.Join(dst, filepath.FromSlash(link))); err != nil {
			return err
		}
	}
	return nil
}
