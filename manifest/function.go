package manifest

import (
	"fmt"
	"math/big"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

const (
	defaultRateLimit = 15 // the Lambda control-plane quota per account and Region
	// defaultGetFunctionRateLimit is GetFunction's own quota.
	defaultGetFunctionRateLimit = 100
	maxRateLimit                = 10000
	defaultAlias                = "live"
	defaultMemory               = 128
	defaultTimeout              = 3
	maxAlarms                   = 10
	maxEnvBytes                 = 4096
)

var strategies = []string{"all-at-once", "canary", "linear"}

func (l *loader) project(blocks []*plainBlock, fileStart hcl.Range, p *Project) {
	if len(blocks) == 0 {
		l.errorAt(fileStart, "Missing project block",
			fmt.Sprintf("%s needs one project block, for example:\n\n  project {\n    name = \"shop\"\n  }", l.base))
		return
	}
	for _, extra := range blocks[1:] {
		l.errorAt(extra.DefRange, "Duplicate project block",
			fmt.Sprintf("Only one project block is allowed; the first is at %s line %d. Merge them into one.",
				blocks[0].DefRange.Filename, blocks[0].DefRange.Start.Line))
	}
	b := blocks[0]
	p.Range = b.DefRange
	var pa projectAttrs
	l.diags = append(l.diags, decodeBody(b.Body, &pa, "In the project block")...)

	if name := l.pick(pa.Name); !name.set() {
		l.errorAt(b.DefRange, "Missing project name",
			"The project block needs a name, e.g. name = \"shop\". It identifies the project in state and artifact paths.")
	} else if s, ok := l.asString(name, `"shop"`); ok && l.problemAt(name.rng(), checkProjectName(s)) {
		p.Name = s
	}

	if region := l.pick(pa.Region); region.set() {
		if s, ok := l.asString(region, `"eu-west-1"`); ok && l.problemAt(region.rng(), checkRegion(s)) {
			p.Region = s
		}
	}

	if art := l.pick(pa.Artifacts); art.set() {
		l.artifacts(art, p)
	}

	p.StateFile = filepath.Join(l.dir, ".lambdas", "state.json")
	if st := l.pick(pa.State); st.set() {
		if s, ok := l.asString(st, `".lambdas/state.json"`); ok {
			l.state(s, st.rng(), p)
		}
	}

	l.stateOptions(p, pa.StateRegion, pa.StateKMSKey, pa.StateBucketOwner)
	if pa.Release != nil {
		p.Release = l.release(pa.Release, "the project block")
	}

	p.APIRateLimit = l.rateLimit(l.pick(pa.APIRateLimit), defaultRateLimit,
		"how many Lambda control-plane calls per second lambdas makes, all workers together: every call except GetFunction, GetPolicy and Invoke",
		"AWS allows 15 per account and Region for all of them, reads included (the default)")
	p.GetFunctionRateLimit = l.rateLimit(l.pick(pa.GetFunctionRateLimit), defaultGetFunctionRateLimit,
		"how many GetFunction calls per second lambdas makes, all workers together",
		"AWS allows 100 per account and Region, a quota of its own (the default)")
}

// artifacts reads the artifacts setting.
func (l *loader) artifacts(art attrVal, p *Project) {
	if s, ok := l.asString(art, `"s3://my-bucket/lambdas"`); ok {
		loc, why := parseS3URL(s, false)
		if why != "" {
			l.errorAt(art.rng(), "Invalid artifacts URL",
				fmt.Sprintf("artifacts must be s3://BUCKET or s3://BUCKET/PREFIX, and %q is not: %s.", s, why))
		}
		p.Artifacts = loc
	}
}

// rateLimit reads a calls-per-second setting: a number above 0 and at most
// maxRateLimit, or def when unset.
func (l *loader) rateLimit(a attrVal, def float64, what, quota string) float64 {
	if !a.set() {
		return def
	}
	n, ok := l.asNumber(a, big.NewFloat(def).Text('g', 10))
	if !ok {
		return def
	}
	f, _ := n.Float64()
	if n.Sign() <= 0 || f > maxRateLimit {
		l.errorAt(a.rng(), "Invalid "+a.name(),
			fmt.Sprintf("%s is %s; it must be above 0 and at most %d, got %s. %s.",
				a.name(), what, maxRateLimit, n.Text('g', 10), quota))
		return def
	}
	return f
}

// state parses the state setting: s3://bucket/key, or a local file path
// relative to the manifest folder. A local state file may live outside the
// repository (it is not part of what is released), and need not exist yet.
func (l *loader) state(s string, rng hcl.Range, p *Project) {
	if strings.Contains(s, "://") || strings.HasPrefix(strings.ToLower(s), "s3:") {
		loc, why := parseS3URL(s, true)
		if why != "" {
			l.errorAt(rng, "Invalid state URL",
				fmt.Sprintf("state in S3 must be s3://BUCKET/KEY, and %q is not: %s.", s, why))
			return
		}
		p.StateS3, p.StateFile = loc, ""
		return
	}
	if strings.TrimSpace(s) == "" || strings.HasSuffix(s, "/") {
		l.errorAt(rng, "Invalid state path",
			fmt.Sprintf("state must name a file, e.g. \".lambdas/state.json\" (relative to the folder of %s), or an S3 object, e.g. \"s3://my-bucket/lambdas/state.json\".", l.base))
		return
	}
	f := filepath.FromSlash(s)
	if !filepath.IsAbs(f) {
		f = filepath.Join(l.dir, f)
	}
	if fi, err := os.Stat(f); err == nil && fi.IsDir() {
		l.errorAt(rng, "Invalid state path",
			fmt.Sprintf("%q is a folder; state must name the state file itself, e.g. %q.", s, path.Join(filepath.ToSlash(s), "state.json")))
		return
	}
	p.StateFile = f
	l.stateRange = &rng
}

// checkStatePlace reports a local state file (or its lock file) that would
// be packaged: inside a function's source folder or a bundle's from. A
// path through a folder named .lambdas is fine, since the packager skips
// those (like .git): so a one-function repository with source = "." keeps
// the default .lambdas/state.json.
func (l *loader) checkStatePlace(p *Project, fns []*Function) {
	if p.StateFile == "" {
		return
	}
	rng := p.Range
	if l.stateRange != nil {
		rng = *l.stateRange
	}
	shown := func(f string) string {
		if rel, err := filepath.Rel(l.dir, f); err == nil {
			return filepath.ToSlash(rel)
		}
		return f
	}
	for _, fn := range fns {
		type folder struct{ rel, what string }
		folders := []folder{{fn.Source, fmt.Sprintf("the source folder %q of function %q", fn.Source, fn.Label)}}
		for _, b := range fn.Bundles {
			folders = append(folders, folder{b.From, fmt.Sprintf("%q, which function %q bundles (%s)", b.From, fn.Label, rangeLine(b.Range))})
		}
	folders:
		for _, f := range folders {
			if f.rel == "" {
				continue
			}
			dir := filepath.Join(l.root, filepath.FromSlash(f.rel))
			for i, file := range []string{p.StateFile, p.StateFile + ".lock"} {
				if !l.packagedFrom(dir, file) {
					continue
				}
				what := "The state file " + shown(file)
				if i == 1 {
					what = "The state's lock file " + shown(file)
				}
				where := "is inside"
				if filepath.Clean(file) == dir {
					where = "is"
				}
				l.errorAt(rng, "State file inside a packaged folder",
					fmt.Sprintf("%s %s %s, so it would be zipped with the function, and every release changes it. Keep the state in a folder named .lambdas, which lambdas never packages, e.g. state = \".lambdas/state.json\" (the default), or outside what functions package.",
						what, where, f.what))
				break folders
			}
		}
	}
}

// packagedFrom reports whether file is dir or inside it, and not below a
// folder named .lambdas there; both as written and with symbolic links
// resolved (file need not exist yet, its folder may).
func (l *loader) packagedFrom(dir, file string) bool {
	check := func(dir, file string) bool {
		rel, err := filepath.Rel(dir, file)
		if err != nil || !within(dir, file) {
			return false
		}
		for part := range strings.SplitSeq(filepath.ToSlash(rel), "/") {
			if part == ".lambdas" {
				return false
			}
		}
		return true
	}
	if check(dir, file) {
		return true
	}
	// Through symbolic links, dir can only hold file if it is one of the
	// folders above file's real folder: one stat of dir tells (it follows
	// links), and only then are the real paths worth resolving. (Hundreds
	// of functions: a full EvalSymlinks of each would cost more than the
	// rest of the load.)
	fi, err := os.Stat(dir)
	if err != nil {
		return false
	}
	above := false
	for _, a := range l.foldersAbove(filepath.Dir(file)) {
		if os.SameFile(fi, a) {
			above = true
			break
		}
	}
	if !above {
		return false
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return false
	}
	realParent, err := filepath.EvalSymlinks(filepath.Dir(file))
	if err != nil {
		return false
	}
	return check(realDir, filepath.Join(realParent, filepath.Base(file)))
}

// foldersAbove returns the stats of dir's real path and every folder above
// it, read once per folder.
func (l *loader) foldersAbove(dir string) []os.FileInfo {
	if got, ok := l.above[dir]; ok {
		return got
	}
	var out []os.FileInfo
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		for p := real; ; p = filepath.Dir(p) {
			if fi, err := os.Stat(p); err == nil {
				out = append(out, fi)
			}
			if filepath.Dir(p) == p {
				break
			}
		}
	}
	if l.above == nil {
		l.above = map[string][]os.FileInfo{}
	}
	l.above[dir] = out
	return out
}

// functionsOf decodes the defaults block and every function block, merges,
// evaluates and validates them, and checks what must be unique.
func (l *loader) functionsOf(defaultBlocks []*plainBlock, blocks []*functionBlock) []*Function {
	defaults := &fnSpec{isDefaults: true}
	if len(defaultBlocks) > 0 {
		var diags hcl.Diagnostics
		defaults, diags = decodeSpec(defaultBlocks[0].Body, defaultBlocks[0].DefRange, "defaults")
		l.diags = append(l.diags, diags...)
		if a := defaults.attrs.FunctionName; a != nil {
			l.errorAt(a.NameRange, "function_name in defaults",
				"function_name must differ for every function, so it cannot be set in defaults. Set it in each function block (it defaults to the label).")
			defaults.attrs.FunctionName = nil
		}
		if a := defaults.attrs.DefaultBundles; a != nil {
			l.errorAt(a.NameRange, "default_bundles in defaults",
				"default_bundles = false lets one function leave out the bundles of the defaults block, so it belongs in a function block. To bundle nothing by default, remove the bundle blocks from defaults.")
			defaults.attrs.DefaultBundles = nil
		}
		for _, extra := range defaultBlocks[1:] {
			l.errorAt(extra.DefRange, "Duplicate defaults block",
				fmt.Sprintf("Only one defaults block is allowed; the first is at %s line %d. Merge them into one.",
					defaultBlocks[0].DefRange.Filename, defaultBlocks[0].DefRange.Start.Line))
		}
	}

	type seen struct {
		label string
		rng   hcl.Range
	}
	labels := map[string]hcl.Range{}
	names := map[string]seen{}
	var out []*Function
	for _, b := range blocks {
		dupLabel := false
		if first, dup := labels[b.Label]; dup {
			l.errorAt(b.LabelRange, "Duplicate function",
				fmt.Sprintf("A function %q is already defined at %s line %d. Labels must be unique: rename or remove one.", b.Label, first.Filename, first.Start.Line))
			dupLabel = true
		} else {
			labels[b.Label] = b.LabelRange
		}
		spec, diags := decodeSpec(b.Body, b.DefRange, "function")
		l.diags = append(l.diags, diags...)
		fn, nameRange := l.function(b, spec, defaults)
		if fn.Name != "" {
			if first, dup := names[fn.Name]; dup && !dupLabel {
				l.errorAt(nameRange, "Duplicate function name",
					fmt.Sprintf("Function %q also uses the Lambda function name %q (%s line %d). Each function must release to its own Lambda function: set a different function_name.",
						first.label, fn.Name, first.rng.Filename, first.rng.Start.Line))
			} else if !dup {
				names[fn.Name] = seen{label: b.Label, rng: nameRange}
			}
		}
		if !dupLabel {
			out = append(out, fn)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Label < out[j].Label })
	l.checkGroups(out)
	return out
}

// function evaluates one function block with the defaults merged under it.
// It returns the function (possibly incomplete, when errors were reported)
// and the range where its name comes from, for the duplicate-name check.
func (l *loader) function(b *functionBlock, spec, d *fnSpec) (*Function, hcl.Range) {
	fn := &Function{Label: b.Label, Range: b.DefRange}
	fa, da := &spec.attrs, &d.attrs
	l.problemAt(b.LabelRange, checkLabel(b.Label))

	nameRange := b.LabelRange
	if n := l.pick(fa.FunctionName); n.set() {
		nameRange = n.rng()
		if s, ok := l.asString(n, `"orders-api"`); ok && l.problemAt(n.rng(), checkLambdaName(s, false)) {
			fn.Name = s
		}
	} else if labelRe.MatchString(b.Label) && l.problemAt(b.LabelRange, checkLambdaName(b.Label, true)) {
		fn.Name = b.Label
	}

	if src := l.pick(fa.Source, da.Source); !src.set() {
		l.missing(b, [2]*fnSpec{spec, d}, fa.Source, da.Source, "source", `source = "functions/`+b.Label+`"`,
			"the folder (relative to "+l.base+") that holds the function's code")
	} else if p, ok := l.asString(src, `"functions/orders-api"`); ok {
		fn.Source, _ = l.repoPath(p, src.rng(), "source", kindDir)
	}

	fn.Include = l.globs(l.pick(fa.Include, da.Include))
	fn.Exclude = l.globs(l.pick(fa.Exclude, da.Exclude))

	if w := l.pick(fa.Watch, da.Watch); w.set() {
		if list, ok := l.asStringList(w, `["libs/shared"]`); ok {
			for i, p := range list {
				if rel, ok := l.repoPath(p, elemRange(w.expr(), i), "watch", kindAny); ok {
					fn.Watch = append(fn.Watch, rel)
				}
			}
		}
	}

	rt := l.pick(fa.Runtime, da.Runtime)
	runtimeOK := false
	rawRuntime := "" // even a deprecated runtime tells how to check the handler
	if !rt.set() {
		l.missing(b, [2]*fnSpec{spec, d}, fa.Runtime, da.Runtime, "runtime", `runtime = "python3.13"`, "the Lambda runtime")
	} else if r, ok := l.asString(rt, `"python3.13"`); ok {
		rawRuntime = r
		if l.problemAt(rt.rng(), checkRuntime(r)) {
			fn.Runtime, runtimeOK = r, true
		}
	}

	fn.Architecture = "x86_64"
	if a := l.pick(fa.Architecture, da.Architecture); a.set() {
		if s, ok := l.asString(a, `"arm64"`); ok && l.problemAt(a.rng(), checkArchitecture(s)) {
			fn.Architecture = s
		}
	}

	h := l.pick(fa.Handler, da.Handler)
	if !h.set() {
		l.missing(b, [2]*fnSpec{spec, d}, fa.Handler, da.Handler, "handler", `handler = "app.handler"`, "the entry point Lambda calls")
	} else if s, ok := l.asString(h, `"app.handler"`); ok {
		if p := checkHandler(s, rawRuntime); p != nil {
			l.problemAt(h.rng(), p)
		} else {
			fn.Handler = s
		}
	}

	if dep := l.pick(fa.Dependencies, da.Dependencies); dep.set() {
		if p, ok := l.asString(dep, `"functions/orders-api/requirements.txt"`); ok {
			if rel, ok := l.repoPath(p, dep.rng(), "dependencies", kindFile); ok {
				fn.Dependencies = rel
				if runtimeOK {
					l.checkDescriptor(rel, fn.Runtime, dep.rng())
				}
				l.checkDescriptorContent(rel, dep.rng())
				if path.Base(rel) == "package.json" {
					lock := path.Join(path.Dir(rel), "package-lock.json")
					if fi, err := os.Stat(filepath.Join(l.root, filepath.FromSlash(lock))); err == nil && fi.Mode().IsRegular() {
						fn.Lockfile = lock
					}
				}
			}
		}
	}

	l.layerSettings(fn, fa, da)

	fn.Alias = defaultAlias
	if a := l.pick(fa.Alias, da.Alias); a.set() {
		if s, ok := l.asString(a, `"live"`); ok && l.problemAt(a.rng(), checkAlias(s)) {
			fn.Alias = s
		}
	}

	fn.Deploy = l.deploy(spec, d)
	fn.RolloutGroup, fn.RolloutGroupRange = l.rolloutGroup(spec, d)
	fn.Create = l.create(spec, d)
	fn.Build = l.buildOf(spec, d, fn, h)
	fn.Bundles = l.bundlesOf(spec, d, fn)
	return fn, nameRange
}

// missing reports a required attribute that is set nowhere. When it is set
// but null, evaluation already had its say.
func (l *loader) missing(b *functionBlock, specs [2]*fnSpec, fnAttr, defAttr *hcl.Attribute, name, example, what string) {
	if specs[0].typos[name] || specs[1].typos[name] {
		return // reported as a misspelt argument
	}
	if fnAttr != nil || defAttr != nil {
		l.errorAt(b.DefRange, "Missing "+name,
			fmt.Sprintf("%s is null here. Every function needs %s, %s: e.g. %s.", name, name, what, example))
		return
	}
	where := ""
	if name == "runtime" || name == "handler" {
		where = " (in the function block, or once for all in the defaults block)"
	}
	l.errorAt(b.DefRange, "Missing "+name,
		fmt.Sprintf("Function %q has no %s. Every function needs %s, %s%s: e.g. %s.", b.Label, name, name, what, where, example))
}

func checkHandler(h, runtime string) *problem {
	switch {
	case strings.TrimSpace(h) == "":
		return newProblem("Empty handler", "handler names the entry point Lambda calls, e.g. \"app.handler\" (function handler in app.py or app.js).")
	case len(h) > 128 || strings.ContainsAny(h, " \t\r\n"):
		return newProblem("Invalid handler", "%q is not a valid handler: at most 128 characters, without spaces.", h)
	case (strings.HasPrefix(runtime, "python") || strings.HasPrefix(runtime, "nodejs")) && !strings.Contains(h, "."):
		return newProblem("Invalid handler", "%q has no \".\": for %s the handler is FILE.FUNCTION, e.g. \"app.handler\" for the function handler in app.%s.",
			h, runtime, map[string]string{"python": "py", "nodejs": "js"}[runtimeFamily(runtime)])
	}
	return nil
}

// checkDescriptor checks that the dependencies file is the one the runtime's
// builder reads.
func (l *loader) checkDescriptor(rel, runtime string, rng hcl.Range) {
	base := path.Base(rel)
	switch runtimeFamily(runtime) {
	case "python":
		if base != "requirements.txt" {
			l.errorAt(rng, "Wrong dependency file for the runtime",
				fmt.Sprintf("For %s, dependencies must be a requirements.txt (pip installs it), not %q. e.g. %q.", runtime, base, path.Join(path.Dir(rel), "requirements.txt")))
		}
	case "nodejs":
		if base != "package.json" {
			l.errorAt(rng, "Wrong dependency file for the runtime",
				fmt.Sprintf("For %s, dependencies must be a package.json (npm installs it, with package-lock.json beside it when present), not %q. e.g. %q.", runtime, base, path.Join(path.Dir(rel), "package.json")))
		}
	default:
		l.errorAt(rng, "Dependencies not supported for the runtime",
			fmt.Sprintf("lambdas installs dependencies only for Python (requirements.txt) and Node.js (package.json); %s functions ship what their source folder holds, or what their build makes. Remove dependencies; for a Go program, build { preset = \"go\" } builds it with its modules.", runtime))
	}
}

// globs checks include/exclude patterns: doublestar syntax, relative to the
// source folder.
func (l *loader) globs(a attrVal) []string {
	if !a.set() {
		return nil
	}
	list, ok := l.asStringList(a, `["**/*.py"]`)
	if !ok {
		return nil
	}
	for i, g := range list {
		rng := elemRange(a.expr(), i)
		switch {
		case g == "":
			l.errorAt(rng, "Empty pattern", fmt.Sprintf("A pattern in %s cannot be empty; use \"**\" to match everything.", a.name()))
		case strings.HasPrefix(g, "/") || strings.HasPrefix(g, "./"):
			l.errorAt(rng, "Invalid pattern",
				fmt.Sprintf("%q starts with %q, but patterns are relative to the source folder and never start with it: write %q.", g, g[:strings.IndexByte(g, '/')+1], strings.TrimLeft(strings.TrimPrefix(g, "."), "/")))
		case g == ".." || strings.HasPrefix(g, "../") || strings.Contains(g, "/../") || strings.HasSuffix(g, "/.."):
			l.errorAt(rng, "Invalid pattern",
				fmt.Sprintf("%q goes up out of the source folder; %s patterns match only files inside it. To ship files from elsewhere in the repository, add a bundle block; to release the function when they change, list them in watch.", g, a.name()))
		case !doublestar.ValidatePattern(g):
			l.errorAt(rng, "Invalid pattern",
				fmt.Sprintf("%q is not a valid glob (check brackets and braces). Patterns use doublestar syntax: * within a folder, ** across folders, e.g. \"**/*.py\" or \"tests/**\".", g))
		}
	}
	return list
}

func (l *loader) deploy(s, d *fnSpec) Deploy {
	fa, da := &s.deploy, &d.deploy
	dep := Deploy{Strategy: "all-at-once"}

	st := l.pick(fa.Strategy, da.Strategy)
	strategyKnown := true
	var preset *preset
	if st.set() {
		if v, ok := l.asString(st, `"canary"`); ok {
			if slices.Contains(strategies, v) {
				dep.Strategy = v
			} else if p, ok := parsePreset(v); ok {
				preset, dep.Strategy, dep.Preset = &p, p.strategy, v
			} else {
				strategyKnown = false
				l.errorAt(st.rng(), "Unknown deploy strategy",
					fmt.Sprintf("%q is not a strategy.%s Use \"all-at-once\" (the default), \"canary\" (steps of traffic, e.g. [10, 100]), \"linear\" (e.g. step = 25), or a CodeDeploy preset such as \"Canary10Percent5Minutes\" or \"Linear10PercentEvery1Minute\".",
						v, didYouMean(v, strategies)))
			}
		} else {
			strategyKnown = false
		}
	}
	gradual := dep.Strategy != "all-at-once"
	// Where to point when something required by the strategy is missing.
	whereStrategy := s.defRange
	if st.set() {
		whereStrategy = st.rng()
	}

	// A function that switches to all-at-once while the defaults block sets
	// up a canary ignores the inherited steps and interval without a word;
	// set in the function itself (or with no strategy anywhere) they are a
	// contradiction worth reporting.
	ownStrategy := fa.Strategy != nil
	inherited := func(a attrVal) bool {
		return !gradual && ownStrategy && a.set() && a.attr != fa.Steps && a.attr != fa.Interval && a.attr != fa.Step
	}

	var steps, step, iv attrVal
	if preset != nil {
		// A preset sets steps and interval itself (rollout.go).
		l.presetDeploy(fa, da, ownStrategy, *preset, &dep)
	} else {
		steps, step, iv = l.pick(fa.Steps, da.Steps), l.pick(fa.Step, da.Step), l.pick(fa.Interval, da.Interval)
	}
	if inherited(steps) {
		steps = attrVal{}
	}
	if inherited(step) {
		step = attrVal{}
	}
	stepSet := step.set()
	if stepSet {
		steps = l.linearStep(step, steps, fa, dep.Strategy, strategyKnown, &dep)
	}
	if dep.Steps != nil {
		// linear's step made them
	} else if steps.set() {
		if list, ok := l.asNumberList(steps, "[10, 100]"); ok && strategyKnown {
			dep.Steps = l.checkSteps(steps, list, dep.Strategy)
		}
	} else if gradual && preset == nil && !stepSet {
		l.errorAt(whereStrategy, "Missing steps",
			fmt.Sprintf("strategy = %q needs steps: the percentages of traffic on the new version, rising and ending at 100, e.g. steps = [10, 100].", dep.Strategy))
	}
	if !gradual && strategyKnown && dep.Steps == nil {
		dep.Steps = []float64{100}
	}

	if inherited(iv) {
		iv = attrVal{}
	}
	if iv.set() && iv.ok && iv.val.Type() == cty.Number {
		l.errorAt(iv.rng(), "Invalid interval",
			fmt.Sprintf("interval is a duration with a unit, written as a string: \"%ss\" or \"5m\", not a bare number.", iv.val.AsBigFloat().Text('f', -1)))
	} else if iv.set() {
		if v, ok := l.asString(iv, `"5m"`); ok {
			dur, err := time.ParseDuration(v)
			switch {
			case err != nil:
				l.errorAt(iv.rng(), "Invalid interval",
					fmt.Sprintf("%q is not a duration. Write a number with a unit: \"30s\", \"5m\", \"1h30m\".", v))
			case dur <= 0:
				l.errorAt(iv.rng(), "Invalid interval",
					fmt.Sprintf("interval must be above zero, got %q. It is how long each step of traffic runs before the next one, e.g. \"5m\".", v))
			case !gradual && strategyKnown:
				l.warnAt(iv.rng(), "interval has no effect",
					"With strategy \"all-at-once\" traffic moves in one step, so interval is ignored. Remove it, or choose strategy \"canary\" or \"linear\".")
			default:
				dep.Interval = dur
			}
		}
	} else if gradual && preset == nil {
		l.errorAt(whereStrategy, "Missing interval",
			fmt.Sprintf("strategy = %q needs interval: how long each step runs before the next one, while alarms are watched, e.g. interval = \"5m\".", dep.Strategy))
	}

	if al := l.pick(fa.Alarms, da.Alarms); al.set() {
		if list, ok := l.asStringList(al, `["orders-api-errors"]`); ok {
			if len(list) > maxAlarms {
				l.errorAt(al.rng(), "Too many alarms",
					fmt.Sprintf("%d alarms are listed; at most %d CloudWatch alarms can gate a deployment. Combine some into a composite alarm.", len(list), maxAlarms))
			}
			seenAlarm := map[string]bool{}
			good := true
			for i, a := range list {
				switch {
				case strings.TrimSpace(a) == "":
					l.errorAt(elemRange(al.expr(), i), "Empty alarm name", "Each entry of alarms names a CloudWatch alarm in the function's region; remove the empty one.")
					good = false
				case len(a) > 255:
					l.errorAt(elemRange(al.expr(), i), "Invalid alarm name", "A CloudWatch alarm name is at most 255 characters.")
					good = false
				case seenAlarm[a]:
					l.errorAt(elemRange(al.expr(), i), "Duplicate alarm", fmt.Sprintf("Alarm %q is listed twice; remove one.", a))
					good = false
				}
				seenAlarm[a] = true
			}
			if good && len(list) > 0 {
				dep.Alarms = list
			}
		}
	}
	l.deployGates(s, d, fa, da, &dep)
	return dep
}

func (l *loader) checkSteps(a attrVal, list []*big.Float, strategy string) []float64 {
	if strategy == "all-at-once" {
		if len(list) == 1 && list[0].Cmp(big.NewFloat(100)) == 0 {
			return []float64{100}
		}
		l.errorAt(a.rng(), "Steps with all-at-once",
			"strategy \"all-at-once\" moves all traffic at once, so it takes no steps (or just [100]). Remove steps, or set strategy = \"canary\" or \"linear\".")
		return nil
	}
	if len(list) == 0 {
		l.errorAt(a.rng(), "Empty steps", fmt.Sprintf("strategy %q needs at least one step below 100, then 100, e.g. [10, 100].", strategy))
		return nil
	}
	out := make([]float64, 0, len(list))
	good := true
	prev := 0.0
	for i, n := range list {
		f, _ := n.Float64()
		rng := elemRange(a.expr(), i)
		switch {
		case n.Sign() <= 0 || f > 100:
			l.errorAt(rng, "Step out of range",
				fmt.Sprintf("Each step is a percentage of traffic above 0 and at most 100; step %d is %s.", i+1, n.Text('g', 10)))
			good = false
		case i > 0 && f <= prev:
			l.errorAt(rng, "Steps must rise",
				fmt.Sprintf("Each step must be larger than the one before: step %d (%s) follows %s. e.g. [10, 50, 100].", i+1, n.Text('g', 10), big.NewFloat(prev).Text('g', 10)))
			good = false
		}
		if f > prev {
			prev = f
		}
		out = append(out, f)
	}
	if !good {
		return nil
	}
	if last := out[len(out)-1]; last != 100 {
		l.errorAt(elemRange(a.expr(), len(out)-1), "Steps must end at 100",
			fmt.Sprintf("The last step must be 100, so that the new version ends up with all traffic; it is %s. e.g. %s.", big.NewFloat(last).Text('g', 10), stepsExample(out)))
		return nil
	}
	if len(out) == 1 {
		l.errorAt(a.rng(), "No gradual step",
			fmt.Sprintf("steps = [100] moves all traffic at once, which is not a %s. Add a smaller first step, e.g. [10, 100], or use strategy = \"all-at-once\".", strategy))
		return nil
	}
	return out
}

// stepsExample proposes the given steps with a final 100.
func stepsExample(steps []float64) string {
	parts := make([]string, 0, len(steps)+1)
	for _, f := range steps {
		parts = append(parts, big.NewFloat(f).Text('g', 10))
	}
	parts = append(parts, "100")
	return "[" + strings.Join(parts, ", ") + "]"
}

func (l *loader) create(s, d *fnSpec) *Create {
	if s.createRange == nil && d.createRange == nil {
		return nil
	}
	fa, da := &s.create, &d.create
	c := &Create{Memory: defaultMemory, Timeout: defaultTimeout}
	where := d.createRange
	if s.createRange != nil {
		where = s.createRange
	}

	if r := l.pick(fa.Role, da.Role); !r.set() {
		l.errorAt(*where, "Missing role",
			"A create block needs role: the execution role the new function runs with, e.g. role = \"arn:aws:iam::123456789012:role/lambda-exec\".")
	} else if v, ok := l.asString(r, `"arn:aws:iam::123456789012:role/lambda-exec"`); ok && l.problemAt(r.rng(), checkRoleARN(v)) {
		c.Role = v
	}

	c.Memory = l.intIn(l.pick(fa.Memory, da.Memory), 128, 10240, defaultMemory, "MB of memory", "256")
	c.Timeout = l.intIn(l.pick(fa.Timeout, da.Timeout), 1, 900, defaultTimeout, "seconds", "30")

	// environment merges key by key: the function's keys win.
	env := map[string]string{}
	var last attrVal
	for _, a := range []*hcl.Attribute{da.Environment, fa.Environment} {
		if a == nil {
			continue
		}
		v := l.pick(a)
		if !v.set() {
			continue
		}
		m, ok := l.asStringMap(v, `{ LOG_LEVEL = "info" }`)
		if !ok {
			continue
		}
		for _, k := range sortedKeys(m) {
			if l.problemAt(keyRange(a.Expr, k), checkEnvKey(k)) {
				env[k] = m[k]
			}
		}
		last = v
	}
	size := 0
	for k, v := range env {
		size += len(k) + len(v)
	}
	if size > maxEnvBytes && last.set() {
		l.errorAt(last.rng(), "Environment too large",
			fmt.Sprintf("The environment variables take %d bytes (names and values, defaults included); Lambda allows %d in all. Move large values to SSM Parameter Store or Secrets Manager.", size, maxEnvBytes))
	}
	if len(env) > 0 {
		c.Environment = env
	}
	return c
}

// intIn reads a whole number in [lo, hi], or def when unset.
func (l *loader) intIn(a attrVal, lo, hi, def int32, unit, example string) int32 {
	if !a.set() {
		return def
	}
	n, ok := l.asNumber(a, example)
	if !ok {
		return def
	}
	if !n.IsInt() || n.Cmp(big.NewFloat(float64(lo))) < 0 || n.Cmp(big.NewFloat(float64(hi))) > 0 {
		l.errorAt(a.rng(), "Invalid "+a.name(),
			fmt.Sprintf("%s is a whole number of %s from %d to %d, got %s.", a.name(), unit, lo, hi, n.Text('g', 10)))
		return def
	}
	v, _ := n.Int64()
	return int32(v)
}
