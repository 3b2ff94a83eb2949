package build

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// entryExtensions are tried in this order for a handler's file.
var entryExtensions = []string{".ts", ".tsx", ".mts", ".cts", ".js", ".mjs", ".cjs", ".jsx"}

// defaultExternal are the packages the esbuild preset leaves out of the
// bundle, for the Node.js 18 and later runtimes: they provide the AWS SDK
// for JavaScript v3, and bundling it would make every zip megabytes larger
// for nothing (AWS CDK's NodejsFunction does the same). A function that
// wants a pinned SDK version of its own needs a build command.
var defaultExternal = []string{"@aws-sdk/*"}

// esmBanner gives an ESM bundle a require(): packages written as CommonJS
// that call require("fs") then work in the bundle (esbuild's shim uses
// require when there is one), instead of throwing "Dynamic require of fs
// is not supported" at run time.
const esmBanner = `import { createRequire as __lambdasCreateRequire } from "node:module"; const require = __lambdasCreateRequire(import.meta.url);`

var nodeRuntime = regexp.MustCompile(`^nodejs(\d+)\.x$`)

// buildEsbuild bundles the handler's file and everything it imports into
// one file, out/<handler's folder>/<file>.js (CommonJS) or .mjs (ESM), the
// names Lambda looks for:
//
//   - The entry is the handler's file with the first of entryExtensions
//     that exists: "src/app.handler" is src/app.ts, src/app.tsx, ...
//   - The format is ESM when the entry is .mts or .mjs, or when the nearest
//     package.json above the entry (within the repository) says "type":
//     "module" and the entry is not .cts or .cjs; CommonJS otherwise. The
//     zip holds no package.json, so the extension alone tells Lambda.
//   - --platform=node, --target=node<N> from the runtime nodejs<N>.x, and
//     "@aws-sdk/*" left external (see defaultExternal). An ESM bundle
//     starts with a require() of its own (see esmBanner).
//   - No source map and no minification: the bundle stays readable, its
//     stack traces point at lines that still look like the source, and the
//     output depends on the sources alone.
//   - esbuild runs in the source folder, so the file comments it writes in
//     the bundle ("// src/app.ts") are relative paths: the same bytes in
//     any checkout.
//
// The esbuild binary is node_modules/.bin/esbuild in the source folder or
// the nearest folder above it that has one, up to the repository root.
//
// Inputs are the files of esbuild's metafile inside the repository, except
// those under node_modules (installed, not in git: the lockfile stands for
// them), plus, for each input's folder, the nearest package.json and
// tsconfig.json (or jsconfig.json), which esbuild reads too: they decide
// the module format, JSX, decorators, path aliases.
func buildEsbuild(ctx context.Context, s Spec, out string) (*Result, error) {
	m := nodeRuntime.FindStringSubmatch(s.Runtime)
	if m == nil {
		return nil, fmt.Errorf("the esbuild preset needs a Node.js runtime (nodejs22.x, ...), not %q", s.Runtime)
	}
	major, _ := strconv.Atoi(m[1])
	module, err := handlerModule(s.Handler)
	if err != nil {
		return nil, err
	}
	entry, err := findEntry(s.Source, module)
	if err != nil {
		return nil, err
	}
	ext := path.Ext(entry)
	esm := ext == ".mts" || ext == ".mjs"
	if !esm && ext != ".cts" && ext != ".cjs" {
		pkg := nearestOf(s.RepoRoot, filepath.Dir(filepath.Join(s.Source, entry)), "package.json")
		if esm, err = isModulePackage(pkg); err != nil {
			return nil, err
		}
	}
	bin, err := findEsbuild(s.RepoRoot, s.Source)
	if err != nil {
		return nil, err
	}

	// esbuild reports paths relative to its working folder with symlinks
	// resolved; run it in the real source folder so they join back.
	src, err := filepath.EvalSymlinks(s.Source)
	if err != nil {
		return nil, err
	}
	outfile := filepath.Join(out, filepath.FromSlash(module)+".js")
	format := "--format=cjs"
	if esm {
		outfile = filepath.Join(out, filepath.FromSlash(module)+".mjs")
		format = "--format=esm"
	}
	meta := filepath.Join(s.WorkDir, "meta.json")
	args := []string{
		entry,
		"--bundle",
		"--platform=node",
		"--target=node" + strconv.Itoa(major),
		format,
		"--outfile=" + outfile,
		"--metafile=" + meta,
		"--log-level=warning", // warnings and errors, not the size table and timing
		"--color=false",
	}
	if major >= 18 { // the runtimes that ship the SDK v3
		for _, e := range defaultExternal {
			args = append(args, "--external:"+e)
		}
	}
	if esm {
		args = append(args, "--banner:js="+esmBanner)
	}
	p := &process{what: "esbuild", path: bin, args: args, dir: src, env: environ(), log: s.Log}
	if err := p.run(ctx); err != nil {
		return nil, err
	}
	inputs, err := esbuildInputs(s.RepoRoot, src, meta)
	if err != nil {
		return nil, err
	}
	return &Result{Dir: out, Inputs: inputs}, nil
}

// handlerModule returns the file part of a Node.js handler, without
// extension, as Lambda's Node.js runtime splits it: the folder up to the
// last "/", then the file name up to the first "." ("src/app.handler" and
// "src/app.api.get" are both src/app).
func handlerModule(h string) (string, error) {
	dir, base := "", h
	if i := strings.LastIndexByte(h, '/'); i >= 0 {
		dir, base = h[:i+1], h[i+1:]
	}
	file, fn, ok := strings.Cut(base, ".")
	if !ok || file == "" || fn == "" {
		return "", fmt.Errorf("handler %q: want <file>.<function>, e.g. index.handler or src/app.handler", h)
	}
	module := dir + file
	if strings.HasPrefix(module, "/") || slices.Contains(strings.Split(module, "/"), "..") {
		return "", fmt.Errorf("handler %q must name a file inside the source folder", h)
	}
	return path.Clean(module), nil
}

// findEntry returns the slash path, relative to source, of the module's
// file with the first of entryExtensions that exists.
func findEntry(source, module string) (string, error) {
	for _, ext := range entryExtensions {
		if fileExists(filepath.Join(source, filepath.FromSlash(module+ext))) {
			return module + ext, nil
		}
	}
	return "", fmt.Errorf("no file for the handler's module %s in %s: looked for %s.{%s}",
		module, source, module, strings.Join(trimDots(entryExtensions), ","))
}

func trimDots(exts []string) []string {
	out := make([]string, len(exts))
	for i, e := range exts {
		out[i] = strings.TrimPrefix(e, ".")
	}
	return out
}

// isModulePackage reports whether the package.json at p says "type": "module".
func isModulePackage(p string) (bool, error) {
	if p == "" {
		return false, nil
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return false, err
	}
	var pkg struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		return false, fmt.Errorf("%s: %w", p, err)
	}
	return pkg.Type == "module", nil
}

// findEsbuild looks for node_modules/.bin/esbuild in source and each folder
// above it, up to the repository root.
func findEsbuild(root, source string) (string, error) {
	var looked []string
	for d := source; ; d = filepath.Dir(d) {
		rel, ok := within(root, d)
		if !ok {
			break
		}
		bin := filepath.Join(d, "node_modules", ".bin", "esbuild")
		if fi, err := os.Stat(bin); err == nil && !fi.IsDir() {
			return bin, nil
		}
		if rel == "." {
			looked = append(looked, "the repository root")
			break
		}
		looked = append(looked, filepath.ToSlash(rel))
	}
	return "", fmt.Errorf("esbuild not found: looked for node_modules/.bin/esbuild in %s; "+
		"install it with `npm install --save-dev esbuild` in the repository or in the function's folder (and commit package.json and package-lock.json)",
		strings.Join(looked, ", "))
}

// esbuildInputs reads the metafile esbuild wrote; see buildEsbuild.
func esbuildInputs(root, src, meta string) ([]string, error) {
	b, err := os.ReadFile(meta)
	if err != nil {
		return nil, fmt.Errorf("esbuild metafile: %w", err)
	}
	var mf struct {
		Inputs map[string]json.RawMessage `json:"inputs"`
	}
	if err := json.Unmarshal(b, &mf); err != nil {
		return nil, fmt.Errorf("esbuild metafile %s: %w", meta, err)
	}
	files := newRepoFiles(root, func(rel string) bool {
		return !slices.Contains(strings.Split(rel, "/"), "node_modules")
	})
	configs := map[string]bool{} // folders whose nearest configs are added
	for k := range mf.Inputs {
		// Inputs outside the file namespace ("(disabled):fs",
		// "data:...") are not files.
		if i := strings.IndexByte(k, ':'); i >= 0 && !strings.Contains(k[:i], "/") {
			continue
		}
		p := filepath.Join(src, filepath.FromSlash(k))
		files.add(p)
		dir := filepath.Dir(p)
		if configs[dir] || slices.Contains(strings.Split(filepath.ToSlash(dir), "/"), "node_modules") {
			continue
		}
		configs[dir] = true
		for _, names := range [][]string{{"package.json"}, {"tsconfig.json", "jsconfig.json"}} {
			if c := nearestOf(files.realRoot, dir, names...); c != "" {
				files.add(c)
			}
		}
	}
	return files.list(), nil
}

// nearestOf returns the first file found of dir/<names...>, then of its
// parent, and so on up to root (never above); "" when there is none.
func nearestOf(root, dir string, names ...string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if _, ok := within(root, d); !ok {
			return ""
		}
		for _, n := range names {
			if p := filepath.Join(d, n); fileExists(p) {
				return p
			}
		}
		if d == root {
			return ""
		}
	}
}
