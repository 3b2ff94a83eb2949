// Package build runs a function's build before it is packaged: the go and
// esbuild presets, and custom commands. The executor calls Run; the files of
// Result.Dir are then zipped by executor/pack like any source folder.
//
// Every build runs as a child process in its own process group, with no
// stdin, under a time limit (Spec.Timeout, 10 minutes by default). Its
// stdout and stderr are merged into one stream, passed line by line to
// Spec.Log as they come, and the last lines (TailLines) are kept for the
// error of a failing build. On timeout or cancellation the whole group gets
// SIGTERM, then SIGKILL 5 seconds later; when the build's main process ends,
// whatever it left running in its group is killed too, so a build leaves
// no processes behind (but one that leaves the group on purpose, as a
// daemon does with setsid). On Linux the main process is also killed if
// lambdas itself dies.
//
// The builders:
//
//   - preset "go": go build of the main package in Source for linux and the
//     function's architecture, CGO off, into WorkDir/out/bootstrap (for the
//     provided.al2023 runtime); see buildGo.
//   - preset "esbuild": one bundle of the handler's file (TypeScript or
//     JavaScript) for the runtime's Node.js version, into
//     WorkDir/out/<file>.js, or .mjs for ESM. By default "@aws-sdk/*" is
//     left out of the bundle, as the Node.js 18+ runtimes provide the AWS
//     SDK v3; see buildEsbuild.
//   - a command: sh -c Command in Source; the package is Source/Output.
//
// The presets are reproducible: the same inputs give byte-identical output
// on any machine (go build -trimpath; esbuild is deterministic, and runs in
// the source folder so that the paths in its comments are relative).
package build

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// DefaultTimeout bounds a build whose Spec.Timeout is zero.
const DefaultTimeout = 10 * time.Minute

// Spec says what to build for one function.
type Spec struct {
	Function     string        // manifest label, for messages: "orders-api: build: ..."
	RepoRoot     string        // absolute repository root; lookups (esbuild binary) never go above it
	Source       string        // absolute source folder of the function
	Preset       string        // "go", "esbuild", or "" for Command
	Command      string        // shell command for custom builds (sh -c), run in Source
	Output       string        // for Command: folder relative to Source whose files are the package
	Runtime      string        // e.g. "provided.al2023", "nodejs22.x"
	Architecture string        // "x86_64" or "arm64"
	Handler      string        // e.g. "index.handler", "src/app.handler", "bootstrap"
	Timeout      time.Duration // whole build; 0 = DefaultTimeout
	WorkDir      string        // absolute, empty folder owned by this build: presets write their output here
	// Log receives the build's output, one line per Write (with its "\n"),
	// as it comes; nil discards it. Run calls it from one goroutine at a
	// time, so it need not be safe for concurrent use.
	Log io.Writer
}

// Result says where the built package is.
type Result struct {
	// Dir is the folder whose files form the package: WorkDir/out for the
	// presets, Source/Output for a command.
	Dir string
	// Inputs are the repo-relative, slash-separated files the build read,
	// sorted, when the builder can tell (esbuild's metafile; go list -deps
	// for the packages inside the repository); nil when it cannot (commands).
	Inputs []string
}

// Presets are the values of Spec.Preset that Run knows.
const (
	PresetGo      = "go"
	PresetEsbuild = "esbuild"
)

// ErrTimeout is wrapped by the error of a build that ran out of time
// (errors.Is also finds context.DeadlineExceeded in it).
var ErrTimeout = errors.New("build timed out")

// timeoutError is the cause of a build's context when Spec.Timeout passes.
type timeoutError struct{ d time.Duration }

func (e timeoutError) Error() string { return "timed out after " + e.d.String() }

func (e timeoutError) Is(target error) bool {
	return target == ErrTimeout || target == context.DeadlineExceeded
}

// Run builds s and returns where the package is. Errors name the function:
// "orders-api: build: ...".
func Run(ctx context.Context, s Spec) (*Result, error) {
	res, err := run(ctx, s)
	if err != nil {
		if s.Function == "" {
			return nil, fmt.Errorf("build: %w", err)
		}
		return nil, fmt.Errorf("%s: build: %w", s.Function, err)
	}
	return res, nil
}

func run(ctx context.Context, s Spec) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !filepath.IsAbs(s.RepoRoot) || !filepath.IsAbs(s.Source) {
		return nil, fmt.Errorf("repository root %q and source %q must be absolute paths", s.RepoRoot, s.Source)
	}
	s.RepoRoot, s.Source = filepath.Clean(s.RepoRoot), filepath.Clean(s.Source)
	if _, ok := within(s.RepoRoot, s.Source); !ok {
		return nil, fmt.Errorf("source %s is outside the repository %s", s.Source, s.RepoRoot)
	}
	if fi, err := os.Stat(s.Source); err != nil {
		return nil, fmt.Errorf("source: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("source %s is not a folder", s.Source)
	}
	if s.Log == nil {
		s.Log = io.Discard
	}
	if s.Timeout <= 0 {
		s.Timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeoutCause(ctx, s.Timeout, timeoutError{s.Timeout})
	defer cancel()

	switch s.Preset {
	case PresetGo, PresetEsbuild:
		if s.Command != "" || s.Output != "" {
			return nil, fmt.Errorf("preset %q takes no command or output: the preset decides both", s.Preset)
		}
		out, err := prepareWorkDir(s)
		if err != nil {
			return nil, err
		}
		if s.Preset == PresetGo {
			return buildGo(ctx, s, out)
		}
		return buildEsbuild(ctx, s, out)
	case "":
		if s.Command == "" {
			return nil, errors.New("nothing to build: neither a preset nor a command")
		}
		return buildCommand(ctx, s)
	default:
		return nil, fmt.Errorf("unknown preset %q (want %q or %q, or a command)", s.Preset, PresetGo, PresetEsbuild)
	}
}

// prepareWorkDir makes WorkDir/out, empty, and returns it. WorkDir belongs
// to this build, so a leftover out folder (an earlier, interrupted build)
// is removed; WorkDir must not overlap Source, or that would delete sources
// or pack the build's output into itself.
func prepareWorkDir(s Spec) (string, error) {
	if !filepath.IsAbs(s.WorkDir) {
		return "", fmt.Errorf("work folder %q must be an absolute path", s.WorkDir)
	}
	wd := filepath.Clean(s.WorkDir)
	if _, ok := within(s.Source, wd); ok {
		return "", fmt.Errorf("work folder %s is inside the source %s", wd, s.Source)
	}
	if _, ok := within(wd, s.Source); ok {
		return "", fmt.Errorf("work folder %s holds the source %s", wd, s.Source)
	}
	out := filepath.Join(wd, "out")
	if err := os.RemoveAll(out); err != nil {
		return "", err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	return out, nil
}
