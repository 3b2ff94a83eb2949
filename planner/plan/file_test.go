package plan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func load(path string) (*Plan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Decode(data, filepath.Base(path))
}

func TestLoadFileErrors(t *testing.T) {
	tests := []struct {
		name    string
		content *string // nil: no file
		wantErr string
	}{
		{name: "missing", wantErr: "no such file"},
		{name: "not JSON", content: ptr("lambdas.hcl\n"), wantErr: "plan.json is not a lambdas plan file"},
		{name: "other JSON", content: ptr(`{"name":"package.json"}`), wantErr: "plan.json is not a lambdas plan file (no format_version or head); make one with `lambdas plan --out FILE`"},
		{name: "no head", content: ptr(`{"format_version":2}`), wantErr: "no format_version or head"},
		{name: "newer format", content: ptr(`{"format_version":4,"head":"abc"}`), wantErr: "plan.json has plan format 4, newer than this lambdas understands (3)"},
		{name: "older format", content: ptr(`{"format_version":2,"head":"abc"}`), wantErr: "plan.json has plan format 2, made by an older lambdas (this one writes 3); make the plan again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "plan.json")
			if tt.content != nil {
				if err := os.WriteFile(path, []byte(*tt.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := load(path)
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
			FormatVersion: FormatVersion, ToolVersion: "v1", Region: "us-east-1", ManifestHash: "m1", Head: strings.Repeat("a", 40),
			StateLineage: "lineage-1", StateSerial: 7,
			Functions: []FunctionPlan{
				{Name: "api", CodeFingerprint: "c-api", DepsFingerprint: "d-api", StateRecord: "r-api"},
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
		{name: "tool version changed", now: func(p *Plan) { p.ToolVersion = "v2" }, wantErr: []string{"it was made by lambdas v1, this is v2"}},
		{name: "region changed", now: func(p *Plan) { p.Region = "eu-west-1" }, wantErr: []string{"the region changed from us-east-1 to eu-west-1"}},
		{name: "manifest changed", now: func(p *Plan) { p.ManifestHash = "m2" }, wantErr: []string{"the manifest (or a variable) changed"}},
		{name: "HEAD moved", now: func(p *Plan) { p.Head = strings.Repeat("b", 40) }, wantErr: []string{"HEAD moved from aaaaaaa to bbbbbbb"}},
		{name: "other lineage", now: func(p *Plan) { p.StateLineage = "lineage-2" }, wantErr: []string{"the state is a different one (lineage differs)"}},
		// Another apply (a shard beside this one) wrote other functions'
		// records: the serial moved, this plan's functions did not.
		{name: "other functions released since", now: func(p *Plan) { p.StateSerial = 8 }},
		{name: "saved before any state existed, other functions released since", saved: func(p *Plan) { p.StateLineage, p.StateSerial = "", 0 }},
		{name: "environment changed", now: func(p *Plan) { p.Environment = "prod" }, wantErr: []string{`it was made for environment "", this is "prod"`}},
		{name: "a function's record changed", now: func(p *Plan) { p.StateSerial, p.Functions[0].StateRecord = 8, "r-api-2" },
			wantErr: []string{"api's state record changed since the plan (another apply released or resumed it)"}},
		{name: "a function got a record", now: func(p *Plan) { p.Functions[1].StateRecord = "r-worker" },
			wantErr: []string{"worker's state record changed since the plan"}},
		{name: "code fingerprint changed", now: func(p *Plan) { p.Functions[1].CodeFingerprint = "c-worker-2" }, wantErr: []string{"worker's files changed since the plan"}},
		{name: "deps fingerprint changed", now: func(p *Plan) { p.Functions[0].DepsFingerprint = "d-api-2" }, wantErr: []string{"api's files changed since the plan"}},
		{name: "function no longer planned", now: func(p *Plan) { p.Functions = p.Functions[:1] }, wantErr: []string{"worker is no longer planned"}},
		{name: "several reasons at once", now: func(p *Plan) { p.ManifestHash, p.Functions[1].StateRecord = "m2", "r-worker" },
			wantErr: []string{"the saved plan is stale: the manifest (or a variable) changed; worker's state record changed since the plan", "make a new one with `lambdas plan --out FILE`"}},
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
			for i := range now.Functions {
				now.Functions[i].Package = &Package{Entries: []Entry{{Path: now.Functions[i].Name + ".py"}}}
			}
			err := saved.CheckCurrent(now)
			if tt.wantErr == nil {
				if err != nil {
					t.Errorf("CheckCurrent: %v, want nil", err)
				}
				for _, f := range saved.Functions {
					if f.Package == nil || f.Package.Entries[0].Path != f.Name+".py" {
						t.Errorf("%s: the saved plan did not take the fresh plan's package: %+v", f.Name, f.Package)
					}
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
