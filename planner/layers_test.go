package planner

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lambdas-dev/lambdas/manifest"
	"github.com/lambdas-dev/lambdas/planner/plan"
	"github.com/lambdas-dev/lambdas/state"
)

func TestBuilder(t *testing.T) {
	cases := []struct {
		builder     string
		docker      bool
		want, image string
	}{
		{"auto", true, "docker", "img"},
		{"auto", false, "local", ""},
		{"", false, "local", ""},
		{"docker", false, "docker", "img"}, // the build then says no engine answers
		{"local", true, "local", ""},
	}
	for _, tc := range cases {
		b, img := Builder(&manifest.Function{Builder: tc.builder, BuildImage: "img"}, tc.docker)
		if b != tc.want || img != tc.image {
			t.Errorf("Builder(%q, docker %v) = %q %q, want %q %q", tc.builder, tc.docker, b, img, tc.want, tc.image)
		}
	}
}

func TestDescriptorChanges(t *testing.T) {
	cases := []struct {
		name, file, old, cur string
		want                 []string
	}{
		{"pins", "requirements.txt", "requests==2.31.0\nchardet==5.2.0\nSix==1.16\n", "# comment\nrequests==2.32.3\nidna==3.7 ; python_version >= '3.8'\nsix==1.16\n",
			[]string{"- chardet 5.2.0", "+ idna 3.7", "requests 2.31.0 → 2.32.3"}},
		{"ranges and options", "requirements.txt", "boto3\n-c constraints.txt\n", "boto3>=1.35\n",
			[]string{"- -c constraints.txt", "boto3 (any) → >=1.35"}},
		{"nothing", "requirements.txt", "a==1\n", "a==1\n", nil},
		{"lockfile", "package-lock.json", `{"packages": {"": {}, "node_modules/ms": {"version": "2.1.2"}, "node_modules/left-pad": {"version": "1.3.0", "dev": true}}}`,
			`{"packages": {"": {}, "node_modules/ms": {"version": "2.1.3"}, "node_modules/a/node_modules/b": {"version": "1.0.0"}}}`,
			[]string{"+ b 1.0.0", "ms 2.1.2 → 2.1.3"}},
		{"package.json", "package.json", `{"dependencies": {"ms": "^2.1.2"}}`, `{"dependencies": {"ms": "^2.1.3", "uuid": "9"}}`,
			[]string{"ms ^2.1.2 → ^2.1.3", "+ uuid 9"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := DescriptorChanges(tc.file, []byte(tc.old), []byte(tc.cur))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestApplyLayerCache: a function whose dependency fingerprint has a layer
// version already attaches it, without building or publishing.
func TestApplyLayerCache(t *testing.T) {
	r, _ := planRepo(t)
	m := testManifest(r.root)
	p := makePlan(t, r, m, state.NewDocument())
	api, cron := p.Functions[0], p.Functions[1]
	records := map[string]plan.LayerRecord{api.DepsFingerprint: {DepsFingerprint: api.DepsFingerprint, LayerVersionArn: "arn:aws:lambda:us-east-1:123456789012:layer:lambdas-shop-deps-python3-12-x86_64:7"}}
	ApplyLayerCache(p, records)
	if diff := cmp.Diff(allStepsCached, view(p.Functions[0]).Steps); diff != "" {
		t.Errorf("api steps (-want +got):\n%s", diff)
	}
	if s := p.Functions[0].Step(plan.StepAttachLayer); s.Layer.LayerVersionArn != records[api.DepsFingerprint].LayerVersionArn {
		t.Errorf("attach-layer params: %+v", s.Layer)
	}
	if diff := cmp.Diff(view(cron), view(p.Functions[1])); diff != "" {
		t.Errorf("cron, not in the cache, changed (-want +got):\n%s", diff)
	}
	// Made again (a refresh found drift), the steps keep the cached version.
	again := layerSteps(m, m.Functions[0], p.Functions[0], false)
	if len(again) != 1 || again[0].Name != plan.StepAttachLayer || again[0].Layer.LayerVersionArn == "" {
		t.Errorf("steps made again: %+v", again)
	}
	if got := Fingerprints(p); len(got) != 1 || got[0] != cron.DepsFingerprint {
		t.Errorf("Fingerprints after the fold = %v, want only cron's", got)
	}
}

var allStepsCached = []string{string(plan.StepAttachLayer), string(plan.StepPackage), string(plan.StepUpload), string(plan.StepUpdateCode), string(plan.StepMoveAlias)}
