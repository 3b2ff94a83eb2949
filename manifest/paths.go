package manifest

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

type pathKind int

const (
	kindDir    pathKind = iota // source
	kindFile                   // dependencies
	kindAny                    // watch
	kindBundle                 // a bundle's from
)

// pathWords are the nouns used in messages about each kind of path.
var pathWords = map[pathKind]struct{ what, notFound string }{
	kindDir:    {"folder", "Source folder not found"},
	kindFile:   {"file", "Dependency file not found"},
	kindAny:    {"path", "Watched path not found"},
	kindBundle: {"file or folder", "Bundled path not found"},
}

// repoPath checks a path from the manifest: relative to the manifest
// folder, inside the repository (also once symlinks are resolved), existing
// and of the right kind. It returns the path relative to the repository
// root, slash-separated and cleaned.
func (l *loader) repoPath(p string, rng hcl.Range, attr string, kind pathKind) (string, bool) {
	words := pathWords[kind]
	switch {
	case strings.TrimSpace(p) == "":
		l.errorAt(rng, "Empty path", fmt.Sprintf("%s must name a %s relative to the folder of %s.", attr, words.what, l.base))
		return "", false
	case filepath.IsAbs(p) || strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`):
		l.errorAt(rng, "Absolute path",
			fmt.Sprintf("%q is absolute. Write %s relative to the folder of %s, so that the manifest works on every machine and in CI.", p, attr, l.base))
		return "", false
	}
	abs := filepath.Join(l.dir, filepath.FromSlash(p))
	if !within(l.root, abs) {
		l.errorAt(rng, "Path leaves the repository",
			fmt.Sprintf("%q points outside the repository%s. Paths are relative to the folder of %s and must stay inside the repository, where lambdas can see their changes.",
				p, l.rootHint(), l.base))
		return "", false
	}
	rel, _ := filepath.Rel(l.root, abs)
	rel = filepath.ToSlash(rel)
	if inGitDir(rel) {
		l.gitDirError(p, rng, attr)
		return "", false
	}

	fi, err := os.Stat(abs)
	if err != nil {
		if os.IsNotExist(err) {
			l.errorAt(rng, words.notFound,
				fmt.Sprintf("There is no %s at %q (relative to the folder of %s).%s", words.what, p, l.base, l.nearbyHint(abs, p)))
		} else {
			l.errorAt(rng, "Cannot read path", fmt.Sprintf("%q: %v.", p, err))
		}
		return "", false
	}
	real, err := l.evalSymlinks(abs)
	if err != nil || !within(l.realRoot, real) {
		l.errorAt(rng, "Path leaves the repository",
			fmt.Sprintf("%q leads out of the repository through a symbolic link. lambdas packages and watches only files inside the repository; copy the files in instead.", p))
		return "", false
	}
	if realRel, err := filepath.Rel(l.realRoot, real); err == nil && inGitDir(filepath.ToSlash(realRel)) {
		l.gitDirError(p, rng, attr)
		return "", false
	}
	switch {
	case kind == kindDir && !fi.IsDir():
		l.errorAt(rng, "Source is not a folder",
			fmt.Sprintf("%q is a file. source names the folder that holds the function's code, e.g. %q.", p, path.Dir(strings.TrimSuffix(filepath.ToSlash(p), "/"))))
		return "", false
	case kind == kindFile && fi.IsDir():
		l.errorAt(rng, "Dependency file is a folder",
			fmt.Sprintf("%q is a folder. dependencies names the descriptor file itself, e.g. %q or %q.",
				p, path.Join(filepath.ToSlash(p), "requirements.txt"), path.Join(filepath.ToSlash(p), "package.json")))
		return "", false
	}
	return rel, true
}

// inGitDir reports whether a slash path has a component ".git" (in any
// case: on macOS and Windows ".GIT" is the same folder).
func inGitDir(rel string) bool {
	for part := range strings.SplitSeq(rel, "/") {
		if strings.EqualFold(part, ".git") {
			return true
		}
	}
	return false
}

func (l *loader) gitDirError(p string, rng hcl.Range, attr string) {
	l.errorAt(rng, "Path inside .git",
		fmt.Sprintf("%q is git's own folder (.git) or inside it. lambdas never packages git's own folder, nor watches it: it changes with every git command. Point %s at the repository's files instead.", p, attr))
}

// rootHint says where the repository root is, relative to the manifest.
func (l *loader) rootHint() string {
	if l.root == l.dir {
		return fmt.Sprintf(" (the repository root is the folder of %s)", l.base)
	}
	rel, err := filepath.Rel(l.dir, l.root)
	if err != nil {
		return ""
	}
	return fmt.Sprintf(" (the repository root is %q, relative to the folder of %s)", filepath.ToSlash(rel), l.base)
}

// nearbyHint suggests an existing sibling whose name is close to the
// missing one: "functions/orders-apii" → "functions/orders-api".
func (l *loader) nearbyHint(abs, given string) string {
	entries, err := os.ReadDir(filepath.Dir(abs))
	if err != nil {
		return ""
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	best := suggest(filepath.Base(abs), names)
	if best == "" {
		return ""
	}
	dir := path.Dir(path.Clean(filepath.ToSlash(given)))
	return fmt.Sprintf(" Did you mean %q?", path.Join(dir, best))
}

// evalSymlinks is filepath.EvalSymlinks with the folders' answers cached:
// hundreds of paths share their parent folders, and resolving each from
// the file system root costs a stat per component.
func (l *loader) evalSymlinks(abs string) (string, error) {
	dir, base := filepath.Split(filepath.Clean(abs))
	dir = filepath.Clean(dir)
	realDir, ok := l.realDirs[dir]
	if !ok {
		var err error
		if realDir, err = filepath.EvalSymlinks(dir); err != nil {
			return "", err
		}
		if l.realDirs == nil {
			l.realDirs = map[string]string{}
		}
		l.realDirs[dir] = realDir
	}
	p := filepath.Join(realDir, base)
	fi, err := os.Lstat(p)
	if err != nil {
		return "", err
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		return filepath.EvalSymlinks(p)
	}
	return p, nil
}
