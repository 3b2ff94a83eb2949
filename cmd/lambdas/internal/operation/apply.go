package operation

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/lambdas-dev/lambdas/executor"
	"github.com/lambdas-dev/lambdas/planner/plan"
	"github.com/lambdas-dev/lambdas/state"
)

// ApplyOptions tune an apply.
type ApplyOptions struct {
	Targets     []string
	PlanFile    string // apply this saved plan instead of planning
	Parallelism int
	FailFast    bool
	LockTimeout time.Duration
	AllowDirty  bool
	// Refresh reads the live alias and $LATEST of the functions the plan
	// does not release anyway, and brings back what drifted (default on in
	// the CLI; a saved plan is applied as it was made).
	Refresh bool
	// GetFunctionRate is GetFunction's quota (0: 100/s).
	GetFunctionRate float64
}

// ApplyView is how an apply talks to its user.
type ApplyView interface {
	// Plan shows the plan about to be applied.
	Plan(p *plan.Plan) error
	// NoChanges says there is nothing to do.
	NoChanges() error
	// Confirm asks to go ahead; saved says the plan came from a file (it was
	// reviewed when it was made). An error cancels the apply.
	Confirm(saved bool) error
	// Progress returns the reporter for the apply's events; Close ends it.
	Progress(p *plan.Plan) ProgressView
	// Summary shows the result.
	Summary(res *executor.Result) error
}

// ProgressView receives an apply's events as they happen.
type ProgressView interface {
	executor.Reporter
	Close()
}

// ErrDirty says the worktree has uncommitted changes an apply would release.
var ErrDirty = errors.New("the worktree has uncommitted changes under the functions' paths; commit them, or pass --allow-dirty to release them anyway")

// Apply plans (or loads and checks a saved plan) under the state lock, and
// releases what changed. The result is nil when nothing was applied.
func Apply(ctx context.Context, in Inputs, o ApplyOptions, v ApplyView) (*executor.Result, error) {
	if o.Parallelism < 1 {
		return nil, fmt.Errorf("--parallelism must be at least 1")
	}
	var saved *plan.Plan
	targets := o.Targets
	if o.PlanFile != "" {
		if len(o.Targets) > 0 {
			return nil, fmt.Errorf("--target cannot be used with a saved plan: the plan already names its functions")
		}
		data, err := os.ReadFile(o.PlanFile)
		if err != nil {
			return nil, fmt.Errorf("read plan file: %w", err)
		}
		if saved, err = plan.Decode(data, o.PlanFile); err != nil {
			return nil, err
		}
		targets = saved.Targets
	}
	var res *executor.Result
	err := WithStateLock(ctx, in.Manifest, "apply", o.LockTimeout, func(sm *state.Manager) error {
		doc := sm.Snapshot()
		p, err := Plan(in, doc, targets)
		if err != nil {
			return err
		}
		conn := &awsConn{in: in, getFunctionRate: o.GetFunctionRate}
		switch {
		case saved != nil:
			if err := saved.CheckCurrent(p); err != nil {
				return err
			}
			p = saved
		default:
			if err := FoldLayerCache(ctx, in, p, doc, conn, true); err != nil {
				return err
			}
			if o.Refresh {
				if err := Refresh(ctx, in, p, doc, conn, false); err != nil {
					return err
				}
			}
		}
		if err := v.Plan(p); err != nil {
			return err
		}
		if !p.HasChanges() {
			return v.NoChanges()
		}
		if p.Dirty && !o.AllowDirty {
			return ErrDirty
		}
		if err := v.Confirm(saved != nil); err != nil {
			return err
		}
		client, err := conn.lambda(ctx)
		if err != nil {
			return err
		}
		progress := v.Progress(p)
		ex := executor.New(conn.cfg, in.Manifest, sm, executor.Options{Parallelism: o.Parallelism, FailFast: o.FailFast, Reporter: progress, Lambda: client}, conn.s3Opts...)
		res, err = ex.Apply(ctx, p)
		progress.Close()
		if err != nil {
			return err
		}
		if err := v.Summary(res); err != nil {
			return err
		}
		if res.Failed() == 0 && !res.Interrupted {
			pr, err := pruneAfterApply(ctx, in, sm, conn, res)
			if pv, ok := v.(PruneView); ok && (pr != nil || err != nil) {
				pv.Pruned(pr, err)
			}
		}
		return nil
	})
	return res, err
}
