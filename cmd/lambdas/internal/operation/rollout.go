package operation

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"time"

	"github.com/lambdas-dev/lambdas/executor"
	"github.com/lambdas-dev/lambdas/executor/shift"
	"github.com/lambdas-dev/lambdas/manifest"
	"github.com/lambdas-dev/lambdas/planner"
	"github.com/lambdas-dev/lambdas/planner/plan"
	"github.com/lambdas-dev/lambdas/state"
)

// cloudWatch makes the paced CloudWatch client (once; this run's share of
// the DescribeAlarms quota), speaking the query protocol against an
// emulator (executor.CloudWatchProtocol).
func (c *awsConn) cloudWatch() (*executor.CloudWatch, error) {
	if c.cw != nil {
		return c.cw, nil
	}
	proto, err := executor.CloudWatchProtocol(os.Getenv)
	if err != nil {
		return nil, err
	}
	c.cw = executor.NewCloudWatch(c.cfg, proto, c.shared(executor.DescribeAlarmsRate), executor.RetryPolicy{})
	return c.cw, nil
}

// PromoteOptions select the rollouts promote looks at.
type PromoteOptions struct {
	Targets []string // globs over labels and names; none: every rollout in flight
	// Wait goes on until the selected rollouts have ended (a blocking
	// rollout resumed); without it, one pass.
	Wait        bool
	LockTimeout time.Duration
	AlarmPoll   time.Duration
}

// RolloutView is how promote and rollback talk to their user.
type RolloutView interface {
	// Progress returns the reporter for the moves as they happen.
	Progress() executor.Reporter
}

// Rollout is where one function's rollout stands after promote or rollback.
type Rollout struct {
	Name         string    `json:"name"`
	FunctionName string    `json:"function_name"`
	ID           string    `json:"id"`
	Group        string    `json:"group,omitempty"`
	Status       string    `json:"status"` // state.Rollout*
	OldVersion   string    `json:"old_version"`
	NewVersion   string    `json:"new_version"`
	Weight       float64   `json:"weight"`
	Step         int       `json:"step"`
	Steps        []float64 `json:"steps"`
	NextAt       time.Time `json:"next_at,omitzero"`
	Reason       string    `json:"reason,omitempty"`
	// Moved: this run took a step of it (or rolled it back).
	Moved bool `json:"moved"`
	// Unrecorded (status only): the alias stands at Step/Weight, one step
	// past the state's record, because a run stopped between the move and
	// its record; the next promote or apply records it and goes on.
	Unrecorded bool `json:"unrecorded_step,omitempty"`
}

// Promote advances the rollouts in flight, under the state lock: each one
// whose interval has passed and whose alarms are quiet takes its next step
// (its last makes the new version the release); one whose alarm is in
// ALARM is rolled back, its whole group with it. Safe to run on a schedule:
// a step that is not due is not taken.
func Promote(ctx context.Context, in Inputs, o PromoteOptions, v RolloutView) ([]Rollout, error) {
	labels, err := targetLabels(in.Manifest, o.Targets)
	if err != nil {
		return nil, err
	}
	var out []Rollout
	err = withRolloutLocks(ctx, in.Manifest, "promote", labels, o.LockTimeout, func(sm *state.Manager) error {
		if !anyInProgress(sm.Snapshot(), labels) {
			return nil
		}
		eng, err := rolloutEngine(ctx, in, sm, v, o.AlarmPoll)
		if err != nil {
			return err
		}
		wctx, cancel := executor.Graceful(ctx)
		defer cancel()
		res, err := eng.Advance(wctx, shift.AdvanceOptions{Labels: labels, Wait: o.Wait})
		out = rollouts(sm.Snapshot(), res)
		if shift.IsInterrupted(err) || (err == nil && ctx.Err() != nil) {
			return fmt.Errorf("%w: the rollouts stay where they are; lambdas promote takes them on", executor.ErrInterrupted)
		}
		return err
	})
	return out, err
}

// RollbackOptions select what lambdas rollback undoes.
type RollbackOptions struct {
	// Targets are globs over labels and names; none: every rollout in flight.
	Targets []string
	// ToVersion is the version to go back to, for one function with no
	// rollout in flight; "" is the previous release's version.
	ToVersion   string
	LockTimeout time.Duration
}

// Rollback undoes, under the state lock, each selected function's rollout
// in flight (the old version alone again, the whole group with it), or, for
// one without a rollout in flight, its last release (the previous version,
// or ToVersion).
func Rollback(ctx context.Context, in Inputs, o RollbackOptions, v RolloutView) ([]Rollout, error) {
	m := in.Manifest
	labels, err := targetLabels(m, o.Targets)
	if err != nil {
		return nil, err
	}
	var out []Rollout
	err = withRolloutLocks(ctx, m, "rollback", labels, o.LockTimeout, func(sm *state.Manager) error {
		d := sm.Snapshot()
		var rolling, finished []string
		for _, l := range d.Labels() {
			if labels != nil && !slices.Contains(labels, l) {
				continue
			}
			if d.Functions[l].Rollout.InProgress() {
				rolling = append(rolling, l)
			} else if len(o.Targets) > 0 {
				finished = append(finished, l)
			}
		}
		if len(o.Targets) > 0 {
			for _, l := range labels {
				if d.Functions[l] == nil {
					return fmt.Errorf("%s: no release recorded: nothing to roll back", l)
				}
			}
		}
		switch {
		case len(rolling)+len(finished) == 0:
			return errors.New("no rollout is in flight: nothing to roll back (name a function to roll back its last release)")
		case o.ToVersion != "" && (len(finished) != 1 || len(rolling) > 0):
			return errors.New("--to-version needs exactly one function, without a rollout in flight (a rollout goes back to the version it started from)")
		}
		eng, err := rolloutEngine(ctx, in, sm, v, 0)
		if err != nil {
			return err
		}
		wctx, cancel := executor.Graceful(ctx)
		defer cancel()
		var errs []error
		if len(rolling) > 0 {
			res, err := eng.Rollback(wctx, shift.AdvanceOptions{Labels: rolling}, "rolled back by hand (lambdas rollback)")
			errs = append(errs, err)
			out = append(out, rollouts(sm.Snapshot(), res)...)
		}
		byLabel := map[string]*manifest.Function{}
		for _, f := range m.Functions {
			byLabel[f.Label] = f
		}
		for _, l := range finished {
			f := byLabel[l]
			if f == nil {
				errs = append(errs, fmt.Errorf("%s: not in the manifest", l))
				continue
			}
			if _, _, err := eng.RollbackRelease(wctx, shift.Target{Label: l, FunctionName: f.Name, Alias: f.Alias, ToVersion: o.ToVersion}, "rolled back by hand (lambdas rollback)"); err != nil {
				errs = append(errs, err)
				continue
			}
			if ro := sm.Snapshot().Functions[l].Rollout; ro != nil {
				out = append(out, rolloutOf(l, sm.Snapshot().Functions[l], true))
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		return errors.Join(errs...)
	})
	return out, err
}

// Rollouts lists the rollouts the state records (in flight, or the last
// one of each function), for status.
func Rollouts(d *state.Document) []Rollout {
	var out []Rollout
	for _, l := range d.Labels() {
		if f := d.Functions[l]; f.Rollout != nil {
			out = append(out, rolloutOf(l, f, false))
		}
	}
	return out
}

func rolloutEngine(ctx context.Context, in Inputs, sm *state.Manager, v RolloutView, poll time.Duration) (*shift.Engine, error) {
	conn := &awsConn{in: in}
	client, err := conn.lambda(ctx)
	if err != nil {
		return nil, err
	}
	cw, err := conn.cloudWatch()
	if err != nil {
		return nil, err
	}
	return executor.NewEngine(client, cw, sm, v.Progress(), poll, 10), nil
}

func anyInProgress(d *state.Document, labels []string) bool {
	for _, l := range d.Labels() {
		if (labels == nil || slices.Contains(labels, l)) && d.Functions[l].Rollout.InProgress() {
			return true
		}
	}
	return false
}

// targetLabels is the labels the globs select; nil when there are none.
func targetLabels(m *manifest.Manifest, targets []string) ([]string, error) {
	if len(targets) == 0 {
		return nil, nil
	}
	fns, err := planner.Select(m.Functions, targets)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(fns))
	for i, f := range fns {
		out[i] = f.Label
	}
	return out, nil
}

func rollouts(d *state.Document, res *shift.AdvanceResult) []Rollout {
	var out []Rollout
	if res == nil {
		return nil
	}
	for _, id := range res.IDs() {
		g := res.Rollouts[id]
		for _, l := range g.Members {
			if f := d.Functions[l]; f != nil && f.Rollout != nil {
				out = append(out, rolloutOf(l, f, g.Moved))
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func rolloutOf(label string, f *state.Function, moved bool) Rollout {
	ro := f.Rollout
	return Rollout{Name: label, FunctionName: f.FunctionName, ID: ro.ID, Group: ro.Group, Status: ro.Status, OldVersion: ro.OldVersion, NewVersion: ro.NewVersion,
		Weight: ro.Weight, Step: ro.Step, Steps: ro.Steps, NextAt: ro.NextAt, Reason: ro.Reason, Moved: moved}
}

// rolloutNotes says, in the plan, which planned functions have a rollout
// in flight that apply will go on with, or refuse to release over.
func rolloutNotes(p *plan.Plan, doc *state.Document) {
	for _, f := range p.Functions {
		rec := doc.Functions[f.Name]
		if rec == nil || !rec.Rollout.InProgress() {
			continue
		}
		ro := rec.Rollout
		if f.Change == plan.Unchanged {
			p.Notes = append(p.Notes, fmt.Sprintf("%s: a rollout of version %s is in flight (%s) though HEAD holds the released code: lambdas rollback undoes it, lambdas promote finishes it", f.Name, ro.NewVersion, shift.Percent(ro.Weight*100)))
			continue
		}
		if in := rec.InFlight; in != nil && in.CodeFingerprint == f.CodeFingerprint && in.DepsFingerprint == f.DepsFingerprint {
			p.Notes = append(p.Notes, fmt.Sprintf("%s: the rollout of version %s is in flight (%s): apply goes on with it", f.Name, ro.NewVersion, shift.Percent(ro.Weight*100)))
			continue
		}
		p.Notes = append(p.Notes, fmt.Sprintf("%s: a rollout of version %s is in flight (%s): apply refuses to release it again unless --supersede (lambdas promote finishes it, lambdas rollback undoes it)", f.Name, ro.NewVersion, shift.Percent(ro.Weight*100)))
	}
}

// withRolloutLocks runs fn holding the locks of the functions a promote or
// rollback may move: the targets (labels; nil for all), and every function
// with a rollout in flight, since a group moves together. The state is read
// once unlocked to find them; fn sees it fresh under the locks.
func withRolloutLocks(ctx context.Context, m *manifest.Manifest, operation string, labels []string, timeout time.Duration, fn func(*state.Manager) error) error {
	backend, err := StateBackend(ctx, m)
	if err != nil {
		return err
	}
	unlocked, err := state.Load(ctx, backend)
	if err != nil {
		return err
	}
	lock := map[string]bool{}
	for _, l := range labels {
		lock[l] = true
	}
	d := unlocked.Snapshot()
	for _, l := range d.Labels() {
		if d.Functions[l].Rollout.InProgress() {
			lock[l] = true
		}
	}
	if len(lock) == 0 {
		return fn(unlocked) // nothing in flight and nothing named: nothing to move
	}
	sorted := make([]string, 0, len(lock))
	for l := range lock {
		sorted = append(sorted, l)
	}
	sort.Strings(sorted)
	return WithFunctionLocks(ctx, backend, operation, sorted, timeout, fn)
}
