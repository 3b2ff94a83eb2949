package planner

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/lambdas-dev/lambdas/manifest"
	"github.com/lambdas-dev/lambdas/planner/plan"
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
