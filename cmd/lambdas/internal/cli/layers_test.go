package cli

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/lambdas-dev/lambdas/internal/testenv"
	"github.com/lambdas-dev/lambdas/state"
)

// These tests release functions with dependency layers built by the real
// pip and npm, against moto through the fault proxy.

// layerManifest is a project of Python functions; functions are
// label → extra settings (dependencies, runtime, ...).
func layerManifest(artifacts bool, functions map[string]string) string {
	var b strings.Builder
	b.WriteString("variable \"bucket\" {}\nproject {\n  name = \"shop\"\n  region = \"us-east-1\"\n  api_rate_limit = 50\n")
	if artifacts {
		b.WriteString("  artifacts = \"s3://${var.bucket}/releases\"\n")
	}
	b.WriteString("}\ndefaults {\n  runtime = \"python3.12\"\n  handler = \"app.handler\"\n  builder = \"local\"\n  create { role = env(\"TEST_ROLE_ARN\") }\n}\n")
	for _, label := range sortedLabels(functions) {
		fmt.Fprintf(&b, "function %q {\n  source = \"fns/%s\"\n%s\n}\n", label, label, functions[label])
	}
	return b.String()
}

func sortedLabels(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// layerWorld is a world with a repository of Python functions.
func layerWorld(t *testing.T, artifacts bool, functions map[string]string, files map[string]string) *world {
	t.Helper()
	requireTool(t, "python3")
	w := newWorld(t, layerManifest(artifacts, functions))
	for label := range functions {
		writeFile(t, filepath.Join(w.repo, "fns", label, "app.py"), fmt.Sprintf("def handler(e, c):\n    return %q\n", label))
	}
	for name, text := range files {
		writeFile(t, filepath.Join(w.repo, filepath.FromSlash(name)), text)
	}
	w.git("add", "-A")
	w.git("commit", "-qm", "functions")
	return w
}

func requireTool(t *testing.T, name string) {
	t.Helper()
	if _, err := execLookPath(name); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not on PATH, and CI=true", name)
		}
		t.Skipf("%s is not on PATH", name)
	}
}

// liveLayers is the layers of the version the alias points at.
func (w *world) liveLayers(function string) []string {
	w.t.Helper()
	out, err := w.lambda.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(function), Qualifier: aws.String("live")})
	if err != nil {
		w.t.Fatalf("get %s:live: %v", function, err)
	}
	var arns []string
	for _, l := range out.Configuration.Layers {
		arns = append(arns, aws.ToString(l.Arn))
	}
	return arns
}

// ops counts the Lambda and S3 operations the proxy saw.
func (w *world) ops() map[string]int {
	out := map[string]int{}
	for _, r := range w.proxy.Requests() {
		out[r.Operation]++
	}
	return out
}

func TestApplyLayersOneBuildPerDescriptorThenNothing(t *testing.T) {
	deps := "  dependencies = \"deps/requirements.txt\"\n"
	w := layerWorld(t, true, map[string]string{"a": deps, "b": deps, "c": deps}, map[string]string{"deps/requirements.txt": "six==1.16.0\n"})

	out := w.mustApply("--progress", "lines")
	if !strings.Contains(out, "Apply complete: 3 released") || !strings.Contains(out, "Dependency layers: 1 built, 1 published.") {
		t.Errorf("summary:\n%s", out)
	}
	ops := w.ops()
	if ops["PublishLayerVersion"] != 1 {
		t.Errorf("%d PublishLayerVersion calls for three functions with one descriptor, want 1 (ops: %v)", ops["PublishLayerVersion"], ops)
	}
	layers := map[string][]string{}
	for _, fn := range []string{"a", "b", "c"} {
		layers[fn] = w.liveLayers(fn)
	}
	arn := layers["a"]
	if len(arn) != 1 || !strings.Contains(arn[0], ":layer:lambdas-shop-deps-python3-12-x86_64:") {
		t.Fatalf("a:live has layers %v", arn)
	}
	if diff := cmp.Diff(map[string][]string{"a": arn, "b": arn, "c": arn}, layers); diff != "" {
		t.Errorf("the three aliases' versions do not share the layer (-want +got):\n%s", diff)
	}
	// The layer zip is stored like a code zip: encrypted at rest.
	s3c := testenv.S3Client(testenv.AWSConfig(t, w.proxy.URL()))
	list, err := s3c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("artifacts"), Prefix: aws.String("releases/deps/")})
	if err != nil {
		t.Fatal(err)
	}
	zips := 0
	for _, o := range list.Contents {
		if !strings.HasSuffix(aws.ToString(o.Key), "/layer.zip") {
			continue
		}
		zips++
		h, err := s3c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("artifacts"), Key: o.Key})
		if err != nil || h.ServerSideEncryption != "AES256" {
			t.Errorf("%s: encryption %q (%v), want AES256", aws.ToString(o.Key), h.ServerSideEncryption, err)
		}
	}
	if zips != 1 {
		t.Errorf("%d layer zips under releases/deps/, want 1", zips)
	}

	// Nothing changed: no build, no upload, no mutating call.
	w.proxy.Reset()
	out = w.mustApply()
	if !strings.Contains(out, "No changes.") {
		t.Errorf("second apply:\n%s", out)
	}
	for _, r := range w.proxy.Requests() {
		if r.Mutating || r.Operation == "PutObject" || r.Operation == "CopyObject" {
			t.Errorf("second apply made %s (%s)", r.Operation, r.Function)
		}
	}

	// A new function with the same descriptor: the layer exists for its
	// fingerprint, so it is attached without a build.
	text := layerManifest(true, map[string]string{"a": deps, "b": deps, "c": deps, "d": deps})
	writeFile(t, filepath.Join(w.repo, "lambdas.hcl"), text)
	writeFile(t, filepath.Join(w.repo, "fns/d/app.py"), "def handler(e, c):\n    return 'd'\n")
	w.git("add", "-A")
	w.git("commit", "-qm", "d")
	code, planOut, errOut := w.run("plan")
	if code != 0 || !strings.Contains(planOut, "steps: attach-layer → package → upload → update-code → move-alias") || strings.Contains(planOut, "build-dependencies") {
		t.Errorf("plan for d should attach the cached layer:\n%s%s", planOut, errOut)
	}
	w.proxy.Reset()
	out = w.mustApply()
	if ops := w.ops(); ops["PublishLayerVersion"] != 0 || strings.Contains(out, "Dependency layers:") {
		t.Errorf("a cached layer was built or published again: %v\n%s", ops, out)
	}
	if got := w.liveLayers("d"); fmt.Sprint(got) != fmt.Sprint(arn) {
		t.Errorf("d:live has layers %v, want %v", got, arn)
	}

	// The descriptor changes: the plan says what changed, one new build.
	writeFile(t, filepath.Join(w.repo, "deps/requirements.txt"), "six==1.17.0\n")
	w.git("commit", "-qam", "six 1.17")
	code, planOut, _ = w.run("plan")
	if code != 0 || !strings.Contains(planOut, "requirements.txt since the last release: six 1.16.0 → 1.17.0") {
		t.Errorf("plan should show the descriptor diff:\n%s", planOut)
	}
	w.proxy.Reset()
	out = w.mustApply()
	if ops := w.ops(); ops["PublishLayerVersion"] != 1 || ops["UpdateFunctionCode"] != 0 || ops["PublishVersion"] != 4 {
		t.Errorf("a dependency-only change of four functions: %v\n%s", ops, out)
	}
	newArn := w.liveLayers("a")
	if len(newArn) != 1 || newArn[0] == arn[0] {
		t.Errorf("a:live has layers %v after the descriptor changed (was %v)", newArn, arn)
	}
}

func TestApplyLayerRuntimeChangeRebuilds(t *testing.T) {
	w := layerWorld(t, false, map[string]string{"a": "  dependencies = \"fns/a/requirements.txt\"\n"}, map[string]string{"fns/a/requirements.txt": "six==1.16.0\n"})
	w.mustApply()
	before := w.liveLayers("a")
	// Without a bucket, the layer record lives in the state.
	doc := readState(t, w)
	if len(doc.Layers) != 1 {
		t.Errorf("state layer records: %v", doc.Layers)
	}
	if got := doc.Descriptors["a"]["requirements.txt"]; got != "six==1.16.0\n" {
		t.Errorf("state keeps the descriptor as %q", got)
	}
	writeFile(t, filepath.Join(w.repo, "lambdas.hcl"), strings.Replace(layerManifest(false, map[string]string{"a": "  dependencies = \"fns/a/requirements.txt\"\n"}), "python3.12", "python3.13", 1))
	w.git("commit", "-qam", "python 3.13")
	w.proxy.Reset()
	out := w.mustApply()
	if !strings.Contains(out, "Dependency layers: 1 built, 1 published.") {
		t.Errorf("a runtime change must rebuild the layer:\n%s", out)
	}
	after := w.liveLayers("a")
	if len(after) != 1 || !strings.Contains(after[0], "lambdas-shop-deps-python3-13-x86_64") || after[0] == before[0] {
		t.Errorf("layers %v → %v", before, after)
	}
}

func TestApplyLayerKeepsOtherLayersInPlace(t *testing.T) {
	w := layerWorld(t, true, map[string]string{"a": "  dependencies = \"fns/a/requirements.txt\"\n"}, map[string]string{"fns/a/requirements.txt": "six==1.16.0\n"})
	ctx := context.Background()
	// Someone else's layers, before and after where ours goes, on a
	// function that exists already.
	var foreign []string
	for _, name := range []string{"monitoring-agent", "certs"} {
		out, err := w.lambda.PublishLayerVersion(ctx, &lambda.PublishLayerVersionInput{LayerName: aws.String(name),
			Content: &types.LayerVersionContentInput{ZipFile: testenv.MakeZip(t, map[string]string{name + "/x": "x"})}})
		if err != nil {
			t.Fatal(err)
		}
		foreign = append(foreign, aws.ToString(out.LayerVersionArn))
	}
	_, err := w.lambda.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("a"), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String(os.Getenv("TEST_ROLE_ARN")), Code: &types.FunctionCode{ZipFile: testenv.MakeZip(t, map[string]string{"app.py": "x"})}, Layers: foreign[:1]})
	if err != nil {
		t.Fatal(err)
	}
	// As AWS: RevisionIds checked, every update in progress for two polls
	// (the code update after the layers' must wait for it).
	w.proxy.SetStrict(true)
	w.proxy.SetInProgressPolls(2)
	w.mustApply()
	if c := w.proxy.Counts(); c.InjectedByCode["ResourceConflictException"] != 0 || c.InjectedByCode["PreconditionFailedException"] != 0 {
		t.Errorf("the release met 409s or 412s: %v", c.InjectedByCode)
	}
	got := w.liveLayers("a")
	if len(got) != 2 || got[0] != foreign[0] || !strings.Contains(got[1], "lambdas-shop-deps-") {
		t.Fatalf("a:live layers %v, want %s then ours", got, foreign[0])
	}
	ours := got[1]
	// Another layer is added after ours outside lambdas; a new descriptor
	// replaces ours in its place and keeps both others.
	if _, err := w.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("a"), Layers: []string{foreign[0], ours, foreign[1]}}); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(w.repo, "fns/a/requirements.txt"), "six==1.17.0\n")
	w.git("commit", "-qam", "six")
	w.mustApply()
	got = w.liveLayers("a")
	if len(got) != 3 || got[0] != foreign[0] || got[2] != foreign[1] || got[1] == ours || !strings.Contains(got[1], "lambdas-shop-deps-") {
		t.Errorf("a:live layers %v, want %s, our new version, %s", got, foreign[0], foreign[1])
	}
}

// TestApplyLayerBadInputChangesNothing: a dependency build that cannot
// work fails the apply before any Lambda call, with a clear error.
func TestApplyLayerBadInputChangesNothing(t *testing.T) {
	cases := []struct {
		name, settings, requirements string
		env                          map[string]string
		want                         string
	}{
		{name: "a requirement that does not exist", requirements: "lambdas-test-no-such-package-7f3a==1.0\n",
			want: "a: build-dependencies: pip found no installable lambdas-test-no-such-package-7f3a==1.0"},
		{name: "no wheel for arm64 with the local builder", settings: "  architecture = \"arm64\"\n", requirements: "docopt==0.6.2\n",
			want: `use builder = "docker"`},
		{name: "docker with no engine", settings: "  builder = \"docker\"\n", requirements: "six\n", env: map[string]string{"DOCKER_HOST": "unix:///nonexistent/docker.sock"},
			want: `builder = "docker", but no Docker engine answers`},
		{name: "past its timeout", settings: "  builder_timeout = \"200ms\"\n", requirements: "six==1.16.0\n",
			want: "pip install timed out after 200ms"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			w := layerWorld(t, true, map[string]string{"a": "  dependencies = \"fns/a/requirements.txt\"\n" + tc.settings}, map[string]string{"fns/a/requirements.txt": tc.requirements})
			code, out, errOut := w.run("apply", "--auto-approve", "--progress", "lines")
			if code != 1 || !strings.Contains(errOut, tc.want) || !strings.Contains(errOut, "nothing was changed") {
				t.Errorf("exit %d, want 1 and %q\nstdout:\n%s\nstderr:\n%s", code, tc.want, out, errOut)
			}
			for _, r := range w.proxy.Requests() {
				if r.Service == "lambda" || r.Operation == "PutObject" {
					t.Errorf("a failed build made %s %s", r.Service, r.Operation)
				}
			}
		})
	}
}

func readState(t *testing.T, w *world) *state.Document {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(w.repo, ".lambdas", "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d state.Document
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	return &d
}

var execLookPath = exec.LookPath

// TestPrune: prune --dry-run lists exactly the versions no alias uses
// beyond keep_versions (an additional routing version counts as used),
// prune deletes them and the layer versions no kept version uses (and
// forgets them in the layer cache), in strict mode (AWS's 409 on deleting
// an aliased version).
func TestPrune(t *testing.T) {
	deps := "  dependencies = \"fns/a/requirements.txt\"\n"
	w := layerWorld(t, true, map[string]string{"a": deps}, map[string]string{"fns/a/requirements.txt": "six==1.16.0\n"})
	w.proxy.SetStrict(true)
	ctx := context.Background()
	release := func(file, text string) {
		t.Helper()
		writeFile(t, filepath.Join(w.repo, file), text)
		w.git("commit", "-qam", "change "+file)
		w.mustApply()
	}
	w.mustApply()                                                 // 1, layer L1
	release("fns/a/app.py", "def handler(e, c):\n    return 2\n") // 2, L1
	release("fns/a/requirements.txt", "six==1.17.0\n")            // 3, L2 (publish-version)
	release("fns/a/app.py", "def handler(e, c):\n    return 4\n") // 4, L2
	l1 := layerOf(t, w, "1")
	if l2 := layerOf(t, w, "3"); l1 == l2 || l1 == "" {
		t.Fatalf("layers of versions 1 and 3: %s, %s", l1, l2)
	}
	if _, err := w.lambda.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("a"), Name: aws.String("old"), FunctionVersion: aws.String("3"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"1": 0.1}}}); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(w.repo, "lambdas.hcl"), layerManifest(true, map[string]string{"a": deps + "  keep_versions = 2\n"}))
	w.git("commit", "-qam", "keep 2")

	w.proxy.Reset()
	code, out, errOut := w.run("prune", "--dry-run")
	want := "  would delete version 2 of a (a): older than the newest 2, and no alias points at it\nWould delete 1 function version and 0 layer versions; 3 function versions kept.\n"
	if code != 0 || out != want {
		t.Errorf("prune --dry-run exited %d:\n%s%s\nwant:\n%s", code, out, errOut, want)
	}
	if n := w.proxy.Counts().Mutating; n != 0 {
		t.Errorf("a dry run made %d mutating calls", n)
	}
	if code, out, errOut := w.run("prune"); code != 0 || !strings.Contains(out, "Deleted 1 function version and 0 layer versions") {
		t.Errorf("prune exited %d:\n%s%s", code, out, errOut)
	}
	if got := versionsOf(t, w, "a"); fmt.Sprint(got) != "[$LATEST 1 3 4]" {
		t.Errorf("versions after prune: %v", got)
	}

	// Once no alias routes to version 1, it goes, and with it layer L1,
	// which no kept version uses.
	if _, err := w.lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("a"), Name: aws.String("old"), FunctionVersion: aws.String("3"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{}}}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = w.run("prune", "--json")
	var res struct {
		Deleted int
		Plan    struct {
			Layers []struct {
				LayerVersionArn string `json:"layer_version_arn"`
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil || res.Deleted != 2 || len(res.Plan.Layers) != 1 || res.Plan.Layers[0].LayerVersionArn != l1 {
		t.Errorf("prune exited %d (%v): %s%s", code, err, out, errOut)
	}
	if got := versionsOf(t, w, "a"); fmt.Sprint(got) != "[$LATEST 3 4]" {
		t.Errorf("versions after the second prune: %v", got)
	}
	// L1 is forgotten by the layer cache: going back to six 1.16.0 builds
	// it again rather than attaching a deleted version.
	writeFile(t, filepath.Join(w.repo, "fns/a/requirements.txt"), "six==1.16.0\n")
	w.git("commit", "-qam", "six back")
	if code, out, _ := w.run("plan"); code != 0 || !strings.Contains(out, "build-dependencies") {
		t.Errorf("plan after the layer was pruned:\n%s", out)
	}
}

// TestApplyPrunesAfterRelease: with keep_versions, a successful apply
// deletes what is beyond it.
func TestApplyPrunesAfterRelease(t *testing.T) {
	w := layerWorld(t, false, map[string]string{"a": "  keep_versions = 1\n"}, nil)
	w.mustApply()
	writeFile(t, filepath.Join(w.repo, "fns/a/app.py"), "def handler(e, c):\n    return 2\n")
	w.git("commit", "-qam", "2")
	out := w.mustApply()
	if !strings.Contains(out, "Pruned 1 function version and 0 layer versions (keep_versions).") {
		t.Errorf("apply did not prune:\n%s", out)
	}
	if got := versionsOf(t, w, "a"); fmt.Sprint(got) != "[$LATEST 2]" {
		t.Errorf("versions: %v", got)
	}
}

func versionsOf(t *testing.T, w *world, fn string) []string {
	t.Helper()
	out, err := w.lambda.ListVersionsByFunction(context.Background(), &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(fn)})
	if err != nil {
		t.Fatal(err)
	}
	var vs []string
	for _, v := range out.Versions {
		vs = append(vs, aws.ToString(v.Version))
	}
	return vs
}

func layerOf(t *testing.T, w *world, version string) string {
	t.Helper()
	out, err := w.lambda.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String("a"), Qualifier: aws.String(version)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Configuration.Layers) != 1 {
		return ""
	}
	return aws.ToString(out.Configuration.Layers[0].Arn)
}

// TestApplyLayerDockerBuilder: builder = "docker" builds the layer in a
// container of the local test image (scripts/docker.sh makes it), and the
// alias's version has it. It skips without an engine or the image, and
// fails so with CI=true.
func TestApplyLayerDockerBuilder(t *testing.T) {
	img := os.Getenv("LAMBDAS_TEST_BUILD_IMAGE")
	if img == "" {
		img = "lambdas-test/build-python3.11:local"
	}
	fail := t.Skipf
	if os.Getenv("CI") == "true" {
		fail = t.Fatalf
	}
	if out, err := exec.Command("docker", "image", "inspect", "--format", "{{.Id}}", img).CombinedOutput(); err != nil {
		fail("no Docker engine with the test build image %s (%v: %s): run `. scripts/docker.sh; ensure_docker && ensure_test_build_image`", img, err, strings.TrimSpace(string(out)))
	}
	settings := fmt.Sprintf("  dependencies = \"fns/a/requirements.txt\"\n  runtime = \"python3.11\"\n  builder = \"docker\"\n  builder_image = %q\n", img)
	w := layerWorld(t, true, map[string]string{"a": settings}, map[string]string{"fns/a/requirements.txt": "six==1.16.0\n"})
	code, out, _ := w.run("plan", "--json")
	if code != 0 || !strings.Contains(out, "in a container of "+img+" (docker builder)") {
		t.Errorf("plan:\n%s", out)
	}
	out = w.mustApply("--progress", "lines")
	if !strings.Contains(out, "Dependency layers: 1 built, 1 published.") || !strings.Contains(out, "Successfully installed six-1.16.0") {
		t.Errorf("apply (the container's pip log streamed):\n%s", out)
	}
	if got := w.liveLayers("a"); len(got) != 1 || !strings.Contains(got[0], "lambdas-shop-deps-python3-11-x86_64") {
		t.Errorf("a:live layers %v", got)
	}
}

// TestApplyLayerTooManyLayers: a function that already has 5 other layers
// cannot take ours: the apply fails before any change.
func TestApplyLayerTooManyLayers(t *testing.T) {
	w := layerWorld(t, true, map[string]string{"a": "  dependencies = \"fns/a/requirements.txt\"\n"}, map[string]string{"fns/a/requirements.txt": "six==1.16.0\n"})
	ctx := context.Background()
	var foreign []string
	for i := range 5 {
		out, err := w.lambda.PublishLayerVersion(ctx, &lambda.PublishLayerVersionInput{LayerName: aws.String(fmt.Sprintf("other-%d", i)),
			Content: &types.LayerVersionContentInput{ZipFile: testenv.MakeZip(t, map[string]string{"x": "x"})}})
		if err != nil {
			t.Fatal(err)
		}
		foreign = append(foreign, aws.ToString(out.LayerVersionArn))
	}
	if _, err := w.lambda.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("a"), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String(os.Getenv("TEST_ROLE_ARN")), Code: &types.FunctionCode{ZipFile: testenv.MakeZip(t, map[string]string{"app.py": "x"})}, Layers: foreign}); err != nil {
		t.Fatal(err)
	}
	w.proxy.Reset()
	code, out, errOut := w.run("apply", "--auto-approve")
	if code != 1 || !strings.Contains(errOut, "a: attach-layer: a has 5 layers") || !strings.Contains(errOut, "Lambda allows 5") || !strings.Contains(errOut, "nothing was changed") {
		t.Errorf("exit %d:\n%s%s", code, out, errOut)
	}
	for _, r := range w.proxy.Requests() {
		if r.Mutating || r.Operation == "PutObject" {
			t.Errorf("made %s", r.Operation)
		}
	}
}

// TestPackageLayersDeterministic: lambdas package --layers builds each
// dependency layer once per fingerprint (a and b share one), and two
// builds from scratch give byte-identical layer zips, laid out as Lambda
// unpacks them.
func TestPackageLayersDeterministic(t *testing.T) {
	requireTool(t, "npm")
	deps := "  dependencies = \"deps/requirements.txt\"\n"
	w := layerWorld(t, false, map[string]string{"a": deps, "b": deps,
		"web": "  runtime = \"nodejs22.x\"\n  handler = \"index.handler\"\n  dependencies = \"fns/web/package.json\"\n"},
		map[string]string{"deps/requirements.txt": "six==1.16.0\n", "fns/web/package.json": `{"name": "fn", "version": "1.0.0", "dependencies": {"ms": "2.1.3"}}`,
			"fns/web/package-lock.json": strings.ReplaceAll(strings.ReplaceAll(thumbsLock(t), `"thumbs"`, `"fn"`), "\r", "")})
	sums := map[string]string{}
	for i := range 2 {
		dir := filepath.Join(t.TempDir(), "dist")
		code, out, errOut := w.run("package", "--layers", "--out", dir, "--json")
		if code != 0 {
			t.Fatalf("package exited %d:\n%s%s", code, out, errOut)
		}
		var res struct {
			Functions []struct {
				Name  string
				Layer *struct{ Path, Sha256 string }
			}
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		for _, f := range res.Functions {
			if f.Layer == nil {
				t.Fatalf("%s has no layer", f.Name)
			}
			if prev, ok := sums[f.Name]; ok && prev != f.Layer.Sha256 {
				t.Errorf("%s: layer zip %s, then %s: not deterministic", f.Name, prev, f.Layer.Sha256)
			}
			sums[f.Name] = f.Layer.Sha256
			if i == 0 {
				names := zipNames(t, f.Layer.Path)
				want := "python/six.py"
				if f.Name == "web" {
					want = "nodejs/node_modules/ms/index.js"
				}
				if !slicesContains(names, want) {
					t.Errorf("%s: layer lacks %s: %v", f.Name, want, names)
				}
			}
		}
	}
	if sums["a"] != sums["b"] {
		t.Errorf("a and b share a descriptor but got layers %s and %s", sums["a"], sums["b"])
	}
}

func thumbsLock(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("testdata/fixtures/monorepo/functions/thumbs/package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func zipNames(t *testing.T, path string) []string {
	t.Helper()
	r, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []string
	for _, f := range r.File {
		out = append(out, f.Name)
	}
	return out
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
