package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"

	"github.com/lambdas-dev/lambdas/executor/pack"
	"github.com/lambdas-dev/lambdas/internal/testenv"
)

// These tests drive the real CLI against moto, through the fault-injecting
// proxy, over real git repositories. They share one moto (reset per test)
// and set process environment, so they do not run in parallel.

// applyHeader replaces the fixture manifest's project and defaults blocks
// for the apply tests: a region, an artifacts bucket, and a create block.
const applyHeader = `
variable "bucket" {}

project {
  name      = "shop"
  region    = "us-east-1"
  artifacts = "s3://${var.bucket}/releases"
  api_rate_limit = 50
}

defaults {
  alias = "live"
  create {
    role = env("TEST_ROLE_ARN")
  }
}
`

// applyManifest is the fixture's functions under applyHeader. (Read when a
// test asks, not at init: testscript runs this binary as the CLI elsewhere.)
func applyManifest(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("testdata/fixtures/monorepo/lambdas.hcl")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	// These tests are about code releases and their call budgets: the
	// fixture's dependency layers are left out (layers_test.go has theirs).
	var kept []string
	for _, line := range strings.Split(text[strings.Index(text, "function "):], "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "dependencies") {
			kept = append(kept, line)
		}
	}
	return applyHeader + strings.Join(kept, "\n")
}

// world is one test's emulator, proxy and repository.
type world struct {
	t      *testing.T
	proxy  *testenv.FaultProxy
	lambda *lambda.Client
	repo   string
}

func newWorld(t *testing.T, manifestText string) *world {
	t.Helper()
	moto := testenv.StartMoto(t)
	moto.Reset(t)
	proxy := testenv.NewFaultProxy(t, moto.Endpoint)
	cfg := testenv.AWSConfig(t, moto.Endpoint)
	role := testenv.CreateRole(t, cfg, "lambdas-test")
	testenv.CreateBucket(t, cfg, "artifacts")

	t.Setenv("AWS_ENDPOINT_URL", proxy.URL())
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("TEST_ROLE_ARN", role)
	t.Setenv("LAMBDAS_VAR_bucket", "artifacts")

	repo := filepath.Join(t.TempDir(), "repo")
	if err := copyFixture("testdata/fixtures/monorepo", repo); err != nil {
		t.Fatal(err)
	}
	if manifestText == "" {
		manifestText = applyManifest(t)
	}
	writeFile(t, filepath.Join(repo, "lambdas.hcl"), manifestText)
	w := &world{t: t, proxy: proxy, lambda: lambda.NewFromConfig(cfg), repo: repo}
	w.git("init", "-q", "-b", "main")
	w.git("add", "-A")
	w.git("commit", "-qm", "init")
	return w
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (w *world) git(args ...string) {
	w.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = w.repo
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=T", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=T", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+w.repo)
	if out, err := cmd.CombinedOutput(); err != nil {
		w.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// run runs the CLI in the repository and returns its exit code and output.
func (w *world) run(args ...string) (int, string, string) {
	w.t.Helper()
	old, _ := os.Getwd()
	if err := os.Chdir(w.repo); err != nil {
		w.t.Fatal(err)
	}
	defer os.Chdir(old)
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	code := Run(ctx, args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func (w *world) mustApply(args ...string) string {
	w.t.Helper()
	code, out, errOut := w.run(append([]string{"apply", "--auto-approve"}, args...)...)
	if code != 0 {
		w.t.Fatalf("apply exited %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	return out
}

// localSha packages a function's folder the way apply does.
func (w *world) localSha(source string) string {
	w.t.Helper()
	res, err := pack.Build(context.Background(), pack.Spec{RepoRoot: w.repo, Source: source, Function: source}, w.t.TempDir(), pack.Options{})
	if err != nil {
		w.t.Fatal(err)
	}
	return res.CodeSha256
}

// aliasSha returns the version the alias points at and that version's CodeSha256.
func (w *world) aliasSha(function, alias string) (string, string) {
	w.t.Helper()
	ctx := context.Background()
	a, err := w.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(function), Name: aws.String(alias)})
	if err != nil {
		w.t.Fatalf("get alias %s of %s: %v", alias, function, err)
	}
	if a.RoutingConfig != nil && len(a.RoutingConfig.AdditionalVersionWeights) > 0 {
		w.t.Errorf("%s:%s has routing weights %v after an all-at-once release", function, alias, a.RoutingConfig.AdditionalVersionWeights)
	}
	c, err := w.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(function), Qualifier: a.FunctionVersion})
	if err != nil {
		w.t.Fatalf("get %s:%s: %v", function, aws.ToString(a.FunctionVersion), err)
	}
	return aws.ToString(a.FunctionVersion), aws.ToString(c.CodeSha256)
}

var fixtureFunctions = map[string]string{
	"orders":   "functions/orders",
	"invoices": "functions/invoices",
	"thumbs":   "functions/thumbs",
	"webhook":  "functions/webhook",
}

// checkAliases asserts every alias points at a published version whose
// CodeSha256 is the local package's.
func (w *world) checkAliases() map[string]string {
	w.t.Helper()
	versions := map[string]string{}
	for name, src := range fixtureFunctions {
		v, sha := w.aliasSha(name, "live")
		if v == "" || v == "$LATEST" {
			w.t.Errorf("%s: alias live points at %q", name, v)
		}
		if want := w.localSha(src); sha != want {
			w.t.Errorf("%s: alias live → version %s with CodeSha256 %s, local package %s", name, v, sha, want)
		}
		versions[name] = v
	}
	return versions
}

// movesAreVerified asserts that every alias move the proxy saw went to a
// published version running the local package.
func (w *world) movesAreVerified() {
	w.t.Helper()
	for _, m := range w.proxy.AliasMoves() {
		if m.FunctionVersion == "$LATEST" || m.FunctionVersion == "" {
			w.t.Errorf("alias %s of %s moved to %q", m.Alias, m.Function, m.FunctionVersion)
		}
		if want := w.localSha(fixtureFunctions[m.Function]); m.CodeSha256 != want {
			w.t.Errorf("alias %s of %s moved to version %s with CodeSha256 %q, local package %s", m.Alias, m.Function, m.FunctionVersion, m.CodeSha256, want)
		}
	}
}

func TestApplyReleasesEveryFunctionThenNothing(t *testing.T) {
	w := newWorld(t, "")
	out := w.mustApply()
	if !strings.Contains(out, "Apply complete: 4 released, 0 unchanged, 0 failed") {
		t.Errorf("summary missing:\n%s", out)
	}
	first := w.checkAliases()
	w.movesAreVerified()
	// A function created from scratch: CreateFunction publishes version 1,
	// CreateAlias points at it. Two calls in the control-plane bucket.
	if c := w.proxy.Counts(); fmt.Sprint(c.MutatingByOperation) != "map[CreateAlias:4 CreateFunction:4]" {
		t.Errorf("mutating calls: %v", c.MutatingByOperation)
	}
	for fn, n := range controlPlanePerFunction(w.proxy.Requests()) {
		if n != 2 {
			t.Errorf("%s: %d calls in the control-plane bucket, want 2 (CreateFunction, CreateAlias)", fn, n)
		}
	}

	// The second apply makes no mutating call and uploads nothing.
	w.proxy.Reset()
	out = w.mustApply()
	if !strings.Contains(out, "No changes.") || !strings.Contains(out, "Nothing to apply.") {
		t.Errorf("second apply should say there is nothing to do:\n%s", out)
	}
	for _, r := range w.proxy.Requests() {
		if r.Mutating || r.Operation == "PutObject" || r.Operation == "CopyObject" {
			t.Errorf("second apply made %s %s (%s)", r.Method, r.Path, r.Operation)
		}
	}
	if second := w.checkAliases(); fmt.Sprint(second) != fmt.Sprint(first) {
		t.Errorf("versions moved: %v → %v", first, second)
	}

	// status reads it back in sync.
	code, out, errOut := w.run("status")
	if code != 0 || strings.Count(out, "in sync") != 4 || strings.Contains(out, "drift") {
		t.Errorf("status exited %d:\n%s%s", code, out, errOut)
	}
}

func TestApplySharedLibraryChangeRedeploysItsDependents(t *testing.T) {
	w := newWorld(t, "")
	w.mustApply()
	before := w.checkAliases()

	writeFile(t, filepath.Join(w.repo, "libs/py/shared/__init__.py"), "def total(items):\n    return 42\n")
	w.git("commit", "-qam", "shared: change")
	w.proxy.Reset()
	out := w.mustApply()
	if !strings.Contains(out, "Apply complete: 2 released, 2 unchanged, 0 failed") {
		t.Errorf("summary:\n%s", out)
	}
	touched := map[string]bool{}
	for _, r := range w.proxy.Requests() {
		if r.Mutating {
			touched[r.Function] = true
		}
	}
	if fmt.Sprint(touched) != "map[invoices:true orders:true]" {
		t.Errorf("mutating calls touched %v, want exactly orders and invoices", touched)
	}
	// A code-only release: UpdateFunctionCode (with Publish) and UpdateAlias
	// (guarded by the alias RevisionId kept in the state), nothing else in
	// the control-plane bucket.
	if got := fmt.Sprint(controlPlaneOps(w.proxy.Requests())); got != "map[invoices:[UpdateAlias UpdateFunctionCode] orders:[UpdateAlias UpdateFunctionCode]]" {
		t.Errorf("control-plane calls: %s", got)
	}
	after := w.checkAliases()
	for name := range fixtureFunctions {
		moved := after[name] != before[name]
		if moved != touched[name] {
			t.Errorf("%s: version %s → %s", name, before[name], after[name])
		}
	}
	w.movesAreVerified()
}

func TestApplyConvergesUnderFaults(t *testing.T) {
	w := newWorld(t, "")
	p := w.proxy
	p.SetStrict(true)
	p.SetInProgressPolls(2)
	p.SetLatency(10 * time.Millisecond)
	p.Inject(testenv.Rule{Service: "lambda", Operation: "CreateFunction", Times: 3, Status: 429})
	p.Inject(testenv.Rule{Service: "lambda", Operation: "GetFunction", Times: 3, Status: 429}) // reads are retried too
	p.Inject(testenv.Rule{Service: "lambda", Operation: "GetFunction", Times: 1, Status: 500})
	p.Inject(testenv.Rule{Service: "lambda", Operation: "CreateAlias", Times: 2, Status: 503})
	p.Inject(testenv.Rule{Service: "lambda", Operation: "CreateAlias", Function: "thumbs", Times: 1, Drop: true})
	out := w.mustApply("--progress", "lines")
	if !strings.Contains(out, "Apply complete: 4 released") {
		t.Errorf("summary:\n%s", out)
	}
	if !strings.Contains(out, "retry") {
		t.Errorf("no retry was reported:\n%s", out)
	}
	c := p.Counts()
	if c.InjectedByCode["TooManyRequestsException"] != 6 || c.InjectedByCode["ServiceException"] != 3 {
		t.Errorf("faults not all injected: %v", c.InjectedByCode)
	}
	w.checkAliases()
	w.movesAreVerified()
	p.Reset()
	p.SetStrict(true)
	p.SetInProgressPolls(2)

	// A change while updates are in progress: conflicts clear, the release converges.
	writeFile(t, filepath.Join(w.repo, "functions/webhook/index.js"), "exports.handler = async () => ({ statusCode: 202 });\n")
	w.git("commit", "-qam", "webhook: 202")
	p.Inject(testenv.Rule{Service: "lambda", Operation: "UpdateFunctionCode", Times: 2, Status: 500})
	p.Inject(testenv.Rule{Service: "lambda", Operation: "UpdateFunctionCode", Times: 2, Status: 409})
	p.Inject(testenv.Rule{Service: "lambda", Operation: "UpdateAlias", Times: 1, Status: 429})
	w.mustApply()
	if c := p.Counts(); c.InjectedByCode["ResourceConflictException"] != 2 {
		t.Errorf("faults not all injected: %v", c.InjectedByCode)
	}
	w.checkAliases()
	w.movesAreVerified()
}

func TestApplyFailureIsConfinedAndRerunResumes(t *testing.T) {
	w := newWorld(t, "")
	// CreateAlias of invoices keeps failing with a non-retryable error.
	remove := w.proxy.Inject(testenv.Rule{Service: "lambda", Operation: "CreateAlias", Function: "invoices", Status: 400, Code: "InvalidParameterValueException", Message: "injected"})
	code, out, errOut := w.run("apply", "--auto-approve", "--progress", "lines")
	if code != 1 {
		t.Fatalf("apply exited %d, want 1\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "invoices: move-alias:") || !strings.Contains(errOut, "1 function was not released") {
		t.Errorf("the failure should name the function and the step:\n%s\n%s", out, errOut)
	}
	if !strings.Contains(out, "Apply complete: 3 released, 0 unchanged, 1 failed") {
		t.Errorf("summary:\n%s", out)
	}
	if _, err := w.lambda.GetAlias(context.Background(), &lambda.GetAliasInput{FunctionName: aws.String("invoices"), Name: aws.String("live")}); err == nil {
		t.Errorf("invoices got an alias although CreateAlias always failed")
	}
	for _, m := range w.proxy.AliasMoves() {
		if m.Function == "invoices" {
			t.Errorf("alias of invoices moved: %+v", m)
		}
	}

	// The plan resumes the interrupted release; the rerun finishes it and
	// touches nothing else.
	remove()
	code, out, _ = w.run("plan")
	if code != 0 || !strings.Contains(out, "resumes an interrupted release") {
		t.Errorf("plan should resume invoices:\n%s", out)
	}
	w.proxy.Reset()
	out = w.mustApply()
	if !strings.Contains(out, "Apply complete: 1 released, 3 unchanged, 0 failed") {
		t.Errorf("summary:\n%s", out)
	}
	for _, r := range w.proxy.Requests() {
		if r.Mutating && r.Function != "invoices" {
			t.Errorf("rerun touched %s (%s)", r.Function, r.Operation)
		}
		if r.Operation == "UpdateFunctionCode" || r.Operation == "CreateFunction" || r.Operation == "PutObject" {
			t.Errorf("rerun redid a finished step: %s on %s", r.Operation, r.Function)
		}
	}
	w.checkAliases()
}

func TestApplyRefusesMissingFunctionWithoutCreate(t *testing.T) {
	w := newWorld(t, strings.ReplaceAll(applyManifest(t), "  create {\n    role = env(\"TEST_ROLE_ARN\")\n  }\n", ""))
	code, out, errOut := w.run("apply", "--auto-approve", "--target", "webhook")
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out+errOut, "function webhook does not exist; create it with Terraform") {
		t.Errorf("want a clear error:\n%s\n%s", out, errOut)
	}
}

func TestApplySavedPlan(t *testing.T) {
	w := newWorld(t, "")
	planFile := filepath.Join(t.TempDir(), "release.plan")
	if code, out, errOut := w.run("plan", "--out", planFile); code != 0 {
		t.Fatalf("plan: %s%s", out, errOut)
	}
	// A commit after the plan makes it stale.
	writeFile(t, filepath.Join(w.repo, "functions/webhook/index.js"), "exports.handler = async () => 1;\n")
	w.git("commit", "-qam", "webhook")
	code, _, errOut := w.run("apply", planFile)
	if code != 1 || !strings.Contains(errOut, "the saved plan is stale: HEAD moved") {
		t.Fatalf("stale plan accepted (exit %d): %s", code, errOut)
	}
	if n := w.proxy.Counts().Mutating; n != 0 {
		t.Errorf("a refused plan made %d mutating calls", n)
	}
	if code, out, errOut := w.run("plan", "--out", planFile); code != 0 {
		t.Fatalf("plan: %s%s", out, errOut)
	}
	if code, out, errOut := w.run("apply", planFile); code != 0 {
		t.Fatalf("apply of a fresh plan: %s%s", out, errOut)
	}
	w.checkAliases()
	// Applied once, the plan is stale: its functions' records moved on.
	code, _, errOut = w.run("apply", planFile)
	if code != 1 || !strings.Contains(errOut, "orders's state record changed since the plan") {
		t.Errorf("a used plan was accepted again (exit %d): %s", code, errOut)
	}
}

func TestTwoClonesPackageIdentically(t *testing.T) {
	w := newWorld(t, "")
	clone := filepath.Join(t.TempDir(), "clone")
	cmd := exec.Command("git", "clone", "-q", w.repo, clone)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	// Different checkout times and modes must not matter.
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	_ = filepath.Walk(clone, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			_ = os.Chtimes(p, old, old)
		}
		return nil
	})
	for name, src := range fixtureFunctions {
		a := w.localSha(src)
		c2 := &world{t: t, repo: clone}
		if b := c2.localSha(src); a != b {
			t.Errorf("%s: clone packages to %s, original to %s", name, b, a)
		}
	}
}

// manyFunctions writes n small Node functions and a manifest for them.
func manyFunctions(n, rate int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `variable "bucket" {}
project {
  name = "many"
  region = "us-east-1"
  artifacts = "s3://${var.bucket}/releases"
  api_rate_limit = %d
}
defaults {
  runtime = "nodejs22.x"
  handler = "index.handler"
  create { role = env("TEST_ROLE_ARN") }
}
`, rate)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "function \"fn-%02d\" {\n  source = \"many/fn-%02d\"\n}\n", i, i)
	}
	return b.String()
}

func (w *world) addMany(n int) {
	for i := 0; i < n; i++ {
		writeFile(w.t, filepath.Join(w.repo, fmt.Sprintf("many/fn-%02d/index.js", i)), fmt.Sprintf("exports.handler = async () => %d;\n", i))
	}
	w.git("add", "-A")
	w.git("commit", "-qm", "many functions")
}

// maxArrivalsPerSecond is the most control-plane requests (reads and writes)
// that reached the proxy, rejected ones included, within any one-second window.
func maxArrivalsPerSecond(reqs []testenv.Request) int {
	var times []time.Time
	for _, r := range reqs {
		if r.Bucket == testenv.BucketControlPlane {
			times = append(times, r.Time)
		}
	}
	best, lo := 0, 0
	for hi := range times {
		for times[hi].Sub(times[lo]) >= time.Second {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

func TestApplyHoldsTheRateCeiling(t *testing.T) {
	const n = 20
	w := newWorld(t, manyFunctions(n, 15))
	w.addMany(n)
	w.proxy.SetAWSQuotas() // 15/s control plane, reads included; 100/s GetFunction
	w.proxy.SetVersionPendingPolls(1)
	w.proxy.SetLatency(20 * time.Millisecond)
	out := w.mustApply("--parallelism", "10")
	if !strings.Contains(out, fmt.Sprintf("Apply complete: %d released, 0 unchanged, 0 failed", n)) {
		t.Errorf("summary:\n%s", out)
	}
	c := w.proxy.Counts()
	if got := c.Buckets[testenv.BucketControlPlane].Forwarded; got != 2*n {
		t.Errorf("%d control-plane calls reached the emulator, want %d (CreateFunction with Publish, CreateAlias per function)", got, 2*n)
	}
	if got := c.Buckets[testenv.BucketControlPlane].MaxPerSecond; got > 15 {
		t.Errorf("%d control-plane calls reached the emulator within one second; the quota is 15", got)
	}
	// The shared bucket paces every worker together: the calls that reach AWS
	// stay within the quota. Scheduling jitter on a loaded machine (CI runs
	// other test packages beside this one) may bunch a few calls now and
	// then; the retries absorb that. Without the shared bucket, ten workers
	// send several times the quota in the first second.
	if got := maxArrivalsPerSecond(w.proxy.Requests()); got > 18 {
		t.Errorf("%d control-plane requests arrived within one second; the limiter should hold about 15", got)
	}
	if cp := c.Buckets[testenv.BucketControlPlane]; cp.Throttled > 6 {
		t.Errorf("%d of %d control-plane requests were throttled; pacing under the quota should avoid nearly all", cp.Throttled, cp.Requests)
	}
}

func TestApplyAdaptsToAStricterCeiling(t *testing.T) {
	// The manifest claims 40 calls per second, the account allows 10: the
	// 429s slow the shared bucket down and every release still completes.
	const n = 12
	w := newWorld(t, manyFunctions(n, 40))
	w.addMany(n)
	w.proxy.SetQuota(testenv.BucketControlPlane, 10)
	out := w.mustApply("--parallelism", "12", "--progress", "lines")
	if !strings.Contains(out, fmt.Sprintf("Apply complete: %d released", n)) {
		t.Errorf("summary:\n%s", out)
	}
	c := w.proxy.Counts()
	if c.Buckets[testenv.BucketControlPlane].Throttled == 0 {
		t.Errorf("the quota never throttled; the test does not test adaptation")
	}
	if !strings.Contains(out, "TooManyRequestsException") {
		t.Errorf("retries of 429s are not reported:\n%s", out)
	}
	if got := c.Buckets[testenv.BucketControlPlane].Forwarded; got != 2*n {
		t.Errorf("%d control-plane calls reached the emulator, want %d", got, 2*n)
	}
}

func TestApplyWithoutArtifactsUploadsDirectly(t *testing.T) {
	w := newWorld(t, strings.Replace(applyManifest(t), `  artifacts = "s3://${var.bucket}/releases"`+"\n", "", 1))
	out := w.mustApply()
	if !strings.Contains(out, "Apply complete: 4 released") {
		t.Errorf("summary:\n%s", out)
	}
	for _, r := range w.proxy.Requests() {
		if r.Service == "s3" {
			t.Errorf("an apply without artifacts called S3: %s %s", r.Method, r.Path)
		}
	}
	w.checkAliases()
}

func TestApplyChecksPackagesBeforeAnyAWSCall(t *testing.T) {
	// Without artifacts a zip over 50 MB cannot go to Lambda directly; an
	// escaping symlink in another function is refused too (by the plan,
	// since it is not in git's view). Both are found before any call:
	// nothing changes.
	w := newWorld(t, strings.Replace(applyManifest(t), `  artifacts = "s3://${var.bucket}/releases"`+"\n", "", 1))
	big := make([]byte, 51<<20)
	rng := rand.New(rand.NewPCG(1, 2)) // incompressible, deterministic
	for i := range big {
		big[i] = byte(rng.Uint32())
	}
	if err := os.WriteFile(filepath.Join(w.repo, "functions/thumbs/big.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(w.repo, "functions/webhook/passwd")); err != nil {
		t.Fatal(err)
	}
	w.git("add", "-A")
	w.git("commit", "-qm", "too big, escaping")
	code, out, errOut := w.run("apply", "--auto-approve")
	if code != 1 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"webhook: symlink functions/webhook/passwd -> /etc/passwd: it leaves the repository"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	w.git("rm", "-q", "functions/webhook/passwd")
	w.git("commit", "-qm", "no escaping link")
	code, out, errOut = w.run("apply", "--auto-approve")
	if code != 1 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"nothing was changed", "thumbs: package is", "set project.artifacts"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if n := len(w.proxy.Requests()); n != 0 {
		t.Errorf("%d AWS requests were made before the packages were checked", n)
	}
	if strings.Contains(errOut, "goroutine") {
		t.Errorf("stack trace:\n%s", errOut)
	}
}

func TestStatusShowsDrift(t *testing.T) {
	w := newWorld(t, "")
	w.mustApply()
	// Someone publishes other code and moves the alias outside lambdas.
	ctx := context.Background()
	zip := testenv.MakeZip(t, map[string]string{"index.js": "exports.handler = async () => 'hotfix';\n"})
	if _, err := w.lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("webhook"), ZipFile: zip}); err != nil {
		t.Fatal(err)
	}
	v, err := w.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("webhook")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("webhook"), Name: aws.String("live"), FunctionVersion: v.Version}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := w.run("status")
	if code != 2 {
		t.Fatalf("status exited %d, want 2 (drift): %s", code, errOut)
	}
	hot := testenv.CodeSha256(zip)
	if !strings.Contains(out, "drift: $LATEST runs CodeSha256 "+hot+", the state records "+w.localSha("functions/webhook")+"; alias live points at version 2, the state records 1") {
		t.Errorf("drift not shown:\n%s", out)
	}
	if strings.Count(out, "in sync") != 3 {
		t.Errorf("the other three should be in sync:\n%s", out)
	}
	code, out, _ = w.run("status", "--json")
	if code != 2 || !strings.Contains(out, `"alias live points at version 2, the state records 1"`) || !strings.Contains(out, `"drifted": 1`) {
		t.Errorf("status --json (exit %d):\n%s", code, out)
	}

	// apply brings it back: the alias on a version running the package.
	out = w.mustApply()
	if !strings.Contains(out, "webhook changed (drifted)") || !strings.Contains(out, "1 function drifted from the state and was brought back to the recorded release") {
		t.Errorf("apply should restore webhook and say so:\n%s", out)
	}
	w.checkAliases()
	if code, out, _ := w.run("status"); code != 0 {
		t.Errorf("status after the restore exited %d:\n%s", code, out)
	}
}

func TestApplyFailFastStopsStartingFunctions(t *testing.T) {
	w := newWorld(t, "")
	// invoices is released first (sorted order, one at a time) and fails.
	w.proxy.Inject(testenv.Rule{Service: "lambda", Operation: "CreateFunction", Function: "invoices", Status: 400, Code: "InvalidParameterValueException"})
	code, out, _ := w.run("apply", "--auto-approve", "--parallelism", "1", "--fail-fast")
	if code != 1 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "Apply complete: 0 released, 0 unchanged, 4 failed") || strings.Count(out, "not started: an earlier function failed") != 3 {
		t.Errorf("the three others should not have started:\n%s", out)
	}
	for _, r := range w.proxy.Requests() {
		if r.Mutating && r.Function != "invoices" {
			t.Errorf("--fail-fast still released %s (%s)", r.Function, r.Operation)
		}
	}
}

func TestApplyJSONEvents(t *testing.T) {
	w := newWorld(t, "")
	code, out, errOut := w.run("apply", "--auto-approve", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	released := 0
	var last map[string]any
	for _, line := range lines {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("not one JSON event per line: %q: %v", line, err)
		}
		if e["event"] == "released" {
			released++
		}
		if e["function"] == "" || e["time"] == "" {
			t.Errorf("event without function or time: %s", line)
		}
	}
	if released != 4 {
		t.Errorf("%d released events, want 4", released)
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || last["event"] != "summary" || last["mutating_calls"] == nil {
		t.Errorf("no summary line at the end: %v\n%s", err, lines[len(lines)-1])
	}
}

func TestApplyResumesAfterAKill(t *testing.T) {
	w := newWorld(t, "")
	bin := filepath.Join(t.TempDir(), "lambdas")
	buildCLI(t, bin)
	// webhook's CreateAlias hangs: the process is killed while waiting for it.
	w.proxy.Inject(testenv.Rule{Service: "lambda", Operation: "CreateAlias", Function: "webhook", Times: 1, Delay: time.Minute})
	cmd := exec.Command(bin, "apply", "--auto-approve", "--progress", "lines")
	cmd.Dir = w.repo
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	statePath := filepath.Join(w.repo, ".lambdas", "state.json")
	deadline := time.Now().Add(time.Minute)
	for {
		data, _ := os.ReadFile(statePath)
		var doc struct {
			Functions map[string]struct {
				Commit   string `json:"commit"`
				InFlight *struct {
					Done map[string]string `json:"done"`
				} `json:"in_flight"`
			} `json:"functions"`
		}
		_ = json.Unmarshal(data, &doc)
		wh := doc.Functions["webhook"]
		released := 0
		for _, f := range doc.Functions {
			if f.Commit != "" {
				released++
			}
		}
		if wh.InFlight != nil && wh.InFlight.Done["update-code"] != "" && released == 3 {
			break // the others are done; webhook waits in move-alias
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("the apply never reached webhook's move-alias:\n%s\nstate:\n%s", out.String(), data)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	// The rerun takes the lock the dead process held, resumes webhook at
	// move-alias with the version recorded by update-code, and redoes
	// nothing that was finished.
	w.proxy.Reset()
	code, planOut, _ := w.run("plan")
	if code != 0 || !strings.Contains(planOut, "+ webhook new") || !strings.Contains(planOut, "resumes an interrupted release (package, update-code, upload done)") {
		t.Errorf("plan after the kill:\n%s", planOut)
	}
	again := w.mustApply()
	if !strings.Contains(again, "Apply complete: 1 released, 3 unchanged, 0 failed") {
		t.Errorf("rerun:\n%s", again)
	}
	for _, r := range w.proxy.Requests() {
		if r.Operation == "UpdateFunctionCode" || r.Operation == "CreateFunction" || r.Operation == "PutObject" {
			t.Errorf("the rerun redid %s on %s", r.Operation, r.Function)
		}
		if r.Mutating && r.Function != "webhook" {
			t.Errorf("the rerun touched %s", r.Function)
		}
	}
	w.checkAliases()
}

// inControlPlane says whether a request counts against Lambda's shared
// control-plane bucket (15/s): every Lambda call but GetFunction, GetPolicy
// and Invoke.
func inControlPlane(r testenv.Request) bool {
	if r.Service != "lambda" {
		return false
	}
	switch r.Operation {
	case "GetFunction", "GetPolicy", "Invoke", "InvokeAsync", "InvokeWithResponseStream":
		return false
	}
	return true
}

// controlPlanePerFunction counts the control-plane requests per function.
func controlPlanePerFunction(reqs []testenv.Request) map[string]int {
	out := map[string]int{}
	for _, r := range reqs {
		if inControlPlane(r) {
			out[r.Function]++
		}
	}
	return out
}

// controlPlaneOps lists the control-plane operations per function, sorted.
func controlPlaneOps(reqs []testenv.Request) map[string][]string {
	out := map[string][]string{}
	for _, r := range reqs {
		if inControlPlane(r) {
			out[r.Function] = append(out[r.Function], r.Operation)
		}
	}
	for _, ops := range out {
		sort.Strings(ops)
	}
	return out
}

// buildCLI builds the lambdas binary for the tests that run it as a process.
func buildCLI(t *testing.T, bin string) {
	t.Helper()
	if out, err := exec.Command("go", "build", "-o", bin, "../..").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
}

// summaryLine returns the "Lambda calls per quota bucket" line of an apply.
func summaryBuckets(t *testing.T, out string) map[string][2]int {
	t.Helper()
	i := strings.Index(out, "Lambda calls per quota bucket: ")
	if i < 0 {
		t.Fatalf("no bucket counts in the summary:\n%s", out)
	}
	line := out[i+len("Lambda calls per quota bucket: "):]
	line = line[:strings.Index(line, ";")]
	got := map[string][2]int{}
	for _, part := range strings.Split(line, ", ") {
		var name string
		var calls, throttled int
		if _, err := fmt.Sscanf(part, "%s %d (%d throttled)", &name, &calls, &throttled); err != nil {
			t.Fatalf("bucket counts %q: %v", part, err)
		}
		got[name] = [2]int{calls, throttled}
	}
	return got
}

// TestApplyAtAFivePerSecondCeiling: 20 functions against an account that
// allows 5 control-plane calls per second, with api_rate_limit = 5. Every
// call (reads too) goes through the paced client and our retries: no
// function fails, every alias ends on the package's CodeSha256, and the
// 429s the proxy answered are the ones the summary counts.
func TestApplyAtAFivePerSecondCeiling(t *testing.T) {
	const n = 20
	w := newWorld(t, manyFunctions(n, 5))
	w.addMany(n)
	w.proxy.SetQuota(testenv.BucketControlPlane, 5) // reads and writes alike
	w.proxy.SetQuota(testenv.BucketGetFunction, 100)
	w.proxy.SetVersionPendingPolls(1)
	// Throttled reads too (GetFunction has a bucket of its own).
	w.proxy.Inject(testenv.Rule{Service: "lambda", Operation: "GetFunction", Times: 5, Status: 429})
	w.proxy.Inject(testenv.Rule{Service: "lambda", Operation: "CreateFunction", Times: 3, Status: 429})
	check := func(out string, change int) {
		t.Helper()
		if !strings.Contains(out, fmt.Sprintf("Apply complete: %d released, 0 unchanged, 0 failed", n)) {
			t.Errorf("summary:\n%s", out)
		}
		for i := 0; i < n; i++ {
			name := fmt.Sprintf("fn-%02d", i)
			if _, sha := w.aliasSha(name, "live"); sha != w.localSha("many/"+name) {
				t.Errorf("%s: alias on CodeSha256 %s, the package is %s", name, sha, w.localSha("many/"+name))
			}
		}
		var control, getFn, control429, getFn429 int
		for _, r := range w.proxy.Requests() {
			switch {
			case r.Service != "lambda":
			case r.Operation == "GetFunction":
				getFn++
				if r.Status == 429 {
					getFn429++
				}
			case inControlPlane(r):
				control++
				if r.Status == 429 {
					control429++
				}
			}
		}
		want := map[string][2]int{"control-plane": {control, control429}, "get-function": {getFn, getFn429}}
		if diff := cmp.Diff(want, summaryBuckets(t, out)); diff != "" {
			t.Errorf("the summary's counts differ from what the proxy saw (-proxy +summary):\n%s", diff)
		}
		if control429 == 0 && change == 0 {
			t.Errorf("no 429 in the control-plane bucket: the test does not test throttling")
		}
		if forwarded := control - control429; forwarded != 2*n {
			t.Errorf("%d control-plane calls reached the emulator, want %d (two per function)", forwarded, 2*n)
		}
	}
	out := w.mustApply("--parallelism", "10", "--progress", "lines")
	check(out, 0)

	// Then a code change of every function: UpdateFunctionCode and UpdateAlias each.
	for i := 0; i < n; i++ {
		writeFile(t, filepath.Join(w.repo, fmt.Sprintf("many/fn-%02d/index.js", i)), fmt.Sprintf("exports.handler = async () => %d + 1;\n", i))
	}
	w.git("commit", "-qam", "change every function")
	w.proxy.Reset()
	w.proxy.Inject(testenv.Rule{Service: "lambda", Operation: "UpdateAlias", Times: 2, Status: 429})
	out = w.mustApply("--parallelism", "10", "--progress", "lines")
	check(out, 1)
	for fn, ops := range controlPlaneOps(w.proxy.Requests()) {
		for _, op := range ops {
			if op != "UpdateFunctionCode" && op != "UpdateAlias" {
				t.Errorf("%s: %s in a code-only release", fn, op)
			}
		}
	}
}

// TestCodeUpdateOutsideLambdas: someone updates a function's code with the
// AWS CLI (no version published, the alias untouched). status exits 2
// naming it; plan --refresh shows it drifted; apply restores the recorded
// release; --refresh=false does not look.
func TestCodeUpdateOutsideLambdas(t *testing.T) {
	w := newWorld(t, "")
	w.mustApply()
	ctx := context.Background()
	zip := testenv.MakeZip(t, map[string]string{"index.js": "exports.handler = async () => 'hotfix';\n"})
	if _, err := w.lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("thumbs"), ZipFile: zip}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := w.run("status")
	if code != 2 || !strings.Contains(out, "thumbs") || !strings.Contains(out, "drift: $LATEST runs CodeSha256 "+testenv.CodeSha256(zip)) {
		t.Fatalf("status exited %d, want 2 naming thumbs:\n%s%s", code, out, errOut)
	}
	if strings.Count(out, "in sync") != 3 {
		t.Errorf("the others are in sync:\n%s", out)
	}

	// plan does not look unless asked; plan --refresh shows the drift and the steps back.
	if code, out, _ := w.run("plan", "--detailed-exitcode"); code != 0 {
		t.Errorf("plan without --refresh exited %d:\n%s", code, out)
	}
	code, out, _ = w.run("plan", "--refresh", "--detailed-exitcode")
	if code != 2 || !strings.Contains(out, "~ thumbs changed (drifted)") || !strings.Contains(out, "steps: package → upload → update-code → move-alias") || !strings.Contains(out, "refreshed from AWS: 4 functions read, 1 drifted") {
		t.Errorf("plan --refresh (exit %d):\n%s", code, out)
	}

	// apply --refresh=false leaves it; apply restores it.
	if out := w.mustApply("--refresh=false"); !strings.Contains(out, "Nothing to apply.") {
		t.Errorf("apply --refresh=false:\n%s", out)
	}
	w.proxy.Reset()
	out = w.mustApply("--progress", "lines")
	if !strings.Contains(out, "Apply complete: 1 released, 3 unchanged, 0 failed") || !strings.Contains(out, "restored the recorded release over drift: $LATEST runs CodeSha256") {
		t.Errorf("apply should restore thumbs:\n%s", out)
	}
	for fn, ops := range controlPlaneOps(w.proxy.Requests()) {
		if fn != "thumbs" || fmt.Sprint(ops) != "[UpdateAlias UpdateFunctionCode]" {
			t.Errorf("%s: control-plane calls %v (want thumbs: UpdateFunctionCode, UpdateAlias)", fn, ops)
		}
	}
	w.checkAliases()
	w.movesAreVerified()
	cfg, err := w.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("thumbs")})
	if err != nil || aws.ToString(cfg.Configuration.CodeSha256) != w.localSha("functions/thumbs") {
		t.Errorf("$LATEST of thumbs not restored: %v", err)
	}
	if code, out, _ := w.run("status"); code != 0 {
		t.Errorf("status after the restore exited %d:\n%s", code, out)
	}
}

// TestAliasMovedOutsideLambdas: someone points aliases elsewhere (through
// the strict proxy, which renews alias RevisionIds as AWS does). An
// unchanged function's alias goes back to the recorded version (verified
// first): read, then moved. A changed function whose alias was moved meets a
// 412 on the guarded move, reads the alias, says so, and moves it.
func TestAliasMovedOutsideLambdas(t *testing.T) {
	w := newWorld(t, "")
	w.proxy.SetStrict(true)
	w.mustApply()
	writeFile(t, filepath.Join(w.repo, "functions/webhook/index.js"), "exports.handler = async () => ({ statusCode: 201 });\n")
	w.git("commit", "-qam", "webhook: 201")
	w.mustApply()
	recorded := w.checkAliases()

	ctx := context.Background()
	outside := lambda.NewFromConfig(testenv.AWSConfig(t, w.proxy.URL()))
	// webhook back to version 1; invoices to a hotfix version.
	if _, err := outside.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("webhook"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	zip := testenv.MakeZip(t, map[string]string{"app.py": "def handler(e, c):\n    return 'hotfix'\n"})
	hot, err := outside.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("invoices"), ZipFile: zip, Publish: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := outside.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("invoices"), Name: aws.String("live"), FunctionVersion: hot.Version}); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(w.repo, "functions/invoices/app.py"), "def handler(event, context):\n    return 'v2'\n")
	w.git("commit", "-qam", "invoices: v2")

	w.proxy.Reset()
	out := w.mustApply("--progress", "lines")
	if !strings.Contains(out, "~ webhook changed (drifted)") || !strings.Contains(out, "alias live points at version 1, the state records 2") || !strings.Contains(out, "apply points live back at the released version 2") {
		t.Errorf("the plan should say webhook's alias drifted:\n%s", out)
	}
	if !strings.Contains(out, "alias live was moved outside lambdas: it points at version "+aws.ToString(hot.Version)) {
		t.Errorf("the release of invoices should say its alias was moved:\n%s", out)
	}
	if !strings.Contains(out, "Apply complete: 2 released, 2 unchanged, 0 failed") {
		t.Errorf("summary:\n%s", out)
	}
	after := w.checkAliases()
	if after["webhook"] != recorded["webhook"] || after["invoices"] == recorded["invoices"] || after["invoices"] == aws.ToString(hot.Version) {
		t.Errorf("aliases %v, recorded %v", after, recorded)
	}
	want := "map[invoices:[GetAlias UpdateAlias UpdateAlias UpdateFunctionCode] webhook:[GetAlias UpdateAlias]]"
	if got := fmt.Sprint(controlPlaneOps(w.proxy.Requests())); got != want {
		t.Errorf("control-plane calls: %s, want %s", got, want)
	}
	w.movesAreVerified()
}

// TestApplyInterruptedBySIGINT runs the CLI as a process and interrupts it
// mid-release: it stops starting steps, lets the calls under way finish,
// records them, says how to resume and exits 1; no alias points at an
// unverified version, the lock is free, and a rerun finishes.
func TestApplyInterruptedBySIGINT(t *testing.T) {
	const n = 12
	w := newWorld(t, manyFunctions(n, 50))
	w.addMany(n)
	bin := filepath.Join(t.TempDir(), "lambdas")
	buildCLI(t, bin)
	// Every call is slow, so that the signal lands with calls under way;
	// fn-00's CreateAlias is slower still (but within the grace period).
	w.proxy.SetLatency(150 * time.Millisecond)
	w.proxy.Inject(testenv.Rule{Service: "lambda", Operation: "CreateAlias", Function: "fn-00", Times: 1, Delay: 2 * time.Second})
	cmd := exec.Command(bin, "apply", "--auto-approve", "--progress", "lines", "--parallelism", "3")
	cmd.Dir = w.repo
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Interrupt once fn-00's CreateAlias is under way.
	deadline := time.Now().Add(time.Minute)
	for !slices.ContainsFunc(w.proxy.Requests(), func(r testenv.Request) bool { return r.Operation == "CreateAlias" && r.Function == "fn-00" }) {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("fn-00 never reached CreateAlias:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // inside the 2 s delay
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit: %v, want 1\n%s", err, out.String())
	}
	text := out.String()
	if !strings.Contains(text, "Error: interrupted: rerun lambdas apply to resume") || strings.Contains(text, "fix the cause") {
		t.Errorf("the message should say how to resume:\n%s", text)
	}
	if !strings.Contains(text, "Apply interrupted:") {
		t.Errorf("the summary should say it was interrupted:\n%s", text)
	}

	// The call under way finished and was recorded: fn-00 is released.
	data, err := os.ReadFile(filepath.Join(w.repo, ".lambdas", "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Functions map[string]struct {
			Commit   string `json:"commit"`
			Version  string `json:"version"`
			InFlight *struct {
				Version string            `json:"version"`
				Done    map[string]string `json:"done"`
			} `json:"in_flight"`
		} `json:"functions"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if f := doc.Functions["fn-00"]; f.Commit == "" || f.Version == "" {
		t.Errorf("fn-00's alias move was under way at the signal; it should have finished and been recorded: %+v\n%s", f, text)
	}
	released := 0
	for _, f := range doc.Functions {
		if f.Commit != "" {
			released++
		}
	}
	if released == n {
		t.Errorf("every function was released: the signal stopped nothing\n%s", text)
	}
	w.movesAreVerifiedFor(func(name string) string { return "many/" + name })

	// The lock is free and a rerun finishes what is left.
	w.proxy.SetLatency(0)
	again := w.mustApply()
	if !strings.Contains(again, fmt.Sprintf("Apply complete: %d released, %d unchanged, 0 failed", n-released, released)) {
		t.Errorf("rerun:\n%s", again)
	}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("fn-%02d", i)
		if _, sha := w.aliasSha(name, "live"); sha != w.localSha("many/"+name) {
			t.Errorf("%s: alias on %s after the rerun", name, sha)
		}
	}
	w.movesAreVerifiedFor(func(name string) string { return "many/" + name })
}

// movesAreVerifiedFor is movesAreVerified for functions outside the fixture.
func (w *world) movesAreVerifiedFor(source func(name string) string) {
	w.t.Helper()
	for _, m := range w.proxy.AliasMoves() {
		if m.FunctionVersion == "$LATEST" || m.FunctionVersion == "" {
			w.t.Errorf("alias %s of %s moved to %q", m.Alias, m.Function, m.FunctionVersion)
		}
		if want := w.localSha(source(m.Function)); m.CodeSha256 != want {
			w.t.Errorf("alias %s of %s moved to version %s with CodeSha256 %q, local package %s", m.Alias, m.Function, m.FunctionVersion, m.CodeSha256, want)
		}
	}
}
