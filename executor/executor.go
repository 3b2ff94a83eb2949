// Package executor applies a plan: it packages code, uploads it under its
// content hash, updates each function, publishes a version and moves the
// alias, many functions at once within the Lambda API's rate limit. It is
// the only part of lambdas that changes the world, and it records every
// finished step in the state so that a rerun after a crash resumes.
package executor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/lambdas-dev/lambdas/executor/pack"
	"github.com/lambdas-dev/lambdas/manifest"
	"github.com/lambdas-dev/lambdas/planner"
	"github.com/lambdas-dev/lambdas/state"
)

// Options tune an apply.
type Options struct {
	Parallelism int  // functions released at once (default 10)
	FailFast    bool // stop scheduling new functions after the first failure
	Retry       RetryPolicy
	// WaitTimeout bounds each wait for a function to settle (default 5 min).
	WaitTimeout time.Duration
	// PollInterval is the first delay between state polls (default 500 ms).
	PollInterval time.Duration
	Reporter     Reporter
}

// Executor applies plans.
type Executor struct {
	lambda   lambdaAPI
	s3       s3API
	limiter  *Limiter
	state    *state.Manager
	manifest *manifest.Manifest
	opts     Options
	workDir  string
	mutating atomic.Int64
}

// New returns an executor for the manifest's project. The limiter is shared
// by every worker; its rate comes from project.api_rate_limit.
func New(cfg aws.Config, m *manifest.Manifest, sm *state.Manager, opts Options, s3Opts ...func(*s3.Options)) *Executor {
	return newExecutor(lambda.NewFromConfig(cfg), s3.NewFromConfig(cfg, s3Opts...), m, sm, opts)
}

func newExecutor(l lambdaAPI, s s3API, m *manifest.Manifest, sm *state.Manager, opts Options) *Executor {
	if opts.Parallelism <= 0 {
		opts.Parallelism = 10
	}
	if opts.Retry.MaxAttempts <= 0 {
		opts.Retry = DefaultRetry
	}
	if opts.WaitTimeout <= 0 {
		opts.WaitTimeout = 5 * time.Minute
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 500 * time.Millisecond
	}
	if opts.Reporter == nil {
		opts.Reporter = ReporterFunc(func(Event) {})
	}
	return &Executor{lambda: l, s3: s, limiter: NewLimiter(m.Project.APIRateLimit), state: sm, manifest: m, opts: opts}
}

// Function results.
const (
	StatusReleased   = "released"
	StatusUnchanged  = "unchanged"
	StatusFailed     = "failed"
	StatusNotStarted = "not started"
)

// FunctionResult is how one function's release ended.
type FunctionResult struct {
	Name         string        `json:"name"`
	FunctionName string        `json:"function_name"`
	Status       string        `json:"status"`
	Version      string        `json:"version,omitempty"`
	CodeSha256   string        `json:"code_sha256,omitempty"`
	Error        string        `json:"error,omitempty"`
	Duration     time.Duration `json:"-"`
	Skipped      []string      `json:"skipped,omitempty"` // "step: why"
}

// Result is the outcome of an apply.
type Result struct {
	Functions     []FunctionResult `json:"functions"`
	MutatingCalls int64            `json:"mutating_calls"`
	Throttles     int              `json:"throttles"`
	Duration      time.Duration    `json:"-"`
}

// Failed counts failed functions.
func (r *Result) Failed() int {
	n := 0
	for _, f := range r.Functions {
		if f.Status == StatusFailed || f.Status == StatusNotStarted {
			n++
		}
	}
	return n
}

// release is one function's release under way.
type release struct {
	fn   *manifest.Function
	plan *planner.FunctionPlan
	prev *state.Function
	head string
	zip  *pack.Result

	artifactBucket, artifactKey string
	revisionID                  string
	version                     string
	verified                    string // the version checked Active with the package's CodeSha256
	skipped                     []string
	resumed                     map[string]bool
}

// Apply runs the plan. Every function's package is built and checked before
// any AWS call, so a bad input changes nothing; then the functions are
// released in parallel, each failure confined to its function.
func (e *Executor) Apply(ctx context.Context, p *planner.Plan) (*Result, error) {
	start := time.Now()
	byLabel := map[string]*manifest.Function{}
	for _, f := range e.manifest.Functions {
		byLabel[f.Label] = f
	}
	snapshot := e.state.Snapshot()
	var work []*release
	res := &Result{}
	for i := range p.Functions {
		fp := &p.Functions[i]
		if fp.Change == planner.Unchanged || len(fp.Steps) == 0 {
			res.Functions = append(res.Functions, FunctionResult{Name: fp.Name, FunctionName: fp.FunctionName, Status: StatusUnchanged})
			continue
		}
		fn := byLabel[fp.Name]
		if fn == nil {
			return nil, fmt.Errorf("%s: in the plan but not in the manifest", fp.Name)
		}
		r := &release{fn: fn, plan: fp, prev: snapshot.Functions[fp.Name], head: p.Head, resumed: map[string]bool{}}
		for _, s := range fp.Resume {
			r.resumed[s] = true
		}
		work = append(work, r)
	}
	if err := e.preflight(work); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "lambdas-apply-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	e.workDir = dir
	if err := e.packageAll(ctx, work); err != nil {
		return nil, err
	}

	results := make([]FunctionResult, len(work))
	var failed atomic.Bool
	g := new(errgroup.Group)
	g.SetLimit(e.opts.Parallelism)
	for i, r := range work {
		if e.opts.FailFast && failed.Load() {
			results[i] = FunctionResult{Name: r.fn.Label, FunctionName: r.fn.Name, Status: StatusNotStarted, Error: "not started: an earlier function failed (--fail-fast)"}
			continue
		}
		g.Go(func() error {
			if e.opts.FailFast && failed.Load() {
				results[i] = FunctionResult{Name: r.fn.Label, FunctionName: r.fn.Name, Status: StatusNotStarted, Error: "not started: an earlier function failed (--fail-fast)"}
				return nil
			}
			defer func() {
				if p := recover(); p != nil { // a bug fails this function, not the whole apply
					results[i] = FunctionResult{Name: r.fn.Label, FunctionName: r.fn.Name, Status: StatusFailed, Error: fmt.Sprintf("internal error: %v", p)}
					failed.Store(true)
				}
			}()
			results[i] = e.releaseOne(ctx, r)
			if results[i].Status == StatusFailed {
				failed.Store(true)
			}
			return nil
		})
	}
	_ = g.Wait()
	res.Functions = append(res.Functions, results...)
	sort.Slice(res.Functions, func(i, j int) bool { return res.Functions[i].Name < res.Functions[j].Name })
	res.MutatingCalls = e.mutating.Load()
	res.Throttles = e.limiter.Throttles()
	res.Duration = time.Since(start)
	return res, nil
}

// preflight refuses, before anything runs, what this version cannot do.
func (e *Executor) preflight(work []*release) error {
	var errs []error
	for _, r := range work {
		switch r.fn.Deploy.Strategy {
		case "", "all-at-once":
		default:
			errs = append(errs, fmt.Errorf("%s: deploy strategy %q: weighted rollouts are not supported by this version of lambdas yet; use strategy = \"all-at-once\" (the alias then moves at once)", r.fn.Label, r.fn.Deploy.Strategy))
		}
	}
	return errors.Join(errs...)
}

// packageAll builds every package first: limits and bad symlinks fail the
// whole apply before any AWS call.
func (e *Executor) packageAll(ctx context.Context, work []*release) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(2) // each Build already compresses in parallel
	var mu sync.Mutex
	var errs []error
	for _, r := range work {
		if !r.plan.HasStep(planner.StepPackage) {
			continue
		}
		g.Go(func() error {
			t := time.Now()
			e.report(r, planner.StepPackage, EventStart, "")
			err := e.pack(gctx, r)
			if err != nil {
				e.report(r, planner.StepPackage, EventFail, err.Error())
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				return nil
			}
			e.reportElapsed(r, planner.StepPackage, EventDone, fmt.Sprintf("%d files, %s zipped (%s unzipped), CodeSha256 %s", r.zip.Files, mb(r.zip.Size), mb(r.zip.UnzippedSize), r.zip.CodeSha256), time.Since(t))
			return nil
		})
	}
	_ = g.Wait()
	if len(errs) > 0 {
		sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
		return fmt.Errorf("nothing was changed: %w", errors.Join(errs...))
	}
	return nil
}

// maxDirectZip is the largest zip Lambda takes inline (ZipFile).
const maxDirectZip = 50 * 1024 * 1024

func (e *Executor) pack(ctx context.Context, r *release) error {
	dir := filepath.Join(e.workDir, r.fn.Label)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	res, err := pack.Build(ctx, pack.Spec{RepoRoot: e.manifest.RepoRoot, Source: r.fn.Source, Include: r.fn.Include, Exclude: r.fn.Exclude, Function: r.fn.Label}, dir, pack.Options{})
	if err != nil {
		return err
	}
	if e.manifest.Project.Artifacts == nil && res.Size >= maxDirectZip {
		return fmt.Errorf("%s: package is %s zipped, above the %s Lambda accepts directly; set project.artifacts = \"s3://bucket/prefix\" to upload through S3", r.fn.Label, mb(res.Size), mb(maxDirectZip))
	}
	r.zip = res
	return nil
}

// mb formats a size for people: bytes, KB or MB.
func mb(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1024*1024:
		return fmt.Sprintf("%.1f KB", float64(n)/1024)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1024*1024))
}

func (e *Executor) report(r *release, step, kind, msg string) {
	e.opts.Reporter.Report(Event{Time: time.Now(), Function: r.fn.Label, Step: step, Kind: kind, Message: msg})
}

func (e *Executor) reportElapsed(r *release, step, kind, msg string, d time.Duration) {
	e.opts.Reporter.Report(Event{Time: time.Now(), Function: r.fn.Label, Step: step, Kind: kind, Message: msg, Elapsed: d})
}
