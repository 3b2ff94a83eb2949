package planner

import (
	"fmt"
	"math"
	"math/big"
	"strings"

	"github.com/lambdas-dev/lambdas/manifest"
	"github.com/lambdas-dev/lambdas/planner/plan"
	"github.com/lambdas-dev/lambdas/state"
)

// smokeStep is the test invoke of the new version before it takes traffic.
func smokeStep(f *manifest.Function) plan.Step {
	st := f.Deploy.SmokeTest
	reason := fmt.Sprintf("invoke the new version with the smoke test's payload (%d bytes) before it takes any traffic; a function error aborts the release", len(st.Payload))
	if st.Expect != "" {
		reason = fmt.Sprintf("invoke the new version with the smoke test's payload (%d bytes) before it takes any traffic; a function error, or an answer not matching %q, aborts the release", len(st.Payload), st.Expect)
	}
	return plan.Step{Name: plan.StepSmokeTest, Reason: reason, Smoke: &plan.SmokeParams{Payload: st.Payload, Expect: st.Expect}}
}

// rolloutStep fills the alias move of a new version with its rollout: the
// steps, the interval, the alarms and the group, and says them.
func rolloutStep(f *manifest.Function, a *plan.AliasParams, reason string) string {
	d := f.Deploy
	a.Group, a.Alarms = f.RolloutGroup, d.Alarms
	if a.Strategy != plan.Canary && a.Strategy != plan.Linear {
		if a.Group != "" {
			reason += fmt.Sprintf(", with rollout group %s: no alias of the group moves until every member has a verified version", a.Group)
		}
		return reason
	}
	a.Steps, a.Interval = d.Steps, d.Interval.String()
	parts := make([]string, len(d.Steps))
	for i, s := range d.Steps {
		parts[i] = big.NewFloat(s).Text('g', 10) + "%"
	}
	reason = fmt.Sprintf("shift alias %s to the new version, %s: %s, every %s", f.Alias, a.Strategy, strings.Join(parts, " → "), d.Interval)
	if len(d.Alarms) > 0 {
		reason += fmt.Sprintf(", each step gated by %s %s", plural(len(d.Alarms), "alarm", "alarms"), strings.Join(d.Alarms, ", "))
	}
	if a.Group != "" {
		reason += fmt.Sprintf("; rollout group %s moves together", a.Group)
	}
	return reason + " (a first release moves at once)"
}

// rolloutDrift compares an alias's weights with the rollout in progress:
// the new version at the recorded weight, nothing else (where the next
// step puts it is UnrecordedStep's).
func rolloutDrift(ro *state.Rollout, alias string, live map[string]float64) []string {
	if routesAt(live, ro.NewVersion, ro.Weight) {
		return nil
	}
	routes := "no other version"
	if len(live) > 0 {
		routes = weights(live)
	}
	return []string{fmt.Sprintf("alias %s routes %s, the rollout records version %s at %s", alias, routes, ro.NewVersion, big.NewFloat(ro.Weight*100).Text('g', 6)+"%")}
}

// UnrecordedStep reports whether the live alias stands where the rollout's
// next step puts it, not where the record says: a run stopped between that
// step's UpdateAlias and its state write (a crash, a kill). That is the
// rollout in flight, one step on, not drift: the next promote or apply
// takes the move up as its own (its guarded UpdateAlias answers 412, the
// alias is read, and the move is made again under the new RevisionId).
func UnrecordedStep(ro *state.Rollout, live plan.Live) bool {
	next, ok := ro.NextStep()
	if !ro.InProgress() || !ok || !live.AliasExists || !live.WeightsRead {
		return false
	}
	if next >= 100 {
		return live.AliasVersion == ro.NewVersion && len(live.Weights) == 0
	}
	return live.AliasVersion == ro.OldVersion && routesAt(live.Weights, ro.NewVersion, next/100)
}

// routesAt reports whether the additional weights are exactly version at
// weight w (none at all when w is 0).
func routesAt(live map[string]float64, version string, w float64) bool {
	if w <= 0 {
		return len(live) == 0
	}
	got, ok := live[version]
	return ok && len(live) == 1 && math.Abs(got-w) <= 1e-9
}
