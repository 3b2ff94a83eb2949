package planner

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lambdas-dev/lambdas/manifest"
	"github.com/lambdas-dev/lambdas/planner/plan"
	"github.com/lambdas-dev/lambdas/state"
)

// planRepo is a monorepo of three functions: api (with a watched shared
// library and a descriptor inside its source), cron (a descriptor and
// lockfile outside its source) and worker (no dependencies).
func planRepo(t *testing.T) (*testRepo, string) {
	t.Helper()
	r := newTestRepo(t)
	r.files(map[string]string{
		"functions/api/app.py":           "def handler(e, c): return 'api'\n",
		"functions/api/requirements.txt": "requests==2.32.0\n",
		"functions/cron/handler.py":      "def handler(e, c): return 'cron'\n",
		"deps/cron/requirements.txt":     "boto3==1.35.0\n",
		"deps/cron/requirements.lock":    "boto3==1.35.0 --hash=sha256:aa\n",
		"functions/worker/main.js":       "exports.handler = async () => 'worker'\n",
		"libs/shared/util.py":            "def util(): pass\n",
		"docs/README.md":                 "# shop\n",
	})
	return r, r.commit("base")
}

func testManifest(root string) *manifest.Manifest {
	return &manifest.Manifest{
		RepoRoot: root,
		Hash:     "manifest-hash-1",
		Project:  manifest.Project{Name: "shop", Artifacts: &manifest.S3Location{Bucket: "artifacts", Prefix: "releases"}},
		Functions: []*manifest.Function{
			{
				Label: "api", Name: "orders-api", Source: "functions/api", Watch: []string{"libs/shared"},
				Runtime: "python3.12", Architecture: "x86_64", Alias: "live",
				BuildImage: "public.ecr.aws/sam/build-python3.12:latest-x86_64", Dependencies: "functions/api/requirements.txt",
			},
			{
				Label: "cron", Name: "nightly-cron", Source: "functions/cron",
				Runtime: "python3.12", Architecture: "arm64", Alias: "live", BuildImage: "build-python:arm64", Builder: "docker",
				Dependencies: "deps/cron/requirements.txt", Lockfile: "deps/cron/requirements.lock",
			},
			{
				Label: "worker", Name: "worker", Source: "functions/worker",
				Runtime: "nodejs20.x", Architecture: "x86_64", Alias: "live",
			},
		},
	}
}

func makePlan(t *testing.T, r *testRepo, m *manifest.Manifest, st *state.Document, targets ...string) *plan.Plan {
	t.Helper()
	p, err := Make(Input{Manifest: m, Repo: r.open(), State: st, Targets: targets, ToolVersion: "v0.0.0-test"})
	if err != nil {
		t.Fatalf("Make: %v", err)
	}
	return p
}

// released is the state after applying p: every planned function released
// at p's HEAD with p's fingerprints.
func released(p *plan.Plan) *state.Document {
	d := state.NewDocument()
	d.Lineage, d.Serial = "lineage-1", 3
	for _, f := range p.Functions {
		d.Functions[f.Name] = &state.Function{
			FunctionName: f.FunctionName, Commit: p.Head, CodeFingerprint: f.CodeFingerprint, DepsFingerprint: f.DepsFingerprint,
			CodeSha256: "sha-" + f.Name, Version: "1", Alias: f.Alias, ReleasedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		}
	}
	return d
}

// fnView is what a test compares of a FunctionPlan.
type fnView struct {
	Change       plan.Change
	Reasons      []string
	Steps        []string
	ChangedFiles []string
	Uncommitted  []string
	Resume       []string
}

func view(f plan.FunctionPlan) fnView {
	v := fnView{Change: f.Change, Reasons: f.Reasons, ChangedFiles: f.ChangedFiles, Uncommitted: f.Uncommitted, Resume: f.Resume}
	for _, s := range f.Steps {
		v.Steps = append(v.Steps, string(s.Name))
	}
	return v
}

var (
	codeSteps    = []string{string(plan.StepPackage), string(plan.StepUpload), string(plan.StepUpdateCode), string(plan.StepMoveAlias)}
	allSteps     = []string{string(plan.StepBuildDependencies), string(plan.StepPublishLayer), string(plan.StepAttachLayer), string(plan.StepPackage), string(plan.StepUpload), string(plan.StepUpdateCode), string(plan.StepMoveAlias)}
	depsSteps    = []string{string(plan.StepBuildDependencies), string(plan.StepPublishLayer), string(plan.StepAttachLayer), string(plan.StepPublishVersion), string(plan.StepMoveAlias)}
	depsReason   = "dependency fingerprint changed (descriptor, lockfile, the files it includes, runtime, architecture, builder or its image)"
	settingsWhy  = "packaging settings changed (source, include, exclude, bundles, build, watch, runtime or architecture)"
	firstRelease = "first release: the state has no release of this function"
)

func TestMakeFirstPlan(t *testing.T) {
	r, head := planRepo(t)
	m := testManifest(r.root)
	p := makePlan(t, r, m, state.NewDocument())

	if p.FormatVersion != plan.FormatVersion || p.ToolVersion != "v0.0.0-test" || p.Project != "shop" || p.ManifestHash != "manifest-hash-1" ||
		p.Head != head || p.Branch != "main" || p.Dirty || p.Shallow || p.StateLineage != "" || p.StateSerial != 0 {
		t.Errorf("plan header = %+v", *p)
	}
	if diff := cmp.Diff(plan.Summary{New: 3}, p.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	if !p.HasChanges() {
		t.Error("HasChanges() = false for a first plan")
	}
	want := map[string]fnView{
		"api":    {Change: plan.New, Reasons: []string{firstRelease}, Steps: allSteps, ChangedFiles: []string{}},
		"cron":   {Change: plan.New, Reasons: []string{firstRelease}, Steps: allSteps, ChangedFiles: []string{}},
		"worker": {Change: plan.New, Reasons: []string{firstRelease}, Steps: codeSteps, ChangedFiles: []string{}},
	}
	got := map[string]fnView{}
	for _, f := range p.Functions {
		got[f.Name] = view(f)
		if f.Previous != nil {
			t.Errorf("%s: Previous = %+v on a first release", f.Name, f.Previous)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("functions (-want +got):\n%s", diff)
	}
	api := p.Functions[0]
	if api.FunctionName != "orders-api" || api.Runtime != "python3.12" || api.Architecture != "x86_64" || api.Alias != "live" ||
		len(api.CodeFingerprint) != 64 || len(api.DepsFingerprint) != 64 {
		t.Errorf("api plan = %+v", api)
	}
	if p.Functions[2].DepsFingerprint != "" {
		t.Errorf("worker has no dependencies, yet DepsFingerprint = %q", p.Functions[2].DepsFingerprint)
	}
	wantStepReasons := [][2]string{
		{string(plan.StepBuildDependencies), "requirements.txt for python3.12 x86_64, with pip for Lambda's platform (local builder)"},
		{string(plan.StepPublishLayer), "publish a version of layer lambdas-shop-deps-python3-12-x86_64 for dependency fingerprint " + api.DepsFingerprint[:12] + " (none exists yet)"},
		{string(plan.StepAttachLayer), "point orders-api at the new layer version, keeping its other layers in their places"},
		{string(plan.StepPackage), "zip 2 files of functions/api deterministically"},
		{string(plan.StepUpload), "store the zip under its content hash (skipped when already stored)"},
		{string(plan.StepUpdateCode), "update the code of orders-api and publish it as a version (one call, guarded by RevisionId)"},
		{string(plan.StepMoveAlias), "point alias live at the new version (all-at-once)"},
	}
	var gotStepReasons [][2]string
	for _, s := range api.Steps {
		gotStepReasons = append(gotStepReasons, [2]string{string(s.Name), s.Reason})
		if err := s.Check(); err != nil {
			t.Errorf("step %s: %v", s.Name, err)
		}
	}
	if diff := cmp.Diff(wantStepReasons, gotStepReasons); diff != "" {
		t.Errorf("api steps (-want +got):\n%s", diff)
	}
}

func TestMakeChanges(t *testing.T) {
	type edit func(t *testing.T, r *testRepo, m *manifest.Manifest, st *state.Document)
	fn := func(m *manifest.Manifest, label string) *manifest.Function {
		for _, f := range m.Functions {
			if f.Label == label {
				return f
			}
		}
		panic(label)
	}
	tests := []struct {
		name      string
		edit      edit
		want      map[string]fnView // functions not unchanged; {base} is the released commit
		wantNotes []string
		wantDirty bool
	}{
		{name: "nothing changed", edit: func(t *testing.T, r *testRepo, m *manifest.Manifest, st *state.Document) {}},
		{name: "a commit outside every function", edit: func(t *testing.T, r *testRepo, m *manifest.Manifest, st *state.Document) {
			r.write("docs/README.md", "# shop, documented\n")
			r.commit("docs")
			r.write("docs/dirty.md", "uncommitted\n")
		}},
		{
			name: "code change",
			edit: func(t *testing.T, r *testRepo, m *manifest.Manifest, st *state.Document) {
				r.write("functions/api/app.py", "def handler(e, c): return 'api v2'\n")
				r.commit("api v2")
			},
			want: map[string]fnView{"api": {Change: plan.Changed, Steps: codeSteps,
				Reasons:      []string{"source functions/api changed since {base}: 1 file"},
				ChangedFiles: []string{"functions/api/app.py"}}},
		},
		{
			name: "watched library change",
			edit: func(t *testing.T, r *testRepo, m *manifest.Manifest, st *state.Document) {
				r.write("libs/shared/util.py", "def util(): return 1\n")
				r.write("libs/shared/more.py", "x = 1\n")
				r.commit("shared")
			},
			want: map[string]fnView{"api": {Change: plan.Changed, Steps: codeSteps,
				Reasons:      []string{"watched libs/shared changed since {base}: 2 files"},
				ChangedFiles: []string{"libs/shared/more.py", "libs/shared/util.py"}}},
		},
		{
			name: "descriptor inside the source: code and dependencies",
			edit: func(t *testing.T, r *testRepo, m *manifest.Manifest, st *state.Document) {
				r.write("functions/api/requirements.txt", "requests==2.33.0\n")
				r.commit("bump requests")
			},
			want: map[string]fnView{"api": {Change: plan.Changed, Steps: allSteps,
				Reasons:      []string{"source functions/api changed since {base}: 1 file"},
				ChangedFiles: []string{"functions/api/requirements.txt"}}},
		},
		{
			name: "descriptor outside the source: dependencies only",
			edit: func(t *testing.T, r *testRepo, m *manifest.Manifest, st *state.Document) {
				r.write("deps/cron/requirements.txt", "boto3==1.36.0\n")
				r.commit("bump boto3")
			},
			want: map[string]fnView{"cron": {Change: plan.Changed, Steps: depsSteps,
				Reasons:      []string{"deps/cron/requirements.txt changed since {base}", depsReason},
				ChangedFiles: []string{"deps/cron/requirements.txt"}}},
		},
		{
			name: "lockfile only",
			edit: func(t *testing.T, r *testRepo, m *manifest.Manifest, st *state.Document) {
				r.write("deps/cron/requirements.lock", "boto3==1.35.0 --hash=sha256:bb\n")
				r.commit("relock")
			},
			want: map[string]fnView{"cron": {Change: plan.Changed, Steps: depsSteps,
				Reasons:      []string{"deps/cron/requirements.lock changed since {base}", depsReason},
				ChangedFiles: []string{"deps/cron/requirements.lock"}}},
		},
		{
			name: "build image only",
			edit: func(t *testing.T, r *testRepo, m *manifest.Manifest, st *state.Document) {
				fn(m, "api").BuildImage = "public.ecr.aws/sam/build-python3.12:1.120.0-x86_64"
				fn(m, "api").Builder = "docker" // the local builder has no image
			},
			want: map[string]fnView{"api": {Change: plan.Changed, Steps: depsSteps, Reasons: []string{depsReason}, ChangedFiles: []string{}}},
		},
		{
			name: "alias only",
			edit: func(t *testing.T, r *testRepo, m *manifest.Manifest, st *state.Document) {
				fn(m, "worker").Alias = "prod"
			},
			want: map[string]fnView{"worker": {Change: plan.Changed, Steps: []string{string(plan.StepMoveAlias)}, Reasons: []string{"alias changed from live to prod"}, ChangedFiles: []string{}}},
		},
		{
			// The list is what counts: an exclude that leaves it as it was
			// changes nothing, and neither does a commit of an excluded file.
			name: "an exclude that leaves the list as it is, and a commit of an excluded file",
			edit: func(t *testing.T, r *testRepo, m *manifest.Manifest, st *state.Document) {
				fn(m, "worker").Exclude = []string{"**/*.test.js"}
				r.write("functions/worker/main.test.js", "test('x', () => {})\n")
				r.commit("a test")
				r.write("functions/worker/other.test.js", "uncommitted test\n")
			},
		},
		{
			name: "architecture: code and dependencies",
			edit: func(t *testing.T, r *testRepo, m *manifest.Manifest, st *state.Document) {
				fn(m, "api").Architecture = "arm64"
			},
			want: map[string]fnView{"api": {Change: plan.Changed, Steps: allSteps, Reasons: []string{settingsWhy}, ChangedFiles: []string{}}},
		},
		{
			name: "function_name changed",
			edit: func(t *testing.T, r *testRepo, m *manifest.Manifest, st *state.Document) {
				fn(m, "worker").Name = "worker-v2"
				fn(m, "worker").Create = &manifest.Create{Role: "arn:aws:iam::123456789012:role/worker"}
			},
			want: map[string]fnView{"worker": {Change: plan.New, Steps: codeSteps,
				Reasons: []string{"function_name changed from worker to worker-v2"}, ChangedFiles: []string{}}},
		},
		{
			name: "uncommitted change",
			edit: func(t *testing.T, r *testRepo, m *manifest.Manifest, st *state.Document) {
				r.write("functions/worker/main.js", "exports.handler = async () => 'dirty'\n")
			},
			want: map[string]fnView{"worker": {Change: plan.Changed, Steps: codeSteps,
				Reasons: []string{"uncommitted changes: 1 file"}, ChangedFiles: []string{}, Uncommitted: []string{"functions/worker/main.js"}}},
			wantDirty: true,
		},
		{
			name: "packaging settings and uncommitted changes",
			edit: func(t *testing.T, r *testRepo, m *manifest.Manifest, st *state.Document) {
				fn(m, "worker").Architecture = "arm64"
				r.write("functions/worker/main.js", "exports.handler = async () => 'dirty'\n")
			},
			want: map[string]fnView{"worker": {Change: plan.Changed, Steps: codeSteps,
				// With uncommitted changes the fingerprint says nothing more
				// precise than that.
				Reasons: []string{"uncommitted changes: 1 file"}, ChangedFiles: []string{}, Uncommitted: []string{"functions/worker/main.js"}}},
			wantDirty: true,
		},
		{
			name: "committed and uncommitted changes",
			edit: func(t *testing.T, r *testRepo, m *manifest.Manifest, st *state.Document) {
				r.write("functions/worker/main.js", "exports.handler = async () => 'v2'\n")
				r.commit("worker v2")
				r.write("functions/worker/extra.js", "x\n")
				r.write("libs/shared/util.py", "dirty\n")
			},
			want: map[string]fnView{
				"worker": {Change: plan.Changed, Steps: codeSteps,
					Reasons:      []string{"source functions/worker changed since {base}: 1 file", "uncommitted changes: 1 file"},
					ChangedFiles: []string{"functions/worker/main.js"}, Uncommitted: []string{"functions/worker/extra.js"}},
				"api": {Change: plan.Changed, Steps: codeSteps,
					Reasons: []string{"uncommitted changes: 1 file"}, ChangedFiles: []string{}, Uncommitted: []string{"libs/shared/util.py"}},
			},
			wantDirty: true,
		},
		{
			name: "last release was dirty, now clean",
			edit: func(t *testing.T, r *testRepo, m *manifest.Manifest, st *state.Document) {
				st.Functions["worker"].Dirty = true
				st.Functions["worker"].CodeFingerprint = "fingerprint-of-a-dirty-tree"
			},
			want: map[string]fnView{"worker": {Change: plan.Changed, Steps: codeSteps,
				Reasons: []string{"the last release was made from uncommitted changes; this one is from the commit"}, ChangedFiles: []string{}}},
		},
		{
			name: "released commit not in this clone",
			edit: func(t *testing.T, r *testRepo, m *manifest.Manifest, st *state.Document) {
				st.Functions["worker"].Commit = strings.Repeat("ab", 20)
				st.Functions["worker"].CodeFingerprint = "older"
				st.Functions["cron"].Commit = strings.Repeat("ab", 20) // unchanged: no diff needed, no note
			},
			want: map[string]fnView{"worker": {Change: plan.Changed, Steps: codeSteps,
				Reasons: []string{"fingerprint differs from the release of abababa (that commit is not in this clone)"}, ChangedFiles: []string{}}},
			wantNotes: []string{"commit abababa of an earlier release is not in this clone (shallow clone or rewritten history): changes were found by comparing fingerprints, without a file list"},
		},
		{
			name: "interrupted release resumes",
			edit: func(t *testing.T, r *testRepo, m *manifest.Manifest, st *state.Document) {
				r.write("functions/worker/main.js", "exports.handler = async () => 'v2'\n")
				r.commit("worker v2")
				fp := planned(t, makePlan(t, r, m, st), "worker")
				st.Functions["worker"].InFlight = &state.Release{
					Commit: fp.Previous.Commit, CodeFingerprint: fp.CodeFingerprint,
					Done: map[string]string{string(plan.StepUpload): "2026-01-01T00:00:02Z", string(plan.StepPackage): "2026-01-01T00:00:01Z"},
				}
			},
			want: map[string]fnView{"worker": {Change: plan.Changed, Steps: codeSteps,
				Reasons:      []string{"source functions/worker changed since {base}: 1 file", "resumes an interrupted release (package, upload done)"},
				ChangedFiles: []string{"functions/worker/main.js"}, Resume: []string{string(plan.StepPackage), string(plan.StepUpload)}}},
		},
		{
			name: "interrupted release of other content does not resume",
			edit: func(t *testing.T, r *testRepo, m *manifest.Manifest, st *state.Document) {
				r.write("functions/worker/main.js", "exports.handler = async () => 'v3'\n")
				r.commit("worker v3")
				st.Functions["worker"].InFlight = &state.Release{CodeFingerprint: "of-v2", Done: map[string]string{string(plan.StepPackage): "t"}}
			},
			want: map[string]fnView{"worker": {Change: plan.Changed, Steps: codeSteps,
				Reasons:      []string{"source functions/worker changed since {base}: 1 file"},
				ChangedFiles: []string{"functions/worker/main.js"}}},
		},
		{
			name: "a function in the state only",
			edit: func(t *testing.T, r *testRepo, m *manifest.Manifest, st *state.Document) {
				st.Functions["legacy"] = &state.Function{FunctionName: "legacy", Commit: "c"}
			},
			wantNotes: []string{"legacy is in the state but no longer in the manifest; lambdas leaves the live function alone"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, base := planRepo(t)
			m := testManifest(r.root)
			st := released(makePlan(t, r, m, state.NewDocument()))
			tt.edit(t, r, m, st)
			p := makePlan(t, r, m, st)

			want := map[string]fnView{}
			var summary plan.Summary
			for _, f := range m.Functions {
				v, ok := tt.want[f.Label]
				if !ok {
					v = fnView{Change: plan.Unchanged, Reasons: []string{}, ChangedFiles: []string{}}
				}
				for i, s := range v.Reasons {
					v.Reasons[i] = strings.ReplaceAll(s, "{base}", plan.ShortHash(base))
				}
				want[f.Label] = v
				switch v.Change {
				case plan.New:
					summary.New++
				case plan.Changed:
					summary.Changed++
				default:
					summary.Unchanged++
				}
			}
			got := map[string]fnView{}
			for _, f := range p.Functions {
				got[f.Name] = view(f)
				// Previous is what the state recorded.
				if prev := st.Functions[f.Name]; f.Previous == nil || f.Previous.Commit != prev.Commit || f.Previous.Version != "1" || f.Previous.CodeSha256 != "sha-"+f.Name || f.Previous.Alias != prev.Alias {
					t.Errorf("%s: Previous = %+v, want the state's release", f.Name, f.Previous)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("functions (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(summary, p.Summary); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
			if p.HasChanges() != (summary.New+summary.Changed > 0) {
				t.Errorf("HasChanges() = %v", p.HasChanges())
			}
			if diff := cmp.Diff(tt.wantNotes, p.Notes); diff != "" {
				t.Errorf("notes (-want +got):\n%s", diff)
			}
			if p.Dirty != tt.wantDirty {
				t.Errorf("Dirty = %v, want %v", p.Dirty, tt.wantDirty)
			}
			if p.StateLineage != "lineage-1" || p.StateSerial != 3 {
				t.Errorf("plan pins state %q/%d, want lineage-1/3", p.StateLineage, p.StateSerial)
			}
		})
	}
}

func planned(t *testing.T, p *plan.Plan, label string) plan.FunctionPlan {
	t.Helper()
	for _, f := range p.Functions {
		if f.Name == label {
			return f
		}
	}
	t.Fatalf("%s is not in the plan", label)
	return plan.FunctionPlan{}
}

func TestMakeSortsByLabel(t *testing.T) {
	r, _ := planRepo(t)
	m := testManifest(r.root)
	m.Functions[0], m.Functions[2] = m.Functions[2], m.Functions[0] // worker, cron, api
	p := makePlan(t, r, m, state.NewDocument())
	var got []string
	for _, f := range p.Functions {
		got = append(got, f.Name)
	}
	if diff := cmp.Diff([]string{"api", "cron", "worker"}, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

func TestMakeTargets(t *testing.T) {
	r, _ := planRepo(t)
	m := testManifest(r.root)
	st := released(makePlan(t, r, m, state.NewDocument()))
	st.Functions["legacy"] = &state.Function{FunctionName: "legacy", Commit: "c"}
	r.write("functions/api/app.py", "v2\n")
	r.write("functions/worker/main.js", "v2\n")
	r.commit("two")

	p := makePlan(t, r, m, st, "w*")
	if len(p.Functions) != 1 || p.Functions[0].Name != "worker" || p.Functions[0].Change != plan.Changed {
		t.Errorf("plan for target w* = %+v", p.Functions)
	}
	if diff := cmp.Diff([]string{"w*"}, p.Targets); diff != "" {
		t.Errorf("Targets (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(plan.Summary{Changed: 1}, p.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	if len(p.Notes) != 0 {
		t.Errorf("a targeted plan notes functions it did not look at: %q", p.Notes)
	}

	_, err := Make(Input{Manifest: m, Repo: r.open(), State: st, Targets: []string{"api", "nope"}})
	if err == nil || !strings.Contains(err.Error(), `--target "nope" matches no function`) {
		t.Errorf("Make with a target matching nothing: %v", err)
	}
}

func TestSelect(t *testing.T) {
	fns := testManifest("/repo").Functions
	tests := []struct {
		targets []string
		want    []string
		wantErr string
	}{
		{targets: nil, want: []string{"api", "cron", "worker"}},
		{targets: []string{"api"}, want: []string{"api"}},
		{targets: []string{"w*"}, want: []string{"worker"}},
		{targets: []string{"orders-*"}, want: []string{"api"}},                    // by function name
		{targets: []string{"nightly-cron", "api"}, want: []string{"api", "cron"}}, // manifest order
		{targets: []string{"*"}, want: []string{"api", "cron", "worker"}},
		{targets: []string{"api", "a*"}, want: []string{"api"}},
		{targets: []string{"nope"}, wantErr: `--target "nope" matches no function in the manifest`},
		{targets: []string{"api", "nope*"}, wantErr: `--target "nope*" matches no function`},
		{targets: []string{"[api"}, wantErr: `--target "[api" is not a valid pattern`},
	}
	for _, tt := range tests {
		got, err := Select(fns, tt.targets)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Select(%q): err = %v, want %q", tt.targets, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("Select(%q): %v", tt.targets, err)
			continue
		}
		var labels []string
		for _, f := range got {
			labels = append(labels, f.Label)
		}
		if diff := cmp.Diff(tt.want, labels); diff != "" {
			t.Errorf("Select(%q) (-want +got):\n%s", tt.targets, diff)
		}
	}
}

// fingerprints plans f alone in the repository at root and returns its code
// and dependency fingerprints.
func fingerprints(t *testing.T, root string, f *manifest.Function) (code, deps string) {
	t.Helper()
	r, err := OpenRepo(root)
	if err != nil {
		t.Fatal(err)
	}
	m := &manifest.Manifest{RepoRoot: root, Project: manifest.Project{Name: "shop"}, Functions: []*manifest.Function{f}}
	p, err := Make(Input{Manifest: m, Repo: r, State: state.NewDocument()})
	if err != nil {
		t.Fatalf("Make: %v", err)
	}
	return p.Functions[0].CodeFingerprint, p.Functions[0].DepsFingerprint
}

func TestCodeFingerprint(t *testing.T) {
	r, _ := planRepo(t)
	r.write("functions/api/tests/test_app.py", "def test(): pass\n")
	r.commit("tests")
	base := func() *manifest.Function { return testManifest(r.root).Functions[0] }
	ref, _ := fingerprints(t, r.root, base())

	tests := []struct {
		name   string
		change func(f *manifest.Function)
		edit   func(r *testRepo) // a worktree edit, undone after the case
		same   bool
	}{
		{name: "identical", same: true},
		{name: "include that changes the list", change: func(f *manifest.Function) { f.Include = []string{"**/*.py"} }},
		{name: "exclude that changes the list", change: func(f *manifest.Function) { f.Exclude = []string{"tests/**"} }},
		{name: "runtime", change: func(f *manifest.Function) { f.Runtime = "python3.13" }},
		{name: "architecture", change: func(f *manifest.Function) { f.Architecture = "arm64" }},
		{name: "source", change: func(f *manifest.Function) { f.Source = "functions/cron" }},
		{name: "another watch", change: func(f *manifest.Function) { f.Watch = append(f.Watch, "docs") }},
		{name: "no watch", change: func(f *manifest.Function) { f.Watch = nil }},
		{name: "a bundle", change: func(f *manifest.Function) { f.Bundles = []manifest.Bundle{{From: "libs/shared", To: "shared"}} }},
		{name: "dirty content", edit: func(r *testRepo) { r.write("functions/api/app.py", "dirty 1\n") }},
		{name: "other dirty content", edit: func(r *testRepo) { r.write("functions/api/app.py", "dirty 2\n") }},
		{name: "dirty: deleted", edit: func(r *testRepo) { r.remove("functions/api/app.py") }},
		{name: "untracked file", edit: func(r *testRepo) { r.write("functions/api/new.py", "new\n") }},
		// Not part of the package: these leave the code fingerprint alone.
		{name: "include that keeps the list", change: func(f *manifest.Function) { f.Include = []string{"**"} }, same: true},
		{name: "exclude of nothing", change: func(f *manifest.Function) { f.Exclude = []string{"nothing/**"} }, same: true},
		{name: "ignored file", edit: func(r *testRepo) {
			r.write(".gitignore", "*.pyc\n")
			r.git("add", ".gitignore")
			r.git("commit", "-qm", "ignore")
			r.write("functions/api/app.pyc", "bytecode\n")
		}, same: true},
		{name: "alias", change: func(f *manifest.Function) { f.Alias = "prod" }, same: true},
		{name: "function name", change: func(f *manifest.Function) { f.Name = "other" }, same: true},
		{name: "label", change: func(f *manifest.Function) { f.Label = "other" }, same: true},
		{name: "build image", change: func(f *manifest.Function) { f.BuildImage = "other" }, same: true},
		{name: "handler", change: func(f *manifest.Function) { f.Handler = "app.other" }, same: true},
	}
	seen := map[string]string{}
	for _, tt := range tests {
		f := base()
		if tt.change != nil {
			tt.change(f)
		}
		if tt.edit != nil {
			tt.edit(r)
		}
		got, _ := fingerprints(t, r.root, f)
		if tt.edit != nil {
			r.git("reset", "-q", "--hard")
			r.git("clean", "-qfdx")
		}
		if same := got == ref; same != tt.same {
			t.Errorf("%s: fingerprint same as the reference = %v, want %v", tt.name, same, tt.same)
		}
		if !tt.same {
			if other, dup := seen[got]; dup {
				t.Errorf("%s and %s give the same fingerprint", tt.name, other)
			}
			seen[got] = tt.name
		}
		ref, _ = fingerprints(t, r.root, base()) // the ignore commit moved HEAD
	}

	// A commit under the source or a watched path changes it; one elsewhere,
	// or to an excluded file, does not.
	excluding := func() *manifest.Function { f := base(); f.Exclude = []string{"tests/**"}; return f }
	ref, _ = fingerprints(t, r.root, excluding())
	for _, c := range []struct {
		file string
		same bool
	}{{"docs/README.md", true}, {"functions/api/tests/test_app.py", true}, {"functions/api/new.py", false}, {"libs/shared/util.py", false}} {
		r.write(c.file, "changed "+c.file+"\n")
		r.commit(c.file)
		got, _ := fingerprints(t, r.root, excluding())
		if (got == ref) != c.same {
			t.Errorf("after committing %s: fingerprint unchanged = %v, want %v", c.file, got == ref, c.same)
		}
		ref = got
	}
}

func TestDepsFingerprint(t *testing.T) {
	tests := []struct {
		name   string
		change func(f *manifest.Function)
		files  map[string]string
		commit bool
		same   bool
	}{
		{name: "identical", same: true},
		{name: "descriptor content", files: map[string]string{"deps/cron/requirements.txt": "boto3==1.36.0\n"}, commit: true},
		{name: "lockfile content", files: map[string]string{"deps/cron/requirements.lock": "other\n"}, commit: true},
		{name: "runtime", change: func(f *manifest.Function) { f.Runtime = "python3.13" }},
		{name: "architecture", change: func(f *manifest.Function) { f.Architecture = "x86_64" }},
		{name: "build image", change: func(f *manifest.Function) { f.BuildImage = "build-python:arm64-2" }},
		{name: "no lockfile", change: func(f *manifest.Function) { f.Lockfile = "" }},
		{name: "builder", change: func(f *manifest.Function) { f.Builder = "local" }},
		{name: "included file", change: func(f *manifest.Function) { f.Included = []string{"deps/cron/constraints.txt"} },
			files: map[string]string{"deps/cron/constraints.txt": "boto3==1.35.0\n"}, commit: true},
		// Content, not place: a descriptor moved with the same bytes keeps it.
		{name: "descriptor moved", change: func(f *manifest.Function) {
			f.Dependencies, f.Lockfile = "moved/requirements.txt", "moved/requirements.lock"
		}, files: map[string]string{"moved/requirements.txt": "boto3==1.35.0\n", "moved/requirements.lock": "boto3==1.35.0 --hash=sha256:aa\n"}, commit: true, same: true},
		{name: "source and alias", change: func(f *manifest.Function) { f.Source, f.Alias = "functions/worker", "prod" }, same: true},
		{name: "uncommitted content counts", files: map[string]string{"deps/cron/requirements.txt": "boto3==9\n"}},
	}
	r, _ := planRepo(t)
	_, ref := fingerprints(t, r.root, testManifest(r.root).Functions[1]) // cron: descriptor and lockfile
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, _ := planRepo(t)
			f := testManifest(r.root).Functions[1]
			if tt.change != nil {
				tt.change(f)
			}
			r.files(tt.files)
			if tt.commit {
				r.commit(tt.name)
			}
			_, got := fingerprints(t, r.root, f)
			if (got == ref) != tt.same {
				t.Errorf("fingerprint same as the reference = %v, want %v", got == ref, tt.same)
			}
		})
	}
}

// TestPlanJSONHasNoNullLists: the JSON plan (lambdas plan --json, plan
// files) gives lists as [], never null, so that consumers can iterate.
func TestPlanJSONHasNoNullLists(t *testing.T) {
	r, _ := planRepo(t)
	m := testManifest(r.root)
	st := released(makePlan(t, r, m, state.NewDocument()))
	m.Functions[0].BuildImage = "other" // api: dependencies only, no file changed
	p := makePlan(t, r, m, st)
	data, err := json.Marshal(p.Functions)
	if err != nil {
		t.Fatal(err)
	}
	var fns []map[string]any
	if err := json.Unmarshal(data, &fns); err != nil {
		t.Fatal(err)
	}
	for _, f := range fns {
		for _, key := range []string{"reasons", "steps", "changed_files"} {
			if _, isList := f[key].([]any); !isList {
				t.Errorf("%s: %q is %v, want a list", f["name"], key, f[key])
			}
		}
	}
}

// TestRegionIsPartOfTheRelease: changing project.region (or the AWS
// environment's) plans every function as new there, not "No changes".
func TestRegionIsPartOfTheRelease(t *testing.T) {
	r, _ := planRepo(t)
	m := testManifest(r.root)
	st := released(makePlan(t, r, m, state.NewDocument()))
	for _, f := range st.Functions {
		f.Region = "us-east-1"
	}
	plan1, err := Make(Input{Manifest: m, Repo: r.open(), State: st, Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	if plan1.HasChanges() {
		t.Fatalf("same region: %+v", plan1.Summary)
	}
	plan2, err := Make(Input{Manifest: m, Repo: r.open(), State: st, Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	if plan2.Summary.New != 3 || plan2.Region != "eu-west-1" {
		t.Fatalf("another region: %+v", plan2.Summary)
	}
	if got := plan2.Functions[0].Reasons; len(got) == 0 || got[0] != "region changed from us-east-1 to eu-west-1: the function there has no release yet" {
		t.Errorf("reasons = %q", got)
	}
}
