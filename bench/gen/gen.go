package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Options says what to generate.
type Options struct {
	Out       string
	Functions int
	Libs      int
	Files     int // files in the first commit; the history adds and deletes a few
	Commits   int // commits after the first one
	Seed      uint64
}

// Stats are the figures of a run.
type Stats struct {
	Out            string         `json:"out"`
	Seed           uint64         `json:"seed"`
	Functions      int            `json:"functions"`
	Runtimes       map[string]int `json:"runtimes"`
	Arm64          int            `json:"arm64"`
	WithDeps       int            `json:"with_dependencies"`
	Libs           int            `json:"libs"`
	InitialFiles   int            `json:"initial_files"`
	Files          int            `json:"files"`   // tracked at HEAD
	Commits        int            `json:"commits"` // first one included
	Head           string         `json:"head"`
	GitBytes       int64          `json:"git_bytes"`
	StreamBytes    int64          `json:"stream_bytes"` // size of the fast-import stream
	ImportSeconds  float64        `json:"import_seconds"`
	CheckoutSecond float64        `json:"checkout_seconds"`
	TotalSeconds   float64        `json:"total_seconds"`
}

// Summary is the human report of a run.
func (s *Stats) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "repository   %s\n", s.Out)
	fmt.Fprintf(&b, "functions    %d (%s; %d arm64; %d with dependencies)\n",
		s.Functions, runtimesText(s.Runtimes), s.Arm64, s.WithDeps)
	fmt.Fprintf(&b, "libraries    %d\n", s.Libs)
	fmt.Fprintf(&b, "files        %d at HEAD (%d in the first commit)\n", s.Files, s.InitialFiles)
	fmt.Fprintf(&b, "commits      %d\n", s.Commits)
	fmt.Fprintf(&b, "HEAD         %s\n", s.Head)
	fmt.Fprintf(&b, ".git         %.1f MiB (fast-import stream %.1f MiB)\n",
		float64(s.GitBytes)/(1<<20), float64(s.StreamBytes)/(1<<20))
	fmt.Fprintf(&b, "time         %.2fs (generate + fast-import %.2fs, checkout %.2fs)\n",
		s.TotalSeconds, s.ImportSeconds, s.CheckoutSecond)
	fmt.Fprintf(&b, "dependents   %s\n", filepath.Join(s.Out, ".bench", "dependents.json"))
	return b.String()
}

func runtimesText(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", m[k], k)
	}
	return strings.Join(parts, ", ")
}

const (
	python = "python3.12"
	node   = "nodejs22.x"
	// baseTime is the date of the first commit: 2024-01-01T00:00:00Z.
	baseTime = 1704067200
	docFiles = 8
)

type library struct {
	name  string // lib-03
	path  string // libs/lib-03
	lang  string // python or node runtime
	files []string
}

type function struct {
	label   string // fn-042
	path    string // functions/fn-042
	runtime string
	arch    string
	// libs are the shared libraries it packages (indexes into libs): the
	// first through a symlink in its folder (shared -> ../../libs/lib-NN),
	// the others with a bundle block. Nothing is watched: what a function
	// packages is what changes it.
	libs  []int
	deps  []dep // nil: no requirements.txt / package.json
	files []string
	fixed map[string]bool // files that are never deleted
}

type dep struct {
	name    string
	version [3]int
}

// area is where a commit happens: a function, a library, or the docs.
type area struct {
	label string
	dir   string
	lang  string
	files *[]string
	fixed map[string]bool
	fn    *function
}

type generator struct {
	opts    Options
	rng     *rand.Rand
	libs    []*library
	fns     []*function
	docs    []string
	content map[string][]byte
	order   []string // files of the first commit, in the order made
	serial  int      // makes new file names unique
}

// Generate writes the repository and its .bench/ files.
func Generate(ctx context.Context, opts Options) (*Stats, error) {
	start := time.Now()
	if err := opts.check(); err != nil {
		return nil, err
	}
	if err := prepareDir(opts.Out); err != nil {
		return nil, err
	}
	g := &generator{
		opts:    opts,
		rng:     rand.New(rand.NewPCG(opts.Seed, 0x6c616d626461)),
		content: make(map[string][]byte, opts.Files+opts.Commits),
	}
	if err := g.layout(); err != nil {
		return nil, err
	}

	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"config", "user.name", "bench"},
		{"config", "user.email", "bench@example.invalid"},
		{"config", "gc.auto", "0"}, // no background gc in the middle of a timing
		{"config", "commit.gpgsign", "false"},
	} {
		if err := git(ctx, opts.Out, args...); err != nil {
			return nil, err
		}
	}

	st := &Stats{Out: opts.Out, Seed: opts.Seed, Functions: len(g.fns), Libs: len(g.libs),
		Runtimes: map[string]int{}, InitialFiles: len(g.order), Commits: opts.Commits + 1}
	for _, f := range g.fns {
		st.Runtimes[f.runtime]++
		if f.arch == "arm64" {
			st.Arm64++
		}
		if f.deps != nil {
			st.WithDeps++
		}
	}

	// Stream the whole history into fast-import.
	cmd := exec.CommandContext(ctx, "git", "fast-import", "--quiet", "--done")
	cmd.Dir = opts.Out
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start git fast-import: %w", err)
	}
	cw := &countingWriter{w: stdin}
	w := bufio.NewWriterSize(cw, 1<<20)
	werr := g.stream(w)
	if werr == nil {
		werr = w.Flush()
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("git fast-import: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	if werr != nil {
		return nil, fmt.Errorf("write fast-import stream: %w", werr)
	}
	st.StreamBytes = cw.n
	st.ImportSeconds = time.Since(start).Seconds()

	// Populate the index and the work tree.
	t := time.Now()
	if err := git(ctx, opts.Out, "reset", "-q", "--hard", "main"); err != nil {
		return nil, err
	}
	st.CheckoutSecond = time.Since(t).Seconds()

	head, err := gitOutput(ctx, opts.Out, "rev-parse", "HEAD")
	if err != nil {
		return nil, err
	}
	st.Head = head
	st.Files = len(g.content)
	if st.GitBytes, err = dirSize(filepath.Join(opts.Out, ".git")); err != nil {
		return nil, err
	}
	st.TotalSeconds = time.Since(start).Seconds()
	if err := g.writeBench(st); err != nil {
		return nil, err
	}
	return st, nil
}

func (o Options) check() error {
	switch {
	case o.Functions < 1:
		return errors.New("-functions must be at least 1")
	case o.Libs < 1:
		return errors.New("-libs must be at least 1")
	case o.Commits < 0:
		return errors.New("-commits must not be negative")
	}
	return nil
}

func prepareDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return os.MkdirAll(dir, 0o755)
	case err != nil:
		return err
	case len(entries) > 0:
		return fmt.Errorf("%s is not empty", dir)
	}
	return nil
}

// layout decides every function, library and file of the first commit.
func (g *generator) layout() error {
	o := g.opts
	lw := max(2, len(fmt.Sprint(o.Libs-1)))
	for i := range o.Libs {
		name := fmt.Sprintf("lib-%0*d", lw, i)
		lang := python
		if i%2 == 1 {
			lang = node
		}
		g.libs = append(g.libs, &library{name: name, path: "libs/" + name, lang: lang})
	}
	fw := max(3, len(fmt.Sprint(o.Functions)))
	for i := 1; i <= o.Functions; i++ {
		label := fmt.Sprintf("fn-%0*d", fw, i)
		primary := i % o.Libs
		f := &function{label: label, path: "functions/" + label, runtime: g.libs[primary].lang,
			arch: "x86_64", libs: []int{primary}, fixed: map[string]bool{}}
		if o.Libs > 2 && i%7 == 0 {
			f.libs = append(f.libs, (primary+2)%o.Libs)
		}
		if i%5 == 0 {
			f.arch = "arm64"
		}
		if f.runtime == python && (i/10)%3 == 0 || f.runtime == node && (i/10)%2 == 0 {
			f.deps = g.randomDeps(f.runtime)
		}
		g.fns = append(g.fns, f)
	}

	// Files: the root and the docs, then each library, then the functions.
	rootFiles := 3 + docFiles + 1
	perLib := max(4, o.Files*5/100/o.Libs)
	fixed := 0
	for _, f := range g.fns {
		fixed += 3 // handler, its test, README.md
		switch {
		case f.deps != nil && f.runtime == python:
			fixed++ // requirements.txt
		case f.deps != nil:
			fixed += 2 // package.json, package-lock.json
		}
	}
	extra := o.Files - rootFiles - perLib*o.Libs - fixed
	if extra < 0 {
		return fmt.Errorf("-files %d is too few for %d functions and %d libraries: want at least %d",
			o.Files, o.Functions, o.Libs, o.Files-extra)
	}

	g.add(".gitignore", []byte(".bench/\n.lambdas/\nnode_modules/\n__pycache__/\n*.pyc\n"))
	g.add("README.md", []byte(fmt.Sprintf("# bench\n\nA generated monorepo of %d functions and %d shared libraries "+
		"for the planner benchmark (bench/gen, seed %d).\n", o.Functions, o.Libs, o.Seed)))
	g.add(".github/workflows/ci.yml", []byte("name: ci\non: [push]\njobs:\n  plan:\n    runs-on: ubuntu-latest\n"+
		"    steps:\n      - uses: actions/checkout@v4\n      - run: lambdas plan --detailed-exitcode\n"))
	for i := range docFiles {
		p := fmt.Sprintf("docs/%s-%d.md", pick(g.rng, nouns), i)
		g.add(p, markdown(g.rng, "Notes on "+p))
		g.docs = append(g.docs, p)
	}
	g.add("lambdas.hcl", g.manifest())

	for _, l := range g.libs {
		a := g.libArea(l)
		g.add(l.path+"/README.md", markdown(g.rng, "Shared library "+l.name))
		l.files = append(l.files, l.path+"/README.md")
		for range perLib - 1 {
			g.newFile(a)
		}
	}

	// Spread the extra files over the functions at random: some are big.
	counts := make([]int, len(g.fns))
	for range extra {
		counts[g.rng.IntN(len(counts))]++
	}
	for i, f := range g.fns {
		a := g.fnArea(f)
		if f.runtime == python {
			g.fixedFile(f, "app.py", pyModule(g.rng, f.label+" handler", true))
			g.fixedFile(f, "tests/test_app.py", pyTest(g.rng, "app"))
			if f.deps != nil {
				g.fixedFile(f, "requirements.txt", requirements(f.deps))
			}
		} else {
			g.fixedFile(f, "index.mjs", jsModule(g.rng, f.label+" handler", true))
			g.fixedFile(f, "test/index.test.mjs", jsTest(g.rng, "index"))
			if f.deps != nil {
				g.fixedFile(f, "package.json", packageJSON(f.label, f.deps))
				g.fixedFile(f, "package-lock.json", packageLock(f.label, f.deps))
			}
		}
		g.fixedFile(f, "README.md", markdown(g.rng, "Function "+f.label))
		for range counts[i] {
			g.newFile(a)
		}
	}
	if len(g.order) != o.Files {
		return fmt.Errorf("internal: made %d files, want %d", len(g.order), o.Files)
	}
	return nil
}

func (g *generator) add(path string, data []byte) {
	if _, ok := g.content[path]; ok {
		panic("duplicate file " + path)
	}
	g.content[path] = data
	g.order = append(g.order, path)
}

func (g *generator) fixedFile(f *function, rel string, data []byte) {
	p := f.path + "/" + rel
	g.add(p, data)
	f.files = append(f.files, p)
	f.fixed[p] = true
}

func (g *generator) fnArea(f *function) area {
	return area{label: f.label, dir: f.path, lang: f.runtime, files: &f.files, fixed: f.fixed, fn: f}
}

func (g *generator) libArea(l *library) area {
	return area{label: l.name, dir: l.path, lang: l.lang, files: &l.files}
}

// newPath is a fresh file path in the area, a few folders deep.
func (g *generator) newPath(a area) string {
	g.serial++
	r := g.rng
	if a.lang == "docs" {
		return fmt.Sprintf("%s/%s-%d.md", a.dir, pick(r, nouns), g.serial)
	}
	name := fmt.Sprintf("%s_%d", pick(r, nouns), g.serial)
	isTest := r.IntN(5) == 0
	sub := pick(r, packages)
	if r.IntN(3) == 0 {
		sub += "/" + pick(r, nouns)
	}
	pkg := strings.ReplaceAll(filepath.Base(a.dir), "-", "_")
	switch {
	case a.lang == python && isTest:
		return fmt.Sprintf("%s/tests/%s/test_%s.py", a.dir, strings.SplitN(sub, "/", 2)[0], name)
	case a.lang == python:
		return fmt.Sprintf("%s/%s/%s/%s.py", a.dir, pkg, sub, name)
	case isTest:
		return fmt.Sprintf("%s/test/%s/%s.test.mjs", a.dir, strings.SplitN(sub, "/", 2)[0], strings.ReplaceAll(name, "_", "-"))
	default:
		return fmt.Sprintf("%s/src/%s/%s.mjs", a.dir, sub, strings.ReplaceAll(name, "_", "-"))
	}
}

// newFile adds a new source or test file to the area and returns its path.
func (g *generator) newFile(a area) string {
	p := g.newPath(a)
	title := a.label + " " + strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
	var data []byte
	switch {
	case strings.HasSuffix(p, ".md"):
		data = markdown(g.rng, title)
	case strings.HasSuffix(p, ".test.mjs"):
		data = jsTest(g.rng, title)
	case strings.HasSuffix(p, ".mjs"):
		data = jsModule(g.rng, title, false)
	case strings.Contains(p, "/tests/"):
		data = pyTest(g.rng, title)
	default:
		data = pyModule(g.rng, title, false)
	}
	g.add(p, data)
	*a.files = append(*a.files, p)
	return p
}

func (g *generator) randomDeps(runtime string) []dep {
	pool := pyPackages
	if runtime == node {
		pool = npmPackages
	}
	n := 1 + g.rng.IntN(3)
	idx := g.rng.Perm(len(pool))[:n]
	deps := make([]dep, n)
	for i, j := range idx {
		deps[i] = dep{name: pool[j], version: [3]int{1 + g.rng.IntN(5), g.rng.IntN(20), g.rng.IntN(10)}}
	}
	slices.SortFunc(deps, func(a, b dep) int { return strings.Compare(a.name, b.name) })
	return deps
}

// manifest is the lambdas.hcl listing every function.
func (g *generator) manifest() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# Generated by bench/gen (seed %d): %d functions, %d shared libraries.\n\n",
		g.opts.Seed, len(g.fns), len(g.libs))
	b.WriteString("project {\n  name = \"bench\"\n}\n\n")
	b.WriteString("defaults {\n  architecture = \"x86_64\"\n  alias        = \"live\"\n}\n")
	for _, f := range g.fns {
		fmt.Fprintf(&b, "\nfunction %q {\n", f.label)
		fmt.Fprintf(&b, "  source       = %q\n", f.path)
		if f.runtime == python {
			b.WriteString("  exclude      = [\"tests/**\", \"**/__pycache__/**\"]\n")
		} else {
			b.WriteString("  exclude      = [\"test/**\", \"node_modules/**\"]\n")
		}
		for _, l := range f.libs[1:] {
			fmt.Fprintf(&b, "  bundle {\n    from = %q\n    to   = %q\n  }\n", g.libs[l].path, strings.ReplaceAll(g.libs[l].name, "-", "_"))
		}
		fmt.Fprintf(&b, "  runtime      = %q\n", f.runtime)
		if f.arch != "x86_64" {
			fmt.Fprintf(&b, "  architecture = %q\n", f.arch)
		}
		if f.runtime == python {
			b.WriteString("  handler      = \"app.handler\"\n")
			if f.deps != nil {
				fmt.Fprintf(&b, "  dependencies = %q\n", f.path+"/requirements.txt")
			}
		} else {
			b.WriteString("  handler      = \"index.handler\"\n")
			if f.deps != nil {
				fmt.Fprintf(&b, "  dependencies = %q\n", f.path+"/package.json")
			}
		}
		b.WriteString("}\n")
	}
	return []byte(b.String())
}

// stream writes the first commit and the history as a fast-import stream.
func (g *generator) stream(w *bufio.Writer) error {
	w.WriteString("feature done\n")
	commit := func(n int, msg string) {
		ts := baseTime + int64(n)*3600 + int64(g.rng.IntN(3600))
		fmt.Fprintf(w, "commit refs/heads/main\nauthor Bench Bot <bench@example.invalid> %d +0000\n"+
			"committer Bench Bot <bench@example.invalid> %d +0000\ndata %d\n%s\n", ts, ts, len(msg), msg)
	}
	modify := func(path string) {
		data := g.content[path]
		fmt.Fprintf(w, "M 100644 inline %s\ndata %d\n", path, len(data))
		w.Write(data)
		w.WriteString("\n")
	}

	commit(0, fmt.Sprintf("Start the monorepo: %d functions, %d libraries", len(g.fns), len(g.libs)))
	for _, p := range g.order {
		modify(p)
	}
	for _, f := range g.fns { // each function's link to its first library
		target := "../../" + g.libs[f.libs[0]].path
		fmt.Fprintf(w, "M 120000 inline %s/shared\ndata %d\n%s\n", f.path, len(target), target)
	}

	for n := 1; n <= g.opts.Commits; n++ {
		a := g.pickArea()
		touched := map[string]bool{}
		var mods, dels []string
		var verbs []string
		for range 1 + g.rng.IntN(4) {
			r := g.rng.IntN(100)
			switch {
			case a.fn != nil && a.fn.deps != nil && r < 4:
				g.bumpDeps(a.fn)
				for _, name := range []string{"requirements.txt", "package.json", "package-lock.json"} {
					if p := a.fn.path + "/" + name; g.content[p] != nil && !touched[p] {
						touched[p] = true
						mods = append(mods, p)
					}
				}
				verbs = append(verbs, "bump dependencies")
			case r < 12:
				p := g.newFile(a)
				touched[p] = true
				mods = append(mods, p)
				verbs = append(verbs, "add "+filepath.Base(p))
			case r < 21 && len(*a.files) > 20:
				p := g.deletable(a, touched)
				if p == "" {
					continue
				}
				touched[p] = true
				dels = append(dels, p)
				verbs = append(verbs, "remove "+filepath.Base(p))
			default:
				p := (*a.files)[g.rng.IntN(len(*a.files))]
				if touched[p] || strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".txt") {
					continue
				}
				touched[p] = true
				g.content[p] = edit(g.rng, p, g.content[p])
				mods = append(mods, p)
				verbs = append(verbs, "update "+filepath.Base(p))
			}
		}
		if len(mods)+len(dels) == 0 { // every pick was skipped: edit the README
			p := a.dir + "/README.md"
			if a.dir == "docs" {
				p = g.docs[0]
			}
			g.content[p] = edit(g.rng, p, g.content[p])
			mods = append(mods, p)
			verbs = append(verbs, "update "+filepath.Base(p))
		}
		slices.Sort(verbs)
		commit(n, fmt.Sprintf("%s: %s", a.label, strings.Join(slices.Compact(verbs), ", ")))
		for _, p := range dels {
			fmt.Fprintf(w, "D %s\n", p)
		}
		for _, p := range mods {
			modify(p)
		}
		w.WriteString("\n")
	}
	w.WriteString("done\n")
	return nil
}

// pickArea chooses where a commit happens: mostly functions, often libraries,
// sometimes only the docs (a commit that changes no function).
func (g *generator) pickArea() area {
	switch r := g.rng.IntN(100); {
	case r < 70:
		return g.fnArea(g.fns[g.rng.IntN(len(g.fns))])
	case r < 93:
		return g.libArea(g.libs[g.rng.IntN(len(g.libs))])
	default:
		return area{label: "docs", dir: "docs", lang: "docs", files: &g.docs}
	}
}

// deletable removes and returns a random file of the area that may go.
func (g *generator) deletable(a area, touched map[string]bool) string {
	files := *a.files
	for range 5 {
		i := g.rng.IntN(len(files))
		p := files[i]
		if a.fixed[p] || touched[p] || strings.HasSuffix(p, "README.md") {
			continue
		}
		files[i] = files[len(files)-1]
		*a.files = files[:len(files)-1]
		delete(g.content, p)
		return p
	}
	return ""
}

func (g *generator) bumpDeps(f *function) {
	d := &f.deps[g.rng.IntN(len(f.deps))]
	d.version[2]++
	if f.runtime == python {
		g.content[f.path+"/requirements.txt"] = requirements(f.deps)
	} else {
		g.content[f.path+"/package.json"] = packageJSON(f.label, f.deps)
		g.content[f.path+"/package-lock.json"] = packageLock(f.label, f.deps)
	}
}

// writeBench writes .bench/dependents.json and .bench/meta.json.
func (g *generator) writeBench(st *Stats) error {
	dir := filepath.Join(g.opts.Out, ".bench")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	deps := map[string][]string{}
	for _, l := range g.libs {
		deps[l.path] = []string{}
	}
	for _, f := range g.fns { // already in label order
		for _, l := range f.libs {
			deps[g.libs[l].path] = append(deps[g.libs[l].path], f.label)
		}
	}
	for _, v := range deps {
		slices.Sort(v)
	}
	for name, v := range map[string]any{"dependents.json": deps, "meta.json": st} {
		data, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), append(data, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func git(ctx context.Context, dir string, args ...string) error {
	_, err := gitOutput(ctx, dir, args...)
	return err
}

func gitOutput(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return strings.TrimSpace(string(out)), nil
}

func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	return n, err
}
