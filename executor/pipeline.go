package executor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lambdas-dev/lambdas/planner/plan"
	"github.com/lambdas-dev/lambdas/state"
)

// errSkip marks a step that had nothing to do; its text says why.
type errSkip struct{ why string }

func (s errSkip) Error() string { return s.why }

func skip(format string, args ...any) error { return errSkip{fmt.Sprintf(format, args...)} }

// stepFunc runs one named step of a function's pipeline.
type stepFunc func(ctx context.Context, r *release) error

// steps maps the plan's step names to their implementations. Packaging ran
// before any AWS call (packageAll), so it is not here.
func (e *Executor) steps() map[plan.StepName]stepFunc {
	return map[plan.StepName]stepFunc{
		plan.StepBuildDependencies: e.buildDependencies,
		plan.StepPublishLayer:      e.publishLayer,
		plan.StepAttachLayer:       e.attachLayer,
		plan.StepUpload:            e.upload,
		plan.StepUpdateCode:        e.updateCode,
		plan.StepPublishVersion:    e.publishVersion,
		plan.StepSmokeTest:         e.smokeTest,
		plan.StepMoveAlias:         e.moveAlias,
	}
}

// releaseOne runs a function's pipeline: the plan's steps in order, each
// recorded in the state when done, then the release itself. Once the apply
// is told to stop, no further step starts.
func (e *Executor) releaseOne(ctx context.Context, r *release) FunctionResult {
	start := time.Now()
	r.drift = append(r.drift, r.plan.Drift...)
	res := FunctionResult{Name: r.fn.Label, FunctionName: r.fn.Name}
	end := func(status string, step plan.StepName, err error) FunctionResult {
		msg := fmt.Sprintf("%s: %s: %v", r.fn.Label, step, err)
		kind := EventFail
		if status == StatusInterrupted {
			msg = fmt.Sprintf("%s: %s: interrupted; the finished steps are recorded (rerun lambdas apply to resume)", r.fn.Label, step)
			kind = EventInterrupted
		}
		if status == StatusRolledBack {
			kind = EventRolledBack
		}
		e.report(r, step, kind, msg)
		res.Status, res.Error, res.Duration, res.Drift = status, msg, time.Since(start), r.drift
		return res
	}
	fail := func(step plan.StepName, err error) FunctionResult {
		if stopped(ctx) && (errors.Is(err, ErrInterrupted) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
			return end(StatusInterrupted, step, err)
		}
		var rb *rolledBackError
		if errors.As(err, &rb) {
			return end(StatusRolledBack, step, err)
		}
		return end(StatusFailed, step, err)
	}
	if err := e.beforeRelease(ctx, r); err != nil { // a rollout in flight (rollout.go)
		return fail(plan.StepMoveAlias, err)
	}
	impl := e.steps()
	if r.zip != nil {
		if err := e.recordStep(ctx, r, plan.StepPackage); err != nil {
			return fail(plan.StepPackage, err)
		}
	}
	for _, s := range r.plan.Steps {
		if s.Name == plan.StepPackage || s.Name == plan.StepBuild {
			continue // done before any AWS call (packageAll)
		}
		if stopped(ctx) {
			return end(StatusInterrupted, s.Name, ErrInterrupted)
		}
		if s.Name == plan.StepMoveAlias && e.shifts(r) {
			return e.prepared(r, res, start) // the shift phase moves it (rollout.go)
		}
		run := impl[s.Name] // preflight checked that every step has one
		t := time.Now()
		e.report(r, s.Name, EventStart, s.Reason)
		err := run(withCallSite(ctx, r.fn.Label, string(s.Name)), r)
		var sk errSkip
		switch {
		case errors.As(err, &sk):
			r.skipped = append(r.skipped, string(s.Name)+": "+sk.why)
			e.reportElapsed(r, s.Name, EventSkip, sk.why, time.Since(t))
		case err != nil:
			return fail(s.Name, err)
		default:
			e.reportElapsed(r, s.Name, EventDone, e.doneMessage(r, s.Name), time.Since(t))
		}
		if err := e.recordStep(ctx, r, s.Name); err != nil {
			return fail(s.Name, err)
		}
	}
	if err := e.recordRelease(ctx, r); err != nil {
		return fail("record state", err)
	}
	e.keepDescriptors(ctx, r)
	res.Status, res.Version, res.Skipped, res.Duration, res.Drift = StatusReleased, r.version, r.skipped, time.Since(start), r.drift
	if r.zip != nil {
		res.CodeSha256 = r.zip.CodeSha256
	} else if r.prev != nil {
		res.CodeSha256 = r.prev.CodeSha256
	}
	msg := fmt.Sprintf("%s → version %s", r.fn.Alias, r.version)
	if len(r.drift) > 0 {
		msg += " (restored over drift: " + strings.Join(r.drift, "; ") + ")"
	}
	e.reportElapsed(r, "", EventReleased, msg, res.Duration)
	return res
}

func (e *Executor) doneMessage(r *release, step plan.StepName) string {
	switch step {
	case plan.StepUpload:
		return r.artifactURL()
	case plan.StepUpdateCode:
		return fmt.Sprintf("code updated to %s, published as version %s", r.zip.CodeSha256, r.version)
	case plan.StepPublishVersion:
		return "version " + r.version
	case plan.StepSmokeTest:
		return fmt.Sprintf("version %s answered %s", r.version, r.smokeAnswer)
	case plan.StepMoveAlias:
		return fmt.Sprintf("%s → %s", r.fn.Alias, r.version)
	case plan.StepBuildDependencies, plan.StepPublishLayer, plan.StepAttachLayer:
		return r.layerMsg
	}
	return ""
}

// flushState writes the state changes not written yet: with a batching
// state (S3), one write per finished function, several workers' changes in
// one. It is not cancelled by an interruption, and bounded.
func (e *Executor) flushState(ctx context.Context) error {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	return e.state.Flush(fctx)
}

// recordStep notes a finished step in the state's in-flight release. State
// writes are not cancelled by an interruption: what finished is recorded.
func (e *Executor) recordStep(ctx context.Context, r *release, step plan.StepName) error {
	return e.recordInFlight(ctx, r, step)
}

// recordVersion notes the version a release published as soon as Lambda
// answered, before it is verified: a rerun after a crash verifies that
// version instead of publishing again.
func (e *Executor) recordVersion(ctx context.Context, r *release) error {
	return e.recordInFlight(ctx, r, "")
}

func (e *Executor) recordInFlight(ctx context.Context, r *release, step plan.StepName) error {
	return e.state.Update(context.WithoutCancel(ctx), func(d *state.Document) error {
		f := d.Functions[r.fn.Label]
		if f == nil {
			f = &state.Function{FunctionName: r.fn.Name}
			d.Functions[r.fn.Label] = f
		}
		if f.InFlight == nil || f.InFlight.CodeFingerprint != r.plan.CodeFingerprint || f.InFlight.DepsFingerprint != r.plan.DepsFingerprint {
			f.InFlight = &state.Release{Commit: r.head, Dirty: len(r.plan.Uncommitted) > 0, CodeFingerprint: r.plan.CodeFingerprint, DepsFingerprint: r.plan.DepsFingerprint, ReleaseLabel: r.label, StartedAt: time.Now().UTC()}
		}
		in := f.InFlight
		if step != "" {
			if in.Done == nil {
				in.Done = map[string]string{}
			}
			in.Done[string(step)] = time.Now().UTC().Format(time.RFC3339)
		}
		if r.zip != nil {
			in.CodeSha256 = r.zip.CodeSha256
		}
		if r.artifactKey != "" {
			in.Artifact = r.artifactURL()
		}
		if r.version != "" {
			in.Version = r.version
		}
		if r.aliasRevisionID != "" {
			in.AliasRevisionID = r.aliasRevisionID
		}
		in.Region = e.lambda.Region()
		if r.account != "" {
			in.Account = r.account
		}
		return nil
	})
}

// recordRelease turns the in-flight release into the function's record.
func (e *Executor) recordRelease(ctx context.Context, r *release) error {
	return e.state.Update(context.WithoutCancel(ctx), func(d *state.Document) error {
		f := d.Functions[r.fn.Label]
		rec := &state.Function{
			FunctionName:    r.fn.Name,
			Commit:          r.head,
			Dirty:           len(r.plan.Uncommitted) > 0,
			CodeFingerprint: r.plan.CodeFingerprint,
			DepsFingerprint: r.plan.DepsFingerprint,
			Version:         r.version,
			Alias:           r.fn.Alias,
			AliasRevisionID: r.aliasRevisionID,
			Region:          e.lambda.Region(),
			Account:         r.account,
			ReleasedAt:      time.Now().UTC(),
			ReleaseLabel:    r.label,
		}
		if f != nil {
			rec.CodeSha256, rec.Artifact = f.CodeSha256, f.Artifact
			rec.PreviousVersion = f.PreviousVersion // the rollback target (shift)
			if f.Version != "" && f.Version != r.version {
				rec.PreviousVersion = f.Version
			}
			if rec.Account == "" {
				rec.Account = f.Account
			}
			if in := f.InFlight; in != nil && rec.Account == "" {
				rec.Account = in.Account
			}
		}
		if r.zip != nil {
			rec.CodeSha256 = r.zip.CodeSha256
		}
		if r.artifactKey != "" {
			rec.Artifact = r.artifactURL()
		}
		d.Functions[r.fn.Label] = rec
		return nil
	})
}
