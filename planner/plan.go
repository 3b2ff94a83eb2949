// Package planner works out, per function, what changed since the last
// release and what the executor must do. It reads git, the manifest and the
// state; it never writes anything.
package planner

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/lambdas-dev/lambdas/manifest"
	"github.com/lambdas-dev/lambdas/planner/plan"
	"github.com/lambdas-dev/lambdas/state"
)

// Input is what a plan is made from.
type Input struct {
	Manifest    *manifest.Manifest
	Repo        *Repo
	State       *state.Document
	Targets     []string // globs over labels and function names; empty = all
	ToolVersion string
	// Region is where the release goes (project.region, or the AWS
	// environment's); "" when unknown.
	Region string
	// Docker says a Docker engine answered: builder = "auto" builds
	// dependency layers in Docker, else locally (see Builder).
	Docker bool
}

// maxChangedFiles bounds the changed files a plan lists per function.
const maxChangedFiles = 50

// Make computes the plan.
func Make(in Input) (*plan.Plan, error) {
	m := in.Manifest
	fns, err := Select(m.Functions, in.Targets)
	if err != nil {
		return nil, err
	}
	v, err := newView(in.Repo)
	if err != nil {
		return nil, err
	}
	// Every path the functions name is scanned for uncommitted changes at
	// once (in parallel); symlink targets elsewhere are scanned as found.
	var roots []string
	for _, f := range fns {
		roots = append(roots, Paths(f)...)
	}
	roots = append(roots, v.linkTargets(roots)...)
	if err := v.scan(roots); err != nil {
		return nil, fmt.Errorf("look for uncommitted changes: %w", err)
	}
	p := &plan.Plan{
		FormatVersion: plan.FormatVersion,
		ToolVersion:   in.ToolVersion,
		Project:       m.Project.Name,
		Region:        in.Region,
		ManifestHash:  m.Hash,
		Head:          in.Repo.Head.String(),
		Branch:        in.Repo.Branch,
		Shallow:       in.Repo.Shallow,
		StateLineage:  in.State.Lineage,
		StateSerial:   in.State.Serial,
		Targets:       in.Targets,
		Functions:     []plan.FunctionPlan{},
	}
	missingNoted := map[string]bool{}
	var errs []error // every function's problem at once, not the first only
	for _, f := range fns {
		fp, note, err := planFunction(in, v, f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if note != "" && !missingNoted[note] {
			missingNoted[note] = true
			p.Notes = append(p.Notes, note)
		}
		if len(fp.Uncommitted) > 0 {
			p.Dirty = true
		}
		p.Functions = append(p.Functions, fp)
	}
	if len(errs) > 0 {
		sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
		return nil, errors.Join(errs...)
	}
	sort.Slice(p.Functions, func(i, j int) bool { return p.Functions[i].Name < p.Functions[j].Name })
	p.Recount()
	if len(in.Targets) == 0 {
		for _, label := range in.State.Labels() {
			if !hasLabel(m.Functions, label) {
				p.Notes = append(p.Notes, fmt.Sprintf("%s is in the state but no longer in the manifest; lambdas leaves the live function alone", label))
			}
		}
	}
	return p, nil
}

func hasLabel(fns []*manifest.Function, label string) bool {
	for _, f := range fns {
		if f.Label == label {
			return true
		}
	}
	return false
}

// Select returns the functions matching any of the target globs (over the
// label and the function name); all when there is no target. A target that
// matches nothing is an error: a typo must not plan nothing quietly.
func Select(fns []*manifest.Function, targets []string) ([]*manifest.Function, error) {
	if len(targets) == 0 {
		return fns, nil
	}
	var out []*manifest.Function
	matched := make([]bool, len(targets))
	for _, f := range fns {
		hit := false
		for i, t := range targets {
			ok1, err := doublestar.Match(t, f.Label)
			if err != nil {
				return nil, fmt.Errorf("--target %q is not a valid pattern: %w", t, err)
			}
			ok2, _ := doublestar.Match(t, f.Name)
			if ok1 || ok2 {
				matched[i] = true
				hit = true
			}
		}
		if hit {
			out = append(out, f)
		}
	}
	for i, t := range targets {
		if !matched[i] {
			return nil, fmt.Errorf("--target %q matches no function in the manifest; run `lambdas validate` to list them", t)
		}
	}
	return out, nil
}

// Paths are the repo-relative paths a function names: its source, bundles,
// watched paths and dependency files. (What its symlinks lead to is found
// while listing its package.)
func Paths(f *manifest.Function) []string {
	ps := append([]string{f.Source}, f.Watch...)
	for _, b := range f.Bundles {
		ps = append(ps, b.From)
	}
	if f.Dependencies != "" {
		ps = append(ps, f.Dependencies)
	}
	if f.Lockfile != "" {
		ps = append(ps, f.Lockfile)
	}
	return append(ps, f.Included...)
}

func under(file, p string) bool {
	return p == "." || file == p || strings.HasPrefix(file, p+"/")
}

func planFunction(in Input, v *gitView, f *manifest.Function) (plan.FunctionPlan, string, error) {
	fp := plan.FunctionPlan{
		Name:         f.Label,
		FunctionName: f.Name,
		Runtime:      f.Runtime,
		Architecture: f.Architecture,
		Alias:        f.Alias,
		ChangedFiles: []string{},
		Steps:        []plan.Step{},
		Reasons:      []string{},
	}
	pk, roots, err := v.listPackage(f)
	if err != nil {
		return fp, "", fmt.Errorf("%s: %w", f.Label, err)
	}
	fp.Package = pk
	watched, err := v.items(f.Watch)
	if err != nil {
		return fp, "", fmt.Errorf("%s: watch: %w", f.Label, err)
	}
	fp.CodeFingerprint = codeFingerprint(f, pk, watched, buildTool(in.Manifest.RepoRoot, f))
	if f.Dependencies != "" {
		deps, err := v.items(append([]string{f.Dependencies, f.Lockfile}, f.Included...))
		if err != nil {
			return fp, "", fmt.Errorf("%s: dependencies: %w", f.Label, err)
		}
		builder, image := Builder(f, in.Docker)
		fp.DepsFingerprint = depsFingerprint(f, deps, builder, image)
	}
	// The uncommitted changes that matter: those that change what the zip
	// holds (an edit to an excluded file does not), or a watched or
	// dependency file.
	extra := append(append(append([]string{}, f.Watch...), f.Dependencies, f.Lockfile), f.Included...)
	var mine []Uncommitted
	for _, u := range v.allChanges() {
		if inRoots(u.Path, roots, f.Include, f.Exclude) || underAny(u.Path, extra) {
			mine = append(mine, u)
		}
	}
	for _, u := range mine {
		fp.Uncommitted = append(fp.Uncommitted, u.Path)
	}
	inputs := rootPaths(roots, extra)

	prev := in.State.Functions[f.Label]
	fp.StateRecord = state.Revision(prev)
	if prev != nil && prev.Commit != "" {
		fp.Previous = &plan.Previous{Commit: prev.Commit, Version: prev.Version, CodeSha256: prev.CodeSha256, Alias: prev.Alias}
	}
	var note string
	switch {
	case prev == nil || prev.Commit == "":
		fp.Change = plan.New
		fp.Reasons = append(fp.Reasons, "first release: the state has no release of this function")
	case prev.FunctionName != f.Name:
		fp.Change = plan.New
		fp.Reasons = append(fp.Reasons, fmt.Sprintf("function_name changed from %s to %s", prev.FunctionName, f.Name))
	case prev.Region != "" && in.Region != "" && prev.Region != in.Region:
		// Another region is another function: nothing was released there.
		fp.Change = plan.New
		fp.Reasons = append(fp.Reasons, fmt.Sprintf("region changed from %s to %s: the function there has no release yet", prev.Region, in.Region))
	}

	codeChanged := fp.Change == plan.New || prev.CodeFingerprint != fp.CodeFingerprint || len(mine) > 0
	depsChanged := f.Dependencies != "" && (fp.Change == plan.New || prev.DepsFingerprint != fp.DepsFingerprint)
	aliasChanged := fp.Change != plan.New && prev.Alias != f.Alias

	if fp.Change != plan.New {
		if codeChanged || depsChanged {
			files, err := in.Repo.ChangedFiles(prev.Commit, inputs)
			switch {
			case errors.Is(err, ErrCommitMissing):
				note = fmt.Sprintf("commit %s of an earlier release is not in this clone (shallow clone or rewritten history): changes were found by comparing fingerprints, without a file list", plan.ShortHash(prev.Commit))
				fp.Reasons = append(fp.Reasons, fmt.Sprintf("fingerprint differs from the release of %s (that commit is not in this clone)", plan.ShortHash(prev.Commit)))
			case err != nil:
				return fp, "", fmt.Errorf("%s: %w", f.Label, err)
			default:
				// Only files that reach the package (or are watched) are news.
				kept := files[:0]
				for _, file := range files {
					if inRoots(file, roots, f.Include, f.Exclude) || underAny(file, extra) {
						kept = append(kept, file)
					}
				}
				files = kept
				fp.Reasons = append(fp.Reasons, pathReasons(f, roots, files, prev.Commit)...)
				if len(files) > maxChangedFiles {
					fp.ChangedFilesOmitted = len(files) - maxChangedFiles
					files = files[:maxChangedFiles]
				}
				fp.ChangedFiles = append(fp.ChangedFiles, files...) // [] rather than null in JSON
				if len(files) == 0 && len(mine) == 0 && !prev.Dirty && prev.CodeFingerprint != fp.CodeFingerprint {
					fp.Reasons = append(fp.Reasons, "packaging settings changed (source, include, exclude, bundles, build, watch, runtime or architecture)")
				}
				if prev.Dirty && len(files) == 0 && len(mine) == 0 {
					fp.Reasons = append(fp.Reasons, "the last release was made from uncommitted changes; this one is from the commit")
				}
			}
		}
		if len(mine) > 0 {
			fp.Reasons = append(fp.Reasons, fmt.Sprintf("uncommitted changes: %d %s", len(mine), plural(len(mine), "file", "files")))
		}
		if depsChanged && !codeChanged {
			fp.Reasons = append(fp.Reasons, "dependency fingerprint changed (descriptor, lockfile, the files it includes, runtime, architecture, builder or its image)")
		}
		if aliasChanged {
			fp.Reasons = append(fp.Reasons, fmt.Sprintf("alias changed from %s to %s", prev.Alias, f.Alias))
		}
		if codeChanged || depsChanged || aliasChanged {
			fp.Change = plan.Changed
		} else {
			fp.Change = plan.Unchanged
		}
	}
	fp.Steps = steps(in.Manifest, f, fp, codeChanged, depsChanged, aliasChanged, in.Docker)
	if prev != nil && prev.InFlight != nil && prev.InFlight.CodeFingerprint == fp.CodeFingerprint && prev.InFlight.DepsFingerprint == fp.DepsFingerprint && len(mine) == 0 {
		for name := range prev.InFlight.Done {
			fp.Resume = append(fp.Resume, name)
		}
		sort.Strings(fp.Resume)
		if len(fp.Resume) > 0 {
			fp.Reasons = append(fp.Reasons, "resumes an interrupted release ("+strings.Join(fp.Resume, ", ")+" done)")
		}
	}
	return fp, note, nil
}

func underAny(p string, roots []string) bool {
	for _, r := range roots {
		if r != "" && under(p, r) {
			return true
		}
	}
	return false
}

// rootPaths are the repository paths to diff for a function: where its
// package comes from, and what it watches.
func rootPaths(roots []root, extra []string) []string {
	var out []string
	for _, r := range roots {
		if !strings.Contains(r.path, "/.") || !strings.HasSuffix(r.path, "/.") { // a submodule's root is not in this repository's trees
			out = append(out, r.path)
		}
	}
	for _, e := range extra {
		if e != "" {
			out = append(out, e)
		}
	}
	return out
}

// pathReasons says which of a function's paths the changed files fall under.
func pathReasons(f *manifest.Function, roots []root, files []string, from string) []string {
	count := func(p string) int {
		n := 0
		for _, file := range files {
			if under(file, p) {
				n++
			}
		}
		return n
	}
	var out []string
	since := plan.ShortHash(from)
	seen := map[string]bool{}
	for _, r := range roots {
		if seen[r.path] {
			continue
		}
		seen[r.path] = true
		n := count(r.path)
		if n == 0 {
			continue
		}
		what := "source " + r.path
		switch {
		case r.path == f.Source:
		case isBundle(f, r.path):
			what = "bundled " + r.path
		default:
			what = fmt.Sprintf("%s, linked as %s,", r.path, r.zipPath)
		}
		out = append(out, fmt.Sprintf("%s changed since %s: %d %s", what, since, n, plural(n, "file", "files")))
	}
	for _, w := range f.Watch {
		if n := count(w); n > 0 {
			out = append(out, fmt.Sprintf("watched %s changed since %s: %d %s", w, since, n, plural(n, "file", "files")))
		}
	}
	for _, d := range []string{f.Dependencies, f.Lockfile} {
		if d != "" && !under(d, f.Source) && count(d) > 0 {
			out = append(out, fmt.Sprintf("%s changed since %s", d, since))
		}
	}
	return out
}

func isBundle(f *manifest.Function, p string) bool {
	for _, b := range f.Bundles {
		if b.From == p {
			return true
		}
	}
	return false
}

func steps(m *manifest.Manifest, f *manifest.Function, fp plan.FunctionPlan, code, deps, alias, docker bool) []plan.Step {
	out := []plan.Step{} // [] rather than null in JSON
	if deps {
		out = append(out, layerSteps(m, f, fp, docker)...)
	}
	if code {
		files := 0
		if fp.Package != nil {
			files = len(fp.Package.Entries)
		}
		if b := f.Build; b != nil {
			bp := &plan.BuildParams{Kind: b.Preset, Command: b.Command, Output: b.Output}
			reason := fmt.Sprintf("build with the %s preset (%d input %s)", b.Preset, len(fp.Package.Inputs), plural(len(fp.Package.Inputs), "file", "files"))
			if b.Preset == "" {
				bp.Kind = "command"
				reason = fmt.Sprintf("run `%s` in %s, then zip %s", b.Command, f.Source, path.Join(f.Source, b.Output))
			}
			out = append(out, plan.Step{Name: plan.StepBuild, Reason: reason, Build: bp})
			reason = "zip the build's output deterministically"
			if files > 0 {
				reason = fmt.Sprintf("zip the build's output and %d bundled %s deterministically", files, plural(files, "file", "files"))
			}
			out = append(out, plan.Step{Name: plan.StepPackage, Reason: reason, Package: &plan.PackageParams{Files: files, FromBuild: true}})
		} else {
			out = append(out, plan.Step{Name: plan.StepPackage, Reason: fmt.Sprintf("zip %d %s of %s deterministically", files, plural(files, "file", "files"), f.Source),
				Package: &plan.PackageParams{Files: files}})
		}
		if a := m.Project.Artifacts; a != nil {
			out = append(out, plan.Step{Name: plan.StepUpload, Reason: "store the zip under its content hash (skipped when already stored)",
				Upload: &plan.UploadParams{Bucket: a.Bucket, Prefix: a.Prefix}})
		}
		reason := "update the code of " + f.Name + " and publish it as a version (one call, guarded by RevisionId)"
		if fp.Change == plan.New && f.Create != nil {
			reason += "; created from the create block if it does not exist"
		}
		out = append(out, plan.Step{Name: plan.StepUpdateCode, Reason: reason,
			Code: &plan.CodeParams{FunctionName: f.Name, Architecture: f.Architecture, MayCreate: f.Create != nil}})
	} else if deps {
		out = append(out,
			plan.Step{Name: plan.StepPublishVersion, Reason: "publish the function with its new layer as an immutable version, guarded by CodeSha256 and RevisionId"})
	}
	if (code || deps) && f.Deploy.SmokeTest != nil {
		out = append(out, smokeStep(f))
	}
	if code || deps || alias {
		strategy := f.Deploy.Strategy
		if strategy == "" {
			strategy = "all-at-once"
		}
		a := &plan.AliasParams{Alias: f.Alias, Strategy: strategy}
		reason := fmt.Sprintf("point alias %s at the new version (%s)", f.Alias, strategy)
		if !code && !deps && fp.Previous != nil {
			a.Version = fp.Previous.Version
			a.Strategy = plan.AllAtOnce // nothing new to shift to: back at once
			reason = fmt.Sprintf("point alias %s at the released version %s (%s)", f.Alias, a.Version, a.Strategy)
		} else if code || deps {
			reason = rolloutStep(f, a, reason)
		}
		out = append(out, plan.Step{Name: plan.StepMoveAlias, Reason: reason, Alias: a})
	}
	return out
}

func short(fp string) string {
	if len(fp) > 12 {
		return fp[:12]
	}
	return fp
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// codeFingerprint identifies what a function's package is made of: every
// entry of its file list (zip path, mode, git blob hash), a build's inputs
// and settings, what it watches, and the settings that shape the release
// (runtime, architecture). A clean tree needs no file read to compute it.
func codeFingerprint(f *manifest.Function, pk *plan.Package, watched []item, tool string) string {
	h := sha256.New()
	fmt.Fprintf(h, "lambdas code fingerprint v2\nruntime %s\narchitecture %s\n", f.Runtime, f.Architecture)
	if b := pk.Build; b != nil {
		fmt.Fprintf(h, "build %q %q %q handler %q tool %q\ninclude %q\nexclude %q\n", b.Kind, b.Command, b.Output, f.Handler, tool, pk.Include, pk.Exclude)
		for _, e := range pk.Inputs {
			fmt.Fprintf(h, "input %s %t %s\n", e.Path, e.Exec, e.Blob)
		}
	}
	// Written piece by piece rather than with Fprintf: a plan hashes tens
	// of thousands of entries.
	var buf []byte
	for _, e := range pk.Entries {
		buf = append(buf[:0], "entry "...)
		buf = append(buf, e.Path...)
		buf = strconv.AppendBool(append(buf, ' '), e.Exec)
		buf = append(append(append(buf, ' '), e.Blob...), '\n')
		h.Write(buf)
	}
	for _, w := range watched {
		buf = append(buf[:0], "watch "...)
		buf = append(buf, w.path...)
		buf = strconv.AppendUint(append(buf, ' '), uint64(w.mode), 8)
		buf = append(append(append(buf, ' '), w.hash...), '\n')
		h.Write(buf)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// depsFingerprint identifies what a dependency build produces: the
// descriptor, its lockfile and the files it includes (their git blob
// hashes, from git's view like code), the runtime, architecture, builder
// and the builder's image (the Docker builder's only: the local builder
// has none).
func depsFingerprint(f *manifest.Function, files []item, builder, image string) string {
	h := sha256.New()
	fmt.Fprintf(h, "lambdas deps fingerprint v3\nruntime %s\narchitecture %s\nbuilder %s\nimage %s\n", f.Runtime, f.Architecture, builder, image)
	// Named relative to the descriptor's folder: the same descriptor in
	// two functions' folders is one layer (pip and npm read contents, and
	// a -r line names its file relative to the descriptor).
	dir := path.Dir(f.Dependencies)
	for _, it := range files {
		rel := it.path
		if r, err := filepath.Rel(dir, it.path); err == nil {
			rel = filepath.ToSlash(r)
		}
		fmt.Fprintf(h, "file %s %s\n", rel, it.hash)
	}
	return hex.EncodeToString(h.Sum(nil))
}
