package planner

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lambdas-dev/lambdas/manifest"
	"github.com/lambdas-dev/lambdas/planner/plan"
	"github.com/lambdas-dev/lambdas/state"
)

func TestApplyDrift(t *testing.T) {
	fn := &manifest.Function{Label: "orders", Name: "orders-api", Source: "functions/orders", Runtime: "python3.13", Architecture: "x86_64", Alias: "live"}
	m := &manifest.Manifest{Functions: []*manifest.Function{fn}, Project: manifest.Project{Artifacts: &manifest.S3Location{Bucket: "art"}}}
	rec := &state.Function{FunctionName: "orders-api", Commit: "c0", CodeFingerprint: "fp", CodeSha256: "SHA", Version: "3", Alias: "live", Account: "111111111111"}
	inSync := plan.Live{Exists: true, CodeSha256: "SHA", AliasExists: true, AliasVersion: "3", AliasCodeSha256: "SHA"}
	unchanged := func() plan.FunctionPlan {
		return plan.FunctionPlan{Name: "orders", FunctionName: "orders-api", Alias: "live", Change: plan.Unchanged, CodeFingerprint: "fp", Steps: []plan.Step{}, Reasons: []string{},
			Previous: &plan.Previous{Commit: "c0", Version: "3", CodeSha256: "SHA", Alias: "live"}}
	}
	tests := []struct {
		name       string
		fp         plan.FunctionPlan
		live       *plan.Live // nil: not read
		wantChange plan.Change
		wantSteps  string
		wantDrift  []string
		wantReason string
		wantAlias  *plan.AliasParams
	}{
		{name: "in sync", fp: unchanged(), live: &inSync, wantChange: plan.Unchanged, wantSteps: ""},
		{name: "not read", fp: unchanged(), wantChange: plan.Unchanged, wantSteps: ""},
		{
			name: "code drift on $LATEST: package, upload, update-code, move-alias", fp: unchanged(),
			live:       &plan.Live{Exists: true, CodeSha256: "HOTFIX", AliasExists: true, AliasVersion: "3", AliasCodeSha256: "SHA"},
			wantChange: plan.Changed, wantSteps: "package upload update-code move-alias",
			wantDrift:  []string{"$LATEST runs CodeSha256 HOTFIX, the state records SHA"},
			wantReason: "apply restores the released code",
			wantAlias:  &plan.AliasParams{Alias: "live", Strategy: "all-at-once"},
		},
		{
			// The same name in another account is another function: the
			// recorded release is not there, the whole release is made.
			name: "another account", fp: unchanged(),
			live:       &plan.Live{Exists: true, Account: "222222222222", CodeSha256: "SHA", AliasExists: true, AliasVersion: "3", AliasCodeSha256: "SHA"},
			wantChange: plan.Changed, wantSteps: "package upload update-code move-alias",
			wantDrift: []string{"function orders-api is in account 222222222222, the state's release went to account 111111111111"},
			wantAlias: &plan.AliasParams{Alias: "live", Strategy: "all-at-once"},
		},
		{
			name: "alias drift only: move-alias to the recorded version", fp: unchanged(),
			live:       &plan.Live{Exists: true, CodeSha256: "SHA", AliasExists: true, AliasVersion: "4", AliasCodeSha256: "OTHER"},
			wantChange: plan.Changed, wantSteps: "move-alias",
			wantDrift:  []string{"alias live points at version 4, the state records 3"},
			wantReason: "apply points live back at the released version 3",
			wantAlias:  &plan.AliasParams{Alias: "live", Strategy: "all-at-once", Version: "3"},
		},
		{
			name: "alias gone", fp: unchanged(),
			live:       &plan.Live{Exists: true, CodeSha256: "SHA"},
			wantChange: plan.Changed, wantSteps: "move-alias",
			wantDrift: []string{"alias live does not exist (the state records version 3)"},
			wantAlias: &plan.AliasParams{Alias: "live", Strategy: "all-at-once", Version: "3"},
		},
		{
			name: "weights on the alias", fp: unchanged(),
			live:       &plan.Live{Exists: true, CodeSha256: "SHA", AliasExists: true, AliasVersion: "3", AliasCodeSha256: "SHA", Weights: map[string]float64{"4": 0.1}, WeightsRead: true},
			wantChange: plan.Changed, wantSteps: "move-alias",
			wantDrift: []string{"alias live routes traffic to other versions too (version 4 at 10%)"},
		},
		{
			name: "function gone", fp: unchanged(),
			live:       &plan.Live{},
			wantChange: plan.Changed, wantSteps: "package upload update-code move-alias",
			wantDrift: []string{"function orders-api does not exist (the state records version 3)"},
		},
		{
			name: "both drifted", fp: unchanged(),
			live:       &plan.Live{Exists: true, CodeSha256: "HOTFIX", AliasExists: true, AliasVersion: "4", AliasCodeSha256: "HOTFIX"},
			wantChange: plan.Changed, wantSteps: "package upload update-code move-alias",
			wantDrift: []string{"$LATEST runs CodeSha256 HOTFIX, the state records SHA", "alias live points at version 4, the state records 3"},
		},
		{
			name: "a changed function keeps its steps; the drift is said",
			fp: func() plan.FunctionPlan {
				fp := unchanged()
				fp.Change = plan.Changed
				fp.Steps = []plan.Step{{Name: plan.StepPackage, Package: &plan.PackageParams{}}, {Name: plan.StepUpdateCode, Code: &plan.CodeParams{FunctionName: "orders-api"}}, {Name: plan.StepMoveAlias, Alias: &plan.AliasParams{Alias: "live"}}}
				return fp
			}(),
			live:       &plan.Live{Exists: true, CodeSha256: "HOTFIX", AliasExists: true, AliasVersion: "3", AliasCodeSha256: "SHA"},
			wantChange: plan.Changed, wantSteps: "package update-code move-alias",
			wantDrift:  []string{"$LATEST runs CodeSha256 HOTFIX, the state records SHA"},
			wantReason: "drifted outside lambdas (this release replaces it)",
		},
		{
			name: "an alias-only change with code drift gets the code steps",
			fp: func() plan.FunctionPlan {
				fp := unchanged()
				fp.Change = plan.Changed
				fp.Steps = []plan.Step{{Name: plan.StepMoveAlias, Alias: &plan.AliasParams{Alias: "live", Version: "3"}}}
				return fp
			}(),
			live:       &plan.Live{Exists: true, CodeSha256: "HOTFIX", AliasExists: true, AliasVersion: "3", AliasCodeSha256: "SHA"},
			wantChange: plan.Changed, wantSteps: "package upload update-code move-alias",
			wantDrift: []string{"$LATEST runs CodeSha256 HOTFIX, the state records SHA"},
			wantAlias: &plan.AliasParams{Alias: "live", Strategy: "all-at-once"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &plan.Plan{Functions: []plan.FunctionPlan{tt.fp}}
			live := map[string]plan.Live{}
			if tt.live != nil {
				live["orders"] = *tt.live
			}
			doc := state.NewDocument()
			doc.Functions["orders"] = rec
			ApplyDrift(p, live, doc, m)
			got := p.Functions[0]
			if got.Change != tt.wantChange {
				t.Errorf("change %s, want %s", got.Change, tt.wantChange)
			}
			var names []string
			for _, s := range got.Steps {
				names = append(names, string(s.Name))
			}
			if s := strings.Join(names, " "); s != tt.wantSteps {
				t.Errorf("steps %q, want %q", s, tt.wantSteps)
			}
			if diff := cmp.Diff(tt.wantDrift, got.Drift); diff != "" {
				t.Errorf("drift (-want +got):\n%s", diff)
			}
			if tt.wantReason != "" && !strings.Contains(strings.Join(got.Reasons, "\n"), tt.wantReason) {
				t.Errorf("reasons %q lack %q", got.Reasons, tt.wantReason)
			}
			if tt.wantAlias != nil {
				if diff := cmp.Diff(tt.wantAlias, got.Step(plan.StepMoveAlias).Alias); diff != "" {
					t.Errorf("move-alias parameters (-want +got):\n%s", diff)
				}
			}
			if !p.Refreshed || (tt.wantChange == plan.Changed) != p.HasChanges() {
				t.Errorf("refreshed %v, summary %+v", p.Refreshed, p.Summary)
			}
		})
	}
}

func TestRefreshTargets(t *testing.T) {
	doc := state.NewDocument()
	doc.Functions["a"] = &state.Function{FunctionName: "a", Version: "1"}
	doc.Functions["b"] = &state.Function{FunctionName: "b", Version: "1"}
	doc.Functions["c"] = &state.Function{FunctionName: "c"} // nothing released yet
	p := &plan.Plan{Functions: []plan.FunctionPlan{
		{Name: "a", FunctionName: "a"},
		{Name: "b", FunctionName: "b", Steps: []plan.Step{{Name: plan.StepUpdateCode}}},
		{Name: "c", FunctionName: "c"},
		{Name: "d", FunctionName: "d"},
	}}
	if diff := cmp.Diff([]string{"a", "b"}, RefreshTargets(p, doc, true)); diff != "" {
		t.Errorf("all (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a"}, RefreshTargets(p, doc, false)); diff != "" {
		t.Errorf("apply's (-want +got):\n%s", diff)
	}
}
