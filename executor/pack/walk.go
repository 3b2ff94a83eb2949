package pack

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// file is one archive entry found by the walk.
type file struct {
	name    string // archive name: slash path relative to Source
	path    string // OS path to read, symlinks resolved
	display string // how messages name it
	size    int64
	exec    bool
	modTime int64 // the mtime it must still have (Unix ns); 0: not checked
}

// walker finds the files to pack. Directories are walked by their real
// (symlink-free) paths, so relative links resolve as the kernel would
// resolve them and the cycle guard compares real paths.
type walker struct {
	ctx      context.Context
	root     string // real path of RepoRoot
	source   string // Source, cleaned, for messages ("." for the root)
	include  []string
	exclude  []string
	files    []file
	total    int64
	visiting map[string]bool // real paths of the folders being walked
	skip     string          // real path of the output folder
}

// collect validates spec and returns the files to pack, sorted by name,
// with the sum of their sizes. The real folder skip is never walked.
func collect(ctx context.Context, spec Spec, skip string) ([]file, int64, error) {
	if !filepath.IsAbs(spec.RepoRoot) {
		return nil, 0, fmt.Errorf("repository root %q is not an absolute path", spec.RepoRoot)
	}
	src := path.Clean(filepath.ToSlash(spec.Source))
	if path.IsAbs(src) || src == ".." || strings.HasPrefix(src, "../") {
		return nil, 0, fmt.Errorf("source %q must be a folder inside the repository, relative to its root", spec.Source)
	}
	include, err := cleanPatterns("include", spec.Include)
	if err != nil {
		return nil, 0, err
	}
	exclude, err := cleanPatterns("exclude", spec.Exclude)
	if err != nil {
		return nil, 0, err
	}

	root, err := filepath.EvalSymlinks(spec.RepoRoot)
	if err != nil {
		return nil, 0, fmt.Errorf("repository root: %w", err)
	}
	srcReal, err := filepath.EvalSymlinks(filepath.Join(root, filepath.FromSlash(src)))
	if err != nil {
		return nil, 0, fmt.Errorf("source folder %s: %w", src, err)
	}
	if !inside(root, srcReal) {
		return nil, 0, kindErr(ErrSymlink, "source folder %s resolves to %s, outside the repository", src, srcReal)
	}
	if fi, err := os.Stat(srcReal); err != nil {
		return nil, 0, fmt.Errorf("source folder %s: %w", src, err)
	} else if !fi.IsDir() {
		return nil, 0, fmt.Errorf("source %s is not a folder", src)
	}
	if skip == srcReal {
		return nil, 0, fmt.Errorf("the output folder must not be the source folder %s", src)
	}

	w := &walker{
		ctx:      ctx,
		root:     root,
		source:   src,
		include:  include,
		exclude:  exclude,
		visiting: map[string]bool{srcReal: true},
		skip:     skip,
	}
	if err := w.walk(srcReal, "", len(include) == 0, ""); err != nil {
		return nil, 0, err
	}
	if len(w.files) == 0 {
		if len(include)+len(exclude) > 0 {
			return nil, 0, kindErr(ErrNoFiles, "no files to pack in %s after include %q and exclude %q", src, spec.Include, spec.Exclude)
		}
		return nil, 0, kindErr(ErrNoFiles, "no files to pack in %s", src)
	}
	// Walk order is per folder; the archive is sorted by the bytes of the
	// whole path ("a-b/x" < "a/x"), which the walk order is not.
	slices.SortFunc(w.files, func(a, b file) int { return strings.Compare(a.name, b.name) })
	return w.files, w.total, nil
}

// cleanPatterns normalises and validates patterns, so that a typo fails
// loudly instead of silently matching nothing.
func cleanPatterns(kind string, pats []string) ([]string, error) {
	out := make([]string, 0, len(pats))
	for _, p := range pats {
		c := strings.TrimPrefix(p, "./")
		if len(c) > 1 {
			c = strings.TrimSuffix(c, "/")
		}
		switch {
		case c == "" || c == "/":
			return nil, kindErr(ErrPattern, "%s pattern %q is empty", kind, p)
		case strings.HasPrefix(c, "/"):
			return nil, kindErr(ErrPattern, "%s pattern %q must be relative to the source folder", kind, p)
		case c == ".." || strings.HasPrefix(c, "../"):
			return nil, kindErr(ErrPattern, "%s pattern %q points outside the source folder", kind, p)
		case !doublestar.ValidatePattern(c):
			return nil, kindErr(ErrPattern, "%s pattern %q is malformed", kind, p)
		}
		out = append(out, c)
	}
	return out, nil
}

func matchAny(pats []string, name string) bool {
	for _, p := range pats {
		if doublestar.MatchUnvalidated(p, name) {
			return true
		}
	}
	return false
}

// inside reports whether the real path p is root or below it.
func inside(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// walk adds the files of the real folder dir, whose archive name is rel.
// selected is true when rel or a parent matched an include (or there are
// none); via names the innermost symlink the walk came through, for the
// cycle message.
func (w *walker) walk(dir, rel string, selected bool, via string) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read folder %s: %w", w.display(rel), err)
	}
	for _, e := range entries {
		name := e.Name()
		if name == ".git" || name == ".lambdas" {
			continue
		}
		p := name
		if rel != "" {
			p = rel + "/" + name
		}
		// A matching exclude prunes the folder: nothing beneath is read,
		// so a bad symlink in an excluded folder is no error.
		if matchAny(w.exclude, p) {
			continue
		}
		sel := selected || matchAny(w.include, p)
		full := filepath.Join(dir, name)

		switch t := e.Type(); {
		case t.IsDir():
			if err := w.enter(full, p, sel, via); err != nil {
				return err
			}
		case t.IsRegular():
			if sel {
				fi, err := e.Info()
				if err != nil {
					return fmt.Errorf("stat %s: %w", w.display(p), err)
				}
				w.add(p, full, fi)
			}
		case t&fs.ModeSymlink != 0:
			if err := w.link(full, p, sel); err != nil {
				return err
			}
		default:
			if sel {
				return fmt.Errorf("%s is not a regular file, folder or symlink (%s)", w.display(p), t.Type())
			}
		}
	}
	return nil
}

// enter walks a sub-folder, refusing to enter one that is already being
// walked: only symlinks can lead there, and following them would not end.
func (w *walker) enter(real, p string, sel bool, via string) error {
	if real == w.skip {
		return nil
	}
	if w.visiting[real] {
		if via == "" {
			via = "folder " + w.display(p) // a bind mount, say
		}
		again := real
		if r, err := filepath.Rel(w.root, real); err == nil {
			again = filepath.ToSlash(r)
		}
		return kindErr(ErrSymlink, "%s makes a cycle: %s is %s again", via, w.display(p), again)
	}
	w.visiting[real] = true
	defer delete(w.visiting, real)
	return w.walk(real, p, sel, via)
}

// link handles the symlink at full (archive name p). File links are packed
// with their target's content and mode; folder links are walked. A link
// that would be packed must resolve inside the repository; a folder link
// must too, since only walking it would tell what it holds.
func (w *walker) link(full, p string, sel bool) error {
	target, err := os.Readlink(full)
	if err != nil {
		return fmt.Errorf("read symlink %s: %w", w.display(p), err)
	}
	desc := fmt.Sprintf("symlink %s -> %s", w.display(p), target)
	real, err := filepath.EvalSymlinks(full)
	if err != nil {
		if !sel {
			return nil
		}
		if errors.Is(err, fs.ErrNotExist) {
			return kindErr(ErrSymlink, "%s is broken: %w", desc, err)
		}
		return kindErr(ErrSymlink, "%s cannot be resolved: %w", desc, err)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return fmt.Errorf("%s: %w", desc, err)
	}
	if !fi.IsDir() && !sel {
		return nil
	}
	if !inside(w.root, real) {
		// Show where it lands when the link text alone does not say so.
		if filepath.Clean(filepath.Join(filepath.Dir(full), target)) != real && filepath.Clean(target) != real {
			return kindErr(ErrSymlink, "%s leaves the repository (resolves to %s)", desc, real)
		}
		return kindErr(ErrSymlink, "%s leaves the repository", desc)
	}
	switch {
	case fi.IsDir():
		return w.enter(real, p, sel, desc)
	case fi.Mode().IsRegular():
		w.add(p, real, fi)
		return nil
	default:
		return fmt.Errorf("%s: target is not a regular file or folder (%s)", desc, fi.Mode().Type())
	}
}

func (w *walker) add(name, osPath string, fi fs.FileInfo) {
	w.files = append(w.files, file{
		name:    name,
		path:    osPath,
		display: w.display(name),
		size:    fi.Size(),
		exec:    fi.Mode().Perm()&0o111 != 0,
	})
	w.total += fi.Size()
}

// display gives an archive name as a repository-relative path.
func (w *walker) display(rel string) string {
	return path.Join(w.source, rel)
}
