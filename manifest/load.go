package manifest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// Load reads, evaluates and validates the manifest at path. It returns nil and
// error diagnostics when anything is wrong, reporting ALL problems at once.
// On success the diagnostics may still hold warnings.
//
// File names in diagnostics are path (and the var files) as given, so a
// relative path gives stable, short messages.
func Load(path string, opts Options) (*Manifest, Diagnostics) {
	l := &loader{
		opts:   opts,
		parser: hclparse.NewParser(),
		name:   path,
	}
	if l.opts.LookupEnv == nil {
		l.opts.LookupEnv = os.LookupEnv
	}
	m := l.load()
	files := map[string]*hcl.File{}
	for name, f := range l.parser.Files() {
		files[name] = f
	}
	for name, f := range l.sources {
		files[name] = f
	}
	d := Diagnostics{Diags: finish(l.diags, path), Files: files}
	if d.HasErrors() {
		return nil, d
	}
	return m, d
}

// loader holds the state of one Load call.
type loader struct {
	opts   Options
	parser *hclparse.Parser
	diags  hcl.Diagnostics

	name     string // the manifest path as given, used in diagnostics
	base     string // the manifest's file name, used in messages ("lambdas.hcl")
	src      []byte
	file     string // absolute manifest path
	dir      string // absolute manifest folder
	root     string // absolute repository root
	realRoot string // root with symlinks resolved

	declared  map[string]*variableBlock
	vars      map[string]cty.Value
	localDefs map[string]*hcl.Attribute
	locals    map[string]cty.Value

	ctx      *hcl.EvalContext // full context: var, local and functions
	constCtx *hcl.EvalContext // functions only: variable defaults and var files

	// sources holds files other than HCL that diagnostics point into
	// (dependency descriptors), so that their lines can be shown.
	sources map[string]*hcl.File

	// reads records what env() and file() returned, for Manifest.Hash.
	reads map[string]string

	above    map[string][]os.FileInfo // see foldersAbove
	realDirs map[string]string        // see evalSymlinks

	stateRange *hcl.Range // the local state setting, nil when it is the default

	// The chosen environment (see environment.go).
	env      *environmentBlock
	envAttrs *environmentAttrs
	envVars  map[string]cty.Value
	envNames []string
	// otherEnvs are the environments not chosen, checked all the same.
	otherEnvs []*envDecl
}

func (l *loader) errorAt(rng hcl.Range, summary, detail string) {
	r := rng
	l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: &r})
}

func (l *loader) problemAt(rng hcl.Range, p *problem) bool {
	if p == nil {
		return true
	}
	l.errorAt(rng, p.summary, p.detail)
	return false
}

func (l *loader) warnAt(rng hcl.Range, summary, detail string) {
	r := rng
	l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: summary, Detail: detail, Subject: &r})
}

func (l *loader) errorNoRange(summary, detail string) {
	l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail})
}

func (l *loader) load() *Manifest {
	src, err := readBounded(l.name)
	if err != nil {
		l.errorNoRange("Cannot read the manifest", fmt.Sprintf("%v. Check the path, or run lambdas from the folder that holds lambdas.hcl.", err))
		return nil
	}
	l.src = src
	if l.file, err = filepath.Abs(l.name); err != nil {
		l.errorNoRange("Cannot read the manifest", err.Error())
		return nil
	}
	l.dir = filepath.Dir(l.file)
	l.base = filepath.Base(l.file)
	if !l.setRoot() {
		return nil
	}

	if !l.parsable(src, l.name, "manifest") {
		return nil
	}
	// A file with syntax errors is not interpreted further: its structure is
	// a guess, and the errors that would follow mislead more than they help.
	file, diags := l.parser.ParseHCL(src, l.name)
	l.diags = append(l.diags, syntaxErrors(diags)...)
	if diags.HasErrors() || file == nil {
		return nil
	}

	var root rootSchema
	l.diags = append(l.diags, labelErrors(decodeBody(file.Body, &root, "At the top level of "+l.base))...)

	l.constCtx = &hcl.EvalContext{Functions: l.functions()}
	l.environment(root.Environments)
	l.variables(root.Variables)
	l.checkEnvironmentVariables()
	l.resolveLocals(root.Locals)
	l.ctx = &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": objectOf(l.vars), "local": objectOf(l.locals)},
		Functions: l.constCtx.Functions,
	}

	m := &Manifest{File: l.file, Dir: l.dir, RepoRoot: l.root, Environments: l.envNames}
	if l.env != nil {
		m.Environment = l.env.Name
	}
	l.project(root.Projects, file.Body.MissingItemRange(), &m.Project)
	l.applyEnvironment(&m.Project)
	m.Functions = l.functionsOf(root.Defaults, root.Functions)
	l.checkStatePlace(&m.Project, m.Functions)
	m.Notify = l.notifications(root.Notify)

	if l.diags.HasErrors() {
		return nil
	}
	m.Hash = l.hash(m.Functions)
	return m
}

// readBounded reads a file of at most maxSourceBytes (and one byte more,
// so that parsable can tell a file is too large without reading all of it).
func readBounded(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxSourceBytes+1))
}

// parsable checks what hcl's parser cannot be trusted with: a file larger
// than maxSourceBytes, or nested deeper than maxNesting (the parser would
// overflow the stack, which kills the process). what is "manifest" or "var
// file".
func (l *loader) parsable(src []byte, name, what string) bool {
	if len(src) > maxSourceBytes {
		l.errorNoRange("File too large",
			fmt.Sprintf("%s is larger than %d MiB, the most lambdas reads from a %s; a real one is a few kilobytes. Keep data in files of the repository, and read small values with file().",
				name, maxSourceBytes>>20, what))
		return false
	}
	off := nestingTooDeep(src)
	if off < 0 {
		return true
	}
	if l.sources == nil {
		l.sources = map[string]*hcl.File{}
	}
	l.sources[name] = &hcl.File{Bytes: src}
	pos := posAt(src, off)
	end := pos
	if off < len(src) {
		_, n := utf8.DecodeRune(src[off:])
		end.Byte += n
		end.Column++
	}
	l.errorAt(hcl.Range{Filename: name, Start: pos, End: end}, "Nested too deeply",
		fmt.Sprintf("This %s nests more than %d levels deep here, where lambdas stops reading it rather than risk running out of stack. "+
			"Brackets, braces, parentheses and template sequences (${ } and %%{ }) each count a level while they are open, and so does each operator or index of one value. "+
			"Write the value in smaller pieces, for example with locals.", what, maxNesting))
	return false
}

// setRoot works out the repository root and checks that the manifest is in it.
func (l *loader) setRoot() bool {
	root := l.opts.RepoRoot
	if root == "" {
		root = l.dir
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		l.errorNoRange("Invalid repository root", err.Error())
		return false
	}
	l.root = abs
	if l.realRoot, err = filepath.EvalSymlinks(abs); err != nil {
		l.errorNoRange("Repository root not found", fmt.Sprintf("The repository root %q cannot be opened: %v.", root, err))
		return false
	}
	if !within(l.root, l.dir) {
		// The manifest may have been named through a symlinked folder (on
		// macOS /tmp is /private/tmp) while the root was not, or the other
		// way round: compare the real paths, and use them from here on.
		if realDir, err := filepath.EvalSymlinks(l.dir); err == nil && within(l.realRoot, realDir) {
			l.root, l.dir = l.realRoot, realDir
			l.file = filepath.Join(realDir, l.base)
			return true
		}
		l.errorNoRange("Manifest outside the repository",
			fmt.Sprintf("%s is not inside the repository root %q. Put the manifest in the repository, or give the right repository root.", l.name, root))
		return false
	}
	return true
}

// hash is the SHA-256 of the manifest bytes, the variable values, what
// env() and file() read, and what was looked up on disk to decide a
// setting (the entry file an esbuild build bundles): everything the result
// depends on besides the repository files themselves.
func (l *loader) hash(fns []*Function) string {
	h := sha256.New()
	fmt.Fprintf(h, "lambdas-manifest-v1\x00%d\x00", len(l.src))
	h.Write(l.src)
	if l.env != nil {
		fmt.Fprintf(h, "\x00environment\x00%s", l.env.Name)
	}
	for _, name := range sortedKeys(l.vars) {
		js, err := ctyjson.Marshal(l.vars[name], cty.DynamicPseudoType)
		if err != nil {
			js = []byte(l.vars[name].GoString())
		}
		fmt.Fprintf(h, "\x00var\x00%s\x00%s", name, js)
	}
	for _, k := range sortedKeys(l.reads) {
		fmt.Fprintf(h, "\x00read\x00%s\x00%s", k, l.reads[k])
	}
	for _, fn := range fns {
		if fn.Build != nil && fn.Build.Entry != "" {
			fmt.Fprintf(h, "\x00entry\x00%s\x00%s", fn.Label, fn.Build.Entry)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func objectOf(m map[string]cty.Value) cty.Value {
	if len(m) == 0 {
		return cty.EmptyObjectVal
	}
	return cty.ObjectVal(m)
}

// within reports whether path is root or below it (both absolute, cleaned).
func within(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return false
	}
	return rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// syntaxErrors drops the cascade that hcl's parser produces after some
// mistakes (one missing quote gives an "Invalid multi-line string" on every
// line that follows): only the first diagnostic of each summary is kept.
func syntaxErrors(diags hcl.Diagnostics) hcl.Diagnostics {
	seen := map[string]bool{}
	var out hcl.Diagnostics
	for _, d := range diags {
		if d.Severity == hcl.DiagError && seen[d.Summary] {
			continue
		}
		seen[d.Summary] = true
		out = append(out, d)
	}
	return out
}

// labelErrors replaces hcl's generic messages about block labels with ones
// that show the right form.
func labelErrors(diags hcl.Diagnostics) hcl.Diagnostics {
	for _, d := range diags {
		switch d.Summary {
		case "Missing label for function", "Extraneous label for function":
			d.Detail = `A function block has exactly one label, its name: function "orders-api" { ... }.`
		case "Missing name for variable", "Extraneous label for variable":
			d.Detail = `A variable block has exactly one label, its name: variable "env" { default = "qa" }.`
		case "Extraneous label for project", "Extraneous label for defaults", "Extraneous label for locals":
			block := strings.TrimPrefix(d.Summary, "Extraneous label for ")
			d.Detail = fmt.Sprintf("A %s block takes no label: write %s { ... }.", block, block)
		}
	}
	return diags
}
