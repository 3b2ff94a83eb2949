// Package shift moves aliases from an old version to a new one in weighted
// steps, as CodeDeploy does for Lambda, without CodeDeploy: a canary or a
// linear rollout is a list of steps (percentages of traffic on the new
// version, the last 100) taken one interval apart, each gated by
// CloudWatch alarms; an alarm in ALARM rolls the alias back to the old
// version alone. The members of a rollout group move together: each step
// shifts every member, and trouble with any member rolls back every one.
//
// Every rollout lives in the state (state.Rollout) from its first step on,
// so that it survives the process that started it: a blocking apply waits
// through the intervals itself, and lambdas promote, run on a schedule,
// takes each step that is due. The engine is a state machine over those
// records; the clients it calls are interfaces (the paced Lambda and
// CloudWatch clients of the executor satisfy them), and so are the clock
// and the waits, so that unit tests run it against fakes.
package shift

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"github.com/lambdas-dev/lambdas/state"
)

// LambdaAPI is the part of the Lambda client a rollout uses: one
// UpdateAlias per function per step (the control-plane bucket), GetAlias
// only when a move is refused because someone else moved the alias, and
// GetFunction to check the version a rollback by hand goes to.
type LambdaAPI interface {
	GetFunction(context.Context, *lambda.GetFunctionInput, ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error)
	GetAlias(context.Context, *lambda.GetAliasInput, ...func(*lambda.Options)) (*lambda.GetAliasOutput, error)
	UpdateAlias(context.Context, *lambda.UpdateAliasInput, ...func(*lambda.Options)) (*lambda.UpdateAliasOutput, error)
}

// AlarmsAPI is the part of the CloudWatch client the gates use.
type AlarmsAPI interface {
	DescribeAlarms(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

// Event kinds.
const (
	KindShift      = "shift"       // weights changed; Message says to what, and when the next step is
	KindReleased   = "released"    // the last step: the new version alone
	KindRolledBack = "rolled-back" // the old version alone again; Message says why
	KindWait       = "wait"        // waiting for the next step
	KindWarn       = "warn"
)

// Event is something a rollout did, for the progress views.
type Event struct {
	Time     time.Time
	Function string // the manifest label
	Kind     string
	Message  string
}

// Engine runs rollouts.
type Engine struct {
	Lambda LambdaAPI
	// Alarms may be nil when no rollout names alarms.
	Alarms AlarmsAPI
	State  *state.Manager
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Sleep waits d, or returns an error when the wait is cut short
	// (interrupted); default: a timer and ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	// Stopped reports whether nothing new may start (the apply was told
	// to stop); default: ctx.Err() != nil.
	Stopped func(ctx context.Context) bool
	Report  func(Event)
	// Poll is how often alarms are read while waiting for the next step;
	// 0: a quarter of the shortest interval, between 200 ms and 10 s.
	Poll time.Duration
	// Parallelism bounds the aliases moved at once (default 10); the
	// paced client keeps the calls within their quota whatever it is.
	Parallelism int
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Engine) stopped(ctx context.Context) bool {
	if e.Stopped != nil {
		return e.Stopped(ctx)
	}
	return ctx.Err() != nil
}

func (e *Engine) sleep(ctx context.Context, d time.Duration) error {
	if e.Sleep != nil {
		return e.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *Engine) report(fn, kind, msg string) {
	if e.Report != nil {
		e.Report(Event{Time: e.now(), Function: fn, Kind: kind, Message: msg})
	}
}

func (e *Engine) parallelism() int {
	if e.Parallelism > 0 {
		return e.Parallelism
	}
	return 10
}

// Member is one function of a rollout about to start.
type Member struct {
	Label        string // the manifest label: the state's key
	FunctionName string
	Alias        string
	// OldVersion serves the traffic now; NewVersion is published and
	// verified (Active, the package's CodeSha256).
	OldVersion, NewVersion string
	CodeSha256             string
	// AliasRevisionID guards the first move ("" when unknown: unguarded).
	AliasRevisionID string
	Strategy        string
	Steps           []float64
	Interval        time.Duration
	Alarms          []string
	Group           string
}

// ErrRolledBack says that a rollout ended on the old version.
var ErrRolledBack = errors.New("rolled back")

// CheckRouting refuses routing that AWS refuses (and emulators accept):
// the primary a published version, at most one additional version, also
// published and not the primary, its weight within [0, 1].
func CheckRouting(primary string, weights map[string]float64) error {
	if !published(primary) {
		return fmt.Errorf("alias target %q is not a published version", primary)
	}
	if len(weights) > 1 {
		return fmt.Errorf("%d additional versions; an alias routes to at most one besides its own", len(weights))
	}
	for v, w := range weights {
		switch {
		case !published(v):
			return fmt.Errorf("additional version %q is not a published version", v)
		case v == primary:
			return fmt.Errorf("additional version %s is the alias's own version", v)
		case math.IsNaN(w) || w < 0 || w > 1:
			return fmt.Errorf("weight %v of version %s is outside [0, 1]", w, v)
		}
	}
	return nil
}

func published(v string) bool {
	n, err := strconv.ParseUint(v, 10, 64)
	return err == nil && n > 0 && v == strconv.FormatUint(n, 10)
}

func checkSteps(steps []float64) error {
	if len(steps) == 0 || steps[len(steps)-1] != 100 {
		return fmt.Errorf("steps %v do not end at 100", steps)
	}
	prev := 0.0
	for _, s := range steps {
		if s <= prev || s > 100 {
			return fmt.Errorf("steps %v do not rise from above 0 to 100", steps)
		}
		prev = s
	}
	return nil
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Start records a rollout of the members (one group, one ID) and takes its
// first step: the alarms of every member are read, and then every alias
// gets the first weight (or, for steps = [100], the new version alone). It
// returns the rollout's ID. An alarm in ALARM (or missing) ends it at
// once, rolled back, before any traffic moved; the error then wraps
// ErrRolledBack.
func (e *Engine) Start(ctx context.Context, members []Member) (string, error) {
	if len(members) == 0 {
		return "", nil
	}
	for _, m := range members {
		if err := checkSteps(m.Steps); err != nil {
			return "", fmt.Errorf("%s: %w", m.Label, err)
		}
		if err := CheckRouting(m.OldVersion, map[string]float64{m.NewVersion: 0}); err != nil {
			return "", fmt.Errorf("%s: cannot shift from version %s to %s: %w", m.Label, m.OldVersion, m.NewVersion, err)
		}
	}
	id := newID()
	now := e.now().UTC()
	draft := &group{id: id, records: map[string]*state.Function{}}
	for _, m := range members {
		draft.labels = append(draft.labels, m.Label)
		draft.records[m.Label] = &state.Function{FunctionName: m.FunctionName, Rollout: &state.Rollout{
			ID: id, Status: state.RolloutInProgress, Group: m.Group, Alias: m.Alias,
			Strategy: m.Strategy, Steps: append([]float64(nil), m.Steps...), Interval: m.Interval, Alarms: append([]string(nil), m.Alarms...),
			OldVersion: m.OldVersion, NewVersion: m.NewVersion, CodeSha256: m.CodeSha256,
			AliasRevisionID: m.AliasRevisionID, NextAt: now, StartedAt: now, UpdatedAt: now,
		}}
	}
	sort.Strings(draft.labels)
	// The gates first: a rollout whose alarms cannot be read is not
	// started, and one whose alarm fires is over before it began.
	alarms, err := e.readAlarms(ctx, []*group{draft})
	if err != nil {
		return "", fmt.Errorf("read the alarms that gate the rollout (nothing shifted): %w", err)
	}
	err = e.State.Update(context.WithoutCancel(ctx), func(d *state.Document) error {
		for _, m := range members {
			f := d.Functions[m.Label]
			if f == nil {
				f = &state.Function{FunctionName: m.FunctionName}
				d.Functions[m.Label] = f
			}
			ro := *draft.records[m.Label].Rollout
			f.Rollout = &ro
		}
		return nil
	})
	if err == nil {
		// Stored before any alias moves (a batched S3 state only stages
		// an Update): a crash after the first move finds the rollout.
		err = e.flush(ctx)
	}
	if err != nil {
		return "", err
	}
	g := e.reload(draft)
	if why := gateFailure(g, alarms); why != "" {
		// Nothing of this rollout has moved: its records are only marked.
		if err := e.rollbackGroupRecords(ctx, g, why+"; no traffic was shifted", false); err != nil {
			return id, err
		}
		return id, fmt.Errorf("%w: %s; no traffic was shifted", ErrRolledBack, why)
	}
	if err := e.stepGroup(ctx, g, 1); err != nil {
		if g := e.reload(g); g.first().Status == state.RolloutRolledBack {
			return id, fmt.Errorf("%w: %v", ErrRolledBack, err)
		}
		return id, err
	}
	return id, nil
}

// AdvanceOptions select the rollouts a pass looks at and how long it goes on.
type AdvanceOptions struct {
	// IDs of the rollouts; none: every rollout in progress.
	IDs []string
	// Labels narrows to the rollouts with any of these functions (a whole
	// group moves with any of its members); none: all.
	Labels []string
	// Wait goes on until every selected rollout has ended, taking each
	// step when it is due and reading the alarms every Poll meanwhile;
	// without it, one pass: each step that is due is taken, once.
	Wait bool
}

// GroupResult is where one rollout stands after a pass.
type GroupResult struct {
	ID      string
	Group   string
	Members []string // labels, sorted
	Status  string   // state.Rollout* of the rollout as a whole
	Step    int
	Steps   []float64
	Weight  float64
	NextAt  time.Time
	Reason  string
	// Moved: this pass took a step of it (or rolled it back).
	Moved bool
}

// AdvanceResult is the outcome of Advance.
type AdvanceResult struct {
	Rollouts map[string]*GroupResult // by ID
}

// IDs returns the rollouts' IDs, sorted.
func (r *AdvanceResult) IDs() []string {
	ids := make([]string, 0, len(r.Rollouts))
	for id := range r.Rollouts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// group is one rollout's members as the state has them.
type group struct {
	id      string
	name    string
	labels  []string
	records map[string]*state.Function
}

func (g *group) rollout(label string) *state.Rollout { return g.records[label].Rollout }

// first is any member's rollout: the fields every member shares (steps,
// interval, group) are read from it.
func (g *group) first() *state.Rollout { return g.rollout(g.labels[0]) }

// step is how far the group got: its members' most advanced step (a
// crash in the middle of a step leaves some behind, to catch up).
func (g *group) step() int {
	n := 0
	for _, l := range g.labels {
		n = max(n, g.rollout(l).Step)
	}
	return n
}

func (g *group) nextAt() time.Time {
	var t time.Time
	for _, l := range g.labels {
		if at := g.rollout(l).NextAt; at.After(t) {
			t = at
		}
	}
	return t
}

// groups collects the rollouts in progress that o selects.
func groups(d *state.Document, o AdvanceOptions) []*group {
	byID := map[string]*group{}
	for _, label := range d.Labels() {
		f := d.Functions[label]
		if !f.Rollout.InProgress() {
			continue
		}
		id := f.Rollout.ID
		g := byID[id]
		if g == nil {
			g = &group{id: id, name: f.Rollout.Group, records: map[string]*state.Function{}}
			byID[id] = g
		}
		g.labels = append(g.labels, label)
		g.records[label] = f
	}
	want := func(g *group) bool {
		if len(o.IDs) > 0 && !slices.Contains(o.IDs, g.id) {
			return false
		}
		if len(o.Labels) == 0 {
			return true
		}
		for _, l := range g.labels {
			if slices.Contains(o.Labels, l) {
				return true
			}
		}
		return false
	}
	var out []*group
	for _, g := range byID {
		if want(g) {
			out = append(out, g)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// Advance takes the steps that are due: for each selected rollout, the
// alarms of all its members are read (one DescribeAlarms for up to 100
// alarms of all rollouts together); an alarm in ALARM, or one that does
// not exist, rolls every member back; members left behind by an
// interrupted step catch up; and once the interval since the last step has
// passed, every member takes the next step, the last one leaving the new
// version alone and making it the function's release. It is idempotent: a
// step that is not due is not taken, so two passes in a row take one step.
// With Wait it goes on until every selected rollout has ended, or the
// context ends (then the rollouts stay where they are, resumable).
func (e *Engine) Advance(ctx context.Context, o AdvanceOptions) (*AdvanceResult, error) {
	res := &AdvanceResult{Rollouts: map[string]*GroupResult{}}
	var deadline time.Time
	for pass := 0; ; pass++ {
		gs := groups(e.State.Snapshot(), o)
		if pass == 0 {
			deadline = waitBound(gs, e.now())
			if len(o.IDs) == 0 {
				// Later passes follow the rollouts found now, not ones
				// started meanwhile by someone else.
				for _, g := range gs {
					o.IDs = append(o.IDs, g.id)
				}
				if len(o.IDs) == 0 {
					return res, nil
				}
			}
		}
		if err := e.pass(ctx, gs, res); err != nil {
			e.finish(res, o)
			return res, err
		}
		e.finish(res, o)
		if !o.Wait || len(inProgress(res)) == 0 {
			return res, nil
		}
		if e.stopped(ctx) {
			return res, interrupted(ctx)
		}
		now := e.now()
		if now.After(deadline) {
			return res, fmt.Errorf("rollouts %s did not end by %s, the end of their schedule with time to spare; they stay where they are (lambdas promote takes them on)", strings.Join(inProgress(res), ", "), deadline.Format(time.RFC3339))
		}
		wait := e.pollEvery(gs)
		for _, g := range gs {
			if g := res.Rollouts[g.id]; g != nil && g.Status == state.RolloutInProgress {
				if d := g.NextAt.Sub(now); d < wait {
					wait = d
				}
			}
		}
		if err := e.sleep(ctx, max(wait, 10*time.Millisecond)); err != nil {
			return res, interrupted(ctx)
		}
	}
}

func interrupted(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: the rollouts stay where they are", err)
	}
	return errInterrupted
}

// errInterrupted: told to stop while waiting.
var errInterrupted = errors.New("interrupted: the rollouts stay where they are")

// IsInterrupted reports whether Advance stopped because it was told to.
func IsInterrupted(err error) bool {
	return errors.Is(err, errInterrupted) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

func inProgress(res *AdvanceResult) []string {
	var out []string
	for _, id := range res.IDs() {
		if res.Rollouts[id].Status == state.RolloutInProgress {
			out = append(out, id)
		}
	}
	return out
}

// waitBound is when a wait for the rollouts gives up: the last one's
// remaining schedule, and ten minutes more (steps can be slowed by retries).
func waitBound(gs []*group, now time.Time) time.Time {
	end := now
	for _, g := range gs {
		ro := g.first()
		left := time.Duration(len(ro.Steps)-g.step()) * ro.Interval
		if t := g.nextAt().Add(left); t.After(end) {
			end = t
		}
	}
	return end.Add(10 * time.Minute)
}

func (e *Engine) pollEvery(gs []*group) time.Duration {
	if e.Poll > 0 {
		return e.Poll
	}
	shortest := 10 * time.Second * 4
	for _, g := range gs {
		if iv := g.first().Interval; iv > 0 && iv < shortest {
			shortest = iv
		}
	}
	return min(max(shortest/4, 200*time.Millisecond), 10*time.Second)
}

// finish fills res with where the selected rollouts stand now.
func (e *Engine) finish(res *AdvanceResult, o AdvanceOptions) {
	d := e.State.Snapshot()
	for _, id := range o.IDs {
		var labels []string
		var ro *state.Rollout
		status := ""
		for _, label := range d.Labels() {
			f := d.Functions[label]
			if f.Rollout == nil || f.Rollout.ID != id {
				continue
			}
			labels = append(labels, label)
			r := f.Rollout
			switch {
			case ro == nil:
				ro = r
			case r.Step > ro.Step:
				ro = r
			}
			// rolled back wins over in progress, in progress over completed
			switch {
			case r.Status == state.RolloutRolledBack:
				status = r.Status
			case r.Status == state.RolloutInProgress && status != state.RolloutRolledBack:
				status = r.Status
			case status == "":
				status = r.Status
			}
		}
		if ro == nil {
			continue
		}
		g := res.Rollouts[id]
		if g == nil {
			g = &GroupResult{ID: id}
			res.Rollouts[id] = g
		}
		g.Group, g.Members, g.Status, g.Step, g.Steps, g.Weight, g.NextAt = ro.Group, labels, status, ro.Step, ro.Steps, ro.Weight, ro.NextAt
		if status == state.RolloutRolledBack {
			for _, label := range labels {
				if r := d.Functions[label].Rollout; r.Reason != "" {
					g.Reason = r.Reason
					break
				}
			}
		}
	}
}

// pass looks at each rollout once.
func (e *Engine) pass(ctx context.Context, gs []*group, res *AdvanceResult) error {
	if len(gs) == 0 {
		return nil
	}
	alarms, err := e.readAlarms(ctx, gs)
	if err != nil {
		if e.stopped(ctx) {
			return interrupted(ctx)
		}
		// Without the alarms no step is safe to take; nor is a rollback
		// called for: the rollouts stay where they are.
		return fmt.Errorf("read the alarms that gate the rollouts (nothing moved): %w", err)
	}
	var errs []error
	for _, g := range gs {
		if e.stopped(ctx) {
			return interrupted(ctx)
		}
		if why := gateFailure(g, alarms); why != "" {
			if err := e.rollbackGroup(ctx, g, why); err != nil {
				errs = append(errs, err)
			}
			markMoved(res, g.id)
			continue
		}
		now := e.now()
		target := g.step()
		behind := false
		for _, l := range g.labels {
			if g.rollout(l).Step < target {
				behind = true
			}
		}
		if !behind && (target == 0 || !now.Before(g.nextAt())) {
			target++
		}
		if target > len(g.first().Steps) {
			continue // done already (cannot happen for a rollout in progress)
		}
		if !behind && target == g.step() {
			continue // not due
		}
		if err := e.stepGroup(ctx, g, target); err != nil {
			if e.stopped(ctx) {
				return interrupted(ctx)
			}
			errs = append(errs, err)
		}
		markMoved(res, g.id)
	}
	return errors.Join(errs...)
}

func markMoved(res *AdvanceResult, id string) {
	g := res.Rollouts[id]
	if g == nil {
		g = &GroupResult{ID: id}
		res.Rollouts[id] = g
	}
	g.Moved = true
}

// alarmState is what DescribeAlarms said of one alarm.
type alarmState struct {
	value  string // OK, ALARM, INSUFFICIENT_DATA
	reason string
}

// readAlarms reads every alarm of every rollout in gs, 100 names a call.
func (e *Engine) readAlarms(ctx context.Context, gs []*group) (map[string]alarmState, error) {
	var names []string
	seen := map[string]bool{}
	for _, g := range gs {
		for _, l := range g.labels {
			for _, a := range g.rollout(l).Alarms {
				if !seen[a] {
					seen[a] = true
					names = append(names, a)
				}
			}
		}
	}
	out := map[string]alarmState{}
	if len(names) == 0 {
		return out, nil
	}
	if e.Alarms == nil {
		return nil, errors.New("no CloudWatch client")
	}
	sort.Strings(names)
	for start := 0; start < len(names); start += 100 {
		chunk := names[start:min(start+100, len(names))]
		in := &cloudwatch.DescribeAlarmsInput{AlarmNames: chunk, MaxRecords: aws.Int32(100),
			AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm}}
		for page := 0; ; page++ {
			if page == 10 {
				return nil, errors.New("DescribeAlarms: more than 10 pages for 100 alarm names")
			}
			resp, err := e.Alarms.DescribeAlarms(ctx, in)
			if err != nil {
				return nil, err
			}
			for _, a := range resp.MetricAlarms {
				out[aws.ToString(a.AlarmName)] = alarmState{string(a.StateValue), aws.ToString(a.StateReason)}
			}
			for _, a := range resp.CompositeAlarms {
				out[aws.ToString(a.AlarmName)] = alarmState{string(a.StateValue), aws.ToString(a.StateReason)}
			}
			if aws.ToString(resp.NextToken) == "" {
				break
			}
			in.NextToken = resp.NextToken
		}
	}
	return out, nil
}

// gateFailure says why the group may not go on, "" when its alarms are
// quiet (OK or INSUFFICIENT_DATA).
func gateFailure(g *group, alarms map[string]alarmState) string {
	for _, l := range g.labels {
		for _, a := range g.rollout(l).Alarms {
			s, ok := alarms[a]
			switch {
			case !ok:
				return fmt.Sprintf("alarm %s of %s does not exist (a gate that cannot be read does not let a rollout go on)", a, l)
			case s.value == string(cwtypes.StateValueAlarm):
				why := fmt.Sprintf("alarm %s of %s is in ALARM", a, l)
				if s.reason != "" {
					why += " (" + s.reason + ")"
				}
				return why
			}
		}
	}
	return ""
}

// stepGroup brings every member of g to step target (1-based). A member
// that cannot be moved rolls the whole group back.
func (e *Engine) stepGroup(ctx context.Context, g *group, target int) error {
	ro := g.first()
	pct := ro.Steps[target-1]
	final := target == len(ro.Steps)
	now := e.now().UTC()
	next := now.Add(ro.Interval)
	if final {
		next = time.Time{}
	}
	var mu sync.Mutex
	var failures []string
	eg := new(errgroup.Group)
	eg.SetLimit(e.parallelism())
	for _, label := range g.labels {
		r := g.rollout(label)
		if r.Step >= target {
			continue
		}
		eg.Go(func() error {
			if e.stopped(ctx) {
				return nil
			}
			err := e.moveMember(ctx, label, g.records[label], pct, final, target, next)
			if err != nil && !e.stopped(ctx) {
				mu.Lock()
				failures = append(failures, fmt.Sprintf("%s: %v", label, err))
				mu.Unlock()
			}
			return nil
		})
	}
	_ = eg.Wait()
	// The step is stored before the next is taken: one write for the group.
	if err := e.flush(ctx); err != nil {
		return err
	}
	if e.stopped(ctx) {
		return interrupted(ctx)
	}
	if len(failures) > 0 {
		sort.Strings(failures)
		why := "step to " + percent(pct) + " failed for " + strings.Join(failures, "; ")
		// Those that moved go back with the others.
		g = e.reload(g)
		return errors.Join(fmt.Errorf("%s", why), e.rollbackGroup(ctx, g, why))
	}
	return nil
}

// reload reads g's records again from the state.
func (e *Engine) reload(g *group) *group {
	d := e.State.Snapshot()
	ng := &group{id: g.id, name: g.name, labels: g.labels, records: map[string]*state.Function{}}
	for _, l := range g.labels {
		ng.records[l] = d.Functions[l]
	}
	return ng
}

// moveMember takes one member to pct percent (final: the new version
// alone) with one UpdateAlias guarded by the kept RevisionId, and records it.
func (e *Engine) moveMember(ctx context.Context, label string, f *state.Function, pct float64, final bool, step int, next time.Time) error {
	ro := f.Rollout
	primary, weights := ro.OldVersion, map[string]float64{ro.NewVersion: pct / 100}
	if final {
		primary, weights = ro.NewVersion, map[string]float64{}
	}
	if err := CheckRouting(primary, weights); err != nil {
		return fmt.Errorf("refusing to move alias %s: %w", ro.Alias, err)
	}
	in := &lambda.UpdateAliasInput{
		FunctionName:    aws.String(f.FunctionName),
		Name:            aws.String(ro.Alias),
		FunctionVersion: aws.String(primary),
		RoutingConfig:   &types.AliasRoutingConfiguration{AdditionalVersionWeights: weights},
		RevisionId:      optional(ro.AliasRevisionID),
	}
	out, err := e.Lambda.UpdateAlias(ctx, in)
	if isPrecondition(err) {
		// A move of this rollout whose record was lost (a crash between
		// the call and the state write) is taken up; anything else is
		// someone else's.
		rev, ours, rerr := e.ownMove(ctx, f.FunctionName, ro, pct)
		if rerr != nil {
			return rerr
		}
		if !ours {
			return fmt.Errorf("alias %s was changed outside lambdas during the rollout (its RevisionId no longer matches): %w", ro.Alias, err)
		}
		in.RevisionId = optional(rev)
		out, err = e.Lambda.UpdateAlias(ctx, in)
	}
	if err != nil {
		return fmt.Errorf("move alias %s: %w", ro.Alias, err)
	}
	rev := aws.ToString(out.RevisionId)
	now := e.now().UTC()
	err = e.State.Update(context.WithoutCancel(ctx), func(d *state.Document) error {
		f := d.Functions[label]
		if f == nil || f.Rollout == nil || f.Rollout.ID != ro.ID {
			return fmt.Errorf("%s: the state no longer records rollout %s", label, ro.ID)
		}
		r := f.Rollout
		r.Step, r.Weight, r.NextAt, r.UpdatedAt = step, pct/100, next, now
		if rev != "" {
			r.AliasRevisionID = rev
		}
		if final {
			r.Status, r.Weight, r.EndedAt = state.RolloutCompleted, 1, now
			d.Functions[label] = completed(f, now)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if final {
		e.report(label, KindReleased, fmt.Sprintf("%s → version %s alone (the rollout's last step); version %s is the rollback target", ro.Alias, ro.NewVersion, ro.OldVersion))
	} else {
		e.report(label, KindShift, fmt.Sprintf("%s of %s on version %s, %s on version %s; next step %s at %s",
			percent(pct), ro.Alias, ro.NewVersion, percent(100-pct), ro.OldVersion, percent(ro.Steps[step]), next.Local().Format("15:04:05")))
	}
	return nil
}

// ownMove reads the alias after a 412 and reports whether it stands where
// this rollout could have left it: the old version with at most pct on the
// new one, or the new version alone.
func (e *Engine) ownMove(ctx context.Context, fn string, ro *state.Rollout, pct float64) (string, bool, error) {
	a, err := e.Lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String(ro.Alias)})
	if err != nil {
		return "", false, fmt.Errorf("read alias %s after a refused move: %w", ro.Alias, err)
	}
	var w map[string]float64
	if a.RoutingConfig != nil {
		w = a.RoutingConfig.AdditionalVersionWeights
	}
	v := aws.ToString(a.FunctionVersion)
	ours := false
	switch {
	case v == ro.OldVersion && len(w) == 0:
		ours = true
	case v == ro.OldVersion && len(w) == 1:
		got, ok := w[ro.NewVersion]
		ours = ok && got <= pct/100+1e-9
	case v == ro.NewVersion && len(w) == 0:
		ours = true
	}
	return aws.ToString(a.RevisionId), ours, nil
}

// completed is a function's record once its rollout has ended on the new
// version: the release in flight becomes the record, the old version its
// rollback target.
func completed(f *state.Function, now time.Time) *state.Function {
	ro := f.Rollout
	rec := &state.Function{
		FunctionName: f.FunctionName, CodeSha256: f.CodeSha256, Artifact: f.Artifact, Region: f.Region, Account: f.Account,
		Commit: f.Commit, Dirty: f.Dirty, CodeFingerprint: f.CodeFingerprint, DepsFingerprint: f.DepsFingerprint,
		Version: ro.NewVersion, Alias: ro.Alias, AliasRevisionID: ro.AliasRevisionID, ReleasedAt: now,
		PreviousVersion: ro.OldVersion, Rollout: ro,
	}
	if ro.CodeSha256 != "" {
		rec.CodeSha256 = ro.CodeSha256
	}
	if in := f.InFlight; in != nil {
		rec.Commit, rec.Dirty, rec.CodeFingerprint, rec.DepsFingerprint = in.Commit, in.Dirty, in.CodeFingerprint, in.DepsFingerprint
		if in.CodeSha256 != "" {
			rec.CodeSha256 = in.CodeSha256
		}
		if in.Artifact != "" {
			rec.Artifact = in.Artifact
		}
		if in.Region != "" {
			rec.Region = in.Region
		}
		if in.Account != "" {
			rec.Account = in.Account
		}
	}
	return rec
}

// rollbackGroup puts every member of g back on its old version alone and
// marks the rollout rolled back, with why.
func (e *Engine) rollbackGroup(ctx context.Context, g *group, why string) error {
	return e.rollbackGroupRecords(ctx, g, why, true)
}

// rollbackGroupRecords marks every member's rollout rolled back, with why,
// moving its alias back first when move is set (false only where this
// rollout cannot have moved any alias yet), and stores the records.
func (e *Engine) rollbackGroupRecords(ctx context.Context, g *group, why string, move bool) error {
	var mu sync.Mutex
	var errs []error
	eg := new(errgroup.Group)
	eg.SetLimit(e.parallelism())
	for _, label := range g.labels {
		eg.Go(func() error {
			if err := e.rollbackMember(ctx, label, g.records[label], why, move); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: roll back: %w", label, err))
				mu.Unlock()
			}
			return nil
		})
	}
	_ = eg.Wait()
	if err := e.flush(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// flush stores the state's staged records now (a batched S3 state writes
// only on Flush; a local file is written by every Update already).
func (e *Engine) flush(ctx context.Context) error {
	return e.State.Flush(context.WithoutCancel(ctx))
}

// rollbackMember moves one alias back to the old version alone (when
// move), guarded by the kept RevisionId; a 412 (someone moved it) reads
// the alias and moves it guarded by the fresh one, once. Then it marks
// the rollout rolled back.
func (e *Engine) rollbackMember(ctx context.Context, label string, f *state.Function, why string, move bool) error {
	ro := f.Rollout
	rev := ""
	if move {
		// Moved even before the rollout's first recorded step: a crash
		// between a move and its record leaves weights the state does
		// not know of.
		var err error
		if rev, err = e.moveBack(ctx, f.FunctionName, ro.Alias, ro.OldVersion, ro.AliasRevisionID); err != nil {
			return err
		}
	}
	now := e.now().UTC()
	err := e.State.Update(context.WithoutCancel(ctx), func(d *state.Document) error {
		f := d.Functions[label]
		if f == nil || f.Rollout == nil || f.Rollout.ID != ro.ID {
			return fmt.Errorf("the state no longer records rollout %s", ro.ID)
		}
		r := f.Rollout
		r.Status, r.Weight, r.NextAt, r.UpdatedAt, r.EndedAt, r.Reason = state.RolloutRolledBack, 0, time.Time{}, now, now, why
		if rev != "" {
			r.AliasRevisionID = rev
			if f.Alias == ro.Alias {
				f.AliasRevisionID = rev
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	e.report(label, KindRolledBack, fmt.Sprintf("%s → version %s alone again (version %s had %s): %s", ro.Alias, ro.OldVersion, ro.NewVersion, percent(ro.Weight*100), why))
	return nil
}

// moveBack points alias at version alone, guarded by rev, reading the
// alias once if rev is stale. It returns the alias's new RevisionId.
func (e *Engine) moveBack(ctx context.Context, fn, alias, version, rev string) (string, error) {
	for attempt := 0; ; attempt++ {
		out, err := e.Lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{
			FunctionName: aws.String(fn), Name: aws.String(alias), FunctionVersion: aws.String(version),
			RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{}},
			RevisionId:    optional(rev),
		})
		if err == nil {
			return aws.ToString(out.RevisionId), nil
		}
		if !isPrecondition(err) || attempt > 0 {
			return "", fmt.Errorf("move alias %s back to version %s: %w", alias, version, err)
		}
		a, gerr := e.Lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String(alias)})
		if gerr != nil {
			return "", fmt.Errorf("read alias %s, moved outside lambdas: %w", alias, gerr)
		}
		rev = aws.ToString(a.RevisionId)
	}
}

// Rollback rolls back the rollouts in progress that o selects (the whole
// group of any member named), with why. It returns what it rolled back.
func (e *Engine) Rollback(ctx context.Context, o AdvanceOptions, why string) (*AdvanceResult, error) {
	gs := groups(e.State.Snapshot(), o)
	res := &AdvanceResult{Rollouts: map[string]*GroupResult{}}
	var errs []error
	o.IDs = nil
	for _, g := range gs {
		o.IDs = append(o.IDs, g.id)
		if err := e.rollbackGroup(ctx, g, why); err != nil {
			errs = append(errs, err)
		}
		markMoved(res, g.id)
	}
	e.finish(res, o)
	return res, errors.Join(errs...)
}

// Target is a function whose finished release a rollback by hand undoes.
type Target struct {
	Label, FunctionName, Alias string
	// ToVersion is the version to go back to; "" means the record's
	// previous version.
	ToVersion string
}

// RollbackRelease points a function's alias back at an earlier version
// when no rollout is in progress: the record's previous version, or
// t.ToVersion, checked first (published, Active). The record then says
// that version runs, and that the release was rolled back (so that $LATEST
// still running the newer code is not drift); the next apply releases
// again what HEAD holds.
func (e *Engine) RollbackRelease(ctx context.Context, t Target, why string) (from, to string, err error) {
	d := e.State.Snapshot()
	f := d.Functions[t.Label]
	if f == nil || f.Version == "" {
		return "", "", fmt.Errorf("%s: no release recorded: nothing to roll back", t.Label)
	}
	if f.Rollout.InProgress() {
		return "", "", fmt.Errorf("%s: a rollout is in progress; roll it back instead", t.Label)
	}
	from, to = f.Version, t.ToVersion
	if to == "" {
		to = f.PreviousVersion
	}
	if to == "" {
		return from, "", fmt.Errorf("%s: the state records no version before %s; name one with --to-version", t.Label, from)
	}
	if !published(to) {
		return from, to, fmt.Errorf("%s: --to-version %q is not a published version number", t.Label, to)
	}
	if to == from {
		return from, to, fmt.Errorf("%s: version %s is already the released version", t.Label, to)
	}
	cfg, err := e.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(f.FunctionName), Qualifier: aws.String(to)})
	if err != nil {
		return from, to, fmt.Errorf("%s: read version %s: %w", t.Label, to, err)
	}
	c := cfg.Configuration
	if c == nil || (c.State != "" && c.State != types.StateActive) {
		st := "no configuration"
		if c != nil {
			st = "State " + string(c.State)
		}
		return from, to, fmt.Errorf("%s: version %s is not Active (%s); invoke it once, then roll back again", t.Label, to, st)
	}
	rev := ""
	if f.Alias == t.Alias {
		rev = f.AliasRevisionID
	}
	if rev, err = e.moveBack(ctx, f.FunctionName, t.Alias, to, rev); err != nil {
		return from, to, fmt.Errorf("%s: %w", t.Label, err)
	}
	// $LATEST keeps running the newer code: the record says so, so that it
	// is not taken for drift.
	latest := f.CodeSha256
	if cur, err := e.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(f.FunctionName)}); err == nil && cur.Configuration != nil {
		latest = aws.ToString(cur.Configuration.CodeSha256)
	}
	now := e.now().UTC()
	err = e.State.Update(context.WithoutCancel(ctx), func(d *state.Document) error {
		f := d.Functions[t.Label]
		f.Rollout = &state.Rollout{ID: newID(), Status: state.RolloutRolledBack, Alias: t.Alias, Strategy: "all-at-once", Steps: []float64{100},
			OldVersion: to, NewVersion: from, CodeSha256: latest, AliasRevisionID: rev, StartedAt: now, UpdatedAt: now, EndedAt: now, Reason: why}
		f.Version, f.CodeSha256, f.Alias, f.AliasRevisionID = to, aws.ToString(c.CodeSha256), t.Alias, rev
		// The code the record now names is not a commit's: the next plan
		// compares fingerprints and releases HEAD again.
		f.Commit, f.CodeFingerprint, f.DepsFingerprint, f.Artifact, f.PreviousVersion = "", "", "", "", ""
		f.ReleasedAt = now
		return nil
	})
	if err != nil {
		return from, to, err
	}
	e.report(t.Label, KindRolledBack, fmt.Sprintf("%s → version %s (from %s): %s", t.Alias, to, from, why))
	return from, to, nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func isPrecondition(err error) bool {
	var pre *types.PreconditionFailedException
	var ae smithy.APIError
	return errors.As(err, &pre) || (errors.As(err, &ae) && ae.ErrorCode() == "PreconditionFailedException")
}

func percent(p float64) string {
	return big.NewFloat(p).Text('g', 6) + "%"
}

// Percent renders a percentage as the progress views show it.
func Percent(p float64) string { return percent(p) }
