package planner

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/gitattributes"
)

// Worktree content is hashed as git would store it: after the clean
// conversions that .gitattributes (text, eol, filter) and core.autocrlf ask
// for. A `touch` on a file under `*.py text eol=crlf` must not look like a
// change, since git status says it is clean.
//
// When the git binary is installed, `git hash-object --stdin-paths` hashes
// the files in one process: it applies attributes, eol conversion and
// filters (git-lfs, for instance) exactly as `git add` would. Without it
// (or with LAMBDAS_GIT=off), lambdas converts line endings itself (text,
// -text, binary, text=auto, eol, core.autocrlf) and computes git-lfs
// pointers for filter=lfs; any other filter cannot be run, and such a file
// is hashed as it is (it then looks modified).

// gitBinary is the git program used for hash-object, "" when none.
var gitBinary = sync.OnceValue(func() string {
	if v, _ := os.LookupEnv("LAMBDAS_GIT"); v == "off" {
		return ""
	}
	p, err := exec.LookPath("git")
	if err != nil {
		return ""
	}
	return p
})

// hashWorktree returns, for each suspect, the blob hash git would store for
// its content now. Symlinks are hashed as their target text.
func (r *Repo) hashWorktree(sus []*suspect) ([]plumbing.Hash, error) {
	out := make([]plumbing.Hash, len(sus))
	var files []int
	for i, s := range sus {
		if s.info.Mode()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(s.abs)
			if err != nil {
				return nil, fmt.Errorf("read symlink %s: %w", s.rel, err)
			}
			out[i] = hashObject("blob", []byte(filepath.ToSlash(target)))
			continue
		}
		files = append(files, i)
	}
	if len(files) == 0 {
		return out, nil
	}
	if git := gitBinary(); git != "" {
		paths := make([]string, len(files))
		for j, i := range files {
			paths[j] = sus[i].rel
		}
		hashes, err := gitHashObjects(git, r.Root, paths)
		if err == nil {
			for j, i := range files {
				out[i] = hashes[j]
			}
			return out, nil
		}
		// A file that vanished meanwhile fails the whole batch; hashing
		// in-process then says which one.
	}
	conv := r.converter()
	for _, i := range files {
		h, err := conv.hash(sus[i].rel, sus[i].abs)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}

// gitHashObjects runs `git hash-object --stdin-paths` in dir for paths
// relative to it (never writing objects).
func gitHashObjects(git, dir string, paths []string) ([]plumbing.Hash, error) {
	cmd := exec.Command(git, "hash-object", "--stdin-paths")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0")
	cmd.Stdin = strings.NewReader(strings.Join(paths, "\n") + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	data, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git hash-object: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	lines := strings.Fields(string(data))
	if len(lines) != len(paths) {
		return nil, fmt.Errorf("git hash-object gave %d hashes for %d files", len(lines), len(paths))
	}
	out := make([]plumbing.Hash, len(lines))
	for i, l := range lines {
		if !plumbing.IsHash(l) {
			return nil, fmt.Errorf("git hash-object: %q is not a hash", l)
		}
		out[i] = plumbing.NewHash(l)
	}
	return out, nil
}

// converter is the in-process stand-in for git's clean conversions.
type converter struct {
	root     string
	autocrlf string // core.autocrlf: "true", "input" or "false"
	mu       sync.Mutex
	base     []gitattributes.MatchAttribute
	perDir   map[string][]gitattributes.MatchAttribute
}

func (r *Repo) converter() *converter {
	c := &converter{root: r.Root, autocrlf: strings.ToLower(r.configValue("core", "autocrlf")), perDir: map[string][]gitattributes.MatchAttribute{}}
	if c.autocrlf == "" {
		c.autocrlf = "false"
	}
	c.base = readAttributes(filepath.Join(r.gitDir, "info", "attributes"), nil, true)
	return c
}

func readAttributes(file string, domain []string, macros bool) []gitattributes.MatchAttribute {
	f, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	attrs, err := gitattributes.ReadAttributes(f, domain, macros)
	if err != nil {
		return nil
	}
	return attrs
}

// attrs returns the text, eol and filter attributes of rel: the
// .gitattributes files from the root down, then .git/info/attributes, each
// later line overriding earlier ones, as git orders them.
func (c *converter) attrs(rel string) map[string]gitattributes.Attribute {
	parts := strings.Split(rel, "/")
	c.mu.Lock()
	var stack []gitattributes.MatchAttribute
	for i := 0; i < len(parts); i++ {
		dir := strings.Join(parts[:i], "/")
		as, ok := c.perDir[dir]
		if !ok {
			as = readAttributes(filepath.Join(c.root, filepath.FromSlash(dir), ".gitattributes"), append([]string(nil), parts[:i]...), i == 0)
			c.perDir[dir] = as
		}
		stack = append(stack, as...)
	}
	stack = append(stack, c.base...)
	c.mu.Unlock()
	out := map[string]gitattributes.Attribute{}
	for _, m := range stack {
		if m.Pattern == nil || !m.Pattern.Match(parts) {
			continue
		}
		for _, a := range m.Attributes {
			switch a.Name() {
			case "binary": // the built-in macro: -diff -merge -text
				if a.IsSet() {
					out["text"] = unsetAttr("text")
				}
			case "text", "eol", "filter", "crlf":
				out[a.Name()] = a
			}
		}
	}
	return out
}

// hash is the blob hash git would store for the file at abs (rel in the repository).
func (c *converter) hash(rel, abs string) (plumbing.Hash, error) {
	data, err := os.ReadFile(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return plumbing.ZeroHash, fmt.Errorf("%s vanished while lambdas was reading the tree; plan again", rel)
	}
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return hashObject("blob", c.clean(rel, data)), nil
}

// clean applies the conversions git applies when a file is added.
func (c *converter) clean(rel string, data []byte) []byte {
	a := c.attrs(rel)
	if f, ok := a["filter"]; ok && f.IsValueSet() && f.Value() == "lfs" {
		return lfsPointer(data)
	}
	if c.convertsCRLF(a, data) {
		return bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	}
	return data
}

// convertsCRLF reports whether CRLF becomes LF on the way into git.
func (c *converter) convertsCRLF(a map[string]gitattributes.Attribute, data []byte) bool {
	text, hasText := a["text"]
	if !hasText {
		text, hasText = a["crlf"] // the old name
	}
	eol, hasEOL := a["eol"]
	switch {
	case hasText && text.IsUnset():
		return false
	case hasText && text.IsSet():
		return true
	case hasText && text.IsValueSet() && text.Value() == "auto":
		return !isBinary(data)
	case hasEOL && eol.IsValueSet():
		return true // eol without text sets text
	case c.autocrlf == "true" || c.autocrlf == "input":
		return !isBinary(data)
	}
	return false
}

// isBinary is git's guess: a NUL byte in the first 8000 bytes.
func isBinary(data []byte) bool {
	if len(data) > 8000 {
		data = data[:8000]
	}
	return bytes.IndexByte(data, 0) >= 0
}

// lfsPointer is the pointer file git-lfs stores for content.
func lfsPointer(data []byte) []byte {
	if isLFSPointer(data) {
		return data
	}
	sum := sha256.Sum256(data)
	return fmt.Appendf(nil, "version https://git-lfs.github.com/spec/v1\noid sha256:%x\nsize %d\n", sum, len(data))
}

// isLFSPointer reports whether data is a git-lfs pointer file rather than
// the content it stands for.
func isLFSPointer(data []byte) bool {
	return len(data) < 1024 && bytes.HasPrefix(data, []byte("version https://git-lfs.github.com/spec/"))
}

type unsetAttr string

func (u unsetAttr) Name() string        { return string(u) }
func (u unsetAttr) IsSet() bool         { return false }
func (u unsetAttr) IsUnset() bool       { return true }
func (u unsetAttr) IsUnspecified() bool { return false }
func (u unsetAttr) IsValueSet() bool    { return false }
func (u unsetAttr) Value() string       { return "" }
func (u unsetAttr) String() string      { return "-" + string(u) }

// configValue reads one setting of the repository's git config (the local
// config file, then the user's), "" when unset. Section and key are
// matched case-insensitively, as git does.
func (r *Repo) configValue(section, key string) string {
	r.configOnce.Do(func() {
		r.config = map[string]string{}
		home, _ := os.UserHomeDir()
		files := []string{}
		if home != "" {
			files = append(files, filepath.Join(home, ".gitconfig"))
		}
		if x := os.Getenv("XDG_CONFIG_HOME"); x != "" {
			files = append([]string{filepath.Join(x, "git", "config")}, files...)
		}
		files = append(files, filepath.Join(r.commonDir(), "config"))
		for _, f := range files { // later files win
			readGitConfig(f, r.config)
		}
	})
	return r.config[strings.ToLower(section+"."+key)]
}

// readGitConfig reads simple "[section]" / "key = value" lines into m
// (lower-case section.key). Subsections and includes are not followed: the
// few core settings lambdas reads live in plain sections.
func readGitConfig(file string, m map[string]string) {
	f, err := os.Open(file)
	if err != nil {
		return
	}
	defer f.Close()
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			end := strings.IndexByte(line, ']')
			if end < 0 {
				continue
			}
			section = strings.ToLower(strings.TrimSpace(line[1:end]))
			if strings.ContainsAny(section, " \"") {
				section = "" // a subsection: not needed here
			}
			continue
		}
		if section == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			k, v = line, "true" // a bare key is true
		}
		v = strings.Trim(strings.TrimSpace(v), `"`)
		if i := strings.IndexAny(v, "#;"); i >= 0 {
			v = strings.TrimSpace(v[:i])
		}
		m[section+"."+strings.ToLower(strings.TrimSpace(k))] = v
	}
}

// fileMode is core.fileMode: false means executable bits in the worktree
// are not trusted (git keeps the index's).
func (r *Repo) fileMode() bool {
	switch strings.ToLower(r.configValue("core", "filemode")) {
	case "false", "no", "off", "0":
		return false
	}
	return true
}

// commonDir is the folder holding the objects and config: .git, or for a
// linked worktree the main repository's .git.
func (r *Repo) commonDir() string {
	data, err := os.ReadFile(filepath.Join(r.gitDir, "commondir"))
	if err != nil {
		return r.gitDir
	}
	p := strings.TrimSpace(string(data))
	if !filepath.IsAbs(p) {
		p = filepath.Join(r.gitDir, p)
	}
	return filepath.Clean(p)
}
