// Package planner works out, per function, what changed since the last
// release and what the executor must do. It reads git, the manifest and the
// state; it never writes anything.
package planner

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
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
	var watched []string
	for _, f := range fns {
		watched = append(watched, Paths(f)...)
	}
	dirty, err := in.Repo.Uncommitted(watched)
	if err != nil {
		return nil, fmt.Errorf("look for uncommitted changes: %w", err)
	}
	p := &plan.Plan{
		FormatVersion: plan.FormatVersion,
		ToolVersion:   in.ToolVersion,
		Project:       m.Project.Name,
		ManifestHash:  m.Hash,
		Head:          in.Repo.Head.String(),
		Branch:        in.Repo.Branch,
		Dirty:         len(dirty) > 0,
		Shallow:       in.Repo.Shallow,
		StateLineage:  in.State.Lineage,
		StateSerial:   in.State.Serial,
		Targets:       in.Targets,
		Functions:     []plan.FunctionPlan{},
	}
	missingNoted := map[string]bool{}
	for _, f := range fns {
		fp, note, err := planFunction(in, f, dirty)
		if err != nil {
			return nil, err
		}
		if note != "" && !missingNoted[note] {
			missingNoted[note] = true
			p.Notes = append(p.Notes, note)
		}
		switch fp.Change {
		case plan.New:
			p.Summary.New++
		case plan.Changed:
			p.Summary.Changed++
		default:
			p.Summary.Unchanged++
		}
		p.Functions = append(p.Functions, fp)
	}
	sort.Slice(p.Functions, func(i, j int) bool { return p.Functions[i].Name < p.Functions[j].Name })
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

// Paths are the repo-relative paths whose content shapes a function.
func Paths(f *manifest.Function) []string {
	ps := append([]string{f.Source}, f.Watch...)
	if f.Dependencies != "" {
		ps = append(ps, f.Dependencies)
	}
	if f.Lockfile != "" {
		ps = append(ps, f.Lockfile)
	}
	return ps
}

func under(file, p string) bool {
	return p == "." || file == p || strings.HasPrefix(file, p+"/")
}

func planFunction(in Input, f *manifest.Function, dirty []Uncommitted) (plan.FunctionPlan, string, error) {
	var mine []Uncommitted
	for _, u := range dirty {
		for _, p := range Paths(f) {
			if under(u.Path, p) {
				mine = append(mine, u)
				break
			}
		}
	}
	fp := plan.FunctionPlan{
		Name:            f.Label,
		FunctionName:    f.Name,
		Runtime:         f.Runtime,
		Architecture:    f.Architecture,
		Alias:           f.Alias,
		CodeFingerprint: CodeFingerprint(in.Repo, f, mine),
		ChangedFiles:    []string{},
		Steps:           []plan.Step{},
		Reasons:         []string{},
	}
	if f.Dependencies != "" {
		dfp, err := DepsFingerprint(in.Manifest.RepoRoot, f)
		if err != nil {
			return fp, "", err
		}
		fp.DepsFingerprint = dfp
	}
	for _, u := range mine {
		fp.Uncommitted = append(fp.Uncommitted, u.Path)
	}

	prev := in.State.Functions[f.Label]
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
	}

	codeChanged := fp.Change == plan.New || prev.CodeFingerprint != fp.CodeFingerprint || len(mine) > 0
	depsChanged := f.Dependencies != "" && (fp.Change == plan.New || prev.DepsFingerprint != fp.DepsFingerprint)
	aliasChanged := fp.Change != plan.New && prev.Alias != f.Alias

	if fp.Change != plan.New {
		if codeChanged || depsChanged {
			files, err := in.Repo.ChangedFiles(prev.Commit, Paths(f))
			switch {
			case errors.Is(err, ErrCommitMissing):
				note = fmt.Sprintf("commit %s of an earlier release is not in this clone (shallow clone or rewritten history): changes were found by comparing fingerprints, without a file list", plan.ShortHash(prev.Commit))
				fp.Reasons = append(fp.Reasons, fmt.Sprintf("fingerprint differs from the release of %s (that commit is not in this clone)", plan.ShortHash(prev.Commit)))
			case err != nil:
				return fp, "", fmt.Errorf("%s: %w", f.Label, err)
			default:
				fp.Reasons = append(fp.Reasons, pathReasons(f, files, prev.Commit)...)
				if len(files) > maxChangedFiles {
					fp.ChangedFilesOmitted = len(files) - maxChangedFiles
					files = files[:maxChangedFiles]
				}
				fp.ChangedFiles = append(fp.ChangedFiles, files...) // [] rather than null in JSON
				// Uncommitted content is reported on its own below, not as a settings change.
				if len(files) == 0 && prev.CodeFingerprint != CodeFingerprint(in.Repo, f, nil) && !prev.Dirty {
					fp.Reasons = append(fp.Reasons, "packaging settings changed (source, include, exclude, watch, runtime or architecture)")
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
			fp.Reasons = append(fp.Reasons, "dependency fingerprint changed (descriptor, lockfile, runtime, architecture or build image)")
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
	fp.Steps = steps(in.Manifest, f, fp, codeChanged, depsChanged, aliasChanged)
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

// pathReasons says which of a function's paths the changed files fall under.
func pathReasons(f *manifest.Function, files []string, from string) []string {
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
	if n := count(f.Source); n > 0 {
		out = append(out, fmt.Sprintf("source %s changed since %s: %d %s", f.Source, since, n, plural(n, "file", "files")))
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

func steps(m *manifest.Manifest, f *manifest.Function, fp plan.FunctionPlan, code, deps, alias bool) []plan.Step {
	out := []plan.Step{} // [] rather than null in JSON
	if deps {
		layer := &plan.LayerParams{Descriptor: f.Dependencies, DepsFingerprint: fp.DepsFingerprint}
		out = append(out,
			plan.Step{Name: plan.StepBuildDependencies, Reason: fmt.Sprintf("%s for %s %s in %s", path.Base(f.Dependencies), f.Runtime, f.Architecture, f.BuildImage), Layer: layer},
			plan.Step{Name: plan.StepPublishLayer, Reason: "a layer version for dependency fingerprint " + short(fp.DepsFingerprint), Layer: layer})
	}
	if code {
		files := 0
		if fp.Package != nil {
			files = len(fp.Package.Entries)
		}
		out = append(out, plan.Step{Name: plan.StepPackage, Reason: fmt.Sprintf("zip %d %s of %s deterministically", files, plural(files, "file", "files"), f.Source),
			Package: &plan.PackageParams{Files: files}})
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
			plan.Step{Name: plan.StepAttachLayer, Reason: "point " + f.Name + " at the new layer version, keeping its other layers", Layer: &plan.LayerParams{Descriptor: f.Dependencies, DepsFingerprint: fp.DepsFingerprint}},
			plan.Step{Name: plan.StepPublishVersion, Reason: "publish an immutable version guarded by CodeSha256 and RevisionId"})
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
			reason = fmt.Sprintf("point alias %s at the released version %s (%s)", f.Alias, a.Version, strategy)
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

// CodeFingerprint identifies what a function's package is made of: the git
// tree (or blob) hashes at HEAD of its source and watched paths, the
// settings that shape the zip, and any uncommitted content under them. A
// clean tree needs no file read to compute it.
func CodeFingerprint(r *Repo, f *manifest.Function, uncommitted []Uncommitted) string {
	h := sha256.New()
	fmt.Fprintf(h, "lambdas code fingerprint v1\n")
	fmt.Fprintf(h, "source %s %s\n", f.Source, r.HeadEntry(f.Source))
	for _, w := range f.Watch {
		fmt.Fprintf(h, "watch %s %s\n", w, r.HeadEntry(w))
	}
	fmt.Fprintf(h, "include %q\nexclude %q\n", f.Include, f.Exclude)
	fmt.Fprintf(h, "runtime %s\narchitecture %s\n", f.Runtime, f.Architecture)
	for _, u := range uncommitted {
		fmt.Fprintf(h, "uncommitted %s %s %s\n", u.Path, u.Kind, u.Hash)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// DepsFingerprint is the SHA-256 of the dependency descriptor and its
// lockfile, with the runtime, architecture and build image: everything that
// decides what a dependency build produces.
func DepsFingerprint(repoRoot string, f *manifest.Function) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "lambdas deps fingerprint v1\nruntime %s\narchitecture %s\nimage %s\n", f.Runtime, f.Architecture, f.BuildImage)
	for _, p := range []string{f.Dependencies, f.Lockfile} {
		if p == "" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(p)))
		if err != nil {
			return "", fmt.Errorf("%s: read dependency descriptor: %w", f.Label, err)
		}
		sum := sha256.Sum256(data)
		fmt.Fprintf(h, "file %s %x\n", filepath.Base(p), sum)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
