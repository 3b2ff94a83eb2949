package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"

	"github.com/lambdas-dev/lambdas/internal/testenv"
)

// The rollout tests drive canary and linear releases through the CLI
// against moto, with the proxy answering Invoke by running the handlers
// (smoke tests are real) and CloudWatch alarms in moto as the gates.

// rolloutWorld is a world of Node functions released with a rollout.
type rolloutWorld struct {
	*world
	cw  *cloudwatch.Client
	fns []string
}

// rolloutManifest gives each function the deploy block.
func rolloutManifest(group string, deploy string, fns ...string) string {
	var b strings.Builder
	b.WriteString(`variable "bucket" {}
variable "interval" { default = "1s" }
project {
  name           = "shift"
  region         = "us-east-1"
  artifacts      = "s3://${var.bucket}/releases"
  api_rate_limit = 50
}
defaults {
  runtime = "nodejs22.x"
  handler = "index.handler"
  alias   = "live"
  create { role = env("TEST_ROLE_ARN") }
}
`)
	for _, fn := range fns {
		g := ""
		if group != "" {
			g = fmt.Sprintf("  rollout_group = %q\n", group)
		}
		fmt.Fprintf(&b, "function %q {\n  source = \"fns/%s\"\n%s  deploy {\n%s\n    alarms = [\"%s-errors\"]\n  }\n}\n", fn, fn, g, strings.ReplaceAll(deploy, "\n", "\n    "), fn)
	}
	return b.String()
}

const canaryDeploy = `strategy = "canary"
steps    = [10, 50, 100]
interval = var.interval
smoke_test {
  payload = "{\"ping\": true}"
  expect  = "\"ok\":true"
}`

// newRolloutWorld makes the functions, their alarms (OK), and releases
// them once: a first release moves at once.
func newRolloutWorld(t *testing.T, manifestText string, fns ...string) *rolloutWorld {
	t.Helper()
	w := newWorld(t, manifestText)
	w.proxy.SetLocalInvoke(true)
	rw := &rolloutWorld{world: w, fns: fns,
		cw: cloudwatch.NewFromConfig(testenv.AWSConfig(t, testenv.StartMoto(t).Endpoint), testenv.CloudWatchQueryProtocol)}
	for _, fn := range fns {
		rw.writeCode(fn, 1, false)
		_, err := rw.cw.PutMetricAlarm(context.Background(), &cloudwatch.PutMetricAlarmInput{
			AlarmName: aws.String(fn + "-errors"), Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Errors"),
			Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
			ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
			Dimensions:         []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String(fn)}},
		})
		if err != nil {
			t.Fatal(err)
		}
		rw.setAlarm(fn, cwtypes.StateValueOk)
	}
	w.git("add", "-A")
	w.git("commit", "-qm", "functions")
	out := w.mustApply("--progress", "lines")
	if !strings.Contains(out, fmt.Sprintf("Apply complete: %d released", len(fns))) {
		t.Fatalf("first release:\n%s", out)
	}
	for _, fn := range fns {
		if got := rw.routing(fn); got != "1" {
			t.Fatalf("%s after its first release: %s", fn, got)
		}
	}
	w.proxy.Reset()
	return rw
}

// writeCode writes version n of a function (broken: its handler throws).
func (w *rolloutWorld) writeCode(fn string, n int, broken bool) {
	body := fmt.Sprintf("exports.handler = async (event) => { console.log('%s v%d got', JSON.stringify(event)); return { ok: true, v: %d }; };\n", fn, n, n)
	if broken {
		body = fmt.Sprintf("exports.handler = async () => { throw new Error('%s v%d is broken'); };\n", fn, n)
	}
	writeFile(w.t, filepath.Join(w.repo, "fns", fn, "index.js"), body)
}

// release commits version n of the functions.
func (w *rolloutWorld) release(n int, broken map[string]bool, fns ...string) {
	for _, fn := range fns {
		w.writeCode(fn, n, broken[fn])
	}
	w.git("commit", "-qam", fmt.Sprintf("version %d", n))
}

func (w *rolloutWorld) setAlarm(fn string, v cwtypes.StateValue) {
	w.t.Helper()
	if _, err := w.cw.SetAlarmState(context.Background(), &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(fn + "-errors"), StateValue: v, StateReason: aws.String("set by the test")}); err != nil {
		w.t.Fatal(err)
	}
}

// routing is an alias's routing as "version" or "version +new:weight".
func (w *rolloutWorld) routing(fn string) string {
	w.t.Helper()
	a, err := w.lambda.GetAlias(context.Background(), &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String("live")})
	if err != nil {
		w.t.Fatalf("get alias of %s: %v", fn, err)
	}
	s := aws.ToString(a.FunctionVersion)
	if a.RoutingConfig != nil {
		for v, x := range a.RoutingConfig.AdditionalVersionWeights {
			s += fmt.Sprintf(" +%s:%g", v, x)
		}
	}
	return s
}

// routings is every function's routing.
func (w *rolloutWorld) routings() map[string]string {
	out := map[string]string{}
	for _, fn := range w.fns {
		out[fn] = w.routing(fn)
	}
	return out
}

func same(fns []string, v string) map[string]string {
	out := map[string]string{}
	for _, fn := range fns {
		out[fn] = v
	}
	return out
}

// moves is the alias moves the proxy saw since its last Reset, per function.
func (w *rolloutWorld) moves() map[string][]string {
	out := map[string][]string{}
	for _, m := range w.proxy.AliasMoves() {
		s := m.FunctionVersion
		for v, x := range m.AdditionalVersionWeights {
			s += fmt.Sprintf(" +%s:%g", v, x)
		}
		out[m.Function] = append(out[m.Function], s)
	}
	return out
}

type statusDoc struct {
	Functions []struct {
		Name         string             `json:"name"`
		Status       string             `json:"status"`
		AliasVersion string             `json:"alias_version"`
		Weights      map[string]float64 `json:"routing_weights"`
		Drift        []string           `json:"drift"`
		Rollout      *struct {
			Status string  `json:"status"`
			Weight float64 `json:"weight"`
			Step   int     `json:"step"`
			Reason string  `json:"reason"`
		} `json:"rollout"`
	} `json:"functions"`
}

// status runs lambdas status --json and says, per function, "status
// version weight" (e.g. "rolling-out 1 0.5"), checking the exit code.
func (w *rolloutWorld) status(wantCode int) map[string]string {
	w.t.Helper()
	code, out, errOut := w.run("status", "--json")
	if code != wantCode {
		w.t.Fatalf("status exited %d, want %d:\n%s%s", code, wantCode, out, errOut)
	}
	var doc statusDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		w.t.Fatalf("status --json: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, f := range doc.Functions {
		s := f.Status + " " + f.AliasVersion
		for v, x := range f.Weights {
			s += fmt.Sprintf(" +%s:%g", v, x)
		}
		if f.Rollout != nil && f.Rollout.Status == "in-progress" && fmt.Sprintf("%g", f.Rollout.Weight) != fmt.Sprintf("%g", f.Weights["2"]) {
			w.t.Errorf("%s: status says the rollout is at %g, the alias routes %v", f.Name, f.Rollout.Weight, f.Weights)
		}
		got[f.Name] = s
	}
	return got
}

func TestCanaryGroupStepByStepWithPromote(t *testing.T) {
	fns := []string{"cart", "checkout", "payments"}
	w := newRolloutWorld(t, rolloutManifest("shop", canaryDeploy, fns...), fns...)
	w.release(2, nil, fns...)

	out := w.mustApply("--rollout=start", "--progress", "lines")
	if !strings.Contains(out, "3 rolling out") {
		t.Errorf("apply --rollout=start:\n%s", out)
	}
	if diff := cmp.Diff(same(fns, "1 +2:0.1"), w.routings()); diff != "" {
		t.Errorf("after the first step (-want +got):\n%s", diff)
	}
	// A code release on a canary costs what an all-at-once one does in the
	// 15/s bucket: UpdateFunctionCode and UpdateAlias (the smoke test's
	// Invoke is not in it).
	for fn, ops := range controlPlaneOps(w.proxy.Requests()) {
		if slices.Contains(fns, fn) && fmt.Sprint(ops) != "[UpdateAlias UpdateFunctionCode]" {
			t.Errorf("%s: control-plane calls %v", fn, ops)
		}
	}
	if diff := cmp.Diff(same(fns, "rolling-out 1 +2:0.1"), w.status(0)); diff != "" {
		t.Errorf("status after the first step (-want +got):\n%s", diff)
	}

	// Too early: promote moves nothing.
	code, out, errOut := w.run("promote")
	if code != 0 || !strings.Contains(out, "not due") {
		t.Errorf("early promote exited %d:\n%s%s", code, out, errOut)
	}
	time.Sleep(1100 * time.Millisecond)
	// Twice in a row: one step.
	for range 2 {
		if code, out, errOut := w.run("promote"); code != 0 {
			t.Fatalf("promote exited %d:\n%s%s", code, out, errOut)
		}
	}
	if diff := cmp.Diff(same(fns, "1 +2:0.5"), w.routings()); diff != "" {
		t.Errorf("after the second step (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(same(fns, "rolling-out 1 +2:0.5"), w.status(0)); diff != "" {
		t.Errorf("status after the second step (-want +got):\n%s", diff)
	}
	time.Sleep(1100 * time.Millisecond)
	if code, out, errOut := w.run("promote"); code != 0 || !strings.Contains(out, "3 rolled out") {
		t.Fatalf("last promote exited %d:\n%s%s", code, out, errOut)
	}
	if diff := cmp.Diff(same(fns, "2"), w.routings()); diff != "" {
		t.Errorf("after the last step (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(same(fns, "in-sync 2"), w.status(0)); diff != "" {
		t.Errorf("status at the end (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(same(fns, "1 +2:0.1|1 +2:0.5|2"), joinMoves(w.moves())); diff != "" {
		t.Errorf("alias moves (-want +got):\n%s", diff)
	}
	// Nothing left to do.
	if code, out, _ := w.run("plan", "--detailed-exitcode"); code != 0 {
		t.Errorf("plan after the rollout exited %d:\n%s", code, out)
	}

	// The logs of version 2: the smoke test's invocation.
	code, out, errOut = w.run("logs", "cart", "--version", "2", "--since", "10m")
	if code != 0 || !strings.Contains(out, "START RequestId:") || !strings.Contains(out, "cart v2 got") || strings.Contains(out, "cart v1") {
		t.Errorf("logs exited %d:\n%s%s", code, out, errOut)
	}
}

func joinMoves(m map[string][]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = strings.Join(v, "|")
	}
	return out
}

// TestCanaryGroupAlarmRollsBackEveryMember is a blocking apply whose
// group's alarm goes off after the first step.
func TestCanaryGroupAlarmRollsBackEveryMember(t *testing.T) {
	fns := []string{"cart", "checkout", "payments"}
	t.Setenv("LAMBDAS_VAR_interval", "3s")
	w := newRolloutWorld(t, rolloutManifest("shop", canaryDeploy, fns...), fns...)
	w.release(2, nil, fns...)

	type result struct {
		code        int
		out, errOut string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errOut := w.run("apply", "--auto-approve", "--progress", "lines")
		done <- result{code, out, errOut}
	}()
	deadline := time.Now().Add(time.Minute)
	for len(w.proxy.AliasMoves()) < len(fns) {
		if time.Now().After(deadline) {
			t.Fatal("the rollout never took its first step")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if diff := cmp.Diff(same(fns, "rolling-out 1 +2:0.1"), w.status(0)); diff != "" {
		t.Errorf("status during the rollout (-want +got):\n%s", diff)
	}
	alarmAt := time.Now()
	w.setAlarm("payments", cwtypes.StateValueAlarm)
	var res result
	select {
	case res = <-done:
	case <-time.After(time.Minute):
		t.Fatal("apply did not end")
	}
	if res.code != 1 || !strings.Contains(res.out, "3 rolled back") || !strings.Contains(res.errOut, "alarm payments-errors of payments is in ALARM") {
		t.Errorf("apply exited %d:\n%s%s", res.code, res.out, res.errOut)
	}
	if diff := cmp.Diff(same(fns, "1"), w.routings()); diff != "" {
		t.Errorf("after the alarm (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(same(fns, "1 +2:0.1|1"), joinMoves(w.moves())); diff != "" {
		t.Errorf("alias moves: no second step, one move back each (-want +got):\n%s", diff)
	}
	var back time.Duration
	for _, m := range w.proxy.AliasMoves() {
		if len(m.AdditionalVersionWeights) == 0 {
			back = max(back, m.Time.Sub(alarmAt))
		}
	}
	t.Logf("every alias back on version 1 %s after SetAlarmState ALARM (interval 3s, alarms polled every 750ms)", back.Round(time.Millisecond))
	if diff := cmp.Diff(same(fns, "in-sync 1"), w.status(0)); diff != "" {
		t.Errorf("status after the rollback (-want +got):\n%s", diff)
	}
	code, out, _ := w.run("status")
	if !strings.Contains(out, "was rolled back: alarm payments-errors") || code != 0 {
		t.Errorf("status should say why:\n%s", out)
	}
}

func TestLinearWeights(t *testing.T) {
	w := newRolloutWorld(t, rolloutManifest("", "strategy = \"linear\"\nstep = 25\ninterval = \"300ms\"", "web"), "web")
	w.release(2, nil, "web")
	out := w.mustApply("--progress", "lines")
	if !strings.Contains(out, "Apply complete: 1 released") {
		t.Errorf("apply:\n%s", out)
	}
	if diff := cmp.Diff([]string{"1 +2:0.25", "1 +2:0.5", "1 +2:0.75", "2"}, w.moves()["web"]); diff != "" {
		t.Errorf("alias moves (-want +got):\n%s", diff)
	}
	if !strings.Contains(out, "25% of live on version 2, 75% on version 1; next step 50%") {
		t.Errorf("the progress should show the weights and the next step:\n%s", out)
	}
}

func TestFailingSmokeTestMovesNoTraffic(t *testing.T) {
	w := newRolloutWorld(t, rolloutManifest("", canaryDeploy, "web"), "web")
	w.release(2, map[string]bool{"web": true}, "web")
	code, out, errOut := w.run("apply", "--auto-approve", "--progress", "lines")
	if code != 1 || !strings.Contains(errOut, "smoke test of version 2 failed: function error (Unhandled)") || !strings.Contains(errOut, "web v2 is broken") {
		t.Errorf("apply exited %d:\n%s%s", code, out, errOut)
	}
	if n := len(w.proxy.AliasMoves()); n != 0 {
		t.Errorf("%d alias moves after a failed smoke test: %v", n, w.moves())
	}
	if got := w.routing("web"); got != "1" {
		t.Errorf("alias: %s", got)
	}
	if diff := cmp.Diff(map[string]string{"web": "in-sync 1"}, w.status(0)); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
}

func TestGroupWithAFailingPublishMovesNone(t *testing.T) {
	fns := []string{"cart", "checkout", "payments"}
	w := newRolloutWorld(t, rolloutManifest("shop", canaryDeploy, fns...), fns...)
	w.release(2, nil, fns...)
	remove := w.proxy.Inject(testenv.Rule{Service: "lambda", Operation: "UpdateFunctionCode", Function: "checkout", Status: 400, Code: "InvalidParameterValueException", Message: "injected"})
	code, out, errOut := w.run("apply", "--auto-approve", "--progress", "lines")
	if code != 1 || !strings.Contains(out, "not shifted: rollout group shop has members not released (checkout (failed))") {
		t.Errorf("apply exited %d:\n%s%s", code, out, errOut)
	}
	if n := len(w.proxy.AliasMoves()); n != 0 {
		t.Errorf("alias moves in a group with a failed member: %v", w.moves())
	}
	if diff := cmp.Diff(same(fns, "1"), w.routings()); diff != "" {
		t.Errorf("aliases (-want +got):\n%s", diff)
	}
	// Fixed, the rerun releases checkout and shifts the whole group (the
	// others' versions are reused, not published again).
	remove()
	w.proxy.Reset()
	w.mustApply("--rollout=start")
	if diff := cmp.Diff(same(fns, "1 +2:0.1"), w.routings()); diff != "" {
		t.Errorf("after the rerun (-want +got):\n%s", diff)
	}
	for _, r := range w.proxy.Requests() {
		if r.Operation == "UpdateFunctionCode" && r.Function != "checkout" {
			t.Errorf("the rerun updated %s again", r.Function)
		}
	}
	// A new release of a function rolling out is refused …
	w.release(3, nil, "cart")
	code, out, errOut = w.run("apply", "--auto-approve", "--rollout=start")
	if code != 1 || !strings.Contains(out+errOut, "a rollout of version 2 is in flight") {
		t.Errorf("a release over a rollout in flight: exit %d\n%s%s", code, out, errOut)
	}
	// … unless --supersede, which rolls the group back first; the group
	// then starts again with cart's new version.
	w.proxy.Reset()
	w.mustApply("--rollout=start", "--supersede")
	if diff := cmp.Diff(map[string]string{"cart": "1 +3:0.1", "checkout": "1 +2:0.1", "payments": "1 +2:0.1"}, w.routings()); diff != "" {
		t.Errorf("after --supersede (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string][]string{"cart": {"1", "1 +3:0.1"}, "checkout": {"1", "1 +2:0.1"}, "payments": {"1", "1 +2:0.1"}}, w.moves()); diff != "" {
		t.Errorf("alias moves of --supersede: back, then the new first step (-want +got):\n%s", diff)
	}
}

// applyUntilFirstMove starts a blocking apply with the CLI at bin and
// returns it, running, once the proxy has seen its first alias move.
func (w *rolloutWorld) applyUntilFirstMove(bin string) (*exec.Cmd, *bytes.Buffer) {
	w.t.Helper()
	cmd := exec.Command(bin, "apply", "--auto-approve", "--progress", "lines")
	cmd.Dir = w.repo
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for len(w.proxy.AliasMoves()) == 0 {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			w.t.Fatalf("no first step:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cmd, out
}

// TestKilledRolloutIsRecovered kills a blocking apply mid-rollout, at the
// worst moment: the first step's UpdateAlias has moved the alias (the
// proxy holds its answer) and the state does not know it yet. status
// tells the truth; promote finishes the rollout, rollback undoes the next,
// both through the 412 that the alias's new RevisionId gives.
func TestKilledRolloutIsRecovered(t *testing.T) {
	t.Setenv("LAMBDAS_VAR_interval", "2s")
	w := newRolloutWorld(t, rolloutManifest("", canaryDeploy, "web"), "web")
	w.proxy.SetStrict(true)
	bin := filepath.Join(t.TempDir(), "lambdas")
	buildCLI(t, bin)
	kill := func(version int) {
		t.Helper()
		w.proxy.Reset()
		w.proxy.Inject(testenv.Rule{Operation: "UpdateAlias", Function: "web", Times: 1, HoldResponse: time.Minute})
		w.release(version, nil, "web")
		cmd, _ := w.applyUntilFirstMove(bin)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
	}

	kill(2)
	if got := w.routing("web"); got != "1 +2:0.1" {
		t.Fatalf("after the kill: %s", got)
	}
	if diff := cmp.Diff(map[string]string{"web": "rolling-out 1 +2:0.1"}, w.status(0)); diff != "" {
		t.Errorf("status after the kill (-want +got):\n%s", diff)
	}
	if _, out, _ := w.run("status"); !strings.Contains(out, "rolling out: 10% on version 2 (step 1 of 3") || !strings.Contains(out, "a run stopped before recording this step") {
		t.Errorf("status after the kill does not say where the rollout stands:\n%s", out)
	}
	code, out, errOut := w.run("promote", "--wait", "--progress", "lines")
	if code != 0 || w.routing("web") != "2" {
		t.Fatalf("promote --wait exited %d, alias %s:\n%s%s", code, w.routing("web"), out, errOut)
	}
	if diff := cmp.Diff(map[string]string{"web": "in-sync 2"}, w.status(0)); diff != "" {
		t.Errorf("status after promote (-want +got):\n%s", diff)
	}

	kill(3)
	if got := w.routing("web"); got != "2 +3:0.1" {
		t.Fatalf("after the second kill: %s", got)
	}
	code, out, errOut = w.run("rollback", "web")
	if code != 0 || w.routing("web") != "2" || !strings.Contains(out, "rolled back to version 2") {
		t.Fatalf("rollback exited %d, alias %s:\n%s%s", code, w.routing("web"), out, errOut)
	}
	if diff := cmp.Diff(map[string]string{"web": "in-sync 2"}, w.status(0)); diff != "" {
		t.Errorf("status after rollback (-want +got):\n%s", diff)
	}
	// By hand, a finished release goes back to the version before it.
	code, out, errOut = w.run("rollback", "web")
	if code != 0 || w.routing("web") != "1" {
		t.Fatalf("rollback of the release exited %d, alias %s:\n%s%s", code, w.routing("web"), out, errOut)
	}
	if diff := cmp.Diff(map[string]string{"web": "in-sync 1"}, w.status(0)); diff != "" {
		t.Errorf("status after rolling back the release (-want +got):\n%s", diff)
	}
	code, out, _ = w.run("plan", "--detailed-exitcode")
	if code != 2 || !strings.Contains(out, "web") {
		t.Errorf("after a rollback by hand the plan releases HEAD again (exit %d):\n%s", code, out)
	}
}

// TestInterruptedRolloutResumesWithApply interrupts a blocking apply
// (SIGINT) after the first step: it exits 1 saying the rollout stays in
// flight, and apply run again goes on with it, publishing nothing anew.
func TestInterruptedRolloutResumesWithApply(t *testing.T) {
	t.Setenv("LAMBDAS_VAR_interval", "1s")
	w := newRolloutWorld(t, rolloutManifest("", canaryDeploy, "web"), "web")
	bin := filepath.Join(t.TempDir(), "lambdas")
	buildCLI(t, bin)
	w.release(2, nil, "web")
	cmd, out := w.applyUntilFirstMove(bin)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(out.String(), "interrupted: 1 rollout stays in flight where it stands") {
		t.Fatalf("exit %v:\n%s", err, out.String())
	}
	if got := w.routing("web"); got != "1 +2:0.1" {
		t.Fatalf("after the interruption: %s", got)
	}
	code, planOut, _ := w.run("plan")
	if code != 0 || !strings.Contains(planOut, "web: the rollout of version 2 is in flight (10%): apply goes on with it") {
		t.Errorf("plan:\n%s", planOut)
	}
	w.proxy.Reset()
	again := w.mustApply("--progress", "lines")
	if !strings.Contains(again, "Apply complete: 1 released") || w.routing("web") != "2" {
		t.Errorf("apply again (alias %s):\n%s", w.routing("web"), again)
	}
	for _, r := range w.proxy.Requests() {
		if r.Operation == "UpdateFunctionCode" || r.Operation == "PublishVersion" || r.Operation == "Invoke" {
			t.Errorf("the resumed apply redid %s", r.Operation)
		}
	}
	if diff := cmp.Diff([]string{"1 +2:0.5", "2"}, w.moves()["web"]); diff != "" {
		t.Errorf("the resumed apply's moves (-want +got):\n%s", diff)
	}
}
