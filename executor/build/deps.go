package build

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Dependency builders make a function's dependency layer from its package
// descriptor: requirements.txt (pip) or package.json (npm, with
// package-lock.json when there is one). The layer's files are laid out as
// Lambda unpacks them: python/ for Python, nodejs/node_modules/ for
// Node.js, under DepsResult.Dir.
//
//   - BuilderLocal runs pip or npm on this machine, asking for Lambda's
//     platform whatever this machine is: pip install --platform
//     manylinux2014_<x86_64|aarch64> --only-binary=:all: --python-version
//     X.Y --implementation cp --target, npm ci --omit=dev --os=linux
//     --cpu=<x64|arm64>. Any architecture from any machine; a package that
//     has no wheel for the platform (it must be compiled) cannot be built
//     this way, and the error says to use Docker.
//   - BuilderDocker runs the same tools in a Lambda-like container (AWS
//     SAM's build image for the runtime and architecture, or Image) through
//     the Docker Engine API: see docker.go.
//
// Both run under DepsSpec.Timeout, stream their log to DepsSpec.Log and keep
// its tail for the error, as function builds do.
const (
	BuilderLocal  = "local"
	BuilderDocker = "docker"
)

// DepsSpec says which dependency layer to build.
type DepsSpec struct {
	Function     string // manifest label, for messages: "orders-api: build-dependencies: ..."
	RepoRoot     string // absolute
	Descriptor   string // repo-relative, slash-separated: requirements.txt or package.json
	Lockfile     string // repo-relative package-lock.json beside package.json, "" when none
	Runtime      string // python3.12, nodejs22.x, ...
	Architecture string // x86_64 or arm64
	Builder      string // BuilderLocal or BuilderDocker (auto is resolved by the plan)
	Image        string // the Docker builder's image
	Timeout      time.Duration
	WorkDir      string // absolute, empty folder owned by this build
	Log          io.Writer
	// Warn receives what the user should know (may be nil): a build that
	// is not reproducible (package.json without a lockfile).
	Warn func(msg string)
	// Docker is the engine client; nil makes one from the environment
	// (DOCKER_HOST, ...).
	Docker DockerAPI

	signals *signals
}

// signalLines are the substrings of a tool's output that explain a failure.
var signalLines = []string{"No matching distribution found for", "in sync", "E404", "ETARGET", "EJSONPARSE", "npm error code"}

// signals keeps the first lines of a tool's output that explain a failure.
type signals struct{ lines []string }

func (g *signals) Write(b []byte) (int, error) {
	line := string(b)
	for _, s := range signalLines {
		if strings.Contains(line, s) && len(g.lines) < 20 {
			g.lines = append(g.lines, strings.TrimSpace(line))
			break
		}
	}
	return len(b), nil
}

func (s DepsSpec) said() string {
	if s.signals == nil {
		return ""
	}
	return strings.Join(s.signals.lines, "\n")
}

// DepsResult is a built layer.
type DepsResult struct {
	// Dir holds the layer's files: python/... or nodejs/node_modules/...
	Dir string
}

// BuildDeps builds s's layer. Errors name the function and the step:
// "orders-api: build-dependencies: ...".
func BuildDeps(ctx context.Context, s DepsSpec) (*DepsResult, error) {
	res, err := buildDeps(ctx, s)
	if err != nil {
		return nil, fmt.Errorf("%s: build-dependencies: %w", s.Function, err)
	}
	return res, nil
}

func buildDeps(ctx context.Context, s DepsSpec) (*DepsResult, error) {
	if !filepath.IsAbs(s.RepoRoot) || !filepath.IsAbs(s.WorkDir) {
		return nil, fmt.Errorf("repository root %q and work folder %q must be absolute", s.RepoRoot, s.WorkDir)
	}
	if s.Log == nil {
		s.Log = io.Discard
	}
	// What the tools say about a failure may be far above the tail a
	// failing build keeps (npm prints its usage after the reason): the
	// lines that explain it are kept as they pass.
	sig := &signals{}
	s.Log = io.MultiWriter(s.Log, sig)
	s.signals = sig
	if s.Timeout <= 0 {
		s.Timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeoutCause(ctx, s.Timeout, timeoutError{s.Timeout})
	defer cancel()
	layer := filepath.Join(s.WorkDir, "layer")
	if err := os.RemoveAll(layer); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(layer, 0o755); err != nil {
		return nil, err
	}
	kind, err := descriptorKind(s.Descriptor)
	if err != nil {
		return nil, err
	}
	if kind == "node" {
		// npm works in the folder of package.json: a copy in the layer's
		// nodejs/ (it writes node_modules beside it), never the repository.
		if err := copyDescriptors(s, filepath.Join(layer, "nodejs")); err != nil {
			return nil, err
		}
		if s.Lockfile == "" && s.Warn != nil {
			s.Warn(fmt.Sprintf("%s has no package-lock.json beside it: npm install resolves the versions anew on every build, so this layer is not reproducible; commit a lockfile (npm install --package-lock-only)", s.Descriptor))
		}
	}
	switch s.Builder {
	case BuilderLocal:
		err = buildDepsLocal(ctx, s, kind, layer)
	case BuilderDocker:
		err = buildDepsDocker(ctx, s, kind, layer)
	default:
		return nil, fmt.Errorf("unknown builder %q (want %q or %q)", s.Builder, BuilderLocal, BuilderDocker)
	}
	if err != nil {
		return nil, err
	}
	if err := tidyLayer(kind, layer); err != nil {
		return nil, err
	}
	return &DepsResult{Dir: layer}, nil
}

func descriptorKind(descriptor string) (string, error) {
	switch filepath.Base(descriptor) {
	case "requirements.txt":
		return "python", nil
	case "package.json":
		return "node", nil
	}
	return "", fmt.Errorf("%s: lambdas builds layers from requirements.txt or package.json", descriptor)
}

// copyDescriptors copies package.json (and package-lock.json) into dir.
func copyDescriptors(s DepsSpec, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range []string{s.Descriptor, s.Lockfile} {
		if f == "" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(s.RepoRoot, filepath.FromSlash(f)))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// tidyLayer leaves only what Lambda loads, and nothing that depends on the
// machine that built it: Python's bin/ (console scripts whose first line
// names the builder's interpreter) and __pycache__ folders; Node's
// package.json and package-lock.json copies beside node_modules.
func tidyLayer(kind, layer string) error {
	switch kind {
	case "python":
		if err := os.RemoveAll(filepath.Join(layer, "python", "bin")); err != nil {
			return err
		}
		return filepath.WalkDir(filepath.Join(layer, "python"), func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "__pycache__" {
				if err := os.RemoveAll(p); err != nil {
					return err
				}
				return filepath.SkipDir
			}
			return nil
		})
	case "node":
		for _, f := range []string{"package.json", "package-lock.json"} {
			if err := os.Remove(filepath.Join(layer, "nodejs", f)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
		if _, err := os.Stat(filepath.Join(layer, "nodejs", "node_modules")); errors.Is(err, os.ErrNotExist) {
			// No dependencies at all: an empty layer would be refused.
			return fmt.Errorf("npm installed nothing: %s has no production dependencies; remove dependencies from the function", "package.json")
		}
	}
	return nil
}

// PythonVersion is X.Y of a pythonX.Y runtime.
func PythonVersion(runtime string) (string, error) {
	v := strings.TrimPrefix(runtime, "python")
	if v == runtime || !regexp.MustCompile(`^3\.\d+$`).MatchString(v) {
		return "", fmt.Errorf("runtime %q is not a Python runtime (python3.X)", runtime)
	}
	return v, nil
}

// pipPlatform is the manylinux tag of a Lambda architecture.
func pipPlatform(arch string) (string, error) {
	switch arch {
	case "x86_64", "":
		return "manylinux2014_x86_64", nil
	case "arm64":
		return "manylinux2014_aarch64", nil
	}
	return "", fmt.Errorf("architecture %q: want x86_64 or arm64", arch)
}

// npmCPU is npm's --cpu for a Lambda architecture.
func npmCPU(arch string) (string, error) {
	switch arch {
	case "x86_64", "":
		return "x64", nil
	case "arm64":
		return "arm64", nil
	}
	return "", fmt.Errorf("architecture %q: want x86_64 or arm64", arch)
}

// pipArgs are the arguments after "python -m pip" common to both builders.
func pipArgs(requirements, target string) []string {
	return []string{"install", "--disable-pip-version-check", "--no-input", "--no-compile", "--no-warn-script-location",
		"--target", target, "-r", requirements}
}

// npmArgs are npm's arguments: ci with a lockfile, install without.
func npmArgs(lockfile bool) []string {
	if lockfile {
		return []string{"ci", "--omit=dev", "--no-audit", "--no-fund"}
	}
	return []string{"install", "--omit=dev", "--no-audit", "--no-fund", "--no-package-lock"}
}

// noWheelRe finds pip's "no matching distribution" line and the requirement.
var noWheelRe = regexp.MustCompile(`No matching distribution found for ([^\s]+)`)

// explainPip turns pip's failure into what to do about it.
func explainPip(err error, s DepsSpec, platform, pyVersion string) error {
	var pe *procError
	if !errors.As(err, &pe) {
		return err
	}
	if m := noWheelRe.FindStringSubmatch(s.said() + "\n" + pe.tail); m != nil {
		hint := fmt.Sprintf("check that %s exists on the package index with that version", m[1])
		if s.Builder == BuilderLocal {
			hint += fmt.Sprintf("; if it does, it has no %s wheel for Python %s (it must be compiled), which the local builder cannot make: use builder = \"docker\", which builds it in a Lambda-like container", platform, pyVersion)
		}
		return fmt.Errorf("pip found no installable %s for %s (Python %s): %s: %w", m[1], platform, pyVersion, hint, err)
	}
	return err
}

// explainNpm says what npm refused.
func explainNpm(err error, s DepsSpec) error {
	var pe *procError
	if !errors.As(err, &pe) {
		return err
	}
	said := s.said() + "\n" + pe.tail
	switch {
	case strings.Contains(said, "in sync"):
		return fmt.Errorf("npm refused %s: package.json and package-lock.json are not in sync; run npm install in %s and commit the lockfile: %w", s.Descriptor, filepath.Dir(s.Descriptor), err)
	case strings.Contains(said, "E404"), strings.Contains(said, "ETARGET"):
		return fmt.Errorf("npm could not find a dependency of %s (a name or version that does not exist on the registry): %w", s.Descriptor, err)
	case strings.Contains(said, "EJSONPARSE"):
		return fmt.Errorf("npm cannot read %s: %w", s.Descriptor, err)
	}
	return err
}
