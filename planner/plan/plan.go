// Package plan is the plan model and its file format: what the planner
// decided for each function, and what the executor carries out. It is a leaf
// package (the standard library only), so that the executor imports it
// without importing git.
package plan

import (
	"fmt"
	"strings"
	"time"
)

// FormatVersion is the version of the plan's JSON shape (views and plan
// files). 2: typed step parameters, the region, drift. 3: each function's
// state record revision (a saved plan is stale when one of its functions'
// records changed, not when the state's serial did), the environment and
// the release label.
const FormatVersion = 3

// Change is what happens to a function.
type Change string

const (
	New       Change = "new"
	Changed   Change = "changed"
	Unchanged Change = "unchanged"
)

// StepName names a step; the executor knows how to run each one.
type StepName string

// Step names, in the order the executor runs them.
const (
	StepBuildDependencies StepName = "build-dependencies"
	StepPublishLayer      StepName = "publish-layer"
	StepBuild             StepName = "build"
	StepPackage           StepName = "package"
	StepUpload            StepName = "upload"
	StepUpdateCode        StepName = "update-code"
	StepAttachLayer       StepName = "attach-layer"
	StepPublishVersion    StepName = "publish-version"
	StepSmokeTest         StepName = "smoke-test"
	StepMoveAlias         StepName = "move-alias"
)

// Step is one thing the executor will do, why, and with what. Each step
// carries the typed parameters of its kind (Params says which); the
// executor checks them all before its first AWS call.
type Step struct {
	Name   StepName `json:"name"`
	Reason string   `json:"reason"`

	Build   *BuildParams   `json:"build,omitempty"`   // build
	Package *PackageParams `json:"package,omitempty"` // package
	Upload  *UploadParams  `json:"upload,omitempty"`  // upload
	Code    *CodeParams    `json:"code,omitempty"`    // update-code
	Alias   *AliasParams   `json:"alias,omitempty"`   // move-alias
	Layer   *LayerParams   `json:"layer,omitempty"`   // build-dependencies, publish-layer, attach-layer
	Smoke   *SmokeParams   `json:"smoke,omitempty"`   // smoke-test
}

// BuildParams: the build that makes the package.
type BuildParams struct {
	Kind    string `json:"kind"`              // "go", "esbuild" or "command"
	Command string `json:"command,omitempty"` // for kind "command"
	Output  string `json:"output,omitempty"`  // for kind "command": the folder zipped, relative to source
}

// PackageParams: what the zip is made of.
type PackageParams struct {
	Files int `json:"files"` // entries planned (for a build: its fingerprinted inputs)
	// FromBuild is true when the zip holds the build's output rather than the files.
	FromBuild bool `json:"from_build,omitempty"`
}

// UploadParams: where the zip is stored, under its SHA-256.
type UploadParams struct {
	Bucket string `json:"bucket"`
	Prefix string `json:"prefix,omitempty"`
}

// CodeParams: the function whose code is updated.
type CodeParams struct {
	FunctionName string `json:"function_name"`
	Architecture string `json:"architecture"`
	// MayCreate: the function may not exist yet; it is created from the
	// manifest's create block.
	MayCreate bool `json:"may_create,omitempty"`
}

// AliasParams: the alias that moves, and how.
type AliasParams struct {
	Alias    string `json:"alias"`
	Strategy string `json:"strategy"`
	// Version is set when only the alias moves (no new version is made):
	// the released version it must point at.
	Version string `json:"version,omitempty"`
	// Steps, Interval and Alarms shape a canary or linear rollout (rollout.go).
	Steps    []float64 `json:"steps,omitempty"`
	Interval string    `json:"interval,omitempty"`
	Alarms   []string  `json:"alarms,omitempty"`
	// Group is the rollout group whose members move together.
	Group string `json:"rollout_group,omitempty"`
}

// LayerParams: the dependency layer.
type LayerParams struct {
	Descriptor      string `json:"descriptor"`
	DepsFingerprint string `json:"deps_fingerprint"`
	// Lockfile and Included are the other files the layer is built from:
	// package-lock.json, the files requirements.txt names with -r and -c.
	Lockfile string   `json:"lockfile,omitempty"`
	Included []string `json:"included,omitempty"`
	// Builder is "docker" or "local" (builder = "auto" resolved when the
	// plan was made); Image is the Docker builder's.
	Builder string `json:"builder,omitempty"`
	Image   string `json:"image,omitempty"`
	// LayerName is the layer the version is published to (LayerName()).
	LayerName string `json:"layer_name,omitempty"`
	// LayerVersionArn is set when a layer version for this fingerprint
	// exists already (the cache): nothing is built or published.
	LayerVersionArn string `json:"layer_version_arn,omitempty"`
	// UnzippedSize is the cached layer's (with LayerVersionArn), for the
	// 250 MB check before any AWS call.
	UnzippedSize int64 `json:"unzipped_size,omitempty"`
}

// Check reports what is wrong with a step: an unknown name (a plan made by
// a newer lambdas) or missing parameters.
func (s Step) Check() error {
	missing := func(what string) error {
		return fmt.Errorf("step %s has no %s parameters (plan made by another version of lambdas?)", s.Name, what)
	}
	switch s.Name {
	case StepBuild:
		if s.Build == nil {
			return missing("build")
		}
	case StepPackage:
		if s.Package == nil {
			return missing("package")
		}
	case StepUpload:
		if s.Upload == nil || s.Upload.Bucket == "" {
			return missing("upload")
		}
	case StepUpdateCode:
		if s.Code == nil || s.Code.FunctionName == "" {
			return missing("code")
		}
	case StepMoveAlias:
		if s.Alias == nil || s.Alias.Alias == "" {
			return missing("alias")
		}
		if err := s.Alias.checkRollout(); err != nil {
			return fmt.Errorf("step %s: %w", s.Name, err)
		}
	case StepSmokeTest:
		if s.Smoke == nil {
			return missing("smoke")
		}
	case StepBuildDependencies, StepPublishLayer, StepAttachLayer:
		if s.Layer == nil {
			return missing("layer")
		}
	case StepPublishVersion:
	default:
		return fmt.Errorf("unknown step %q (plan made by a newer version of lambdas?)", s.Name)
	}
	return nil
}

// Previous is what the state says was released last.
type Previous struct {
	Commit     string `json:"commit"`
	Version    string `json:"version"`
	CodeSha256 string `json:"code_sha256"`
	Alias      string `json:"alias"`
}

// FunctionPlan is the plan for one function.
type FunctionPlan struct {
	Name                string    `json:"name"` // the manifest label
	FunctionName        string    `json:"function_name"`
	Change              Change    `json:"change"`
	Reasons             []string  `json:"reasons"`
	Steps               []Step    `json:"steps"`
	ChangedFiles        []string  `json:"changed_files"`
	ChangedFilesOmitted int       `json:"changed_files_omitted,omitempty"`
	Uncommitted         []string  `json:"uncommitted_files,omitempty"`
	Runtime             string    `json:"runtime"`
	Architecture        string    `json:"architecture"`
	Alias               string    `json:"alias"`
	CodeFingerprint     string    `json:"code_fingerprint"`
	DepsFingerprint     string    `json:"deps_fingerprint,omitempty"`
	Resume              []string  `json:"resume,omitempty"` // steps already done by an interrupted release
	Previous            *Previous `json:"previous,omitempty"`
	// Drift says how the live function differs from the state's record,
	// when the plan was refreshed from AWS.
	Drift []string `json:"drift,omitempty"`
	// StateRecord is the revision of the function's record in the state the
	// plan was made from ("" when it had none): a saved plan is stale when
	// it changed, whatever happened to the other functions' records.
	StateRecord string `json:"state_record,omitempty"`

	// Package is what the zip will hold. It is not part of the JSON: a
	// saved plan is applied only when a fresh plan has the same
	// fingerprints, and the fingerprint is a hash of this list, so the
	// fresh plan's list is the saved one's.
	Package *Package `json:"-"`
}

// HasStep reports whether the plan includes the named step.
func (f *FunctionPlan) HasStep(name StepName) bool {
	return f.Step(name) != nil
}

// Step returns the named step, or nil.
func (f *FunctionPlan) Step(name StepName) *Step {
	for i := range f.Steps {
		if f.Steps[i].Name == name {
			return &f.Steps[i]
		}
	}
	return nil
}

// Package is the planned content of a function's zip: ONE list that both
// the fingerprint and the packager use.
type Package struct {
	// Entries are the files zipped as they are, sorted by Path: the whole
	// package, or, with a build, what bundles add to its output.
	Entries []Entry
	// Inputs are the files a build reads (its source folder): fingerprinted,
	// not zipped.
	Inputs []Entry
	Build  *Build // nil: the zip holds Entries
	// Include and Exclude filter a build's output (Entries are already
	// filtered).
	Include, Exclude []string
}

// Entry is one file of a package.
type Entry struct {
	Path string // path inside the zip, slash-separated
	File string // repository-relative path of the file to read (symlinks resolved)
	Exec bool   // packed as 0755 (git mode 100755), else 0644
	Blob string // git blob hash of the content, hex
	Size int64  // bytes, as planned
	// ModTime is the file's mtime when planned (Unix nanoseconds), so the
	// packager can tell a file changed since; 0 when unknown.
	ModTime int64
}

// Build is how a function's package is made when it is not its files.
type Build struct {
	Kind    string // "go", "esbuild" or "command"
	Command string
	Output  string // for "command": folder relative to the source
	Timeout time.Duration
}

// Summary counts functions by change.
type Summary struct {
	New       int `json:"new"`
	Changed   int `json:"changed"`
	Unchanged int `json:"unchanged"`
}

// Plan is the whole plan. Saved to a file it also pins what it was made from,
// so that apply refuses it once the repository, manifest or state moved on.
type Plan struct {
	FormatVersion int    `json:"format_version"`
	ToolVersion   string `json:"tool_version"`
	Project       string `json:"project"`
	Region        string `json:"region,omitempty"`
	ManifestHash  string `json:"manifest_hash"`
	Head          string `json:"head"`
	Branch        string `json:"branch,omitempty"`
	// Environment is the manifest's environment the plan is for ("" when
	// the manifest declares none).
	Environment string `json:"environment,omitempty"`
	// ReleaseLabel names the release: the tag at HEAD, else the commit.
	ReleaseLabel string         `json:"release_label,omitempty"`
	Dirty        bool           `json:"dirty"`
	Shallow      bool           `json:"shallow,omitempty"`
	Refreshed    bool           `json:"refreshed,omitempty"` // live functions were read from AWS
	StateLineage string         `json:"state_lineage"`
	StateSerial  int64          `json:"state_serial"`
	Targets      []string       `json:"targets,omitempty"`
	Functions    []FunctionPlan `json:"functions"`
	Summary      Summary        `json:"summary"`
	Notes        []string       `json:"notes,omitempty"`
}

// HasChanges reports whether applying the plan would do anything.
func (p *Plan) HasChanges() bool { return p.Summary.New+p.Summary.Changed > 0 }

// Recount sets the summary from the functions' changes.
func (p *Plan) Recount() {
	p.Summary = Summary{}
	for _, f := range p.Functions {
		switch f.Change {
		case New:
			p.Summary.New++
		case Changed:
			p.Summary.Changed++
		default:
			p.Summary.Unchanged++
		}
	}
}

// Check checks every step of every function, so that a plan this version
// cannot carry out fails before anything runs.
func (p *Plan) Check() error {
	var why []string
	for _, f := range p.Functions {
		for _, s := range f.Steps {
			if err := s.Check(); err != nil {
				why = append(why, f.Name+": "+err.Error())
			}
		}
		if (f.HasStep(StepPackage) || f.HasStep(StepBuild)) && f.Package == nil {
			why = append(why, f.Name+": the plan has no file list for the package")
		}
	}
	if len(why) > 0 {
		return fmt.Errorf("the plan cannot be applied by this version of lambdas: %s", strings.Join(why, "; "))
	}
	return nil
}

// ShortHash is the 7-character form of a commit hash.
func ShortHash(h string) string {
	if len(h) > 7 {
		return h[:7]
	}
	return h
}
