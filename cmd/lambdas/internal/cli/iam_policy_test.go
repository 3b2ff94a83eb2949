package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"

	"github.com/lambdas-dev/lambdas/executor/iampolicy"
	"github.com/lambdas-dev/lambdas/internal/testenv"
)

var digits = regexp.MustCompile(`^[0-9]+$`)

// TestIAMPolicyAllowsEveryCallAnApplyMakes prints the policy for the
// fixture's manifest, then runs the kinds of release there are (create,
// code-only, first release of existing functions, an alias moved outside,
// plan --refresh, status) through the fault proxy, and checks that every
// request the proxy saw is a call of iampolicy.Calls and is allowed by the
// policy, as IAM would authorize it.
func TestIAMPolicyAllowsEveryCallAnApplyMakes(t *testing.T) {
	w := newWorld(t, "")
	code, out, errOut := w.run("iam-policy", "--account", testenv.AccountID)
	if code != 0 {
		t.Fatalf("iam-policy exited %d: %s", code, errOut)
	}
	var p iampolicy.Policy
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("iam-policy printed no policy: %v\n%s", err, out)
	}
	role := os.Getenv("TEST_ROLE_ARN")

	// 1. Every function created (CreateFunction, CreateAlias, uploads).
	w.mustApply()
	// 2. A code-only release of the dependents of a shared library.
	writeFile(t, filepath.Join(w.repo, "libs/py/shared/__init__.py"), "def total(items):\n    return 42\n")
	w.git("commit", "-qam", "shared: change")
	w.mustApply()
	// 3. An alias moved outside lambdas (straight to moto, not through
	// the proxy): the refresh reads it, the apply moves it back.
	if _, err := w.lambda.UpdateAlias(context.Background(), &lambda.UpdateAliasInput{FunctionName: aws.String("webhook"), Name: aws.String("live"), FunctionVersion: aws.String("$LATEST")}); err != nil {
		t.Fatal(err)
	}
	w.mustApply()
	// 4. plan --refresh and status read everything back.
	if code, _, errOut := w.run("plan", "--refresh"); code != 0 {
		t.Fatalf("plan --refresh exited %d: %s", code, errOut)
	}
	if code, _, errOut := w.run("status"); code != 0 {
		t.Fatalf("status exited %d: %s", code, errOut)
	}
	// 5. The functions exist but the state is gone: the first release of
	// existing functions (GetAlias, UpdateAlias, PublishVersion).
	if err := os.Remove(filepath.Join(w.repo, ".lambdas", "state.json")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(w.repo, "functions/webhook/index.js"), "exports.handler = async () => ({ statusCode: 202 });\n")
	w.git("commit", "-qam", "webhook: 202")
	w.mustApply()

	reqs := w.proxy.Requests()
	seen := map[string]bool{}
	for _, r := range reqs {
		if r.Status >= 400 && r.Status != 404 {
			t.Errorf("%s %s answered %d", r.Operation, r.Path, r.Status)
		}
		seen[r.Service+" "+r.Operation] = true
		checks, why := authorizations(r, role)
		if len(checks) == 0 {
			t.Errorf("%s %s %s (%s %s): %s", r.Service, r.Operation, r.Function, r.Method, r.Path, why)
		}
		for _, c := range checks {
			if !p.Allows(c) {
				t.Errorf("%s %s %s: the policy does not allow %s on %s", r.Service, r.Operation, r.Function, c.Action, c.Resource)
			}
		}
	}
	// The runs above made every kind of call an apply makes today.
	for _, op := range []string{"lambda GetFunction", "lambda CreateFunction", "lambda CreateAlias", "lambda UpdateFunctionCode",
		"lambda PublishVersion", "lambda GetAlias", "lambda UpdateAlias", "s3 HeadObject", "s3 PutObject", "s3 CopyObject"} {
		if !seen[op] {
			var got []string
			for k := range seen {
				got = append(got, k)
			}
			sort.Strings(got)
			t.Errorf("no %s was made; the test meant to check it (seen: %v)", op, got)
		}
	}
}

// authorizations is what IAM checks for one request the proxy saw: the
// actions of the request's entries in iampolicy.Calls on its resource (the
// function, version or alias ARN; the S3 object, or the bucket when a
// missing object answers 404), and iam:PassRole for CreateFunction. None,
// with a reason, for a request that is not in the table.
func authorizations(r testenv.Request, role string) ([]iampolicy.Request, string) {
	return authorizationsIn(r, role, "artifacts", "releases/")
}

// authorizationsIn is authorizations with the artifacts bucket and prefix.
func authorizationsIn(r testenv.Request, role, artifacts, prefix string) ([]iampolicy.Request, string) {
	calls := iampolicy.CallsFor(r.Service, r.Operation)
	if len(calls) == 0 {
		return nil, "not a call listed in iampolicy.Calls"
	}
	var resource func(kind string) (string, bool)
	switch r.Service {
	case "lambda":
		fn := "arn:aws:lambda:" + r.Region + ":" + testenv.AccountID + ":function:" + r.Function
		// Layer requests: /2018-10-31/layers/NAME/versions[/N].
		var layer, layerVersion string
		if _, rest, ok := strings.Cut(r.Path, "/layers/"); ok {
			parts := strings.Split(rest, "/")
			layer = "arn:aws:lambda:" + r.Region + ":" + testenv.AccountID + ":layer:" + parts[0]
			if len(parts) >= 3 {
				layerVersion = layer + ":" + parts[2]
			}
		}
		resource = func(kind string) (string, bool) {
			switch q := r.Qualifier; kind {
			case iampolicy.OnLayer:
				return layer, layer != "" && layerVersion == ""
			case iampolicy.OnLayerVersion:
				return layerVersion, layerVersion != ""
			case iampolicy.OnFunction, iampolicy.OnCreated, iampolicy.OnWithDeps:
				return fn, q == ""
			case iampolicy.OnVersion:
				return fn + ":" + q, digits.MatchString(q)
			case iampolicy.OnAlias:
				return fn + ":" + q, q != "" && !digits.MatchString(q)
			}
			return "", false
		}
	case "s3":
		bucket, key, _ := strings.Cut(strings.TrimPrefix(r.Path, "/"), "/")
		resource = func(kind string) (string, bool) {
			switch kind {
			case iampolicy.OnArtifact:
				// The executor's keys: releases/<label>/<sha256>/app.zip and
				// releases/<label>/latest/app.zip (a CopyObject's source is
				// the sha256 key, which its HeadObject checked for
				// s3:GetObject).
				return "arn:aws:s3:::" + bucket + "/" + key, bucket == artifacts && strings.HasPrefix(key, prefix)
			case iampolicy.OnArtifactsList:
				return "arn:aws:s3:::" + bucket, bucket == artifacts && r.Status == 404
			}
			return "", false
		}
	default:
		return nil, "a service the apply should not call"
	}
	var out []iampolicy.Request
	for _, c := range calls {
		arn, ok := resource(c.On)
		if !ok {
			continue
		}
		for _, a := range c.Actions {
			out = append(out, iampolicy.Request{Action: a, Resource: arn})
		}
	}
	if len(out) == 0 {
		return nil, "no entry of iampolicy.Calls for this resource"
	}
	if r.Operation == "CreateFunction" {
		out = append(out, iampolicy.Request{Action: "iam:PassRole", Resource: role, Context: map[string]string{"iam:PassedToService": "lambda.amazonaws.com"}})
	}
	return out, ""
}

// iam-policy needs no AWS: it follows the manifest's variables, prints
// Terraform on request, and says when it does not know the account.
func TestIAMPolicyCommand(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	manifestText := `variable "env" { default = "qa" }
project {
  name   = "x"
  region = "eu-west-1"
}
function "a" {
  function_name = "${var.env}-a"
  source        = "src"
  runtime       = "python3.12"
  handler       = "app.handler"
}
`
	repo := diagRepo(t, manifestText)
	dir := filepath.Join(repo, "sub")
	tests := []struct {
		name      string
		args      []string
		wantCode  int
		stdout    []string // substrings
		notStdout []string
		stderr    []string
	}{
		{"json", []string{"iam-policy", "--account", "210987654321"}, 0,
			[]string{`"arn:aws:lambda:eu-west-1:210987654321:function:qa-a"`, `"Version": "2012-10-17"`}, []string{"layer", "iam:PassRole", "s3:"}, nil},
		{"another environment", []string{"iam-policy", "--account", "210987654321", "--var", "env=prod"}, 0,
			[]string{`function:prod-a"`}, []string{"qa-a"}, nil},
		{"terraform", []string{"iam-policy", "--account", "210987654321", "--format", "terraform", "--name", "ci"}, 0,
			[]string{`data "aws_iam_policy_document" "ci" {`, `sid    = "ReleaseCode"`}, nil, nil},
		{"account unknown", []string{"iam-policy"}, 0,
			[]string{`"arn:aws:lambda:eu-west-1:*:function:qa-a"`}, nil, []string{"Note: the account is not known", "--account"}},
		{"read-only", []string{"iam-policy", "--account", "210987654321", "--read-only"}, 0,
			[]string{`"lambda:GetFunction"`, `"lambda:GetAlias"`, `"logs:FilterLogEvents"`}, []string{"UpdateFunctionCode", "UpdateAlias", "PublishVersion", "DeleteFunction", "InvokeFunction"}, nil},
		{"bad account", []string{"iam-policy", "--account", "42"}, 1, nil, nil, []string{"12 digits"}},
		{"bad format", []string{"iam-policy", "--format", "yaml"}, 1, nil, nil, []string{`--format "yaml": use json or terraform`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runIn(t, dir, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\n%s", code, tt.wantCode, errOut)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tt.notStdout {
				if strings.Contains(out, s) {
					t.Errorf("stdout has %q:\n%s", s, out)
				}
			}
			for _, s := range tt.stderr {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut)
				}
			}
		})
	}
}

// examples/terraform/lambdas_policy.tf is what iam-policy prints for the
// root lambdas.hcl: regenerate it with
//
//	lambdas iam-policy --format terraform --account 123456789012 > examples/terraform/lambdas_policy.tf
func TestExamplesPolicyIsCurrent(t *testing.T) {
	for _, k := range []string{"LAMBDAS_DEMO_ROLE_ARN", "LAMBDAS_VAR_env", "AWS_REGION"} {
		if _, ok := os.LookupEnv(k); ok {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	root, err := filepath.Abs("../../../..")
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runIn(t, root, "iam-policy", "--format", "terraform", "--account", "123456789012")
	if code != 0 {
		t.Fatalf("iam-policy exited %d: %s", code, errOut)
	}
	want, err := os.ReadFile(filepath.Join(root, "examples", "terraform", "lambdas_policy.tf"))
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != out {
		t.Errorf("examples/terraform/lambdas_policy.tf is not what lambdas iam-policy prints for lambdas.hcl; regenerate it with\n  lambdas iam-policy --format terraform --account 123456789012 > examples/terraform/lambdas_policy.tf\n(-file +now):\n%s", cmp.Diff(string(want), out))
	}
}

// TestIAMPolicyForTheExamples releases the repository's own examples
// (lambdas.hcl at the root: Python, Node, an esbuild and a Go build)
// through the fault proxy, as make demo does, with the state in a scratch
// file, and checks every request against lambdas iam-policy for them.
func TestIAMPolicyForTheExamples(t *testing.T) {
	root, err := filepath.Abs("../../../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"examples/node_modules/.bin/esbuild", "examples/functions/checkout-ts/node_modules/ms/package.json"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			msg := f + " is not installed: run npm ci in examples/ and examples/functions/checkout-ts (make test does)"
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	moto := testenv.StartMoto(t)
	moto.Reset(t)
	proxy := testenv.NewFaultProxy(t, moto.Endpoint)
	proxy.SetLocalInvoke(true) // the webhook's smoke test runs its handler (moto cannot run code here)
	cfg := testenv.AWSConfig(t, moto.Endpoint)
	role := testenv.CreateRole(t, cfg, "lambdas-demo")
	testenv.CreateBucket(t, cfg, "lambdas-demo-artifacts")
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": proxy.URL(), "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
		"AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
		"LAMBDAS_DEMO_ROLE_ARN": role, "LAMBDAS_VAR_state": filepath.Join(t.TempDir(), "state.json"), "GITHUB_ACTIONS": "",
	} {
		t.Setenv(k, v)
	}
	code, out, errOut := runIn(t, root, "iam-policy", "--account", testenv.AccountID)
	if code != 0 {
		t.Fatalf("iam-policy exited %d: %s", code, errOut)
	}
	var p iampolicy.Policy
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"apply", "--auto-approve", "--allow-dirty"}, // creates all six
		{"plan", "--refresh"},
		{"status"},
	} {
		if code, out, errOut := runIn(t, root, args...); code != 0 {
			t.Fatalf("%v exited %d\n%s\n%s", args, code, out, errOut)
		}
	}
	seen := map[string]bool{}
	for _, r := range proxy.Requests() {
		seen[r.Function] = seen[r.Function] || r.Operation == "CreateAlias"
		checks, why := authorizationsIn(r, role, "lambdas-demo-artifacts", "releases/")
		if len(checks) == 0 {
			t.Errorf("%s %s %s (%s %s): %s", r.Service, r.Operation, r.Function, r.Method, r.Path, why)
		}
		for _, c := range checks {
			if !p.Allows(c) {
				t.Errorf("%s %s %s: the policy does not allow %s on %s", r.Service, r.Operation, r.Function, c.Action, c.Resource)
			}
		}
	}
	for _, fn := range []string{"demo-orders-api", "demo-invoice-worker", "demo-thumbnails", "demo-webhook", "demo-checkout-ts", "demo-audit-go"} {
		if !seen[fn] {
			t.Errorf("%s was not released", fn)
		}
	}
}
