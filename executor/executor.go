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
	"sort"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/lambdas-dev/lambdas/executor/pack"
	"github.com/lambdas-dev/lambdas/manifest"
	"github.com/lambdas-dev/lambdas/planner/plan"
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
	plan *plan.FunctionPlan
	prev *state.Function
	head string
	zip  *pack.Result

	artifactBucket, artifactKey string
	revisionID                  string
	version                     string
	verified                    string // the version checked Active with the package's CodeSha256
	skipped                     []string
	resumed                     map[plan.StepName]bool
}

// Apply runs the plan. Every function's package is built and checked before
// any AWS call, so a bad input changes nothing; then the functions are
// released in parallel, each failure confined to its function.
func (e *Executor) Apply(ctx context.Context, p *plan.Plan) (*Result, error) {
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
		if fp.Change == plan.Unchanged || len(fp.Steps) == 0 {
			res.Functions = append(res.Functions, FunctionResult{Name: fp.Name, FunctionName: fp.FunctionName, Status: StatusUnchanged})
			continue
		}
		fn := byLabel[fp.Name]
		if fn == nil {
			return nil, fmt.Errorf("%s: in the plan but not in the manifest", fp.Name)
		}
		r := &release{fn: fn, plan: fp, prev: snapshot.Functions[fp.Name], head: p.Head, resumed: map[plan.StepName]bool{}}
		for _, s := range fp.Resume {
			r.resumed[plan.StepName(s)] = true
		}
		work = append(work, r)
	}
	if err := e.preflight(p, work); err != nil {
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

// preflight refuses, before anything runs, what this version cannot do: a
// step it does not know or whose parameters are missing, a strategy it does
// not implement.
func (e *Executor) preflight(p *plan.Plan, work []*release) error {
	if err := p.Check(); err != nil {
		return err
	}
	impl := e.steps()
	var errs []error
	for _, r := range work {
		for _, s := range r.plan.Steps {
			if _, ok := impl[s.Name]; !ok && s.Name != plan.StepPackage && s.Name != plan.StepBuild {
				errs = append(errs, fmt.Errorf("%s: step %s is not implemented by this version of lambdas", r.fn.Label, s.Name))
			}
		}
		switch r.fn.Deploy.Strategy {
		case "", "all-at-once":
		default:
			errs = append(errs, fmt.Errorf("%s: deploy strategy %q: weighted rollouts are not supported by this version of lambdas yet; use strategy = \"all-at-once\" (the alias then moves at once)", r.fn.Label, r.fn.Deploy.Strategy))
		}
	}
	return errors.Join(errs...)
}

func (e *Executor) report(r *release, step plan.StepName, kind, msg string) {
	e.opts.Reporter.Report(Event{Time: time.Now(), Function: r.fn.Label, Step: string(step), Kind: kind, Message: msg})
}

func (e *Executor) reportElapsed(r *release, step plan.StepName, kind, msg string, d time.Duration) {
	e.opts.Reporter.Report(Event{Time: time.Now(), Function: r.fn.Label, Step: string(step), Kind: kind, Message: msg, Elapsed: d})
}
