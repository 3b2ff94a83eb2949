package manifest

import (
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Manifest is a loaded, evaluated and validated lambdas.hcl.
type Manifest struct {
	File     string // absolute path of the manifest file
	Dir      string // absolute folder of the manifest file
	RepoRoot string // absolute; every function path below is relative to it
	// Hash is the hex SHA-256 of the manifest bytes and of the resolved
	// variable values, so that a saved plan can tell the manifest changed.
	Hash string
	// Environment is the environment chosen with --env ("" when none);
	// Environments are those the manifest declares, sorted as written.
	Environment  string
	Environments []string
	Project      Project
	Functions    []*Function // sorted by Label
	// Notify are the notify blocks, in order (notify.go).
	Notify []Notify
}

// Project is the project block.
type Project struct {
	Name   string
	Region string // "" means: take it from the AWS environment
	// Artifacts is where packages are uploaded; nil means direct (ZipFile) upload.
	Artifacts *S3Location
	// StateFile is the absolute path of the local state file; "" when StateS3 is set.
	StateFile string
	StateS3   *S3Location // state in S3: Bucket and Key (in Prefix)
	// StateRegion is the S3 state bucket's region ("": Region's);
	// StateKMSKey encrypts the state objects with SSE-KMS ("": SSE-S3);
	// StateBucketOwner is the account that must own the bucket ("": not
	// checked).
	StateRegion, StateKMSKey, StateBucketOwner string
	// Release says from which branch or tag apply may release (nil: any).
	Release *ReleaseRule
	// APIRateLimit (api_rate_limit) paces every Lambda control-plane call,
	// reads included, except GetFunction, GetPolicy and Invoke: calls per
	// second, shared by all workers. Default 15, the quota AWS gives an
	// account in a Region for all those calls together.
	APIRateLimit float64
	// GetFunctionRateLimit (get_function_rate_limit) paces GetFunction,
	// which AWS counts against a quota of its own: calls per second, shared
	// by all workers. Default 100, that quota.
	GetFunctionRateLimit float64
	Range                hcl.Range
}

// S3Location is a parsed s3://bucket/prefix URL. Prefix has no leading or
// trailing slash and may be empty.
type S3Location struct {
	Bucket string
	Prefix string
}

// Function is one function block with the defaults block merged under it.
type Function struct {
	Label  string
	Name   string // function_name; defaults to Label
	Source string // repo-relative, slash-separated, cleaned
	// Include and Exclude are doublestar globs over paths in the zip: the
	// source folder's files (or the build's output, when there is a build)
	// at the zip's root, and what each bundle adds under its To. An empty
	// Include means everything.
	Include      []string
	Exclude      []string
	Watch        []string // repo-relative, slash-separated, cleaned
	Runtime      string
	Architecture string // "x86_64" (default) or "arm64"
	Handler      string
	Dependencies string // repo-relative descriptor path, "" when none
	Lockfile     string // repo-relative lockfile beside the descriptor (package-lock.json), "" when none
	// Included are the files a requirements.txt names with -r or -c
	// (recursively), repo-relative, in the order first named: they shape
	// the layer as much as the descriptor does.
	Included   []string
	BuildImage string // builder_image (or the deprecated build_image); defaults to public.ecr.aws/sam/build-<runtime>:latest-<arch>
	// Builder builds the dependency layer: "docker", "local" or "auto"
	// (the default: Docker when an engine answers, else local).
	Builder string
	// BuilderTimeout bounds a dependency build (default 10m, at most 2h).
	BuilderTimeout time.Duration
	// KeepVersions (keep_versions): prune keeps the newest N versions (and
	// every version an alias points to); 0 means no pruning.
	KeepVersions int
	Alias        string // defaults to "live"
	Deploy       Deploy
	// RolloutGroup (rollout_group) names the functions that move together
	// when they are released in one apply (rollout.go); "" for none.
	RolloutGroup      string
	RolloutGroupRange hcl.Range
	Create            *Create // nil: the function must already exist (Terraform creates it)
	// Build is how the code is built before it is zipped; nil means no
	// build: the source folder itself is zipped. A function's build block
	// replaces the defaults block's as a whole.
	Build *Build
	// Bundles add files from elsewhere in the repository to the zip, in
	// order: the defaults block's first, then the function's own. A
	// function's bundle blocks add to those of defaults; default_bundles =
	// false in a function leaves the defaults' out. No two bundles land on
	// one path of the zip, and none lands on a path the source folder has.
	Bundles []Bundle
	Range   hcl.Range
}

// Bundle is a bundle block: shared code copied into the zip, without
// symbolic links (lambdas.hcl: bundle { from = "libs/pyshared/pyshared",
// to = "pyshared" }).
type Bundle struct {
	// From is the bundled file or folder: repo-relative, slash-separated,
	// cleaned; outside the function's source folder (which is packaged
	// anyway) and outside .git.
	From string
	// To is where it lands in the zip: a relative slash path, cleaned, not
	// "." and without "..". A folder's files land under To, a file is
	// named To.
	To    string
	Range hcl.Range
}

// Build is a build block.
type Build struct {
	// Preset is "go" (go build for the function's architecture into an
	// executable named bootstrap; runtime provided.al2023 or provided.al2),
	// "esbuild" (bundles the handler's entry file, TypeScript or
	// JavaScript; a nodejs runtime), or "" for a command build.
	Preset string
	// Entry is, for preset "esbuild", the entry file the handler names,
	// repo-relative: handler "src/app.handler" gives the first of
	// src/app.ts, .tsx, .mts, .cts, .js, .mjs, .cjs, .jsx in the source
	// folder. "" for other builds.
	Entry string
	// Command is a command build's shell command, run in the source
	// folder; "" for a preset.
	Command string
	// Output is the folder, relative to Source (slash-separated, cleaned,
	// inside Source), whose files a command build leaves to be zipped; ""
	// for a preset.
	Output string
	// Timeout bounds the build: above 0, at most 2h, default 10m.
	Timeout time.Duration
	Range   hcl.Range
}

// Deploy is how traffic moves to a new version.
type Deploy struct {
	Strategy string    // "all-at-once" (default), "canary" or "linear"
	Steps    []float64 // percentages of traffic, rising, ending at 100
	Interval time.Duration
	Alarms   []string
	// Preset is the CodeDeploy configuration name the strategy was given
	// as (e.g. "Canary10Percent5Minutes"), "" otherwise.
	Preset string
	// SmokeTest invokes the new version before it takes any traffic; nil
	// for none.
	SmokeTest *SmokeTest
}

// SmokeTest is a deploy block's smoke_test block.
type SmokeTest struct {
	Payload string // the event, JSON
	// Expect is a regular expression (RE2) the answer's payload must
	// match; "" accepts any answer that is not a function error.
	Expect string
	Range  hcl.Range
}

// Create is used only to create a function that does not exist yet.
type Create struct {
	Role        string
	Memory      int32 // MB, default 128
	Timeout     int32 // seconds, default 3
	Environment map[string]string
}

// Options are the inputs from outside the manifest.
type Options struct {
	Vars      map[string]string // --var name=value
	VarFiles  []string          // --var-file FILE (HCL: name = value)
	LookupEnv func(string) (string, bool)
	// RepoRoot bounds every path; defaults to the manifest's folder.
	RepoRoot string
	// Environment chooses an environment block (--env).
	Environment string
}
