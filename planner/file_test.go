package planner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

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
	st.Functions["cron"].InFlight = &state.Release{CodeFingerprint: st.Functions["cron"].CodeFingerprint, DepsFingerprint: st.Functions["cron"].DepsFingerprint, Done: map[string]string{StepBuildDependencies: "t"}}
	m.Functions[1].BuildImage = "new-image"
	p := makePlan(t, r, m, st)
	if !p.Dirty || p.Summary.Changed == 0 || len(p.Notes) == 0 {
		t.Fatalf("the plan should be dirty, with changes and notes: %+v", p)
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "release.plan")
	if err := Save(path, p); err != nil {
		t.Fatalf("Save: %v", err)
	}
	got, err := LoadFile(path)
	if err != nil {
		t.Fatalf("LoadFile: %v", err)
	}
	if diff := cmp.Diff(p, got); diff != "" {
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

func TestLoadFileErrors(t *testing.T) {
	tests := []struct {
		name    string
		content *string // nil: no file
		wantErr string
	}{
		{name: "missing", wantErr: "read plan file"},
		{name: "not JSON", content: ptr("lambdas.hcl\n"), wantErr: "plan.json is not a lambdas plan file"},
		{name: "other JSON", content: ptr(`{"name":"package.json"}`), wantErr: "plan.json is not a lambdas plan file (no format_version or head); make one with `lambdas plan --out FILE`"},
		{name: "no head", content: ptr(`{"format_version":1}`), wantErr: "no format_version or head"},
		{name: "newer format", content: ptr(`{"format_version":2,"head":"abc"}`), wantErr: "plan.json has plan format 2, newer than this lambdas understands (1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "plan.json")
			if tt.content != nil {
				if err := os.WriteFile(path, []byte(*tt.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := LoadFile(path)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("LoadFile: %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestCheckCurrent(t *testing.T) {
	base := func() *Plan {
		return &Plan{
			FormatVersion: FormatVersion, ManifestHash: "m1", Head: strings.Repeat("a", 40),
			StateLineage: "lineage-1", StateSerial: 7,
			Functions: []FunctionPlan{
				{Name: "api", CodeFingerprint: "c-api", DepsFingerprint: "d-api"},
				{Name: "worker", CodeFingerprint: "c-worker"},
			},
		}
	}
	tests := []struct {
		name    string
		saved   func(p *Plan) // changes to the saved plan
		now     func(p *Plan) // changes to the fresh plan
		wantErr []string      // nil: current
	}{
		{name: "identical"},
		{name: "functions in another order", now: func(p *Plan) { p.Functions[0], p.Functions[1] = p.Functions[1], p.Functions[0] }},
		{name: "fresh plan covers more functions", now: func(p *Plan) { p.Functions = append(p.Functions, FunctionPlan{Name: "cron"}) }},
		{name: "saved before any state existed, state still empty", saved: func(p *Plan) { p.StateLineage, p.StateSerial = "", 0 },
			now: func(p *Plan) { p.StateLineage, p.StateSerial = "", 0 }},
		{name: "manifest changed", now: func(p *Plan) { p.ManifestHash = "m2" }, wantErr: []string{"the manifest (or a variable) changed"}},
		{name: "HEAD moved", now: func(p *Plan) { p.Head = strings.Repeat("b", 40) }, wantErr: []string{"HEAD moved from aaaaaaa to bbbbbbb"}},
		{name: "other lineage", now: func(p *Plan) { p.StateLineage = "lineage-2" }, wantErr: []string{"the state is a different one (lineage differs)"}},
		{name: "other serial", now: func(p *Plan) { p.StateSerial = 8 }, wantErr: []string{"the state changed since (serial 7, now 8): another apply ran"}},
		{name: "saved before any state existed, state written since", saved: func(p *Plan) { p.StateLineage, p.StateSerial = "", 0 },
			wantErr: []string{"serial 0, now 7"}},
		{name: "code fingerprint changed", now: func(p *Plan) { p.Functions[1].CodeFingerprint = "c-worker-2" }, wantErr: []string{"worker's files changed since the plan"}},
		{name: "deps fingerprint changed", now: func(p *Plan) { p.Functions[0].DepsFingerprint = "d-api-2" }, wantErr: []string{"api's files changed since the plan"}},
		{name: "function no longer planned", now: func(p *Plan) { p.Functions = p.Functions[:1] }, wantErr: []string{"worker is no longer planned"}},
		{name: "several reasons at once", now: func(p *Plan) { p.ManifestHash, p.StateSerial = "m2", 9 },
			wantErr: []string{"the saved plan is stale: the manifest (or a variable) changed; the state changed since (serial 7, now 9)", "make a new one with `lambdas plan --out FILE`"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			saved, now := base(), base()
			if tt.saved != nil {
				tt.saved(saved)
			}
			if tt.now != nil {
				tt.now(now)
			}
			err := saved.CheckCurrent(now)
			if tt.wantErr == nil {
				if err != nil {
					t.Errorf("CheckCurrent: %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckCurrent accepted a stale plan")
			}
			if !strings.HasPrefix(err.Error(), "the saved plan is stale: ") {
				t.Errorf("err = %q, want it to start with \"the saved plan is stale: \"", err)
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("err = %q, want it to contain %q", err, s)
				}
			}
		})
	}
}
