package executor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"

	"github.com/lambdas-dev/lambdas/executor/pack"
	"github.com/lambdas-dev/lambdas/executor/shift"
	"github.com/lambdas-dev/lambdas/manifest"
	"github.com/lambdas-dev/lambdas/planner/plan"
	"github.com/lambdas-dev/lambdas/state"
)

// Invoke answers {"ok":true} from the version asked for; f.alter["Invoke"]
// changes the answer (a function error), f.inject["Invoke"] fails it.
func (f *fakeLambda) Invoke(ctx context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	name := aws.ToString(in.FunctionName)
	if err := f.enter("Invoke", name+":"+aws.ToString(in.Qualifier)); err != nil {
		return nil, err
	}
	out := &lambda.InvokeOutput{StatusCode: 200, Payload: []byte(`{"ok":true}`), ExecutedVersion: in.Qualifier}
	if bad, _ := brokenFunctions.Load(f); bad != nil && bad.(map[string]bool)[name] {
		out.FunctionError, out.Payload = aws.String("Unhandled"), []byte(`{"errorMessage":"broken"}`)
	}
	f.leave("Invoke", out)
	return out, nil
}

// brokenFunctions: per fake, the functions whose versions throw when invoked.
var brokenFunctions sync.Map

// weightsOf is an alias's routing as "version" or "version +new:weight".
func (f *fakeLambda) weightsOf(name, alias string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := f.fns[name].aliases[alias]
	s := a.version
	for v, w := range a.weights {
		s += fmt.Sprintf(" +%s:%g", v, w)
	}
	return s
}

type fakeCW struct {
	mu     sync.Mutex
	states map[string]cwtypes.StateValue
}

func (c *fakeCW) DescribeAlarms(_ context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := &cloudwatch.DescribeAlarmsOutput{}
	for _, n := range in.AlarmNames {
		if v, ok := c.states[n]; ok {
			out.MetricAlarms = append(out.MetricAlarms, cwtypes.MetricAlarm{AlarmName: aws.String(n), StateValue: v})
		}
	}
	return out, nil
}

// rolloutFn is a function of the rollout tests: label l, Lambda name l-fn.
func rolloutFn(l string) *manifest.Function {
	return &manifest.Function{Label: l, Name: l + "-fn", Runtime: "python3.13", Architecture: "x86_64", Handler: "app.handler", Alias: "live"}
}

func rolloutPlan(l string, group string, smoke bool) *plan.FunctionPlan {
	fp := &plan.FunctionPlan{Name: l, FunctionName: l + "-fn", Change: plan.Changed, CodeFingerprint: "fp1", Steps: []plan.Step{
		{Name: plan.StepUpdateCode, Code: &plan.CodeParams{FunctionName: l + "-fn", Architecture: "x86_64"}},
	}}
	if smoke {
		fp.Steps = append(fp.Steps, plan.Step{Name: plan.StepSmokeTest, Smoke: &plan.SmokeParams{Payload: `{"ping":1}`, Expect: `"ok":true`}})
	}
	fp.Steps = append(fp.Steps, plan.Step{Name: plan.StepMoveAlias, Alias: &plan.AliasParams{Alias: "live", Strategy: plan.Canary,
		Steps: []float64{10, 50, 100}, Interval: "30ms", Alarms: []string{l + "-errors"}, Group: group}})
	return fp
}

// shiftRig releases functions whose version 1 runs oldZip behind alias
// live, through the pipeline and the shift phase, as Apply does.
type shiftRig struct {
	*harness
	cw  *fakeCW
	fns []*manifest.Function
}

func newShiftRig(t *testing.T, labels ...string) *shiftRig {
	h := newHarness(t)
	r := &shiftRig{harness: h, cw: &fakeCW{states: map[string]cwtypes.StateValue{}}}
	for _, l := range labels {
		fn := rolloutFn(l)
		r.fns = append(r.fns, fn)
		h.fake.addFunction(fn.Name, oldSha, []string{oldSha}, "live", "1")
		rec := &state.Function{FunctionName: fn.Name, Commit: "c0", CodeFingerprint: "fp0", CodeSha256: oldSha, Version: "1", Alias: "live", AliasRevisionID: h.fake.aliasRev(fn.Name, "live")}
		if err := h.sm.Update(context.Background(), func(d *state.Document) error { d.Functions[l] = rec; return nil }); err != nil {
			t.Fatal(err)
		}
		r.cw.states[l+"-errors"] = cwtypes.StateValueOk
	}
	return r
}

func (r *shiftRig) apply(ctx context.Context, o Options, plans ...*plan.FunctionPlan) []FunctionResult {
	r.t.Helper()
	o.PollInterval, o.WaitTimeout, o.Retry, o.Reporter, o.Grace = r.opts.PollInterval, r.opts.WaitTimeout, r.opts.Retry, r.harness, time.Second
	o.CloudWatch = newCloudWatch(r.cw, 10000, r.opts.Retry)
	if o.AlarmPoll == 0 {
		o.AlarmPoll = 5 * time.Millisecond
	}
	ex := newExecutor(r.client, nil, &manifest.Manifest{Functions: r.fns}, r.sm, o)
	wctx, cancel := graceful(ctx, time.Second)
	defer cancel()
	snap := r.sm.Snapshot()
	var work []*release
	for _, fp := range plans {
		var fn *manifest.Function
		for _, f := range r.fns {
			if f.Label == fp.Name {
				fn = f
			}
		}
		rel := &release{fn: fn, plan: fp, prev: snap.Functions[fp.Name], head: "c1", resumed: map[plan.StepName]bool{}}
		if fp.HasStep(plan.StepUpdateCode) {
			path := filepath.Join(r.t.TempDir(), "app.zip")
			if err := os.WriteFile(path, pkgZip, 0o644); err != nil {
				r.t.Fatal(err)
			}
			rel.zip = &pack.Result{Path: path, Size: int64(len(pkgZip)), CodeSha256: pkgSha}
		}
		work = append(work, rel)
	}
	results := make([]FunctionResult, len(work))
	var wg sync.WaitGroup
	for i, rel := range work {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = ex.releaseOne(wctx, rel)
		}()
	}
	wg.Wait()
	ex.shiftPhase(wctx, work, results)
	return results
}

func statuses(res []FunctionResult) map[string]string {
	out := map[string]string{}
	for _, r := range res {
		out[r.Name] = r.Status
	}
	return out
}

func TestRolloutStartTakesTheFirstStepInTwoCalls(t *testing.T) {
	r := newShiftRig(t, "orders")
	res := r.apply(context.Background(), Options{Rollout: RolloutStart}, rolloutPlan("orders", "", true))
	if res[0].Status != StatusRollingOut || res[0].Rollout == nil || res[0].Rollout.Weight != 0.1 {
		t.Fatalf("result: %+v", res[0])
	}
	if got := r.fake.weightsOf("orders-fn", "live"); got != "1 +2:0.1" {
		t.Errorf("alias: %s", got)
	}
	// A code release on a canary: UpdateFunctionCode and UpdateAlias in the
	// 15/s bucket, as all at once; the smoke test's Invoke is not in it.
	var control []string
	for _, c := range controlCalls(r.fake.callLog()) {
		if !strings.HasPrefix(c, "Invoke ") {
			control = append(control, c)
		}
	}
	if diff := cmp.Diff([]string{"UpdateFunctionCode orders-fn", "UpdateAlias orders-fn/live"}, control); diff != "" {
		t.Errorf("control-plane calls (-want +got):\n%s", diff)
	}
	if r.fake.count("Invoke") != 1 {
		t.Errorf("%d invokes, want the smoke test's one", r.fake.count("Invoke"))
	}
	rec := r.sm.Snapshot().Functions["orders"]
	if rec.Version != "1" || !rec.Rollout.InProgress() || rec.Rollout.NewVersion != "2" || rec.InFlight == nil || rec.InFlight.Done["smoke-test"] == "" {
		t.Errorf("record: %+v, rollout %+v, in flight %+v", rec, rec.Rollout, rec.InFlight)
	}
}

func TestRolloutWaitGoesThroughEveryStep(t *testing.T) {
	r := newShiftRig(t, "orders")
	res := r.apply(context.Background(), Options{}, rolloutPlan("orders", "", false))
	if res[0].Status != StatusReleased || res[0].Version != "2" {
		t.Fatalf("result: %+v", res[0])
	}
	if got := r.fake.weightsOf("orders-fn", "live"); got != "2" {
		t.Errorf("alias: %s", got)
	}
	rec := r.sm.Snapshot().Functions["orders"]
	if rec.Version != "2" || rec.PreviousVersion != "1" || rec.CodeSha256 != pkgSha || rec.InFlight != nil || rec.Rollout.Status != state.RolloutCompleted {
		t.Errorf("record: %+v", rec)
	}
	if n := strings.Count(r.eventText(EventShift), "\n"); n != 2 {
		t.Errorf("%d shift events, want 2 (10%%, 50%%):\n%s", n, r.eventText(EventShift))
	}
}

func TestRolloutSmokeTestFailureMovesNoTraffic(t *testing.T) {
	r := newShiftRig(t, "orders")
	r.fake.alter["Invoke"] = func(out any) {
		o := out.(*lambda.InvokeOutput)
		o.FunctionError, o.Payload = aws.String("Unhandled"), []byte(`{"errorMessage":"boom"}`)
	}
	res := r.apply(context.Background(), Options{}, rolloutPlan("orders", "", true))
	if res[0].Status != StatusRolledBack || !strings.Contains(res[0].Error, "boom") {
		t.Fatalf("result: %+v", res[0])
	}
	if n := r.fake.count("UpdateAlias"); n != 0 {
		t.Errorf("%d alias moves after a failed smoke test", n)
	}
	if ro := r.sm.Snapshot().Functions["orders"].Rollout; ro == nil || ro.Status != state.RolloutRolledBack {
		t.Errorf("rollout: %+v", ro)
	}
}

func TestGroupWithAFailedMemberMovesNone(t *testing.T) {
	r := newShiftRig(t, "a", "b", "c")
	plans := []*plan.FunctionPlan{rolloutPlan("a", "shop", false), rolloutPlan("b", "shop", false), rolloutPlan("c", "shop", false)}
	// b is gone, and has no create block: its update-code fails.
	r.fake.mu.Lock()
	delete(r.fake.fns, "b-fn")
	r.fake.mu.Unlock()
	res := r.apply(context.Background(), Options{}, plans...)
	if diff := cmp.Diff(map[string]string{"a": StatusFailed, "b": StatusFailed, "c": StatusFailed}, statuses(res)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if n := r.fake.count("UpdateAlias"); n != 0 {
		t.Errorf("%d alias moves in a group with a failed member", n)
	}
	if !strings.Contains(res[0].Error, "rollout group shop has members not released (b (failed))") {
		t.Errorf("a's error: %s", res[0].Error)
	}
}

func TestGroupAlarmRollsBackEveryMember(t *testing.T) {
	r := newShiftRig(t, "a", "b", "c")
	plans := []*plan.FunctionPlan{rolloutPlan("a", "shop", false), rolloutPlan("b", "shop", false), rolloutPlan("c", "shop", false)}
	for _, p := range plans {
		p.Steps[len(p.Steps)-1].Alias.Interval = "1h"
	}
	ctx := context.Background()
	res := r.apply(ctx, Options{Rollout: RolloutStart}, plans...)
	if diff := cmp.Diff(map[string]string{"a": StatusRollingOut, "b": StatusRollingOut, "c": StatusRollingOut}, statuses(res)); diff != "" {
		t.Fatalf("statuses (-want +got):\n%s", diff)
	}
	r.cw.mu.Lock()
	r.cw.states["b-errors"] = cwtypes.StateValueAlarm
	r.cw.mu.Unlock()
	eng := NewEngine(r.client, newCloudWatch(r.cw, 10000, r.opts.Retry), r.sm, nil, 0, 0)
	if _, err := eng.Advance(ctx, shift.AdvanceOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"a", "b", "c"} {
		if got := r.fake.weightsOf(l+"-fn", "live"); got != "1" {
			t.Errorf("%s: alias %s, want version 1 alone", l, got)
		}
	}
}

func TestNewReleaseOverARolloutInFlight(t *testing.T) {
	r := newShiftRig(t, "orders")
	ctx := context.Background()
	p := rolloutPlan("orders", "", false)
	p.Steps[len(p.Steps)-1].Alias.Interval = "1h"
	r.apply(ctx, Options{Rollout: RolloutStart}, p)
	first := r.sm.Snapshot().Functions["orders"].Rollout.ID

	// Another release of it is refused …
	p2 := rolloutPlan("orders", "", false)
	p2.CodeFingerprint = "fp2"
	p2.Steps[len(p2.Steps)-1].Alias.Interval = "1h"
	res := r.apply(ctx, Options{Rollout: RolloutStart}, p2)
	if res[0].Status != StatusFailed || !strings.Contains(res[0].Error, "a rollout of version 2 is in flight") {
		t.Fatalf("result: %+v", res[0])
	}
	// … unless --supersede, which rolls the first back.
	res = r.apply(ctx, Options{Rollout: RolloutStart, Supersede: true}, p2)
	if res[0].Status != StatusRollingOut {
		t.Fatalf("result: %+v", res[0])
	}
	ro := r.sm.Snapshot().Functions["orders"].Rollout
	// (The same code: Lambda publishes no new version, version 2 again.)
	if ro.ID == first || ro.OldVersion != "1" || ro.NewVersion != "2" || ro.Weight != 0.1 || !ro.InProgress() {
		t.Errorf("rollout: %+v", ro)
	}
	// The same release again goes on with its rollout.
	res = r.apply(ctx, Options{Rollout: RolloutStart}, p2)
	if res[0].Status != StatusRollingOut || r.sm.Snapshot().Functions["orders"].Rollout.ID != ro.ID {
		t.Errorf("result: %+v", res[0])
	}
}

func TestGroupSmokeTestFailureRollsBackEveryMember(t *testing.T) {
	r := newShiftRig(t, "a", "b")
	brokenFunctions.Store(r.fake, map[string]bool{"b-fn": true})
	t.Cleanup(func() { brokenFunctions.Delete(r.fake) })
	res := r.apply(context.Background(), Options{}, rolloutPlan("a", "shop", true), rolloutPlan("b", "shop", true))
	if diff := cmp.Diff(map[string]string{"a": StatusRolledBack, "b": StatusRolledBack}, statuses(res)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if !strings.Contains(res[0].Error, "the smoke test of b failed") {
		t.Errorf("a's reason: %s", res[0].Error)
	}
	if n := r.fake.count("UpdateAlias"); n != 0 {
		t.Errorf("%d alias moves", n)
	}
	for _, l := range []string{"a", "b"} {
		if ro := r.sm.Snapshot().Functions[l].Rollout; ro == nil || ro.Status != state.RolloutRolledBack {
			t.Errorf("%s: rollout %+v", l, ro)
		}
	}
}

func TestAliasOnlyMoveDoesNotHoldItsGroup(t *testing.T) {
	r := newShiftRig(t, "a", "b")
	r.fake.mu.Lock()
	r.fake.fns["b-fn"].aliases["live"].version = "7" // moved outside: the plan moves it back
	r.fake.mu.Unlock()
	back := &plan.FunctionPlan{Name: "b", FunctionName: "b-fn", Change: plan.Changed, CodeFingerprint: "fp0", Steps: []plan.Step{
		{Name: plan.StepMoveAlias, Alias: &plan.AliasParams{Alias: "live", Strategy: plan.AllAtOnce, Version: "1", Group: "shop"}}}}
	res := r.apply(context.Background(), Options{Rollout: RolloutStart}, rolloutPlan("a", "shop", false), back)
	if diff := cmp.Diff(map[string]string{"a": StatusRollingOut, "b": StatusReleased}, statuses(res)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if got := r.fake.weightsOf("b-fn", "live"); got != "1" {
		t.Errorf("b: %s", got)
	}
}
