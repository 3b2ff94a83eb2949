package manifest

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

const (
	defaultBuildTimeout = 10 * time.Minute
	maxBuildTimeout     = 2 * time.Hour
)

var buildPresets = []string{"go", "esbuild"}

// presetAliases are names people reach for instead of a preset.
var presetAliases = map[string]string{
	"golang": "go", "go-build": "go", "gobuild": "go",
	"node": "esbuild", "nodejs": "esbuild", "typescript": "esbuild", "ts": "esbuild", "tsc": "esbuild",
	"javascript": "esbuild", "js": "esbuild", "npm": "esbuild", "webpack": "esbuild",
}

// entryExtensions are the files preset "esbuild" looks for, in this order,
// for the handler's module (the same order as executor/build).
var entryExtensions = []string{".ts", ".tsx", ".mts", ".cts", ".js", ".mjs", ".cjs", ".jsx"}

// buildOf evaluates the build block: the function's own, or else the
// defaults block's, as a whole. h is the handler attribute, for the checks
// that depend on it; fn has Source, Runtime and Handler set when they are
// valid.
func (l *loader) buildOf(s, d *fnSpec, fn *Function, h attrVal) *Build {
	attrs, where, inherited := &s.build, s.buildRange, false
	if where == nil {
		attrs, where, inherited = &d.build, d.buildRange, true
	}
	if where == nil {
		return nil
	}
	b := &Build{Range: *where, Timeout: defaultBuildTimeout}
	// from names where an inherited build block is, for messages about
	// how it fits this function.
	from := ""
	if inherited {
		from = fmt.Sprintf(" (The build block comes from the defaults block, %s line %d; give the function its own build block to build it differently.)",
			where.Filename, where.Start.Line)
	}
	good := true

	typo := func(name string) bool { return s.typos[name] || d.typos[name] }
	preset, command, output := l.pick(attrs.Preset), l.pick(attrs.Command), l.pick(attrs.Output)
	switch {
	case preset.set() && command.set():
		l.errorAt(command.rng(), "Both preset and command",
			fmt.Sprintf("A build block has either a preset or a command, not both; this one has preset at line %d. Keep preset for the built-in go or esbuild build, or command (with output) for any other.",
				preset.rng().Start.Line))
		good = false
	case !preset.set() && !command.set():
		if !typo("preset") && !typo("command") {
			l.errorAt(*where, "Missing build preset or command",
				"A build block says how to build the function: preset = \"go\" (a Go program for a provided runtime), preset = \"esbuild\" (a Node.js handler, TypeScript or JavaScript), or command = \"make dist\" with output = \"dist\" for any other build.")
		}
		good = false
	case preset.set():
		if output.set() {
			l.errorAt(output.rng(), "output with a preset",
				"A preset knows what it builds (go the executable bootstrap, esbuild one JavaScript file for the handler), so output is only for a command build. Remove output.")
			good = false
		}
		v, ok := l.asString(preset, `"go"`)
		switch {
		case !ok:
			good = false
		case !slices.Contains(buildPresets, v):
			hint := didYouMean(v, buildPresets)
			if to, ok := presetAliases[strings.ToLower(v)]; ok && hint == "" {
				hint = fmt.Sprintf(" Did you mean %q?", to)
			}
			l.errorAt(preset.rng(), "Unknown build preset",
				fmt.Sprintf("%q is not a build preset.%s lambdas has two: \"go\" builds the Go program in the source folder into bootstrap for a provided runtime, and \"esbuild\" bundles a Node.js handler written in TypeScript or JavaScript. For any other build, set command and output instead.", v, hint))
			good = false
		default:
			b.Preset = v
			if !l.buildFits(b, preset.rng(), fn, h, from) {
				good = false
			}
		}
	default:
		if v, ok := l.asString(command, `"make dist"`); !ok {
			good = false
		} else if strings.TrimSpace(v) == "" {
			l.errorAt(command.rng(), "Empty build command",
				"command is the shell command that builds the function, run in its source folder, e.g. command = \"make dist\". Remove the build block when the source folder is zipped as it is.")
			good = false
		} else {
			b.Command = v
		}
		if !output.set() {
			if !typo("output") {
				l.errorAt(command.rng(), "Missing output",
					"A command build needs output: the folder, relative to the source folder, whose files the command leaves to be zipped, e.g. output = \"dist\".")
			}
			good = false
		} else if p, ok := l.asString(output, `"dist"`); !ok {
			good = false
		} else if out, why := cleanInnerPath(p); why != "" {
			l.errorAt(output.rng(), "Invalid build output",
				fmt.Sprintf("output is the folder, relative to the source folder, whose files are zipped, e.g. \"dist\", and %q %s.", p, why))
			good = false
		} else {
			b.Output = out
		}
	}

	if t := l.pick(attrs.Timeout); t.set() {
		if dur, v, ok := l.duration(t, "the build may take", "10m"); !ok {
			good = false
		} else if dur > maxBuildTimeout {
			l.errorAt(t.rng(), "Invalid timeout",
				fmt.Sprintf("A build may take at most 2h, and %q is longer. A build that takes hours belongs in CI, before lambdas runs; a command build can then collect what it left.", v))
			good = false
		} else {
			b.Timeout = dur
		}
	}

	if !good {
		return nil
	}
	return b
}

// buildFits checks a preset against the function's runtime and handler.
// presetRng is where the preset is set.
func (l *loader) buildFits(b *Build, presetRng hcl.Range, fn *Function, h attrVal, from string) bool {
	if b.Preset == "" || fn.Runtime == "" {
		return true
	}
	switch b.Preset {
	case "go":
		if runtimeFamily(fn.Runtime) != "provided" {
			l.errorAt(presetRng, "Preset go needs a provided runtime",
				fmt.Sprintf("preset \"go\" builds the Go program into an executable named bootstrap, which only a custom runtime runs, and function %q has runtime %s. Set runtime = \"provided.al2023\" (or \"provided.al2\"), or use another build.%s",
					fn.Label, fn.Runtime, from))
			return false
		}
		if fn.Handler != "" && fn.Handler != "bootstrap" {
			l.warnAt(h.rng(), "Handler is not bootstrap",
				fmt.Sprintf("With preset \"go\" the program is built into bootstrap, which %s starts whatever the handler says: Lambda ignores %q. Write handler = \"bootstrap\" to say what runs.", fn.Runtime, fn.Handler))
		}
	case "esbuild":
		if runtimeFamily(fn.Runtime) != "nodejs" {
			l.errorAt(presetRng, "Preset esbuild needs a Node.js runtime",
				fmt.Sprintf("preset \"esbuild\" bundles a Node.js handler, and function %q has runtime %s. Set runtime = \"nodejs22.x\", or use another build.%s", fn.Label, fn.Runtime, from))
			return false
		}
		if fn.Handler == "" || fn.Source == "" {
			return true // reported already
		}
		module, ok := handlerModule(fn.Handler)
		if !ok {
			l.errorAt(h.rng(), "Handler outside the source folder",
				fmt.Sprintf("preset \"esbuild\" bundles the file the handler names, and %q names no file inside the source folder: write FILE.FUNCTION with FILE relative to the source folder, e.g. \"src/app.handler\" for src/app.ts.", fn.Handler))
			return false
		}
		var found []string
		for _, ext := range entryExtensions {
			rel := path.Join(fn.Source, module+ext)
			if fi, err := os.Stat(filepath.Join(l.root, filepath.FromSlash(rel))); err == nil && fi.Mode().IsRegular() {
				found = append(found, module+ext)
			}
		}
		if len(found) == 0 {
			names := make([]string, len(entryExtensions))
			for i, ext := range entryExtensions {
				names[i] = module + ext
			}
			l.errorAt(h.rng(), "No entry file for esbuild",
				fmt.Sprintf("preset \"esbuild\" bundles the file that handler %q names, and function %q has none: lambdas looked in the source folder %q for %s. Create one, or correct the handler.",
					fn.Handler, fn.Label, fn.Source, strings.Join(names, ", ")))
			return false
		}
		if len(found) > 1 {
			l.warnAt(h.rng(), "Several entry files",
				fmt.Sprintf("The source folder %q has %s for handler %q; preset \"esbuild\" bundles %s, the first in the order .ts, .tsx, .mts, .cts, .js, .mjs, .cjs, .jsx. Remove the others (compiled output left beside the source?) so that there is no doubt.",
					fn.Source, strings.Join(found, " and "), fn.Handler, found[0]))
		}
		b.Entry = path.Join(fn.Source, found[0])
	}
	return true
}

// handlerModule is the file part of a Node.js handler, without extension,
// as Lambda's Node.js runtime splits it: the folder up to the last "/",
// then the file name up to the first "." ("src/app.handler" and
// "src/app.api.get" are both src/app). It is false when that is not a
// path inside the source folder.
func handlerModule(h string) (string, bool) {
	dir, base := "", h
	if i := strings.LastIndexByte(h, '/'); i >= 0 {
		dir, base = h[:i+1], h[i+1:]
	}
	file, fn, ok := strings.Cut(base, ".")
	if !ok || file == "" || fn == "" {
		return "", false
	}
	module := dir + file
	if strings.HasPrefix(module, "/") || strings.Contains(module, `\`) || slices.Contains(strings.Split(module, "/"), "..") {
		return "", false
	}
	return path.Clean(module), true
}

// buildOutputs are the paths of the zip a preset fills, which a bundle
// must leave alone. A command's output is known only once it has run: the
// packager checks it then.
func buildOutputs(b *Build, fn *Function) []string {
	switch {
	case b == nil:
		return nil
	case b.Preset == "go":
		return []string{"bootstrap"}
	case b.Preset == "esbuild" && b.Entry != "":
		module, _ := handlerModule(fn.Handler)
		return []string{module + ".js", module + ".mjs"}
	}
	return nil
}

// cleanInnerPath checks a path that must stay inside a folder (a build's
// output inside the source folder, a bundle's place inside the zip): a
// relative slash path, not the folder itself, without "..". It returns the
// cleaned path, or why the path is wrong.
func cleanInnerPath(p string) (string, string) {
	switch {
	case strings.TrimSpace(p) == "":
		return "", "is empty"
	case strings.Contains(p, `\`):
		return "", `has a "\"; write paths with "/"`
	case strings.HasPrefix(p, "/") || filepath.IsAbs(p) || len(p) > 1 && p[1] == ':':
		return "", "is absolute; write it relative"
	case slices.Contains(strings.Split(p, "/"), ".."):
		return "", `goes up with ".."`
	}
	c := path.Clean(p)
	if c == "." {
		return "", "is the folder itself"
	}
	return c, ""
}

// duration reads a duration written as a string with a unit, above zero.
// what completes "what … e.g."; example is a valid value.
func (l *loader) duration(a attrVal, what, example string) (time.Duration, string, bool) {
	if a.usable() && a.val.Type() == cty.Number {
		l.errorAt(a.rng(), "Invalid "+a.name(),
			fmt.Sprintf("%s is a duration with a unit, written as a string: \"%ss\" or %q, not a bare number.", a.name(), a.val.AsBigFloat().Text('f', -1), example))
		return 0, "", false
	}
	v, ok := l.asString(a, fmt.Sprintf("%q", example))
	if !ok {
		return 0, "", false
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		l.errorAt(a.rng(), "Invalid "+a.name(),
			fmt.Sprintf("%q is not a duration. Write a number with a unit: \"30s\", \"10m\", \"1h30m\".", v))
		return 0, "", false
	case d <= 0:
		l.errorAt(a.rng(), "Invalid "+a.name(),
			fmt.Sprintf("%s must be above zero, got %q: it is how long %s, e.g. %q.", a.name(), v, what, example))
		return 0, "", false
	}
	return d, v, true
}

// rangeLine is "lambdas.hcl line 12", for messages that name another place.
func rangeLine(r hcl.Range) string {
	return fmt.Sprintf("%s line %d", r.Filename, r.Start.Line)
}
