package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/lambdas-dev/lambdas/internal/testenv"
	"github.com/lambdas-dev/lambdas/state"
)

// Teams and CI at scale, end to end against moto through the proxy: S3
// state with per-function locks, concurrent applies, shards, saved plans,
// environments and release rules, secrets.

const stateBucket = "lambdas-state"

// s3Header is applyHeader with the state in S3.
const s3Header = `
variable "bucket" {}

project {
  name      = "shop"
  region    = "us-east-1"
  artifacts = "s3://${var.bucket}/releases"
  state     = "s3://lambdas-state/shop/state.json"
  api_rate_limit = 50
}

defaults {
  alias = "live"
  create {
    role = env("TEST_ROLE_ARN")
  }
}
`

func s3Manifest(t *testing.T) string {
	return strings.Replace(applyManifest(t), applyHeader, s3Header, 1)
}

// newS3World is newWorld with the state bucket, and an S3 client on moto.
func newS3World(t *testing.T, manifestText string) (*world, *s3.Client) {
	t.Helper()
	w := newWorld(t, manifestText)
	cfg := testenv.AWSConfig(t, testenv.StartMoto(t).Endpoint)
	testenv.CreateBucket(t, cfg, stateBucket)
	return w, testenv.S3Client(cfg)
}

// s3State reads the state document from the bucket.
func s3State(t *testing.T, c *s3.Client, key string) *state.Document {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(stateBucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("read the state s3://%s/%s: %v", stateBucket, key, err)
	}
	defer out.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(out.Body); err != nil {
		t.Fatal(err)
	}
	doc, err := state.Decode(buf.Bytes(), key)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// lockObjects lists the lock objects left under the state key.
func lockObjects(t *testing.T, c *s3.Client, key string) []string {
	t.Helper()
	out, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(stateBucket), Prefix: aws.String(key + ".locks/")})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, strings.TrimPrefix(aws.ToString(o.Key), key+".locks/"))
	}
	return keys
}

// proc is a CLI process started in the repository.
type proc struct {
	cmd *exec.Cmd
	out syncBuffer
}

// syncBuffer is a bytes.Buffer that a process writes while a test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (w *world) start(bin string, args ...string) *proc {
	w.t.Helper()
	p := &proc{cmd: exec.Command(bin, args...)}
	p.cmd.Dir = w.repo
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	if err := p.cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	return p
}

func (p *proc) wait() int {
	err := p.cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestS3StateApplyThenNothing(t *testing.T) {
	w, c := newS3World(t, s3Manifest(t))
	out := w.mustApply()
	if !strings.Contains(out, "4 released") {
		t.Fatalf("apply:\n%s", out)
	}
	w.checkAliases()
	doc := s3State(t, c, "shop/state.json")
	if diff := cmp.Diff([]string{"invoices", "orders", "thumbs", "webhook"}, doc.Labels()); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	// Batched: a write per finished function, not per step (the local
	// file gets one per step: package, upload, update-code, version,
	// move-alias, release).
	if doc.Serial > 4 {
		t.Errorf("serial %d after releasing 4 functions: more than one write each", doc.Serial)
	}
	if left := lockObjects(t, c, "shop/state.json"); len(left) != 0 {
		t.Errorf("lock objects left after the apply: %v", left)
	}
	h, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(stateBucket), Key: aws.String("shop/state.json")})
	if err != nil || h.ServerSideEncryption != "AES256" {
		t.Errorf("state object encryption %q (%v), want AES256", h.ServerSideEncryption, err)
	}
	if _, err := os.Stat(filepath.Join(w.repo, ".lambdas", "state.json")); err == nil {
		t.Errorf("a local state was written beside the S3 one")
	}
	w.proxy.Reset()
	again := w.mustApply()
	if !strings.Contains(again, "Nothing to apply") && !strings.Contains(again, "0 released") {
		t.Errorf("second apply:\n%s", again)
	}
	if n := w.proxy.Counts().Mutating; n != 0 {
		t.Errorf("second apply made %d mutating calls", n)
	}
	// Nothing to release: no lock taken, no state written.
	for _, r := range w.proxy.Requests() {
		if r.Service == "s3" && (r.Operation == "PutObject" || r.Operation == "DeleteObject") {
			t.Errorf("a no-op apply wrote to S3: %s", r.Operation)
		}
	}
}

// TestS3StateTwoAppliesOnOneFunction: two applies started together on one
// S3 state, both releasing the same functions. One releases them; the other
// stops naming the holder (no --lock-timeout), or, when it started late
// enough, finds nothing to do. With --lock-timeout the other waits, plans
// again once the lock is free, and finds nothing to do. Never a lost record.
func TestS3StateTwoAppliesOnOneFunction(t *testing.T) {
	w, c := newS3World(t, s3Manifest(t))
	bin := filepath.Join(t.TempDir(), "lambdas")
	buildCLI(t, bin)
	w.proxy.SetLatency(20 * time.Millisecond) // an apply takes a while

	runPair := func(extra ...string) ([2]int, [2]string) {
		args := append([]string{"apply", "--auto-approve", "--progress", "lines"}, extra...)
		a, b := w.start(bin, args...), w.start(bin, args...)
		var codes [2]int
		codes[0], codes[1] = a.wait(), b.wait()
		return codes, [2]string{a.out.String(), b.out.String()}
	}

	codes, outs := runPair()
	released, refused := 0, 0
	for i := range codes {
		switch {
		case codes[i] == 0:
			released++
		case codes[i] == 1 && strings.Contains(outs[i], "is locked in state s3://lambdas-state/shop/state.json by ") && strings.Contains(outs[i], "lambdas force-unlock "):
			refused++
		default:
			t.Errorf("apply %d exited %d:\n%s", i, codes[i], outs[i])
		}
	}
	if released < 1 {
		t.Fatalf("neither apply released (codes %v):\n%s\n---\n%s", codes, outs[0], outs[1])
	}
	t.Logf("without --lock-timeout: %d released, %d stopped naming the holder", released, refused)
	w.checkAliases()
	doc := s3State(t, c, "shop/state.json")
	if diff := cmp.Diff([]string{"invoices", "orders", "thumbs", "webhook"}, doc.Labels()); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}

	// A change to two functions, and both runs wait for each other's locks.
	writeFile(t, filepath.Join(w.repo, "libs/py/shared.py"), "VERSION = 2\n")
	w.git("add", "-A")
	w.git("commit", "-qm", "py lib")
	codes, outs = runPair("--lock-timeout", "2m")
	if codes != [2]int{0, 0} {
		t.Fatalf("with --lock-timeout both must succeed, got %v:\n%s\n---\n%s", codes, outs[0], outs[1])
	}
	w.checkAliases()
	doc = s3State(t, c, "shop/state.json")
	head := strings.TrimSpace(gitOut(t, w.repo, "rev-parse", "HEAD"))
	for _, name := range []string{"orders", "invoices"} {
		if f := doc.Functions[name]; f == nil || f.InFlight != nil || f.Commit != head {
			t.Errorf("%s: record %+v, want released at %s", name, f, head)
		}
	}
	if left := lockObjects(t, c, "shop/state.json"); len(left) != 0 {
		t.Errorf("lock objects left: %v", left)
	}
}

// TestS3StaleLockOfAKilledApply: an apply SIGKILLed while it holds its
// functions' locks leaves the lock objects; the next apply reports the
// holder with its age and the way out, never takes it over; force-unlock
// frees it and the rerun resumes.
func TestS3StaleLockOfAKilledApply(t *testing.T) {
	w, c := newS3World(t, s3Manifest(t))
	bin := filepath.Join(t.TempDir(), "lambdas")
	buildCLI(t, bin)
	w.proxy.Inject(testenv.Rule{Service: "lambda", Operation: "CreateAlias", Function: "webhook", Times: 1, Delay: time.Minute})
	p := w.start(bin, "apply", "--auto-approve", "--progress", "lines")
	deadline := time.Now().Add(time.Minute)
	for len(lockObjects(t, c, "shop/state.json")) < 4 || !strings.Contains(p.out.String(), "webhook") {
		if time.Now().After(deadline) {
			_ = p.cmd.Process.Kill()
			t.Fatalf("the apply never took its locks:\n%s", p.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second) // the others finish; webhook hangs in CreateAlias
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.wait()

	code, out, errOut := w.run("apply", "--auto-approve")
	if code != 1 || !strings.Contains(errOut, "is locked in state s3://lambdas-state/shop/state.json by ") || !regexp.MustCompile(`, [0-9.]+s ago, lock id [0-9a-f]{16}\)`).MatchString(errOut) {
		t.Fatalf("apply over a dead run's locks (exit %d):\n%s%s", code, out, errOut)
	}
	id := regexp.MustCompile(`lambdas force-unlock ([0-9a-f]{16})`).FindStringSubmatch(errOut)
	if id == nil {
		t.Fatalf("no force-unlock hint: %s", errOut)
	}
	code, out, errOut = w.run("force-unlock", id[1])
	if code != 0 || !strings.Contains(out, "Unlocked 4 functions in s3://lambdas-state/shop/state.json: invoices, orders, thumbs, webhook.") {
		t.Fatalf("force-unlock (exit %d): %s%s", code, out, errOut)
	}
	again := w.mustApply()
	if !strings.Contains(again, "Apply complete:") {
		t.Errorf("rerun:\n%s", again)
	}
	w.checkAliases()
}

// shardWorld is n small functions with the state in S3.
func shardWorld(t *testing.T, n int) (*world, *s3.Client) {
	text := strings.Replace(manyFunctions(n, 60), "  api_rate_limit", "  state = \"s3://lambdas-state/many/state.json\"\n  api_rate_limit", 1)
	w, c := newS3World(t, text)
	w.addMany(n)
	return w, c
}

// TestFourConcurrentShards: a 40-function monorepo split into 4 shards for
// a job matrix, the 4 shard applies run at once: all 40 released, the
// state holds all 40.
func TestFourConcurrentShards(t *testing.T) {
	const n = 40
	w, c := shardWorld(t, n)
	bin := filepath.Join(t.TempDir(), "lambdas")
	buildCLI(t, bin)

	code, out, errOut := w.run("plan", "--format", "github-matrix", "--shards", "4")
	if code != 0 {
		t.Fatalf("plan --format github-matrix: %s%s", out, errOut)
	}
	var mx struct {
		Include []struct {
			Shard   string   `json:"shard"`
			Targets []string `json:"targets"`
		} `json:"include"`
	}
	if err := json.Unmarshal([]byte(out), &mx); err != nil {
		t.Fatalf("matrix %q: %v", out, err)
	}
	var all []string
	for i, e := range mx.Include {
		if e.Shard != fmt.Sprintf("%d/4", i+1) || len(e.Targets) != n/4 {
			t.Errorf("entry %d: shard %s with %d targets, want %d/4 with %d", i, e.Shard, len(e.Targets), i+1, n/4)
		}
		all = append(all, e.Targets...)
	}
	sort.Strings(all)
	if len(mx.Include) != 4 || len(all) != n || all[0] != "fn-00" || all[n-1] != "fn-39" {
		t.Fatalf("matrix does not hold every function once: %v", mx)
	}

	start := time.Now()
	procs := make([]*proc, 4)
	for i := range procs {
		procs[i] = w.start(bin, "apply", "--auto-approve", "--progress", "lines", "--shard", fmt.Sprintf("%d/4", i+1))
	}
	for i, p := range procs {
		if code := p.wait(); code != 0 {
			t.Errorf("shard %d/4 exited %d:\n%s", i+1, code, p.out.String())
		}
		if !strings.Contains(p.out.String(), fmt.Sprintf("%d released", n/4)) {
			t.Errorf("shard %d/4 did not release its %d functions:\n%s", i+1, n/4, p.out.String())
		}
	}
	t.Logf("4 concurrent shards of %d functions: %s", n, time.Since(start).Round(time.Millisecond))
	doc := s3State(t, c, "many/state.json")
	if len(doc.Functions) != n {
		t.Errorf("the state holds %d records, want %d: %v", len(doc.Functions), n, doc.Labels())
	}
	for label, f := range doc.Functions {
		if f.Version == "" || f.InFlight != nil {
			t.Errorf("%s: record %+v", label, f)
		}
	}
	for i := range n {
		name := fmt.Sprintf("fn-%02d", i)
		v, sha := w.aliasSha(name, "live")
		if want := w.localSha(fmt.Sprintf("many/%s", name)); sha != want || v == "" {
			t.Errorf("%s: alias → %s (%s), local package %s", name, v, sha, want)
		}
	}
	// After all shards: nothing to do, and a shard of nothing is fine.
	code, out, _ = w.run("plan", "--format", "github-matrix", "--shards", "4")
	if code != 0 || strings.TrimSpace(out) != `{"include":[]}` {
		t.Errorf("matrix after the release: %s", out)
	}
	if out := w.mustApply("--shard", "3/4"); !strings.Contains(out, "Nothing to apply") {
		t.Errorf("shard after the release:\n%s", out)
	}
}

// TestShardsAgreeAfterASiblingFinished: a shard that plans after another
// shard released its functions gets the same functions it would have had
// before (the split does not depend on what was released).
func TestShardsAgreeAfterASiblingFinished(t *testing.T) {
	const n = 9
	w, _ := shardWorld(t, n)
	code, out, _ := w.run("plan", "--format", "github-matrix", "--shards", "3")
	if code != 0 {
		t.Fatal(out)
	}
	var before struct {
		Include []struct {
			Targets []string `json:"targets"`
		} `json:"include"`
	}
	if err := json.Unmarshal([]byte(out), &before); err != nil || len(before.Include) != 3 {
		t.Fatalf("matrix %s: %v", out, err)
	}
	w.mustApply("--shard", "1/3")
	// Shard 2 now: exactly its matrix targets are released.
	w.proxy.Reset()
	w.mustApply("--shard", "2/3")
	var got []string
	for _, r := range w.proxy.Requests() {
		if r.Operation == "CreateFunction" {
			got = append(got, r.Function)
		}
	}
	sort.Strings(got)
	if diff := cmp.Diff(before.Include[1].Targets, got); diff != "" {
		t.Errorf("shard 2/3 after shard 1/3 released (-matrix +released):\n%s", diff)
	}
}

// TestSavedPlansAndShards: a saved plan made before another apply of an
// unrelated shard still applies; one made stale by another apply of its own
// function is refused with the reason.
func TestSavedPlansAndShards(t *testing.T) {
	const n = 8
	w, _ := shardWorld(t, n)
	dir := t.TempDir()
	full := filepath.Join(dir, "release.plan")
	if code, out, errOut := w.run("plan", "--out", full); code != 0 {
		t.Fatalf("plan: %s%s", out, errOut)
	}
	if fi, err := os.Stat(full); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("plan file mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	// Each shard applies the one saved plan: shard 2's part is current
	// after shard 1 released its part.
	for _, s := range []string{"1/2", "2/2"} {
		if code, out, errOut := w.run("apply", "--shard", s, full); code != 0 {
			t.Fatalf("apply --shard %s of the saved plan: %s%s", s, out, errOut)
		}
	}
	for i := range n {
		name := fmt.Sprintf("fn-%02d", i)
		if v, _ := w.aliasSha(name, "live"); v == "" {
			t.Errorf("%s not released", name)
		}
	}

	// A plan for fn-01 and fn-02, then another apply of fn-01: refused.
	for _, i := range []int{1, 2, 5} {
		writeFile(t, filepath.Join(w.repo, fmt.Sprintf("many/fn-%02d/index.js", i)), fmt.Sprintf("exports.handler = async () => %d + 1;\n", i))
	}
	w.git("commit", "-qam", "three changes")
	mine := filepath.Join(dir, "mine.plan")
	if code, out, errOut := w.run("plan", "--target", "fn-01", "--target", "fn-02", "--out", mine); code != 0 {
		t.Fatalf("plan: %s%s", out, errOut)
	}
	other := filepath.Join(dir, "other.plan")
	if code, out, errOut := w.run("plan", "--target", "fn-05", "--out", other); code != 0 {
		t.Fatalf("plan: %s%s", out, errOut)
	}
	w.mustApply("--target", "fn-01")
	w.proxy.Reset()
	code, _, errOut := w.run("apply", mine)
	if code != 1 || !strings.Contains(errOut, "the saved plan is stale: fn-01's state record changed since the plan (another apply released or resumed it)") || strings.Contains(errOut, "fn-02's") {
		t.Errorf("plan made stale by an apply of its function (exit %d): %s", code, errOut)
	}
	if n := w.proxy.Counts().Mutating; n != 0 {
		t.Errorf("a refused plan made %d mutating calls", n)
	}
	// The plan of an unrelated function still applies.
	if code, out, errOut := w.run("apply", other); code != 0 {
		t.Errorf("a plan of an unrelated function after another apply (exit %d): %s%s", code, out, errOut)
	}
}

// envManifest: one manifest, QA from main and production from v* tags,
// each with its own S3 state and function names.
const envManifestText = `
variable "bucket" {}
variable "env" { default = "dev" }

project {
  name      = "shop"
  region    = "us-east-1"
  artifacts = "s3://${var.bucket}/releases"
  api_rate_limit = 50
}

environment "qa" {
  state     = "s3://lambdas-state/qa/state.json"
  variables = { env = "qa" }
  release { branch = "main" }
}

environment "prod" {
  state     = "s3://lambdas-state/prod/state.json"
  variables = { env = "prod" }
  release { tag = "v*" }
}

defaults {
  runtime = "nodejs22.x"
  handler = "index.handler"
  create {
    role        = env("TEST_ROLE_ARN")
    environment = { API_TOKEN = env("TEST_API_TOKEN"), LOG_LEVEL = "info" }
  }
}

function "webhook" {
  function_name = "${var.env}-webhook"
  source        = "functions/webhook"
}
`

const secretToken = "tok-Zq81mXv0p3LrS4cret"

func TestEnvironmentsAndReleaseRules(t *testing.T) {
	t.Setenv("TEST_API_TOKEN", secretToken)
	w, c := newS3World(t, envManifestText)
	ctx := context.Background()

	// No environment chosen: refused, naming them.
	code, _, errOut := w.run("plan")
	if code != 1 || !strings.Contains(errOut, "declares environments (qa, prod), each with its own state: choose one with --env NAME") {
		t.Errorf("plan without --env (exit %d): %s", code, errOut)
	}

	// QA releases from main.
	out := w.mustApply("--env", "qa")
	if !strings.Contains(out, "1 released") {
		t.Fatalf("qa apply:\n%s", out)
	}
	head := strings.TrimSpace(gitOut(t, w.repo, "rev-parse", "HEAD"))
	a, err := w.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("qa-webhook"), Name: aws.String("live")})
	if err != nil {
		t.Fatal(err)
	}
	if want := "lambdas release " + head[:12]; aws.ToString(a.Description) != want {
		t.Errorf("qa alias description %q, want %q", aws.ToString(a.Description), want)
	}
	if doc := s3State(t, c, "qa/state.json"); doc.Functions["webhook"] == nil || doc.Functions["webhook"].ReleaseLabel != head[:12] {
		t.Errorf("qa state: %+v", doc.Functions["webhook"])
	}

	// Production releases from v* tags only: refused on main, naming the
	// rule and the ref.
	code, _, errOut = w.run("apply", "--env", "prod", "--auto-approve")
	if code != 1 || !strings.Contains(errOut, `the release rule release { tag = "v*" } of environment "prod" (lambdas.hcl line 21) refuses this apply: HEAD `+head[:7]+` has no tag matching "v*" (from git)`) || !strings.Contains(errOut, "--force") {
		t.Errorf("prod apply from main (exit %d): %s", code, errOut)
	}
	// A feature branch is refused for QA.
	w.git("checkout", "-qb", "feature/x")
	code, _, errOut = w.run("apply", "--env", "qa", "--auto-approve")
	if code != 1 || !strings.Contains(errOut, `release { branch = "main" } of environment "qa" (lambdas.hcl line 15) refuses this apply: HEAD `+head[:7]+` is on branch "feature/x" (from git)`) {
		t.Errorf("qa apply from a feature branch (exit %d): %s", code, errOut)
	}
	// A detached checkout of a tag (as CI checks tags out), named by
	// GITHUB_REF too: production releases it, labelled with the tag.
	w.git("checkout", "-q", "main")
	w.git("tag", "v1.4.0")
	w.git("checkout", "-q", "--detach", "v1.4.0")
	t.Setenv("GITHUB_SHA", head)
	t.Setenv("GITHUB_REF", "refs/tags/v1.4.0")
	out = w.mustApply("--env", "prod", "--progress", "json")
	if !strings.Contains(out, `"event":"released"`) || !strings.Contains(out, "1 released") {
		t.Fatalf("prod apply:\n%s", out)
	}
	a, err = w.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("prod-webhook"), Name: aws.String("live")})
	if err != nil {
		t.Fatal(err)
	}
	if want := "lambdas release v1.4.0 (commit " + head[:7] + ")"; aws.ToString(a.Description) != want {
		t.Errorf("prod alias description %q, want %q", aws.ToString(a.Description), want)
	}
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("artifacts"), Key: aws.String("releases/webhook/latest/app.zip")})
	if err != nil {
		t.Fatal(err)
	}
	if h.Metadata["release-label"] != "v1.4.0" || h.ServerSideEncryption != "AES256" {
		t.Errorf("artifact metadata %v, encryption %q", h.Metadata, h.ServerSideEncryption)
	}
	code, out, errOut = w.run("status", "--env", "prod")
	if code != 0 || !regexp.MustCompile(`webhook\s+live\s+1\s+v1\.4\.0\s`).MatchString(out) {
		t.Errorf("status (exit %d):\n%s%s", code, out, errOut)
	}
	code, out, _ = w.run("status", "--env", "prod", "--json")
	if code != 0 || !strings.Contains(out, `"release": "v1.4.0"`) {
		t.Errorf("status --json:\n%s", out)
	}
	// Two states, one per environment.
	if s3State(t, c, "prod/state.json").Functions["webhook"].FunctionName != "prod-webhook" {
		t.Errorf("prod state does not hold prod-webhook")
	}

	// --force releases against the rule.
	t.Setenv("GITHUB_REF", "")
	w.git("checkout", "-q", "feature/x")
	writeFile(t, filepath.Join(w.repo, "functions/webhook/index.js"), "exports.handler = async () => 'hotfix';\n")
	w.git("commit", "-qam", "hotfix")
	if out := w.mustApply("--env", "prod", "--force"); !strings.Contains(out, "1 released") {
		t.Errorf("apply --force:\n%s", out)
	}

	// The token never shows: not in plans (human, JSON, file), events,
	// status, the state, or the Lambda call log's answers we print.
	planFile := filepath.Join(t.TempDir(), "p.plan")
	var seen []string
	for _, args := range [][]string{
		{"plan", "--env", "qa"}, {"plan", "--env", "qa", "--json"}, {"plan", "--env", "qa", "--out", planFile},
		{"plan", "--env", "qa", "--format", "markdown"}, {"validate", "--env", "qa"}, {"validate", "--json"},
		{"state", "show", "--env", "qa"}, {"status", "--env", "qa", "--json"},
	} {
		_, o, e := w.run(args...)
		seen = append(seen, o, e)
	}
	data, _ := os.ReadFile(planFile)
	seen = append(seen, string(data), out)
	for _, k := range []string{"qa/state.json", "prod/state.json"} {
		d := s3State(t, c, k)
		js, _ := json.Marshal(d)
		seen = append(seen, string(js))
	}
	for i, s := range seen {
		if strings.Contains(s, secretToken) {
			t.Errorf("output %d shows the token:\n%s", i, s)
		}
	}
}

func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %v: %v", args, err)
	}
	return string(out)
}

// TestLocalStateDisjointAppliesAtOnce: the local file backend has the same
// per-function semantics: two applies of disjoint functions on one local
// state run at once and both records are kept.
func TestLocalStateDisjointAppliesAtOnce(t *testing.T) {
	w := newWorld(t, "")
	bin := filepath.Join(t.TempDir(), "lambdas")
	buildCLI(t, bin)
	w.proxy.SetLatency(20 * time.Millisecond)
	var wg sync.WaitGroup
	procs := []*proc{
		w.start(bin, "apply", "--auto-approve", "--progress", "lines", "--target", "orders", "--target", "invoices"),
		w.start(bin, "apply", "--auto-approve", "--progress", "lines", "--target", "thumbs", "--target", "webhook"),
	}
	codes := make([]int, len(procs))
	for i, p := range procs {
		wg.Add(1)
		go func() { defer wg.Done(); codes[i] = p.wait() }()
	}
	wg.Wait()
	for i, p := range procs {
		if codes[i] != 0 {
			t.Errorf("apply %d exited %d:\n%s", i, codes[i], p.out.String())
		}
	}
	w.checkAliases()
	data, err := os.ReadFile(filepath.Join(w.repo, ".lambdas", "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := state.Decode(data, "state")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"invoices", "orders", "thumbs", "webhook"}, doc.Labels()); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

// TestSecretsAreRedactedFromErrors: an AWS answer that quotes an
// environment value it was sent shows "(redacted)" in its place.
func TestSecretsAreRedactedFromErrors(t *testing.T) {
	t.Setenv("TEST_API_TOKEN", secretToken)
	w, _ := newS3World(t, envManifestText)
	w.proxy.Inject(testenv.Rule{Service: "lambda", Operation: "CreateFunction", Status: 400, Code: "InvalidParameterValueException",
		Message: "Environment variable API_TOKEN=" + secretToken + " is not allowed"})
	code, out, errOut := w.run("apply", "--env", "qa", "--auto-approve", "--progress", "json")
	all := out + errOut
	if code != 1 || !strings.Contains(all, "API_TOKEN=(redacted) is not allowed") {
		t.Errorf("apply (exit %d):\n%s", code, all)
	}
	if strings.Contains(all, secretToken) {
		t.Errorf("the token shows:\n%s", all)
	}
}

func TestRedactorWriter(t *testing.T) {
	var buf bytes.Buffer
	g := &globals{stdout: &buf, stderr: &buf}
	g.redact([]string{"s3cr3t-long-value", "s3cr3t"})
	g.redact([]string{"again"}) // once only
	fmt.Fprintf(g.stdout, "a s3cr3t-long-value b s3cr3t c\n")
	if got, want := buf.String(), "a (redacted) b (redacted) c\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if isTerminal(g.stdout) {
		t.Errorf("a buffer behind a redactor is a terminal")
	}
}
