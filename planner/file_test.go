package planner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/lambdas-dev/lambdas/planner/plan"

	"github.com/lambdas-dev/lambdas/state"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	r, _ := planRepo(t)
	m := testManifest(r.root)
	st := released(makePlan(t, r, m, state.NewDocument()))
	r.write("functions/api/app.py", "v2\n")
	r.commit("two")
	r.write("functions/worker/main.js", "dirty\n")
	st.Functions["legacy"] = &state.Function{FunctionName: "legacy", Commit: "c"}
	st.Functions["cron"].InFlight = &state.Release{CodeFingerprint: st.Functions["cron"].CodeFingerprint, DepsFingerprint: st.Functions["cron"].DepsFingerprint, Done: map[string]string{string(plan.StepBuildDependencies): "t"}}
	m.Functions[1].BuildImage = "new-image"
	p := makePlan(t, r, m, st)
	if !p.Dirty || p.Summary.Changed == 0 || len(p.Notes) == 0 {
		t.Fatalf("the plan should be dirty, with changes and notes: %+v", p)
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "release.plan")
	data, err := plan.Encode(p)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	if err := state.WriteFileAtomic(path, data); err != nil {
		t.Fatal(err)
	}
	data, err = os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := plan.Decode(data, "release.plan")
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if diff := cmp.Diff(p, got, cmpopts.IgnoreFields(plan.FunctionPlan{}, "Package")); diff != "" {
		t.Errorf("round trip (-saved +loaded):\n%s", diff)
	}
	if err := got.CheckCurrent(p); err != nil {
		t.Errorf("a loaded plan is not current against itself: %v", err)
	}
	if diff := cmp.Diff([]string{"release.plan"}, dirNames(t, dir)); diff != "" {
		t.Errorf("files after Save (-want +got):\n%s", diff)
	}

	// A second plan made from the same world is current.
	again := makePlan(t, r, m, st)
	if err := got.CheckCurrent(again); err != nil {
		t.Errorf("CheckCurrent against a fresh plan of the same world: %v", err)
	}
	// One more uncommitted edit makes it stale.
	r.write("functions/worker/main.js", "dirtier\n")
	err = got.CheckCurrent(makePlan(t, r, m, st))
	if err == nil || !strings.Contains(err.Error(), "worker's files changed since the plan") {
		t.Errorf("CheckCurrent after another edit: %v", err)
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}
