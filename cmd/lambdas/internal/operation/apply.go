package operation

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
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
	// Shard ("i/N") applies the i-th of N shards of the plan (see
	// matrix.go); its Lambda and CloudWatch calls are paced at 1/N of the quotas, which
	// the N shards of one account share.
	Shard string
	// Force releases even where the manifest's release rule refuses.
	Force bool
	// Rollout is how canary and linear releases wait: executor.RolloutWait
	// (default) or executor.RolloutStart (then lambdas promote).
	Rollout string
	// Supersede rolls back a rollout in flight before releasing its
	// function anew.
	Supersede bool
	// AlarmPoll overrides how often alarms are read while a rollout waits.
	AlarmPoll time.Duration
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

// Apply plans (or loads and checks a saved plan), takes the locks of the
// functions it will release, checks that their state records did not move
// meanwhile (they are planned again if they did, at most three times; a
// saved plan is refused), and releases them. The result is nil when nothing
// was applied.
func Apply(ctx context.Context, in Inputs, o ApplyOptions, v ApplyView) (*executor.Result, error) {
	if o.Parallelism < 1 {
		return nil, fmt.Errorf("--parallelism must be at least 1")
	}
	var shard *Shard
	if o.Shard != "" {
		s, err := ParseShard(o.Shard)
		if err != nil {
			return nil, err
		}
		if len(o.Targets) > 0 {
			return nil, fmt.Errorf("--shard and --target cannot be used together: a shard is its own selection")
		}
		shard = &s
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
	if !o.Force {
		ref, err := CurrentRef(in.Repo, in.getenv())
		if err != nil {
			return nil, err
		}
		if err := CheckRelease(in.Manifest, ref); err != nil {
			return nil, err
		}
	}
	backend, err := StateBackend(ctx, in.Manifest)
	if err != nil {
		return nil, err
	}
	conn := &awsConn{in: in, getFunctionRate: o.GetFunctionRate}
	if shard != nil {
		conn.share = shard.Count
	}
	const maxPlans = 3
	for attempt := 1; ; attempt++ {
		unlocked, err := state.Load(ctx, backend)
		if err != nil {
			return nil, err
		}
		doc := unlocked.Snapshot()
		p, err := Plan(in, doc, targets)
		if err != nil {
			return nil, err
		}
		switch {
		case saved != nil:
			if shard != nil {
				// The split weighs packages, which a plan file does not keep:
				// the fresh plan's (the same, or the check below refuses).
				fresh := map[string]*plan.Package{}
				for _, f := range p.Functions {
					fresh[f.Name] = f.Package
				}
				for i := range saved.Functions {
					saved.Functions[i].Package = fresh[saved.Functions[i].Name]
				}
				Restrict(saved, Split(saved, shard.Count)[shard.Index-1])
			}
			if err := saved.CheckCurrent(p); err != nil {
				return nil, err
			}
			p = saved
		case shard != nil:
			Restrict(p, Split(p, shard.Count)[shard.Index-1])
		}
		if saved == nil {
			if err := FoldLayerCache(ctx, in, p, doc, conn, true); err != nil {
				return nil, err
			}
		}
		if saved == nil && o.Refresh {
			if err := Refresh(ctx, in, p, doc, conn, false); err != nil {
				return nil, err
			}
		}
		var labels []string
		for _, f := range p.Functions {
			if len(f.Steps) > 0 {
				labels = append(labels, f.Name)
			}
		}
		if !p.HasChanges() || len(labels) == 0 {
			if err := v.Plan(p); err != nil {
				return nil, err
			}
			return nil, v.NoChanges()
		}
		if p.Dirty && !o.AllowDirty {
			return nil, ErrDirty
		}
		var res *executor.Result
		var released *plan.Plan // set once the executor ran: the notifications report it
		again := false
		err = WithFunctionLocks(ctx, backend, "apply", labels, o.LockTimeout, func(sm *state.Manager) error {
			cur := sm.Snapshot()
			var moved []string
			for _, f := range p.Functions {
				if len(f.Steps) > 0 && state.Revision(cur.Functions[f.Name]) != f.StateRecord {
					moved = append(moved, f.Name)
				}
			}
			switch {
			case len(moved) > 0 && saved != nil:
				return fmt.Errorf("the saved plan is stale: the state records of %s changed since the plan (another apply released or resumed them); make a new one with `lambdas plan --out FILE`", strings.Join(moved, ", "))
			case len(moved) > 0 && attempt < maxPlans:
				again = true // released by another run meanwhile: plan them again
				return nil
			case len(moved) > 0:
				return fmt.Errorf("the state records of %s changed before each of %d plans (other applies keep releasing them); run lambdas apply again", strings.Join(moved, ", "), attempt)
			}
			if err := v.Plan(p); err != nil {
				return err
			}
			if err := v.Confirm(saved != nil); err != nil {
				return err
			}
			client, err := conn.lambda(ctx)
			if err != nil {
				return err
			}
			cw, err := conn.cloudWatch()
			if err != nil {
				return err
			}
			progress := v.Progress(p)
			released = p
			ex := executor.New(conn.cfg, in.Manifest, sm, executor.Options{Parallelism: o.Parallelism, FailFast: o.FailFast, Reporter: progress, Lambda: client,
				CloudWatch: cw, Rollout: o.Rollout, Supersede: o.Supersede, AlarmPoll: o.AlarmPoll}, conn.s3Opts...)
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
		if again && err == nil {
			continue
		}
		if released != nil { // notify.go: after the locks are released; never fails the apply
			notifyAfterApply(ctx, in, released, res, err, v)
		}
		return res, err
	}
}
