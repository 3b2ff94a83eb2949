package planner

import (
	"fmt"
	"sort"
	"strings"

	"github.com/lambdas-dev/lambdas/manifest"
	"github.com/lambdas-dev/lambdas/planner/plan"
	"github.com/lambdas-dev/lambdas/state"
)

// Drift says how a live function differs from the state's record of its
// last release: code (the function is gone, or $LATEST runs other code) and
// alias (gone, pointing elsewhere, or weighted). alias is the manifest's
// alias, the one live was read with; a record of another alias (the alias
// was renamed) is not compared. A function with no release recorded has no
// drift: there is nothing to differ from.
func Drift(rec *state.Function, alias string, live plan.Live) (code, aliasDrift []string) {
	if rec == nil || rec.Version == "" {
		return nil, nil
	}
	if !live.Exists {
		return []string{fmt.Sprintf("function %s does not exist (the state records version %s)", rec.FunctionName, rec.Version)}, nil
	}
	if rec.Account != "" && live.Account != "" && rec.Account != live.Account {
		// Another account is another function: the recorded release is not there.
		return []string{fmt.Sprintf("function %s is in account %s, the state's release went to account %s", rec.FunctionName, live.Account, rec.Account)}, nil
	}
	if live.CodeSha256 != rec.CodeSha256 && !rec.Rollout.RunsCode(live.CodeSha256) {
		code = append(code, fmt.Sprintf("$LATEST runs CodeSha256 %s, the state records %s", live.CodeSha256, rec.CodeSha256))
	}
	if rec.Alias != alias {
		return code, nil
	}
	// The rollout's next move went through, its record did not: in flight.
	unrecorded := UnrecordedStep(rec.Rollout, live)
	switch {
	case unrecorded:
	case !live.AliasExists:
		aliasDrift = append(aliasDrift, fmt.Sprintf("alias %s does not exist (the state records version %s)", alias, rec.Version))
	case live.AliasVersion != rec.Version:
		aliasDrift = append(aliasDrift, fmt.Sprintf("alias %s points at version %s, the state records %s", alias, live.AliasVersion, rec.Version))
	case live.AliasCodeSha256 != "" && live.AliasCodeSha256 != rec.CodeSha256:
		aliasDrift = append(aliasDrift, fmt.Sprintf("version %s runs CodeSha256 %s, the state records %s", live.AliasVersion, live.AliasCodeSha256, rec.CodeSha256))
	}
	if ro := rec.Rollout; ro.InProgress() && live.AliasExists && live.WeightsRead {
		if !unrecorded {
			aliasDrift = append(aliasDrift, rolloutDrift(ro, alias, live.Weights)...)
		}
	} else if live.AliasExists && len(live.Weights) > 0 {
		aliasDrift = append(aliasDrift, fmt.Sprintf("alias %s routes traffic to other versions too (%s)", alias, weights(live.Weights)))
	}
	return code, aliasDrift
}

func weights(w map[string]float64) string {
	var parts []string
	for v, f := range w {
		parts = append(parts, fmt.Sprintf("version %s at %.0f%%", v, f*100))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// RefreshTargets lists the functions of the plan whose live state a refresh
// reads: those with a release recorded. all = false leaves out the
// functions whose code the plan updates anyway (apply's refresh): their
// drift cannot change what the plan does, and the release's own reads find
// and report it (update-code reads $LATEST; a moved alias answers 412), so
// reading them first would only add calls before the release starts.
func RefreshTargets(p *plan.Plan, doc *state.Document, all bool) []string {
	var out []string
	for i := range p.Functions {
		fp := &p.Functions[i]
		rec := doc.Functions[fp.Name]
		if rec == nil || rec.Version == "" || rec.FunctionName != fp.FunctionName {
			continue
		}
		if !all && fp.HasStep(plan.StepUpdateCode) {
			continue
		}
		out = append(out, fp.Name)
	}
	return out
}

// ApplyDrift folds what a refresh read (live, by label) into the plan, as
// terraform does: the state records the release that should run, and a
// function that drifted from it is brought back. Code drift ($LATEST runs
// other code, or the function is gone) gets package, upload, update-code
// and move-alias (the current tree's package, which is the recorded one
// when the fingerprint is unchanged); alias drift alone gets move-alias to
// the recorded version, which the executor verifies first. A function
// whose plan already does that keeps its steps; the drift is said either
// way (FunctionPlan.Drift, a reason). It is a pure function of its inputs.
func ApplyDrift(p *plan.Plan, live map[string]plan.Live, doc *state.Document, m *manifest.Manifest) {
	byLabel := map[string]*manifest.Function{}
	for _, f := range m.Functions {
		byLabel[f.Label] = f
	}
	read, drifted := 0, 0
	for i := range p.Functions {
		fp := &p.Functions[i]
		l, ok := live[fp.Name]
		if !ok {
			continue
		}
		read++
		rec := doc.Functions[fp.Name]
		if rec == nil || rec.FunctionName != fp.FunctionName {
			continue // released anew whatever runs there
		}
		code, alias := Drift(rec, fp.Alias, l)
		if len(code)+len(alias) == 0 {
			continue
		}
		drifted++
		fp.Drift = append(append([]string{}, code...), alias...)
		what := strings.Join(fp.Drift, "; ")
		f := byLabel[fp.Name]
		needCode := len(code) > 0 && !fp.HasStep(plan.StepUpdateCode)
		needAlias := len(alias) > 0 && !fp.HasStep(plan.StepMoveAlias)
		if f == nil || (!needCode && !needAlias) {
			fp.Reasons = append(fp.Reasons, "drifted outside lambdas (this release replaces it): "+what)
			continue
		}
		codeNow := needCode || fp.HasStep(plan.StepUpdateCode)
		fp.Steps = steps(m, f, *fp, codeNow, fp.HasStep(plan.StepAttachLayer), true, layerBuilder(fp) == "docker")
		if fp.Change == plan.Unchanged {
			fp.Change = plan.Changed
		}
		if codeNow {
			fp.Reasons = append(fp.Reasons, "drifted outside lambdas: "+what+"; apply restores the released code and points "+fp.Alias+" at it")
		} else {
			fp.Reasons = append(fp.Reasons, fmt.Sprintf("drifted outside lambdas: %s; apply points %s back at the released version %s", what, fp.Alias, rec.Version))
		}
	}
	p.Refreshed = true
	p.Notes = append(p.Notes, fmt.Sprintf("refreshed from AWS: %d %s read, %d drifted from the state", read, plural(read, "function", "functions"), drifted))
	p.Recount()
}
