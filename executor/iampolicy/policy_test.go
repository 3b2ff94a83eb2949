package iampolicy

import (
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/lambdas-dev/lambdas/manifest"
	"github.com/lambdas-dev/lambdas/planner/plan"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

const account = "123456789012"

func noEnv(string) (string, bool) { return "", false }

// loadExamples loads the repository's own lambdas.hcl (examples/).
func loadExamples(t *testing.T) *manifest.Manifest {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	m, diags := manifest.Load(filepath.Join(root, "lambdas.hcl"), manifest.Options{RepoRoot: root, LookupEnv: noEnv})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return m
}

// loadRich loads testdata/rich.hcl in a repository with its folders.
func loadRich(t *testing.T) *manifest.Manifest {
	t.Helper()
	repo := t.TempDir()
	for name, content := range map[string]string{
		"functions/orders-api/app.py":           "def handler(e, c):\n    return 1\n",
		"functions/orders-api/requirements.txt": "requests==2.32.3\n",
		"functions/web/index.js":                "exports.handler = async () => 1;\n",
	} {
		p := filepath.Join(repo, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src, err := os.ReadFile("testdata/rich.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "lambdas.hcl"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	m, diags := manifest.Load(filepath.Join(repo, "lambdas.hcl"), manifest.Options{RepoRoot: repo, LookupEnv: noEnv})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return m
}

// resources returns, for a manifest, the ARNs of each kind of resource
// in Calls that lambdas may act on, with sample version and key values.
func resources(m *manifest.Manifest, region string) map[string][]string {
	fn := func(name string) string { return "arn:aws:lambda:" + region + ":" + account + ":function:" + name }
	out := map[string][]string{}
	add := func(kind string, arns ...string) { out[kind] = append(out[kind], arns...) }
	layer := func(f *manifest.Function) string {
		return "arn:aws:lambda:" + region + ":" + account + ":layer:" + plan.LayerName(m.Project.Name, f.Runtime, f.Architecture)
	}
	for _, f := range m.Functions {
		add(OnFunction, fn(f.Name))
		add(OnVersion, fn(f.Name)+":1", fn(f.Name)+":42")
		add(OnAlias, fn(f.Name)+":"+f.Alias)
		if f.Create != nil {
			add(OnCreated, fn(f.Name))
			add(OnRole, f.Create.Role)
		}
		if f.Dependencies != "" {
			add(OnWithDeps, fn(f.Name))
			add(OnLayer, layer(f))
			add(OnLayerVersion, layer(f)+":1", layer(f)+":17")
		}
		for _, a := range f.Deploy.Alarms {
			add(OnAlarm, "arn:aws:cloudwatch:"+region+":"+account+":alarm:"+a)
		}
		group := "arn:aws:logs:" + region + ":" + account + ":log-group:/aws/lambda/" + f.Name
		add(OnLogGroup, group, group+":*")
		add(OnLogStream, group+":log-stream:2026/01/01/[$LATEST]0123456789abcdef")
		if a := m.Project.Artifacts; a != nil {
			prefix := a.Prefix
			if prefix != "" {
				prefix += "/"
			}
			add(OnArtifact, "arn:aws:s3:::"+a.Bucket+"/"+prefix+f.Label+"/"+strings.Repeat("ab", 32)+"/app.zip",
				"arn:aws:s3:::"+a.Bucket+"/"+prefix+f.Label+"/latest/app.zip")
		}
		if s := m.Project.StateS3; s != nil {
			add(OnStateLock, "arn:aws:s3:::"+s.Bucket+"/"+s.Prefix+StateLockInfix+f.Label)
		}
	}
	if a := m.Project.Artifacts; a != nil {
		add(OnArtifactsList, "arn:aws:s3:::"+a.Bucket)
	}
	if s := m.Project.StateS3; s != nil {
		add(OnState, "arn:aws:s3:::"+s.Bucket+"/"+s.Prefix)
		add(OnStateList, "arn:aws:s3:::"+s.Bucket)
	}
	return out
}

func context(c Call) map[string]string {
	if c.Operation == "PassRole" {
		return map[string]string{"iam:PassedToService": "lambda.amazonaws.com"}
	}
	return nil
}

// TestPolicyAllowsEveryCall checks the policy of each manifest against the
// table of calls: every call lambdas makes on every resource of its kind
// is allowed, and every action and resource the policy grants is used by
// some call (so it grants nothing the tool does not need).
func TestPolicyAllowsEveryCall(t *testing.T) {
	for _, tt := range []struct {
		name string
		m    func(*testing.T) *manifest.Manifest
	}{{"examples", loadExamples}, {"rich", loadRich}} {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.m(t)
			region := m.Project.Region
			p, err := Derive(m, Options{Account: account, Region: region})
			if err != nil {
				t.Fatal(err)
			}
			res := resources(m, region)
			used := map[[2]string]bool{} // statement action + resource pattern
			for _, c := range Calls {
				arns := res[c.On]
				if len(arns) == 0 {
					continue // this manifest has no such resource (no alarms, local state)
				}
				for _, arn := range arns {
					for _, action := range c.Actions {
						r := Request{Action: action, Resource: arn, Context: context(c)}
						if !p.Allows(r) {
							t.Errorf("%s %s (%s) on %s: %s is not allowed", c.Service, c.Operation, c.By, arn, action)
						}
						for _, s := range p.Statement {
							if !s.allows(r) {
								continue
							}
							for _, pat := range s.Resource {
								if arnMatch(pat, arn) {
									used[[2]string{action, pat}] = true
								}
							}
						}
					}
				}
			}
			for _, s := range p.Statement {
				for _, a := range s.Action {
					if strings.Contains(a, "*") {
						t.Errorf("%s: wildcard action %s", s.Sid, a)
					}
					for _, pat := range s.Resource {
						if pat == "*" || strings.Contains(pat, ":*:") {
							t.Errorf("%s: resource %s is wider than this account and region", s.Sid, pat)
						}
						if !used[[2]string{a, pat}] {
							t.Errorf("%s grants %s on %s, which no call in Calls needs", s.Sid, a, pat)
						}
					}
				}
			}
		})
	}
}

// TestPolicyDenies lists what the role must not be able to do.
func TestPolicyDenies(t *testing.T) {
	m := loadRich(t)
	p, err := Derive(m, Options{Account: account, Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	fn := "arn:aws:lambda:eu-west-1:" + account + ":function:"
	denied := []Request{
		{Action: "lambda:DeleteFunction", Resource: fn + "prod-orders-api"},                                           // the function itself
		{Action: "lambda:InvokeFunction", Resource: fn + "prod-orders-api"},                                           // $LATEST
		{Action: "lambda:UpdateFunctionCode", Resource: fn + "prod-orders-api:live"},                                  // not an update of $LATEST
		{Action: "lambda:UpdateFunctionCode", Resource: fn + "prod-billing"},                                          // another function
		{Action: "lambda:GetFunction", Resource: fn + "prod-orders-api-evil"},                                         // a name that starts the same
		{Action: "lambda:GetFunction", Resource: "arn:aws:lambda:eu-west-2:" + account + ":function:prod-orders-api"}, // another region
		{Action: "lambda:GetFunction", Resource: "arn:aws:lambda:eu-west-1:210987654321:function:prod-orders-api"},    // another account
		{Action: "lambda:CreateFunction", Resource: fn + "prod-orders-api"},                                           // no create block
		{Action: "lambda:UpdateFunctionConfiguration", Resource: fn + "prod-web"},                                     // no dependencies
		{Action: "lambda:AddPermission", Resource: fn + "prod-orders-api"},                                            // never called
		{Action: "lambda:PublishLayerVersion", Resource: "arn:aws:lambda:eu-west-1:" + account + ":layer:other-team-deps"},
		{Action: "lambda:PublishLayerVersion", Resource: "arn:aws:lambda:eu-west-1:" + account + ":layer:lambdas-shop-eu-admin-deps-python3-12-x86_64"}, // a project whose name starts the same
		{Action: "iam:PassRole", Resource: "arn:aws:iam::123456789012:role/web-exec", Context: map[string]string{"iam:PassedToService": "ec2.amazonaws.com"}},
		{Action: "iam:PassRole", Resource: "arn:aws:iam::123456789012:role/web-exec"},
		{Action: "iam:PassRole", Resource: "arn:aws:iam::123456789012:role/admin", Context: map[string]string{"iam:PassedToService": "lambda.amazonaws.com"}},
		{Action: "s3:PutObject", Resource: "arn:aws:s3:::shop-artifacts/other/app.zip"},  // outside the prefix
		{Action: "s3:PutObject", Resource: "arn:aws:s3:::shop-artifacts/releases-old/x"}, // a prefix that starts the same
		{Action: "s3:DeleteObject", Resource: "arn:aws:s3:::shop-artifacts/releases/web/latest/app.zip"},
		{Action: "s3:PutObject", Resource: "arn:aws:s3:::shop-state/lambdas/other.json"},
		{Action: "s3:ListBucket", Resource: "arn:aws:s3:::other-bucket"},
		{Action: "cloudwatch:DescribeAlarms", Resource: "arn:aws:cloudwatch:eu-west-1:" + account + ":alarm:billing-5xx"},
		{Action: "cloudwatch:SetAlarmState", Resource: "arn:aws:cloudwatch:eu-west-1:" + account + ":alarm:orders-5xx"},
		{Action: "logs:FilterLogEvents", Resource: "arn:aws:logs:eu-west-1:" + account + ":log-group:/aws/lambda/prod-billing"},
		{Action: "logs:DeleteLogGroup", Resource: "arn:aws:logs:eu-west-1:" + account + ":log-group:/aws/lambda/prod-web"},
	}
	for _, r := range denied {
		if p.Allows(r) {
			t.Errorf("allowed, and must not be: %s on %s (context %v)", r.Action, r.Resource, r.Context)
		}
	}
}

func TestDeriveUnknownAccountAndRegion(t *testing.T) {
	m := loadExamples(t)
	m.Project.Region = ""
	p, err := Derive(m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Notes) < 2 || !strings.Contains(strings.Join(p.Notes, "\n"), "--account") {
		t.Errorf("notes %q do not say how to narrow the account and region", p.Notes)
	}
	if !p.Allows(Request{Action: "lambda:UpdateFunctionCode", Resource: "arn:aws:lambda:eu-west-1:999999999999:function:demo-webhook"}) {
		t.Errorf("with account and region unknown, the function in any of them must be allowed")
	}
	if p.Allows(Request{Action: "lambda:UpdateFunctionCode", Resource: "arn:aws:lambda:eu-west-1:999999999999:function:demo-other"}) {
		t.Errorf("an unknown account still names the functions")
	}
	if _, err := Derive(m, Options{Account: "12345"}); err == nil || !strings.Contains(err.Error(), "12 digits") {
		t.Errorf("a bad account: %v", err)
	}
}

func TestPartition(t *testing.T) {
	for region, want := range map[string]string{"eu-west-1": "aws", "cn-north-1": "aws-cn", "us-gov-west-1": "aws-us-gov", "": "aws"} {
		if got := partitionOf(region); got != want {
			t.Errorf("partitionOf(%q) = %q, want %q", region, got, want)
		}
	}
}

func TestGlobAndARNs(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"arn:aws:lambda:eu-west-1:1:function:f", "arn:aws:lambda:eu-west-1:1:function:f", true},
		{"arn:aws:lambda:eu-west-1:1:function:f:*", "arn:aws:lambda:eu-west-1:1:function:f", false},
		{"arn:aws:lambda:eu-west-1:1:function:f:*", "arn:aws:lambda:eu-west-1:1:function:f:7", true},
		{"arn:aws:lambda:eu-west-1:1:function:f:*", "arn:aws:lambda:eu-west-1:1:function:fg:7", false},
		{"arn:aws:lambda:*:*:function:f", "arn:aws:lambda:eu-west-1:1:function:f", true},
		{"arn:aws:lambda:*:1:function:f", "arn:aws:lambda:eu-west-1:2:function:f", false},
		{"arn:aws:s3:::b/p/*", "arn:aws:s3:::b/p/x/y.zip", true},
		{"arn:aws:s3:::b/p/*", "arn:aws:s3:::b/px", false},
		{"arn:aws:logs:r:1:log-group:/aws/lambda/f:*", "arn:aws:logs:r:1:log-group:/aws/lambda/f:log-stream:a", true},
		{"a?c", "abc", true},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXbYbZ", false},
		{"*", "", true},
	}
	for _, tt := range tests {
		if got := arnMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("arnMatch(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

// TestGoldens pins the policy of the examples, as JSON and as Terraform
// (testdata/examples.json, examples.tf; -update rewrites them). The
// Terraform is parsed back and must say what the JSON says, and pass
// terraform fmt -check where terraform is installed.
func TestGoldens(t *testing.T) {
	m := loadExamples(t)
	p, err := Derive(m, Options{Account: account, Region: m.Project.Region})
	if err != nil {
		t.Fatal(err)
	}
	js, err := p.JSON()
	if err != nil {
		t.Fatal(err)
	}
	tf := p.Terraform("lambdas_ci", "The permissions lambdas needs for project lambdas-examples.")
	for name, got := range map[string][]byte{"examples.json": js, "examples.tf": tf} {
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test ./executor/iampolicy -update writes it)", err)
		}
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}

	// The Terraform says what the JSON says.
	file, diags := hclparse.NewParser().ParseHCL(tf, "policy.tf")
	if diags.HasErrors() {
		t.Fatalf("the Terraform output does not parse: %v\n%s", diags, tf)
	}
	var doc struct {
		Data []struct {
			Type       string `hcl:"type,label"`
			Name       string `hcl:"name,label"`
			Statements []struct {
				Sid        string   `hcl:"sid"`
				Effect     string   `hcl:"effect"`
				Actions    []string `hcl:"actions"`
				Resources  []string `hcl:"resources"`
				Conditions []struct {
					Test     string   `hcl:"test"`
					Variable string   `hcl:"variable"`
					Values   []string `hcl:"values"`
				} `hcl:"condition,block"`
			} `hcl:"statement,block"`
		} `hcl:"data,block"`
	}
	if diags := gohcl.DecodeBody(file.Body, &hcl.EvalContext{}, &doc); diags.HasErrors() {
		t.Fatalf("decode the Terraform output: %v", diags)
	}
	var back Policy
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if len(doc.Data) != 1 || doc.Data[0].Type != "aws_iam_policy_document" || doc.Data[0].Name != "lambdas_ci" || len(doc.Data[0].Statements) != len(back.Statement) {
		t.Fatalf("Terraform output: %+v", doc)
	}
	for i, s := range doc.Data[0].Statements {
		want := back.Statement[i]
		got := Statement{Sid: s.Sid, Effect: s.Effect, Action: s.Actions, Resource: s.Resources}
		for _, c := range s.Conditions {
			if got.Condition == nil {
				got.Condition = Condition{}
			}
			if got.Condition[c.Test] == nil {
				got.Condition[c.Test] = map[string][]string{}
			}
			got.Condition[c.Test][c.Variable] = c.Values
		}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(Statement{}), cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".why" }, cmp.Ignore())); diff != "" {
			t.Errorf("statement %s: Terraform and JSON differ (-json +terraform):\n%s", want.Sid, diff)
		}
	}
	terraformFmtCheck(t, tf)
}

// terraformFmtCheck runs terraform fmt -check on the text: where terraform
// is not installed it is skipped, except in CI (CI=true), where that fails.
func terraformFmtCheck(t *testing.T, text []byte) {
	t.Helper()
	bin, err := exec.LookPath("terraform")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("terraform is not installed, and CI=true: %v", err)
		}
		t.Logf("terraform not installed: fmt -check not run")
		return
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "policy.tf"), text, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "fmt", "-check", "-diff", dir)
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE=/dev/null", "CHECKPOINT_DISABLE=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("terraform fmt -check: %v\n%s", err, out)
	}
}

// The read-only policy (pull-request plans) allows what plan, plan
// --refresh, status and logs read, and no other call of the table.
func TestReadOnlyPolicy(t *testing.T) {
	m := loadRich(t)
	p, err := Derive(m, Options{Account: account, Region: "eu-west-1", ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	reads := map[string]bool{
		"GetFunction " + OnFunction: true, "GetFunction " + OnVersion: true, "GetFunction " + OnAlias: true,
		"GetAlias " + OnFunction: true, "GetAlias " + OnAlias: true,
		"DescribeAlarms " + OnAlarm: true, "FilterLogEvents " + OnLogGroup: true, "GetLogEvents " + OnLogStream: true,
		"GetObject " + OnState: true, "HeadObject " + OnStateList: true,
	}
	res := resources(m, "eu-west-1")
	for _, c := range Calls {
		for _, arn := range res[c.On] {
			for _, action := range c.Actions {
				want := reads[c.Operation+" "+c.On]
				if got := p.Allows(Request{Action: action, Resource: arn, Context: context(c)}); got != want {
					t.Errorf("%s %s on %s (%s): allowed %v, want %v", c.Operation, action, arn, c.On, got, want)
				}
			}
		}
	}
}
