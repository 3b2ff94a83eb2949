package planner

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lambdas-dev/lambdas/manifest"
	"github.com/lambdas-dev/lambdas/planner/plan"
	"github.com/lambdas-dev/lambdas/state"
)

func TestDriftDuringARollout(t *testing.T) {
	rolling := func(status string, weight float64) *state.Function {
		return &state.Function{FunctionName: "orders-api", CodeSha256: "OLD", Version: "3", Alias: "live",
			Rollout: &state.Rollout{Status: status, OldVersion: "3", NewVersion: "4", CodeSha256: "NEW", Weight: weight}}
	}
	live := func(latest string, w map[string]float64) plan.Live {
		return plan.Live{Exists: true, CodeSha256: latest, AliasExists: true, AliasVersion: "3", AliasCodeSha256: "OLD", Weights: w, WeightsRead: true}
	}
	rollingAt := func(step int, weight float64) *state.Function {
		f := rolling(state.RolloutInProgress, weight)
		f.Rollout.Steps, f.Rollout.Step = []float64{10, 50, 100}, step
		return f
	}
	onNew := func() plan.Live {
		l := live("NEW", nil)
		l.AliasVersion, l.AliasCodeSha256 = "4", "NEW"
		return l
	}
	tests := []struct {
		name string
		rec  *state.Function
		live plan.Live
		want []string
	}{
		{"in progress at 10%: in sync", rolling(state.RolloutInProgress, 0.1), live("NEW", map[string]float64{"4": 0.1}), nil},
		{"next step taken, its record lost in a crash", rollingAt(1, 0.1), live("NEW", map[string]float64{"4": 0.5}), nil},
		{"first step taken, its record lost in a crash", rollingAt(0, 0), live("NEW", map[string]float64{"4": 0.1}), nil},
		{"last step taken, its record lost in a crash", rollingAt(2, 0.5), onNew(), nil},
		{"two steps ahead of the record", rollingAt(0, 0), live("NEW", map[string]float64{"4": 0.5}),
			[]string{"alias live routes version 4 at 50%, the rollout records version 4 at 0%"}},
		{"new version alone before the last step", rollingAt(1, 0.1), onNew(),
			[]string{"alias live points at version 4, the state records 3", "alias live routes no other version, the rollout records version 4 at 10%"}},
		{"in progress, weights changed outside", rolling(state.RolloutInProgress, 0.1), live("NEW", map[string]float64{"4": 0.9}),
			[]string{"alias live routes version 4 at 90%, the rollout records version 4 at 10%"}},
		{"in progress, weights cleared outside", rolling(state.RolloutInProgress, 0.1), live("NEW", nil),
			[]string{"alias live routes no other version, the rollout records version 4 at 10%"}},
		{"rolled back: $LATEST may run the new code", rolling(state.RolloutRolledBack, 0), live("NEW", nil), nil},
		{"rolled back, weights left on the alias", rolling(state.RolloutRolledBack, 0), live("NEW", map[string]float64{"4": 0.1}),
			[]string{"alias live routes traffic to other versions too (version 4 at 10%)"}},
		{"other code on $LATEST", rolling(state.RolloutInProgress, 0.1), live("HOTFIX", map[string]float64{"4": 0.1}),
			[]string{"$LATEST runs CodeSha256 HOTFIX, the state records OLD"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, alias := Drift(tt.rec, "live", tt.live)
			if diff := cmp.Diff(tt.want, append(code, alias...)); diff != "" {
				t.Errorf("drift (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRolloutSteps(t *testing.T) {
	fn := &manifest.Function{Label: "web", Name: "web", Alias: "live", RolloutGroup: "shop", Deploy: manifest.Deploy{
		Strategy: "canary", Steps: []float64{10, 50, 100}, Interval: 2 * time.Second, Alarms: []string{"web-5xx"},
		SmokeTest: &manifest.SmokeTest{Payload: `{"ping":1}`, Expect: "ok"}}}
	m := &manifest.Manifest{Functions: []*manifest.Function{fn}}
	fp := plan.FunctionPlan{Name: "web", Change: plan.Changed, Package: &plan.Package{}}
	got := steps(m, fn, fp, true, false, false, false)
	var names []plan.StepName
	for _, s := range got {
		names = append(names, s.Name)
	}
	if diff := cmp.Diff([]plan.StepName{plan.StepPackage, plan.StepUpdateCode, plan.StepSmokeTest, plan.StepMoveAlias}, names); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	want := &plan.AliasParams{Alias: "live", Strategy: "canary", Steps: []float64{10, 50, 100}, Interval: "2s", Alarms: []string{"web-5xx"}, Group: "shop"}
	if diff := cmp.Diff(want, got[3].Alias); diff != "" {
		t.Errorf("move-alias (-want +got):\n%s", diff)
	}
	if err := got[3].Check(); err != nil {
		t.Error(err)
	}
	if diff := cmp.Diff(&plan.SmokeParams{Payload: `{"ping":1}`, Expect: "ok"}, got[2].Smoke); diff != "" {
		t.Errorf("smoke-test (-want +got):\n%s", diff)
	}
	// An alias-only move (drift) moves at once, with no rollout.
	got = steps(m, fn, plan.FunctionPlan{Name: "web", Change: plan.Changed, Previous: &plan.Previous{Version: "3"}}, false, false, true, false)
	if len(got) != 1 || got[0].Alias.Version != "3" || got[0].Alias.Steps != nil || got[0].Alias.Group != "" || got[0].Alias.Strategy != plan.AllAtOnce || got[0].Check() != nil {
		t.Errorf("alias-only move: %+v", got)
	}
}
