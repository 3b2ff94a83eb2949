package executor

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdas-dev/lambdas/executor/shift"
	"github.com/lambdas-dev/lambdas/planner/plan"
	"github.com/lambdas-dev/lambdas/state"
)

// How an apply waits for a canary or linear rollout (Options.Rollout).
const (
	// RolloutWait goes through every step in the apply (the default).
	RolloutWait = "wait"
	// RolloutStart takes the first step and leaves the others to
	// lambdas promote.
	RolloutStart = "start"
)

// Results of a function with a rollout.
const (
	// StatusRollingOut: the rollout is in flight (apply --rollout=start, or
	// an interrupted wait); lambdas promote takes it on.
	StatusRollingOut = "rolling out"
	// StatusRolledBack: an alarm, a failed smoke test (its own or a group
	// member's) or a member that could not move put the old version back
	// alone; Error says why.
	StatusRolledBack = "rolled back"
	// statusPrepared: the new version is verified, and the alias waits for
	// the shift phase (a rollout, or a group). Never in a Result.
	statusPrepared = "prepared"
)

// Event kinds of rollouts.
const (
	EventShift      = "shift"       // weights changed; Message says to what, and when the next step is
	EventRolledBack = "rolled-back" // the old version alone again; Message says why
)

// RolloutResult is where a function's rollout stands.
type RolloutResult struct {
	ID         string    `json:"id"`
	Group      string    `json:"group,omitempty"`
	OldVersion string    `json:"old_version"`
	NewVersion string    `json:"new_version"`
	Weight     float64   `json:"weight"`
	Step       int       `json:"step"`
	Steps      []float64 `json:"steps"`
	NextAt     time.Time `json:"next_at,omitzero"`
}

// rolledBackError ends a release whose new version must not take traffic
// (a failed smoke test): recorded as rolled back, not as failed.
type rolledBackError struct{ reason string }

func (e *rolledBackError) Error() string { return e.reason }

// shifts reports whether the alias move of r waits for the shift phase:
// a canary or linear move of a new version, a rollout group, or the
// resumption of a rollout in flight.
func (e *Executor) shifts(r *release) bool {
	if !newVersionMove(r) {
		return false
	}
	a := r.plan.Step(plan.StepMoveAlias).Alias
	return a.Gradual() || a.Group != "" || r.resumeRollout != ""
}

// newVersionMove reports whether r moves its alias to a version it makes
// (not an alias-only move back to a released one, which is done at once).
func newVersionMove(r *release) bool {
	s := r.plan.Step(plan.StepMoveAlias)
	if s == nil || s.Alias == nil || s.Alias.Version != "" {
		return false
	}
	return r.plan.HasStep(plan.StepUpdateCode) || r.plan.HasStep(plan.StepPublishVersion)
}

// engine is the rollout state machine, wired to this apply's clients, its
// waits and its interruption.
func (e *Executor) engine() *shift.Engine {
	return NewEngine(e.lambda, e.cw, e.state, e.opts.Reporter, e.opts.AlarmPoll, e.opts.Parallelism)
}

// NewEngine returns a rollout engine that calls through the paced clients
// (cw may be nil when no rollout has alarms), waits as an apply waits (a
// signal cuts a wait short and starts nothing new) and reports to rep.
func NewEngine(l *Lambda, cw *CloudWatch, sm *state.Manager, rep Reporter, poll time.Duration, parallelism int) *shift.Engine {
	if rep == nil {
		rep = ReporterFunc(func(Event) {})
	}
	eng := &shift.Engine{Lambda: l, State: sm, Sleep: sleep, Stopped: stopped, Poll: poll, Parallelism: parallelism,
		Report: func(ev shift.Event) {
			kind := map[string]string{shift.KindShift: EventShift, shift.KindReleased: EventReleased, shift.KindRolledBack: EventRolledBack, shift.KindWait: EventNote, shift.KindWarn: EventWarn}[ev.Kind]
			rep.Report(Event{Time: ev.Time, Function: ev.Function, Step: string(plan.StepMoveAlias), Kind: kind, Message: ev.Message})
		}}
	if cw != nil {
		eng.Alarms = cw
	}
	return eng
}

// beforeRelease deals with a rollout in flight of the function: the same
// release resumes it; another is refused unless Options.Supersede, which
// rolls the rollout (and its whole group) back first.
func (e *Executor) beforeRelease(ctx context.Context, r *release) error {
	if r.prev == nil || !r.prev.Rollout.InProgress() {
		return nil
	}
	ro := r.prev.Rollout
	if in := r.prev.InFlight; in != nil && in.Version == ro.NewVersion && in.CodeFingerprint == r.plan.CodeFingerprint && in.DepsFingerprint == r.plan.DepsFingerprint {
		r.resumeRollout = ro.ID
		e.report(r, plan.StepMoveAlias, EventNote, fmt.Sprintf("the rollout of version %s started before (%s now) goes on", ro.NewVersion, shift.Percent(ro.Weight*100)))
		return nil
	}
	if !e.opts.Supersede {
		return fmt.Errorf("a rollout of version %s is in flight (%s of the traffic, step %d of %d); lambdas promote finishes it, lambdas rollback undoes it, or apply --supersede rolls it back and releases this one",
			ro.NewVersion, shift.Percent(ro.Weight*100), ro.Step, len(ro.Steps))
	}
	what := "the rollout"
	if ro.Group != "" {
		what = "the rollout of group " + ro.Group
	}
	e.report(r, plan.StepMoveAlias, EventNote, fmt.Sprintf("--supersede: rolling back %s of version %s first", what, ro.NewVersion))
	if _, err := e.engine().Rollback(ctx, shift.AdvanceOptions{IDs: []string{ro.ID}}, "superseded by a new release of "+r.fn.Label); err != nil {
		return fmt.Errorf("roll back the rollout in flight (--supersede): %w", err)
	}
	r.prev = e.state.Snapshot().Functions[r.fn.Label]
	return nil
}

// smokeTest invokes the new version with the manifest's payload before it
// takes any traffic. A function error, or an answer that does not match
// expect, ends the release rolled back: no traffic moved.
func (e *Executor) smokeTest(ctx context.Context, r *release) error {
	s := r.plan.Step(plan.StepSmokeTest)
	if s == nil || s.Smoke == nil {
		return skip("no smoke test")
	}
	if r.version == "" || r.version == "$LATEST" {
		return fmt.Errorf("no published version to test")
	}
	if p := r.prev; p != nil && p.InFlight != nil && p.InFlight.Version == r.version && p.InFlight.Done[string(plan.StepSmokeTest)] != "" {
		return skip("version %s passed its smoke test before the interruption", r.version)
	}
	var expect *regexp.Regexp
	if s.Smoke.Expect != "" {
		var err error
		if expect, err = regexp.Compile(s.Smoke.Expect); err != nil {
			return fmt.Errorf("smoke test: expect %q: %w", s.Smoke.Expect, err)
		}
	}
	out, err := e.lambda.Invoke(ctx, &lambda.InvokeInput{
		FunctionName: aws.String(r.fn.Name), Qualifier: aws.String(r.version),
		Payload: []byte(s.Smoke.Payload), LogType: types.LogTypeTail,
	})
	if err != nil {
		return fmt.Errorf("smoke test: invoke version %s: %w", r.version, err)
	}
	r.smokeAnswer = excerpt(out.Payload)
	if fe := aws.ToString(out.FunctionError); fe != "" {
		return e.smokeFailed(ctx, r, fmt.Sprintf("smoke test of version %s failed: function error (%s): %s", r.version, fe, r.smokeAnswer))
	}
	if expect != nil && !expect.Match(out.Payload) {
		return e.smokeFailed(ctx, r, fmt.Sprintf("smoke test of version %s failed: the answer %s does not match %q", r.version, r.smokeAnswer, s.Smoke.Expect))
	}
	return nil
}

// smokeFailed records the release as rolled back before any traffic moved.
func (e *Executor) smokeFailed(ctx context.Context, r *release, why string) error {
	why += "; no traffic was shifted"
	if err := e.markRolledBack(ctx, r, why); err != nil {
		return err
	}
	return &rolledBackError{why}
}

// markRolledBack records that r's new version took no traffic and will not.
func (e *Executor) markRolledBack(ctx context.Context, r *release, why string) error {
	now := time.Now().UTC()
	a := r.plan.Step(plan.StepMoveAlias)
	return e.state.Update(context.WithoutCancel(ctx), func(d *state.Document) error {
		f := d.Functions[r.fn.Label]
		if f == nil {
			f = &state.Function{FunctionName: r.fn.Name}
			d.Functions[r.fn.Label] = f
		}
		ro := &state.Rollout{ID: "none", Status: state.RolloutRolledBack, Alias: r.fn.Alias, Strategy: plan.AllAtOnce, Steps: []float64{100},
			OldVersion: f.Version, NewVersion: r.version, CodeSha256: r.expectedSha(), StartedAt: now, UpdatedAt: now, EndedAt: now, Reason: why}
		if a != nil && a.Alias != nil {
			ro.Strategy, ro.Group, ro.Alarms = a.Alias.Strategy, a.Alias.Group, a.Alias.Alarms
			if a.Alias.Gradual() {
				ro.Steps, ro.Interval = a.Alias.Steps, a.Alias.IntervalDuration()
			}
		}
		f.Rollout = ro
		return nil
	})
}

func excerpt(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		cut := 300
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	if s == "" {
		return "(empty)"
	}
	return s
}

// unit is what moves together: one function, or a rollout group.
type unit struct {
	name    string // "group G" or the function's label
	group   string
	members []int // indexes into work
}

// shiftPhase moves the aliases that waited for it: for each group (or
// function on its own), once every member has a published, verified
// version, the rollout starts: every member's alarms are read, then every
// alias takes the first step together. A member that failed leaves every
// member on its old version. With RolloutWait the rollouts are then
// driven to their end, waiting through the intervals.
func (e *Executor) shiftPhase(ctx context.Context, work []*release, results []FunctionResult) {
	byName := map[string]*unit{}
	var units []*unit
	for i, r := range work {
		s := r.plan.Step(plan.StepMoveAlias)
		name, group := r.fn.Label, ""
		if s != nil && s.Alias != nil && s.Alias.Group != "" && newVersionMove(r) {
			group = s.Alias.Group
			name = "group " + group
		} else if !r.deferred {
			continue
		}
		u := byName[name]
		if u == nil {
			u = &unit{name: name, group: group}
			byName[name] = u
			units = append(units, u)
		}
		u.members = append(u.members, i)
	}
	sort.Slice(units, func(i, j int) bool { return units[i].name < units[j].name })
	var wait []string
	for _, u := range units {
		if id := e.shiftUnit(ctx, u, work, results); id != "" {
			wait = append(wait, id)
		}
	}
	if len(wait) > 0 && e.opts.Rollout != RolloutStart && !stopped(ctx) {
		if _, err := e.engine().Advance(ctx, shift.AdvanceOptions{IDs: wait, Wait: true}); err != nil && !shift.IsInterrupted(err) {
			for _, i := range deferredOf(units, work) {
				if results[i].Status == statusPrepared {
					results[i].Error = err.Error()
				}
			}
		}
	}
	e.rolloutResults(work, results)
}

func deferredOf(units []*unit, work []*release) []int {
	var out []int
	for _, u := range units {
		for _, i := range u.members {
			if work[i].deferred {
				out = append(out, i)
			}
		}
	}
	return out
}

// shiftUnit starts (or resumes) the rollout of one unit and returns its
// ID, "" when nothing is in flight.
func (e *Executor) shiftUnit(ctx context.Context, u *unit, work []*release, results []FunctionResult) string {
	if stopped(ctx) {
		for _, i := range u.members {
			if work[i].deferred {
				results[i] = e.endShift(work[i], results[i], StatusInterrupted, "interrupted before the alias moved; rerun lambdas apply to resume")
			}
		}
		return ""
	}
	var failed, smokeFailed []string
	for _, i := range u.members {
		if !work[i].deferred {
			failed = append(failed, fmt.Sprintf("%s (%s)", work[i].fn.Label, results[i].Status))
			if results[i].Status == StatusRolledBack {
				smokeFailed = append(smokeFailed, work[i].fn.Label)
			}
		}
	}
	if len(failed) > 0 {
		for _, i := range u.members {
			r := work[i]
			if !r.deferred {
				continue
			}
			if len(smokeFailed) > 0 {
				why := fmt.Sprintf("rollout group %s: the smoke test of %s failed; no member takes traffic", u.group, strings.Join(smokeFailed, ", "))
				if err := e.markRolledBack(ctx, r, why); err != nil {
					why += " (recording it failed: " + err.Error() + ")"
				}
				results[i] = e.endShift(r, results[i], StatusRolledBack, why)
				continue
			}
			results[i] = e.endShift(r, results[i], StatusFailed, fmt.Sprintf("not shifted: rollout group %s has members not released (%s); every member stays on its old version (the new one is published and verified: rerun lambdas apply to resume)", u.group, strings.Join(failed, ", ")))
		}
		return ""
	}
	// The state may have moved since the pipelines read it: another
	// member's --supersede rolled back the rollout this one would resume.
	d := e.state.Snapshot()
	resume, fresh := "", false
	for _, i := range u.members {
		r := work[i]
		r.prev = d.Functions[r.fn.Label]
		if ro := r.prev.Rollout; r.resumeRollout != "" && (!ro.InProgress() || ro.ID != r.resumeRollout || ro.NewVersion != r.version) {
			r.resumeRollout = ""
		}
		if r.resumeRollout != "" {
			resume = r.resumeRollout
		} else {
			fresh = true
		}
	}
	if resume != "" && fresh {
		// New members join a group whose rollout is in flight: it starts
		// again, all together.
		if _, err := e.engine().Rollback(ctx, shift.AdvanceOptions{IDs: []string{resume}}, "restarted with the other members of "+u.name); err != nil {
			for _, i := range u.members {
				results[i] = e.endShift(work[i], results[i], StatusFailed, fmt.Sprintf("restart the rollout of %s: %v", u.name, err))
			}
			return ""
		}
		d = e.state.Snapshot()
		for _, i := range u.members {
			work[i].resumeRollout, work[i].prev = "", d.Functions[work[i].fn.Label]
		}
		resume = ""
	}
	var members []shift.Member
	var atOnce []int
	for _, i := range u.members {
		r := work[i]
		if r.resumeRollout != "" {
			continue
		}
		m, gradual, err := e.member(ctx, r)
		if err != nil {
			for _, j := range u.members {
				results[j] = e.endShift(work[j], results[j], StatusFailed, fmt.Sprintf("%s: %v; no alias of %s moved", r.fn.Label, err, u.name))
			}
			return ""
		}
		if gradual {
			members = append(members, m)
		} else {
			atOnce = append(atOnce, i)
		}
	}
	id := resume
	if len(members) > 0 {
		var err error
		id, err = e.engine().Start(ctx, members)
		switch {
		case errors.Is(err, shift.ErrRolledBack):
			// the results say it (rolloutResults)
		case err != nil && stopped(ctx):
		case err != nil:
			for _, i := range u.members {
				results[i] = e.endShift(work[i], results[i], StatusFailed, fmt.Sprintf("start the rollout of %s: %v", u.name, err))
			}
			return ""
		}
		if err != nil {
			atOnce = nil // the group did not start: nothing moves at once either
		}
	}
	// A first release (no version to shift from) moves at once, once the
	// group's rollout has started.
	for _, i := range atOnce {
		r := work[i]
		t := time.Now()
		err := e.moveAlias(withCallSite(ctx, r.fn.Label, string(plan.StepMoveAlias)), r)
		var sk errSkip
		if err != nil && !errors.As(err, &sk) {
			results[i] = e.endShift(r, results[i], StatusFailed, fmt.Sprintf("%s: move-alias: %v", r.fn.Label, err))
			continue
		}
		e.reportElapsed(r, plan.StepMoveAlias, EventDone, e.doneMessage(r, plan.StepMoveAlias)+" (at once: nothing to shift from)", time.Since(t))
		if err := e.recordRelease(ctx, r); err != nil {
			results[i] = e.endShift(r, results[i], StatusFailed, fmt.Sprintf("%s: record state: %v", r.fn.Label, err))
			continue
		}
		r.deferred = false
		results[i] = e.endShift(r, results[i], StatusReleased, "")
		e.reportElapsed(r, "", EventReleased, fmt.Sprintf("%s → version %s", r.fn.Alias, r.version), results[i].Duration)
	}
	return id
}

// member is r's part of a rollout: the version the alias serves now is the
// old one. It is not gradual (moves at once) for a function this release
// created, one without an alias yet or already on the new version, and a
// group member whose own strategy is all-at-once.
func (e *Executor) member(ctx context.Context, r *release) (shift.Member, bool, error) {
	a := r.plan.Step(plan.StepMoveAlias).Alias
	m := shift.Member{Label: r.fn.Label, FunctionName: r.fn.Name, Alias: r.fn.Alias, NewVersion: r.version, CodeSha256: r.expectedSha(),
		Strategy: a.Strategy, Steps: a.Steps, Interval: a.IntervalDuration(), Alarms: a.Alarms, Group: a.Group}
	if r.created || !a.Gradual() {
		return m, false, nil
	}
	if r.version == "" || r.verified != r.version {
		return m, false, fmt.Errorf("version %q is not verified", r.version)
	}
	if p := r.prev; p != nil && p.Alias == r.fn.Alias && p.Version != "" && r.knownAliasRevision() != "" {
		m.OldVersion, m.AliasRevisionID = p.Version, r.knownAliasRevision()
	} else {
		got, err := e.lambda.GetAlias(withCallSite(ctx, r.fn.Label, string(plan.StepMoveAlias)), &lambda.GetAliasInput{FunctionName: aws.String(r.fn.Name), Name: aws.String(r.fn.Alias)})
		if isNotFound(err) {
			return m, false, nil // a first release: created at once
		}
		if err != nil {
			return m, false, fmt.Errorf("read alias %s: %w", r.fn.Alias, err)
		}
		m.OldVersion, m.AliasRevisionID = aws.ToString(got.FunctionVersion), aws.ToString(got.RevisionId)
	}
	if m.OldVersion == r.version || m.OldVersion == "" || m.OldVersion == "$LATEST" {
		return m, false, nil
	}
	return m, true, nil
}

// endShift is the result of a deferred release.
func (e *Executor) endShift(r *release, res FunctionResult, status, msg string) FunctionResult {
	res.Status, res.Error = status, msg
	if status != StatusReleased && msg != "" {
		kind := EventFail
		switch status {
		case StatusRolledBack:
			kind = EventRolledBack
		case StatusInterrupted:
			kind = EventInterrupted
		}
		e.report(r, plan.StepMoveAlias, kind, r.fn.Label+": "+msg)
	}
	return res
}

// rolloutResults says, for every release still waiting on its rollout,
// where the rollout stands.
func (e *Executor) rolloutResults(work []*release, results []FunctionResult) {
	d := e.state.Snapshot()
	for i, r := range work {
		if !r.deferred || results[i].Status != statusPrepared {
			continue
		}
		f := d.Functions[r.fn.Label]
		var ro *state.Rollout
		if f != nil {
			ro = f.Rollout
		}
		if ro == nil || ro.NewVersion != r.version {
			results[i].Status = StatusFailed
			if results[i].Error == "" {
				results[i].Error = "the rollout did not start"
			}
			continue
		}
		results[i].Rollout = &RolloutResult{ID: ro.ID, Group: ro.Group, OldVersion: ro.OldVersion, NewVersion: ro.NewVersion, Weight: ro.Weight, Step: ro.Step, Steps: ro.Steps, NextAt: ro.NextAt}
		switch ro.Status {
		case state.RolloutCompleted:
			results[i].Status, results[i].Error = StatusReleased, ""
		case state.RolloutRolledBack:
			results[i].Status, results[i].Error = StatusRolledBack, ro.Reason
		default:
			results[i].Status = StatusRollingOut
			if next, ok := ro.NextStep(); ok {
				results[i].Error = fmt.Sprintf("%s on version %s; next step %s at %s (lambdas promote)", shift.Percent(ro.Weight*100), ro.NewVersion, shift.Percent(next), ro.NextAt.Local().Format("15:04:05"))
			}
		}
	}
}

// prepared is the result of a release whose new version is published and
// verified and whose alias waits for the shift phase.
func (e *Executor) prepared(r *release, res FunctionResult, start time.Time) FunctionResult {
	r.deferred = true
	res.Status, res.Version, res.Skipped, res.Drift = statusPrepared, r.version, r.skipped, r.drift
	if r.zip != nil {
		res.CodeSha256 = r.zip.CodeSha256
	} else if r.prev != nil {
		res.CodeSha256 = r.prev.CodeSha256
	}
	res.Duration = time.Since(start)
	return res
}

// Graceful returns the context a command that moves aliases works under
// (promote, rollback): a signal on ctx stops anything new from starting,
// and the calls under way get Grace to finish and be recorded.
func Graceful(ctx context.Context) (context.Context, context.CancelFunc) {
	return graceful(ctx, Grace)
}
