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
	// WaitTimeout bounds each wait for a function or version to settle
	// (default 5 min).
	WaitTimeout time.Duration
	// PollInterval is the first delay between polls (default 500 ms); the
	// first poll is made at once.
	PollInterval time.Duration
	// GetFunctionRate overrides project.get_function_rate_limit, GetFunction's
	// quota in requests per second (default 100), when above 0.
	GetFunctionRate float64
	// Lambda is the paced client to use, shared with the refresh that read
	// the live functions for the plan; nil: New makes one from the AWS
	// configuration, project.api_rate_limit and GetFunctionRate.
	Lambda   *Lambda
	Reporter Reporter
	// Grace bounds how long calls in flight may take to finish after the
	// apply is interrupted (default 30 s).
	Grace time.Duration
	// Rollout is how canary and linear releases wait: RolloutWait (the
	// default) goes through every step, RolloutStart takes the first and
	// leaves the rest to lambdas promote (rollout.go).
	Rollout string
	// Supersede rolls back a rollout in flight before releasing its
	// function anew; without it such a release is refused.
	Supersede bool
	// CloudWatch reads the alarms that gate rollouts; nil: New makes one.
	CloudWatch *CloudWatch
	// AlarmPoll is how often alarms are read while a rollout waits (0: a
	// quarter of the interval, between 200 ms and 10 s).
	AlarmPoll time.Duration
}

// Executor applies plans.
type Executor struct {
	lambda   *Lambda
	cw       *CloudWatch
	s3       s3API
	state    *state.Manager
	manifest *manifest.Manifest
	opts     Options
	workDir  string
	deps     depsWork // dependency layers, shared by fingerprint (layers.go)
}

// New returns an executor for the manifest's project. Its Lambda client,
// shared by every worker, paces each call against its quota's bucket.
func New(cfg aws.Config, m *manifest.Manifest, sm *state.Manager, opts Options, s3Opts ...func(*s3.Options)) *Executor {
	client := opts.Lambda
	if client == nil {
		client = NewLambda(cfg, QuotasFor(m, opts.GetFunctionRate), opts.Retry)
	}
	if opts.CloudWatch == nil {
		proto, err := CloudWatchProtocol(os.Getenv)
		if err != nil {
			proto = "query" // accepted by AWS and emulators alike
		}
		opts.CloudWatch = NewCloudWatch(cfg, proto, 0, opts.Retry)
	}
	return newExecutor(client, s3.NewFromConfig(cfg, s3Opts...), m, sm, opts)
}

func newExecutor(l *Lambda, s s3API, m *manifest.Manifest, sm *state.Manager, opts Options) *Executor {
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
	if opts.Grace <= 0 {
		opts.Grace = Grace
	}
	if opts.Reporter == nil {
		opts.Reporter = ReporterFunc(func(Event) {})
	}
	ex := &Executor{lambda: l.WithReporter(opts.Reporter), s3: s, state: sm, manifest: m, opts: opts}
	if opts.CloudWatch != nil {
		ex.cw = opts.CloudWatch.WithReporter(opts.Reporter)
	}
	return ex
}

// Function results.
const (
	StatusReleased    = "released"
	StatusUnchanged   = "unchanged"
	StatusFailed      = "failed"
	StatusNotStarted  = "not started"
	StatusInterrupted = "interrupted"
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
	// Drift is what differed from the state's record, seen by the refresh
	// (the plan) or by the release itself; a released function with drift
	// was brought back to the recorded release (or past it).
	Drift []string `json:"drift,omitempty"`
	// Rollout is where a canary or linear rollout stands (rollout.go).
	Rollout *RolloutResult `json:"rollout,omitempty"`
}

// Result is the outcome of an apply.
type Result struct {
	Functions []FunctionResult `json:"functions"`
	// MutatingCalls counts the Lambda requests that change something.
	MutatingCalls int64 `json:"mutating_calls"`
	// Buckets counts the Lambda requests per quota bucket (BucketControlPlane,
	// BucketGetFunction), retries and the plan's refresh included, and the 429s.
	Buckets   map[string]BucketStats `json:"buckets"`
	Throttles int                    `json:"throttles"` // 429s, all buckets
	// Interrupted: SIGINT or SIGTERM stopped the apply; what finished is
	// recorded, and a rerun resumes.
	Interrupted bool          `json:"interrupted,omitempty"`
	Duration    time.Duration `json:"-"`
	// LayerBuilds and LayersPublished count the dependency builds run and
	// the layer versions published (once per dependency fingerprint).
	LayerBuilds     int64 `json:"layer_builds"`
	LayersPublished int64 `json:"layers_published"`
}

// Failed counts functions that failed or did not start.
func (r *Result) Failed() int {
	n := 0
	for _, f := range r.Functions {
		if f.Status == StatusFailed || f.Status == StatusNotStarted {
			n++
		}
	}
	return n
}

// Count counts the functions with the status.
func (r *Result) Count(status string) int {
	n := 0
	for _, f := range r.Functions {
		if f.Status == status {
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
	revisionID                  string // $LATEST's, as read before updating it
	version                     string
	verified                    string // the version checked Active with the package's CodeSha256
	created                     bool   // this release created the function (so it has no alias yet)
	aliasRevisionID             string // the alias's, after this release moved (or read) it
	account                     string
	label                       string // the release label: the tag at HEAD, or the commit
	skipped                     []string
	drift                       []string
	resumed                     map[plan.StepName]bool
	deferred                    bool   // the alias waits for the shift phase (rollout.go)
	resumeRollout               string // the ID of this release's rollout in flight, to go on with
	smokeAnswer                 string // the smoke test's answer, shortened

	layer        *builtLayer // the dependency layer built for this release (layers.go)
	layerArn     string      // the layer version it gets
	layerMsg     string      // what the last layer step did, for its done event
	createLayers []string    // layers to create the function with (it did not exist)
}

// Apply runs the plan. Every function's package is built and checked before
// any AWS call, so a bad input changes nothing; then the functions are
// released in parallel, each failure confined to its function. When ctx
// ends (SIGINT, SIGTERM), no new step starts; calls in flight finish (for up
// to Options.Grace), what finished is recorded, and the result says
// Interrupted.
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
		r := &release{fn: fn, plan: fp, prev: snapshot.Functions[fp.Name], head: p.Head, label: p.ReleaseLabel, resumed: map[plan.StepName]bool{}}
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
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w while packaging: nothing was changed", ErrInterrupted)
		}
		return nil, err
	}
	if err := e.buildAllDeps(ctx, work); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w while building dependencies: nothing was changed", ErrInterrupted)
		}
		return nil, err
	}

	wctx, cancel := graceful(ctx, e.opts.Grace)
	defer cancel()
	results := make([]FunctionResult, len(work))
	var failed atomic.Bool
	notStarted := func(r *release) FunctionResult {
		why := "not started: an earlier function failed (--fail-fast)"
		if stopped(wctx) {
			why = "not started: interrupted"
		}
		return FunctionResult{Name: r.fn.Label, FunctionName: r.fn.Name, Status: StatusNotStarted, Error: why}
	}
	g := new(errgroup.Group)
	g.SetLimit(e.opts.Parallelism)
	for i, r := range work {
		if (e.opts.FailFast && failed.Load()) || stopped(wctx) {
			results[i] = notStarted(r)
			continue
		}
		g.Go(func() error {
			if (e.opts.FailFast && failed.Load()) || stopped(wctx) {
				results[i] = notStarted(r)
				return nil
			}
			defer func() {
				if p := recover(); p != nil { // a bug fails this function, not the whole apply
					results[i] = FunctionResult{Name: r.fn.Label, FunctionName: r.fn.Name, Status: StatusFailed, Error: fmt.Sprintf("internal error: %v", p)}
					failed.Store(true)
				}
			}()
			results[i] = e.releaseOne(wctx, r)
			if err := e.flushState(wctx); err != nil && results[i].Status == StatusReleased {
				results[i].Status = StatusFailed
				results[i].Error = fmt.Sprintf("%s: record state: %v (the release happened: a rerun finds it and records it)", r.fn.Label, err)
			}
			if results[i].Status == StatusFailed {
				failed.Store(true)
			}
			return nil
		})
	}
	_ = g.Wait()
	e.shiftPhase(wctx, work, results) // rollouts and rollout groups (rollout.go)
	if err := e.flushState(wctx); err != nil {
		return nil, err
	}
	res.Functions = append(res.Functions, results...)
	sort.Slice(res.Functions, func(i, j int) bool { return res.Functions[i].Name < res.Functions[j].Name })
	res.Interrupted = stopped(wctx)
	e.fillCounts(res)
	res.Duration = time.Since(start)
	return res, nil
}

// fillCounts copies the client's counts into the result.
func (e *Executor) fillCounts(res *Result) {
	res.MutatingCalls = e.lambda.MutatingCalls()
	res.Buckets = e.lambda.Stats()
	for k, v := range e.cw.Stats() {
		res.Buckets[k] = v
	}
	res.LayerBuilds, res.LayersPublished = e.deps.nBuilt.Load(), e.deps.nPub.Load()
	res.Throttles = 0
	for _, b := range res.Buckets {
		res.Throttles += b.Throttles
	}
}

// preflight refuses, before anything runs, what this version cannot do: a
// step it does not know or whose parameters are missing.
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
	}
	return errors.Join(errs...)
}

func (e *Executor) report(r *release, step plan.StepName, kind, msg string) {
	e.opts.Reporter.Report(Event{Time: time.Now(), Function: r.fn.Label, Step: string(step), Kind: kind, Message: msg})
}

func (e *Executor) reportElapsed(r *release, step plan.StepName, kind, msg string, d time.Duration) {
	e.opts.Reporter.Report(Event{Time: time.Now(), Function: r.fn.Label, Step: string(step), Kind: kind, Message: msg, Elapsed: d})
}
