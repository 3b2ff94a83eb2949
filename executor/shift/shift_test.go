package shift

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/lambdas-dev/lambdas/state"
)

// memBackend is a state store in memory.
type memBackend struct {
	mu      sync.Mutex
	data    []byte
	version int
}

func (m *memBackend) Read(context.Context) ([]byte, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.data == nil {
		return nil, "", state.ErrNotExist
	}
	return append([]byte(nil), m.data...), strconv.Itoa(m.version), nil
}

func (m *memBackend) WriteIf(_ context.Context, data []byte, version string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := ""
	if m.data != nil {
		cur = strconv.Itoa(m.version)
	}
	if version != cur {
		return "", fmt.Errorf("memory: version %q, stored %q: %w", version, cur, state.ErrConflict)
	}
	m.version++
	m.data = append([]byte(nil), data...)
	return strconv.Itoa(m.version), nil
}

func (m *memBackend) String() string { return "memory" }

// fakeLambda keeps aliases as AWS does: RevisionIds checked and renewed on
// every move.
type fakeLambda struct {
	mu       sync.Mutex
	aliases  map[string]*fakeAlias // "fn/alias"
	versions map[string]string     // "fn:version" → State
	seq      int
	moves    []string         // "fn → primary +{v: w}"
	fail     map[string]error // fn → error for its next UpdateAlias
	// beforeMove, when set, runs at each UpdateAlias (under mu) before it
	// moves anything.
	beforeMove func()
}

type fakeAlias struct {
	version string
	weights map[string]float64
	rev     string
}

func newFakeLambda() *fakeLambda {
	return &fakeLambda{aliases: map[string]*fakeAlias{}, versions: map[string]string{}, fail: map[string]error{}}
}

func (f *fakeLambda) add(fn, alias, version string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	f.aliases[fn+"/"+alias] = &fakeAlias{version: version, rev: fmt.Sprintf("r%d", f.seq)}
	for v := 1; v <= 9; v++ {
		f.versions[fmt.Sprintf("%s:%d", fn, v)] = "Active"
	}
}

func (f *fakeLambda) alias(fn string) fakeAlias {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := *f.aliases[fn+"/live"]
	return a
}

func (f *fakeLambda) GetFunction(_ context.Context, in *lambda.GetFunctionInput, _ ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.versions[aws.ToString(in.FunctionName)+":"+aws.ToString(in.Qualifier)]
	if !ok {
		return nil, &types.ResourceNotFoundException{Message: aws.String("no such version")}
	}
	return &lambda.GetFunctionOutput{Configuration: &types.FunctionConfiguration{Version: in.Qualifier, State: types.State(st), CodeSha256: aws.String("sha-" + aws.ToString(in.Qualifier))}}, nil
}

func (f *fakeLambda) GetAlias(_ context.Context, in *lambda.GetAliasInput, _ ...func(*lambda.Options)) (*lambda.GetAliasOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := f.aliases[aws.ToString(in.FunctionName)+"/"+aws.ToString(in.Name)]
	if a == nil {
		return nil, &types.ResourceNotFoundException{Message: aws.String("no such alias")}
	}
	return &lambda.GetAliasOutput{FunctionVersion: aws.String(a.version), RevisionId: aws.String(a.rev),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: a.weights}}, nil
}

func (f *fakeLambda) UpdateAlias(_ context.Context, in *lambda.UpdateAliasInput, _ ...func(*lambda.Options)) (*lambda.UpdateAliasOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.beforeMove != nil {
		f.beforeMove()
	}
	fn := aws.ToString(in.FunctionName)
	if err := f.fail[fn]; err != nil {
		delete(f.fail, fn)
		return nil, err
	}
	a := f.aliases[fn+"/"+aws.ToString(in.Name)]
	if a == nil {
		return nil, &types.ResourceNotFoundException{Message: aws.String("no such alias")}
	}
	if in.RevisionId != nil && *in.RevisionId != a.rev {
		return nil, &types.PreconditionFailedException{Message: aws.String("stale RevisionId")}
	}
	var w map[string]float64
	if in.RoutingConfig != nil && len(in.RoutingConfig.AdditionalVersionWeights) > 0 {
		w = in.RoutingConfig.AdditionalVersionWeights
	}
	if err := CheckRouting(aws.ToString(in.FunctionVersion), w); err != nil {
		return nil, &types.InvalidParameterValueException{Message: aws.String(err.Error())}
	}
	f.seq++
	a.version, a.weights, a.rev = aws.ToString(in.FunctionVersion), w, fmt.Sprintf("r%d", f.seq)
	f.moves = append(f.moves, fmt.Sprintf("%s → %s%s", fn, a.version, weightText(w)))
	return &lambda.UpdateAliasOutput{FunctionVersion: in.FunctionVersion, RevisionId: aws.String(a.rev)}, nil
}

// moveOutside is someone else's UpdateAlias.
func (f *fakeLambda) moveOutside(fn, version string, weights map[string]float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := f.aliases[fn+"/live"]
	f.seq++
	a.version, a.weights, a.rev = version, weights, fmt.Sprintf("r%d", f.seq)
}

func (f *fakeLambda) takeMoves() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.moves
	f.moves = nil
	return out
}

func weightText(w map[string]float64) string {
	if len(w) == 0 {
		return ""
	}
	var parts []string
	for v, x := range w {
		parts = append(parts, fmt.Sprintf("%s:%g", v, x))
	}
	return " +" + strings.Join(parts, ",")
}

// fakeAlarms answers DescribeAlarms from a map (a name missing: no alarm).
type fakeAlarms struct {
	mu     sync.Mutex
	states map[string]cwtypes.StateValue
	calls  int
	err    error
}

func (a *fakeAlarms) set(name string, v cwtypes.StateValue) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.states[name] = v
}

func (a *fakeAlarms) DescribeAlarms(_ context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls++
	if a.err != nil {
		return nil, a.err
	}
	if len(in.AlarmNames) > 100 {
		return nil, errors.New("more than 100 names")
	}
	out := &cloudwatch.DescribeAlarmsOutput{}
	for _, n := range in.AlarmNames {
		if v, ok := a.states[n]; ok {
			out.MetricAlarms = append(out.MetricAlarms, cwtypes.MetricAlarm{AlarmName: aws.String(n), StateValue: v, StateReason: aws.String("threshold crossed")})
		}
	}
	return out, nil
}

// clock is a fake clock; sleeping advances it, and runs the hook.
type clock struct {
	mu      sync.Mutex
	now     time.Time
	onSleep func(slept int)
	slept   int
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.advance(d)
	c.mu.Lock()
	c.slept++
	n, hook := c.slept, c.onSleep
	c.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	return ctx.Err()
}

type rig struct {
	t      *testing.T
	lambda *fakeLambda
	alarms *fakeAlarms
	clock  *clock
	store  *memBackend
	sm     *state.Manager
	eng    *Engine
	events []Event
	mu     sync.Mutex
}

func newRig(t *testing.T, fns ...string) *rig {
	t.Helper()
	store := &memBackend{}
	sm, err := state.Load(context.Background(), store)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, lambda: newFakeLambda(), alarms: &fakeAlarms{states: map[string]cwtypes.StateValue{}}, clock: &clock{now: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}, store: store, sm: sm}
	r.eng = &Engine{Lambda: r.lambda, Alarms: r.alarms, State: sm, Now: r.clock.Now, Sleep: r.clock.Sleep, Report: func(e Event) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.events = append(r.events, e)
	}}
	for _, fn := range fns {
		r.lambda.add(fn, "live", "1")
		a := r.lambda.alias(fn)
		// The record of the release before: version 1, and the new one in flight.
		if err := sm.Update(context.Background(), func(d *state.Document) error {
			d.Functions[fn] = &state.Function{FunctionName: fn, Commit: "c1", CodeFingerprint: "fp1", CodeSha256: "sha-1", Version: "1", Alias: "live", AliasRevisionID: a.rev,
				InFlight: &state.Release{Commit: "c2", CodeFingerprint: "fp2", CodeSha256: "sha-2", Version: "2"}}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		r.alarms.set(fn+"-errors", cwtypes.StateValueOk)
	}
	return r
}

func (r *rig) members(steps []float64, interval time.Duration, group string, fns ...string) []Member {
	var out []Member
	for _, fn := range fns {
		out = append(out, Member{Label: fn, FunctionName: fn, Alias: "live", OldVersion: "1", NewVersion: "2", CodeSha256: "sha-2",
			AliasRevisionID: r.rec(fn).AliasRevisionID, Strategy: "canary", Steps: steps, Interval: interval, Alarms: []string{fn + "-errors"}, Group: group})
	}
	return out
}

func (r *rig) rec(fn string) *state.Function { return r.sm.Snapshot().Functions[fn] }

// routing is "primary" or "primary +new:weight".
func (r *rig) routing(fn string) string {
	a := r.lambda.alias(fn)
	return a.version + weightText(a.weights)
}

func TestCanaryStepsThroughWeights(t *testing.T) {
	r := newRig(t, "orders")
	ctx := context.Background()
	id, err := r.eng.Start(ctx, r.members([]float64{10, 50, 100}, time.Minute, "", "orders"))
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	seen = append(seen, r.routing("orders"))
	// Not due: nothing moves, however often promote runs.
	for range 2 {
		if _, err := r.eng.Advance(ctx, AdvanceOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	seen = append(seen, r.routing("orders"))
	r.clock.advance(time.Minute)
	if _, err := r.eng.Advance(ctx, AdvanceOptions{}); err != nil {
		t.Fatal(err)
	}
	seen = append(seen, r.routing("orders"))
	ro := r.rec("orders").Rollout
	if ro.Step != 2 || ro.Weight != 0.5 || !ro.NextAt.Equal(r.clock.Now().Add(time.Minute)) || ro.ID != id {
		t.Errorf("rollout after step 2: %+v", ro)
	}
	r.clock.advance(time.Minute)
	res, err := r.eng.Advance(ctx, AdvanceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	seen = append(seen, r.routing("orders"))
	if diff := cmp.Diff([]string{"1 +2:0.1", "1 +2:0.1", "1 +2:0.5", "2"}, seen); diff != "" {
		t.Errorf("routing at each step (-want +got):\n%s", diff)
	}
	if g := res.Rollouts[id]; g == nil || g.Status != state.RolloutCompleted {
		t.Errorf("result: %+v", g)
	}
	rec := r.rec("orders")
	want := &state.Function{FunctionName: "orders", Commit: "c2", CodeFingerprint: "fp2", CodeSha256: "sha-2", Version: "2", Alias: "live", PreviousVersion: "1"}
	got := &state.Function{FunctionName: rec.FunctionName, Commit: rec.Commit, CodeFingerprint: rec.CodeFingerprint, CodeSha256: rec.CodeSha256, Version: rec.Version, Alias: rec.Alias, PreviousVersion: rec.PreviousVersion}
	if diff := cmp.Diff(want, got); diff != "" || rec.InFlight != nil || rec.Rollout.Status != state.RolloutCompleted || rec.AliasRevisionID != r.lambda.alias("orders").rev {
		t.Errorf("record after the rollout (-want +got):\n%s\nin flight %v, rollout %+v", diff, rec.InFlight, rec.Rollout)
	}
	// Three UpdateAlias calls, one per step; nothing else moved.
	if n := len(r.lambda.takeMoves()); n != 3 {
		t.Errorf("%d alias moves, want 3", n)
	}
}

func TestLinearWeights(t *testing.T) {
	r := newRig(t, "web")
	m := r.members([]float64{25, 50, 75, 100}, time.Second, "", "web")
	m[0].Strategy = "linear"
	if _, err := r.eng.Start(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if _, err := r.eng.Advance(context.Background(), AdvanceOptions{Wait: true}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"web → 1 +2:0.25", "web → 1 +2:0.5", "web → 1 +2:0.75", "web → 2"}, r.lambda.takeMoves()); diff != "" {
		t.Errorf("moves (-want +got):\n%s", diff)
	}
}

func TestAlarmRollsBackWithinOnePoll(t *testing.T) {
	r := newRig(t, "orders")
	ctx := context.Background()
	if _, err := r.eng.Start(ctx, r.members([]float64{10, 100}, time.Hour, "", "orders")); err != nil {
		t.Fatal(err)
	}
	r.eng.Poll = 10 * time.Second
	r.clock.onSleep = func(n int) {
		if n == 3 {
			r.alarms.set("orders-errors", cwtypes.StateValueAlarm)
		}
	}
	res, err := r.eng.Advance(ctx, AdvanceOptions{Wait: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.clock.slept != 3 {
		t.Errorf("rolled back after %d polls, want the one after the alarm (3)", r.clock.slept)
	}
	if got := r.routing("orders"); got != "1" {
		t.Errorf("alias after the alarm: %s, want version 1 alone", got)
	}
	rec := r.rec("orders")
	if rec.Rollout.Status != state.RolloutRolledBack || !strings.Contains(rec.Rollout.Reason, "alarm orders-errors of orders is in ALARM") || rec.Version != "1" {
		t.Errorf("record after rollback: version %s, rollout %+v", rec.Version, rec.Rollout)
	}
	for _, g := range res.Rollouts {
		if g.Status != state.RolloutRolledBack || g.Reason == "" {
			t.Errorf("result: %+v", g)
		}
	}
}

func TestAlarmBeforeStartMovesNoTraffic(t *testing.T) {
	r := newRig(t, "orders")
	r.alarms.set("orders-errors", cwtypes.StateValueAlarm)
	_, err := r.eng.Start(context.Background(), r.members([]float64{10, 100}, time.Minute, "", "orders"))
	if !errors.Is(err, ErrRolledBack) {
		t.Fatalf("Start: %v, want ErrRolledBack", err)
	}
	for _, m := range r.lambda.takeMoves() {
		if strings.Contains(m, "+") {
			t.Errorf("traffic moved: %s", m)
		}
		// Nothing of the rollout had moved: no UpdateAlias at all.
		t.Errorf("alias moved before a rollout that never started: %s", m)
	}
	if got := r.routing("orders"); got != "1" {
		t.Errorf("alias: %s", got)
	}
	if ro := r.rec("orders").Rollout; ro == nil || ro.Status != state.RolloutRolledBack {
		t.Errorf("rollout record: %+v", ro)
	}
}

// TestBatchedStateStoresEveryStep: with a batched state (S3), the rollout
// is stored before its first move and each step before the next, not only
// when the apply ends, so a crash mid-rollout leaves a state that knows it.
func TestBatchedStateStoresEveryStep(t *testing.T) {
	r := newRig(t, "orders", "cart")
	ctx := context.Background()
	sm, err := state.LoadWith(ctx, r.store, state.Options{Batch: true})
	if err != nil {
		t.Fatal(err)
	}
	r.sm, r.eng.State = sm, sm
	stored := func() map[string]string {
		t.Helper()
		data, _, err := r.store.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := state.Decode(data, "memory")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, fn := range []string{"orders", "cart"} {
			if ro := doc.Functions[fn].Rollout; ro != nil {
				out[fn] = fmt.Sprintf("%s step %d at %g", ro.Status, ro.Step, ro.Weight)
			}
		}
		return out
	}
	var atFirstMove map[string]string
	r.lambda.beforeMove = func() {
		if atFirstMove == nil {
			atFirstMove = stored()
		}
	}
	if _, err := r.eng.Start(ctx, r.members([]float64{10, 50, 100}, time.Minute, "shop", "orders", "cart")); err != nil {
		t.Fatal(err)
	}
	r.lambda.beforeMove = nil
	if diff := cmp.Diff(map[string]string{"orders": "in-progress step 0 at 0", "cart": "in-progress step 0 at 0"}, atFirstMove); diff != "" {
		t.Errorf("stored when the first alias moved (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"orders": "in-progress step 1 at 0.1", "cart": "in-progress step 1 at 0.1"}, stored()); diff != "" {
		t.Errorf("stored after the first step (-want +got):\n%s", diff)
	}
	r.clock.advance(time.Minute)
	if _, err := r.eng.Advance(ctx, AdvanceOptions{}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"orders": "in-progress step 2 at 0.5", "cart": "in-progress step 2 at 0.5"}, stored()); diff != "" {
		t.Errorf("stored after the second step (-want +got):\n%s", diff)
	}
	r.alarms.set("cart-errors", cwtypes.StateValueAlarm)
	if _, err := r.eng.Advance(ctx, AdvanceOptions{}); err != nil && !errors.Is(err, ErrRolledBack) {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"orders": "rolled-back step 2 at 0", "cart": "rolled-back step 2 at 0"}, stored()); diff != "" {
		t.Errorf("stored after the rollback (-want +got):\n%s", diff)
	}
}

func TestMissingAlarmIsAGateFailure(t *testing.T) {
	r := newRig(t, "orders")
	m := r.members([]float64{10, 100}, time.Minute, "", "orders")
	m[0].Alarms = []string{"no-such-alarm"}
	if _, err := r.eng.Start(context.Background(), m); !errors.Is(err, ErrRolledBack) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("Start: %v", err)
	}
}

func TestAlarmsUnreadableHoldTheRollout(t *testing.T) {
	r := newRig(t, "orders")
	ctx := context.Background()
	if _, err := r.eng.Start(ctx, r.members([]float64{10, 100}, time.Minute, "", "orders")); err != nil {
		t.Fatal(err)
	}
	r.alarms.err = errors.New("CloudWatch is down")
	r.clock.advance(time.Minute)
	if _, err := r.eng.Advance(ctx, AdvanceOptions{}); err == nil || !strings.Contains(err.Error(), "nothing moved") {
		t.Fatalf("Advance: %v", err)
	}
	if got, ro := r.routing("orders"), r.rec("orders").Rollout; got != "1 +2:0.1" || !ro.InProgress() {
		t.Errorf("alias %s, rollout %+v: want it held at 10%%", got, ro)
	}
}

func TestGroupMovesTogetherAndRollsBackTogether(t *testing.T) {
	fns := []string{"cart", "checkout", "payments"}
	r := newRig(t, fns...)
	ctx := context.Background()
	if _, err := r.eng.Start(ctx, r.members([]float64{10, 50, 100}, time.Minute, "shop", fns...)); err != nil {
		t.Fatal(err)
	}
	r.clock.advance(time.Minute)
	if _, err := r.eng.Advance(ctx, AdvanceOptions{Labels: []string{"cart"}}); err != nil {
		t.Fatal(err)
	}
	for _, fn := range fns {
		if got := r.routing(fn); got != "1 +2:0.5" {
			t.Errorf("%s after step 2: %s", fn, got)
		}
	}
	r.alarms.set("payments-errors", cwtypes.StateValueAlarm)
	if _, err := r.eng.Advance(ctx, AdvanceOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, fn := range fns {
		ro := r.rec(fn).Rollout
		if got := r.routing(fn); got != "1" || ro.Status != state.RolloutRolledBack || !strings.Contains(ro.Reason, "payments-errors") {
			t.Errorf("%s after payments' alarm: alias %s, rollout %s (%s)", fn, got, ro.Status, ro.Reason)
		}
	}
}

func TestFailedMoveRollsBackTheGroup(t *testing.T) {
	fns := []string{"a", "b"}
	r := newRig(t, fns...)
	ctx := context.Background()
	if _, err := r.eng.Start(ctx, r.members([]float64{10, 50, 100}, time.Minute, "g", fns...)); err != nil {
		t.Fatal(err)
	}
	r.lambda.fail["b"] = &types.ServiceException{Message: aws.String("down")}
	r.clock.advance(time.Minute)
	if _, err := r.eng.Advance(ctx, AdvanceOptions{}); err == nil {
		t.Fatal("want the failed step said")
	}
	for _, fn := range fns {
		if got := r.routing(fn); got != "1" {
			t.Errorf("%s: alias %s, want version 1 alone", fn, got)
		}
	}
}

func TestInterruptedWaitResumes(t *testing.T) {
	r := newRig(t, "orders")
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := r.eng.Start(ctx, r.members([]float64{10, 50, 100}, time.Minute, "", "orders")); err != nil {
		t.Fatal(err)
	}
	r.clock.onSleep = func(int) { cancel() } // Ctrl-C during the first wait
	_, err := r.eng.Advance(ctx, AdvanceOptions{Wait: true})
	if !IsInterrupted(err) {
		t.Fatalf("Advance: %v, want interrupted", err)
	}
	if ro := r.rec("orders").Rollout; !ro.InProgress() || ro.Step != 1 {
		t.Fatalf("rollout after the interruption: %+v", ro)
	}
	// A later promote takes it on where it stood.
	r.clock.onSleep = nil
	if _, err := r.eng.Advance(context.Background(), AdvanceOptions{Wait: true}); err != nil {
		t.Fatal(err)
	}
	if got := r.routing("orders"); got != "2" {
		t.Errorf("alias: %s", got)
	}
}

func TestLaggingMemberCatchesUp(t *testing.T) {
	fns := []string{"a", "b"}
	r := newRig(t, fns...)
	ctx := context.Background()
	if _, err := r.eng.Start(ctx, r.members([]float64{10, 50, 100}, time.Minute, "g", fns...)); err != nil {
		t.Fatal(err)
	}
	// A crash left b behind: a is at 50%, b still at 10%.
	r.clock.advance(time.Minute)
	if err := r.sm.Update(ctx, func(d *state.Document) error {
		d.Functions["a"].Rollout.Step, d.Functions["a"].Rollout.Weight = 2, 0.5
		d.Functions["a"].Rollout.NextAt = r.clock.Now().Add(time.Minute)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r.lambda.moveOutside("a", "1", map[string]float64{"2": 0.5})
	if err := r.sm.Update(ctx, func(d *state.Document) error {
		d.Functions["a"].Rollout.AliasRevisionID = r.lambda.alias("a").rev
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r.lambda.takeMoves()
	if _, err := r.eng.Advance(ctx, AdvanceOptions{}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"b → 1 +2:0.5"}, r.lambda.takeMoves()); diff != "" {
		t.Errorf("catch-up moves (-want +got):\n%s", diff)
	}
}

func TestLostRecordOfAMoveIsTakenUp(t *testing.T) {
	r := newRig(t, "orders")
	ctx := context.Background()
	if _, err := r.eng.Start(ctx, r.members([]float64{10, 50, 100}, time.Minute, "", "orders")); err != nil {
		t.Fatal(err)
	}
	// The move to 50% happened, its record did not (SIGKILL in between):
	// the kept RevisionId is stale.
	r.lambda.moveOutside("orders", "1", map[string]float64{"2": 0.5})
	r.clock.advance(time.Minute)
	if _, err := r.eng.Advance(ctx, AdvanceOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, ro := r.routing("orders"), r.rec("orders").Rollout; got != "1 +2:0.5" || !ro.InProgress() || ro.Step != 2 {
		t.Errorf("alias %s, rollout %+v", got, ro)
	}
	// Someone else's move is not taken up: the rollout is rolled back.
	r.lambda.moveOutside("orders", "7", nil)
	r.clock.advance(time.Minute)
	if _, err := r.eng.Advance(ctx, AdvanceOptions{}); err == nil || !strings.Contains(err.Error(), "changed outside lambdas") {
		t.Fatalf("Advance: %v", err)
	}
	if got := r.routing("orders"); got != "1" {
		t.Errorf("alias: %s", got)
	}
}

func TestRollbackByHand(t *testing.T) {
	r := newRig(t, "orders", "web")
	ctx := context.Background()
	if _, err := r.eng.Start(ctx, r.members([]float64{10, 100}, time.Minute, "", "orders")); err != nil {
		t.Fatal(err)
	}
	res, err := r.eng.Rollback(ctx, AdvanceOptions{Labels: []string{"orders"}}, "rolled back by hand")
	if err != nil || len(res.Rollouts) != 1 {
		t.Fatalf("Rollback: %v, %+v", err, res)
	}
	if got := r.routing("orders"); got != "1" {
		t.Errorf("alias: %s", got)
	}
	// A finished release goes back to its previous version.
	if err := r.sm.Update(ctx, func(d *state.Document) error {
		d.Functions["web"].Version, d.Functions["web"].PreviousVersion = "3", "2"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r.lambda.moveOutside("web", "3", nil)
	if err := r.sm.Update(ctx, func(d *state.Document) error {
		d.Functions["web"].AliasRevisionID = r.lambda.alias("web").rev
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	from, to, err := r.eng.RollbackRelease(ctx, Target{Label: "web", FunctionName: "web", Alias: "live"}, "by hand")
	if err != nil || from != "3" || to != "2" {
		t.Fatalf("RollbackRelease: %s → %s, %v", from, to, err)
	}
	rec := r.rec("web")
	if got := r.routing("web"); got != "2" || rec.Version != "2" || rec.CodeSha256 != "sha-2" || rec.Rollout.Status != state.RolloutRolledBack || rec.Rollout.NewVersion != "3" {
		t.Errorf("alias %s, record %+v, rollout %+v", got, rec, rec.Rollout)
	}
	if _, _, err := r.eng.RollbackRelease(ctx, Target{Label: "web", FunctionName: "web", Alias: "live", ToVersion: "42"}, "by hand"); err == nil {
		t.Error("a version that does not exist was accepted")
	}
}

func TestCheckRouting(t *testing.T) {
	tests := []struct {
		primary string
		weights map[string]float64
		bad     string
	}{
		{"1", nil, ""},
		{"1", map[string]float64{"2": 0.1}, ""},
		{"1", map[string]float64{"2": 0}, ""},
		{"1", map[string]float64{"2": 1}, ""},
		{"$LATEST", nil, "not a published version"},
		{"1", map[string]float64{"$LATEST": 0.1}, "not a published version"},
		{"1", map[string]float64{"2": 1.5}, "outside [0, 1]"},
		{"1", map[string]float64{"2": -0.1}, "outside [0, 1]"},
		{"1", map[string]float64{"1": 0.1}, "the alias's own version"},
		{"1", map[string]float64{"2": 0.1, "3": 0.1}, "at most one"},
		{"01", nil, "not a published version"},
		{"live", nil, "not a published version"},
	}
	for _, tt := range tests {
		err := CheckRouting(tt.primary, tt.weights)
		if (err == nil) != (tt.bad == "") || (err != nil && !strings.Contains(err.Error(), tt.bad)) {
			t.Errorf("CheckRouting(%s, %v) = %v, want %q", tt.primary, tt.weights, err, tt.bad)
		}
	}
}

func TestManyAlarmsAreReadInBatches(t *testing.T) {
	var fns []string
	for i := range 30 {
		fns = append(fns, fmt.Sprintf("fn-%02d", i))
	}
	r := newRig(t, fns...)
	m := r.members([]float64{10, 100}, time.Minute, "all", fns...)
	for i := range m {
		for j := range 5 {
			name := fmt.Sprintf("%s-a%d", m[i].Label, j)
			m[i].Alarms = append(m[i].Alarms, name)
			r.alarms.set(name, cwtypes.StateValueInsufficientData)
		}
	}
	if _, err := r.eng.Start(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if r.alarms.calls != 2 { // 150 alarms: 100 + 50
		t.Errorf("%d DescribeAlarms calls for 150 alarms, want 2", r.alarms.calls)
	}
}
