package build

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// buildCommand runs s.Command with sh -c in the source folder; the package
// is then the files of Source/Output. Besides the user's environment the
// command gets LAMBDAS_FUNCTION, LAMBDAS_RUNTIME, LAMBDAS_ARCHITECTURE,
// LAMBDAS_HANDLER, LAMBDAS_REPO_ROOT and LAMBDAS_OUTPUT (the absolute output
// folder), so that one script can serve several functions. What a command
// reads is unknown: Inputs is nil.
func buildCommand(ctx context.Context, s Spec) (*Result, error) {
	rel, err := outputPath(s.Output)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(s.Source, rel)
	sh, err := exec.LookPath("sh")
	if err != nil {
		return nil, fmt.Errorf("a build command runs with sh, which is not on PATH: %w", err)
	}
	p := &process{
		what: "`" + shortCommand(s.Command) + "`",
		path: sh,
		args: []string{"-c", s.Command},
		dir:  s.Source,
		env: environ(
			"LAMBDAS_FUNCTION="+s.Function,
			"LAMBDAS_RUNTIME="+s.Runtime,
			"LAMBDAS_ARCHITECTURE="+s.Architecture,
			"LAMBDAS_HANDLER="+s.Handler,
			"LAMBDAS_REPO_ROOT="+s.RepoRoot,
			"LAMBDAS_OUTPUT="+dir,
		),
		log: s.Log,
	}
	if err := p.run(ctx); err != nil {
		return nil, err
	}

	fi, err := os.Stat(dir)
	switch {
	case os.IsNotExist(err):
		return nil, fmt.Errorf("`%s` succeeded but left no output folder %s in %s", shortCommand(s.Command), rel, s.Source)
	case err != nil:
		return nil, fmt.Errorf("output: %w", err)
	case !fi.IsDir():
		return nil, fmt.Errorf("output %s in %s is not a folder", rel, s.Source)
	}
	// A symlink may lead the output elsewhere; what is packed must come from
	// the function's own folder.
	realDir, err1 := filepath.EvalSymlinks(dir)
	realSrc, err2 := filepath.EvalSymlinks(s.Source)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("output %s: cannot resolve its path", rel)
	}
	if r, ok := within(realSrc, realDir); !ok || r == "." {
		return nil, fmt.Errorf("output %s leads to %s, outside the source folder %s", rel, realDir, s.Source)
	}
	return &Result{Dir: dir}, nil
}

// outputPath checks Spec.Output: a folder strictly inside the source.
func outputPath(out string) (string, error) {
	if out == "" {
		return "", fmt.Errorf("a build command needs an output folder (relative to the source) whose files are the package")
	}
	if filepath.IsAbs(out) {
		return "", fmt.Errorf("output %q must be relative to the source folder", out)
	}
	rel := filepath.Clean(filepath.FromSlash(out))
	if rel == "." {
		return "", fmt.Errorf("output %q is the source folder itself: name the folder the command writes the package to", out)
	}
	if rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("output %q leaves the source folder", out)
	}
	return rel, nil
}

// shortCommand is the command as error messages quote it: its first line,
// cut to 60 characters.
func shortCommand(c string) string {
	c = strings.TrimSpace(c)
	cut := false
	if i := strings.IndexByte(c, '\n'); i >= 0 {
		c, cut = strings.TrimSpace(c[:i]), true
	}
	if r := []rune(c); len(r) > 60 {
		c, cut = string(r[:60]), true
	}
	if cut {
		c += " ..."
	}
	return c
}
