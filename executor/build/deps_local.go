package build

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
)

// buildDepsLocal installs the dependencies with this machine's pip or npm,
// for Lambda's platform rather than this machine's.
func buildDepsLocal(ctx context.Context, s DepsSpec, kind, layer string) error {
	switch kind {
	case "python":
		return pipLocal(ctx, s, layer)
	default:
		return npmLocal(ctx, s, layer)
	}
}

func pipLocal(ctx context.Context, s DepsSpec, layer string) error {
	pyVersion, err := PythonVersion(s.Runtime)
	if err != nil {
		return err
	}
	platform, err := pipPlatform(s.Architecture)
	if err != nil {
		return err
	}
	py, err := findPython()
	if err != nil {
		return err
	}
	req := filepath.Join(s.RepoRoot, filepath.FromSlash(s.Descriptor))
	args := append([]string{"-m", "pip"}, pipArgs(req, filepath.Join(layer, "python"))...)
	// Wheels only, for Lambda's platform and Python: pip then never runs a
	// package's build on this machine (whose compiler, libc and CPU are not
	// Lambda's). A package with no such wheel fails, and says so.
	args = append(args, "--platform", platform, "--only-binary=:all:", "--python-version", pyVersion, "--implementation", "cp")
	p := &process{
		what: "pip install",
		path: py,
		args: args,
		dir:  filepath.Dir(req), // -r and -c paths inside it are relative to its folder
		env:  environ("PIP_NO_INPUT=1", "PYTHONDONTWRITEBYTECODE=1"),
		log:  s.Log,
	}
	if err := p.run(ctx); err != nil {
		return explainPip(err, s, platform, pyVersion)
	}
	return nil
}

// findPython is the interpreter whose pip the local builder runs.
func findPython() (string, error) {
	for _, name := range []string{"python3", "python"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("the local builder needs python3 with pip on PATH; install it, or use builder = \"docker\"")
}

func npmLocal(ctx context.Context, s DepsSpec, layer string) error {
	cpu, err := npmCPU(s.Architecture)
	if err != nil {
		return err
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return fmt.Errorf("the local builder needs npm on PATH; install Node.js, or use builder = \"docker\"")
	}
	dir := filepath.Join(layer, "nodejs")
	p := &process{
		what: "npm " + npmArgs(s.Lockfile != "")[0],
		path: npm,
		// Packages with per-platform builds (optional dependencies with os
		// and cpu fields) are chosen for Lambda, not for this machine.
		args: append(npmArgs(s.Lockfile != ""), "--os=linux", "--cpu="+cpu),
		dir:  dir,
		env:  environ("npm_config_update_notifier=false"),
		log:  s.Log,
	}
	if err := p.run(ctx); err != nil {
		return explainNpm(err, s)
	}
	return nil
}
