package examples

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/lambdas-dev/lambdas/manifest"
)

// Terraform's providers cannot be downloaded here, so terraform validate
// cannot run: the test parses every .tf file with hclparse and checks what
// the modules must hold, and runs terraform fmt -check where terraform is
// installed (in CI it must be).

// tfModule is the blocks of one folder's .tf files.
type tfModule struct {
	dir    string
	blocks []*hclsyntax.Block
	files  map[string]*hcl.File
}

func loadModule(t *testing.T, dir string) *tfModule {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no .tf files in %s: %v", dir, err)
	}
	p := hclparse.NewParser()
	m := &tfModule{dir: dir, files: map[string]*hcl.File{}}
	for _, path := range paths {
		f, diags := p.ParseHCLFile(path)
		if diags.HasErrors() {
			t.Fatalf("%s: %v", path, diags)
		}
		m.files[path] = f
		m.blocks = append(m.blocks, f.Body.(*hclsyntax.Body).Blocks...)
	}
	return m
}

// find returns the blocks of a type with these leading labels.
func (m *tfModule) find(typ string, labels ...string) []*hclsyntax.Block {
	var out []*hclsyntax.Block
	for _, b := range m.blocks {
		if b.Type == typ && len(b.Labels) >= len(labels) && slices.Equal(b.Labels[:len(labels)], labels) {
			out = append(out, b)
		}
	}
	return out
}

func (m *tfModule) one(t *testing.T, typ string, labels ...string) *hclsyntax.Block {
	t.Helper()
	bs := m.find(typ, labels...)
	if len(bs) != 1 {
		t.Fatalf("%s: %d blocks %s %v, want 1", m.dir, len(bs), typ, labels)
	}
	return bs[0]
}

func labelsOf(bs []*hclsyntax.Block, i int) []string {
	var out []string
	for _, b := range bs {
		if len(b.Labels) > i {
			out = append(out, b.Labels[i])
		}
	}
	sort.Strings(out)
	return out
}

// ignoreChanges returns the names a resource's lifecycle block ignores.
func ignoreChanges(t *testing.T, b *hclsyntax.Block) []string {
	t.Helper()
	for _, lc := range b.Body.Blocks {
		if lc.Type != "lifecycle" {
			continue
		}
		attr, ok := lc.Body.Attributes["ignore_changes"]
		if !ok {
			break
		}
		exprs, diags := hcl.ExprList(attr.Expr)
		if diags.HasErrors() {
			t.Fatalf("ignore_changes: %v", diags)
		}
		var out []string
		for _, e := range exprs {
			tr, diags := hcl.AbsTraversalForExpr(e)
			if diags.HasErrors() {
				t.Fatalf("ignore_changes: %v", diags)
			}
			out = append(out, tr.RootName())
		}
		sort.Strings(out)
		return out
	}
	return nil
}

// source is the text of an expression as written.
func (m *tfModule) source(e hcl.Expression) string {
	r := e.Range()
	for path, f := range m.files {
		if r.Filename == path {
			return string(r.SliceBytes(f.Bytes))
		}
	}
	return ""
}

// literal evaluates an expression without variables (a constant).
func literal(t *testing.T, e hcl.Expression) cty.Value {
	t.Helper()
	v, diags := e.Value(nil)
	if diags.HasErrors() {
		t.Fatalf("not a constant: %v", diags)
	}
	return v
}

func TestFunctionModule(t *testing.T) {
	m := loadModule(t, "terraform/modules/function")
	fn := m.one(t, "resource", "aws_lambda_function", "this")
	if diff := cmp.Diff([]string{"filename", "layers", "s3_bucket", "s3_key", "source_code_hash"}, ignoreChanges(t, fn)); diff != "" {
		t.Errorf("aws_lambda_function ignore_changes: Terraform would revert what lambdas released (-want +got):\n%s", diff)
	}
	alias := m.one(t, "resource", "aws_lambda_alias", "this")
	if diff := cmp.Diff([]string{"function_version", "routing_config"}, ignoreChanges(t, alias)); diff != "" {
		t.Errorf("aws_lambda_alias ignore_changes (-want +got):\n%s", diff)
	}
	// Placeholder code, published as version 1 for the alias.
	if got := m.source(fn.Body.Attributes["filename"].Expr); got != "data.archive_file.placeholder.output_path" {
		t.Errorf("filename = %s: the function starts with the placeholder", got)
	}
	if v := literal(t, fn.Body.Attributes["publish"].Expr); !v.True() {
		t.Errorf("publish must be true: the alias needs a version")
	}
	m.one(t, "data", "archive_file", "placeholder")
	group := m.one(t, "resource", "aws_cloudwatch_log_group", "this")
	if got := m.source(group.Body.Attributes["name"].Expr); got != `"/aws/lambda/${var.function_name}"` {
		t.Errorf("log group name %s: lambdas logs reads /aws/lambda/NAME", got)
	}
	m.one(t, "resource", "aws_iam_role", "this")
	want := []string{"alias", "alias_arn", "alias_invoke_arn", "architecture", "function_arn", "function_name", "handler", "log_group_name", "manifest_block", "region", "role_arn", "runtime"}
	if diff := cmp.Diff(want, labelsOf(m.find("output"), 0)); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
}

func TestCIModule(t *testing.T) {
	m := loadModule(t, "terraform/modules/ci")
	m.one(t, "resource", "aws_codestarconnections_connection", "github")
	build := m.one(t, "resource", "aws_codebuild_project", "lambdas")
	var src *hclsyntax.Block
	for _, b := range build.Body.Blocks {
		if b.Type == "source" {
			src = b
		}
	}
	if src == nil || m.source(src.Body.Attributes["buildspec"].Expr) != "var.buildspec" {
		t.Fatalf("the CodeBuild project does not run var.buildspec")
	}
	def := literal(t, m.one(t, "variable", "buildspec").Body.Attributes["default"].Expr).AsString()
	if _, err := os.Stat(filepath.Join("..", def)); err != nil {
		t.Errorf("the default buildspec %s: %v", def, err)
	}

	// Two pipelines: the branch (QA) and the release (production).
	pipe := m.one(t, "resource", "aws_codepipeline", "lambdas")
	text := m.source(pipe.Body.Attributes["for_each"].Expr)
	if text != "local.pipelines" {
		t.Errorf("pipelines for_each %s", text)
	}
	body := string(pipe.Range().SliceBytes(m.files[pipe.Range().Filename].Bytes))
	for _, want := range []string{
		`provider         = "CodeStarSourceConnection"`,
		`OutputArtifactFormat = "CODEBUILD_CLONE_REF"`,
		`pipeline_type  = "V2"`,
		`execution_mode = "QUEUED"`,
		`includes = [var.branch]`,
		`includes = var.release_tags`,
		`provider        = "CodeBuild"`,
		`name = "LAMBDAS_ENVIRONMENT"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the pipelines lack %s", want)
		}
	}
	locals := m.find("locals")
	var kinds []string
	for _, l := range locals {
		if a, ok := l.Body.Attributes["pipelines"]; ok {
			for _, item := range a.Expr.(*hclsyntax.ObjectConsExpr).Items {
				kinds = append(kinds, m.source(item.KeyExpr))
			}
		}
	}
	if diff := cmp.Diff([]string{"branch", "release"}, kinds); diff != "" {
		t.Errorf("pipelines (-want +got):\n%s", diff)
	}

	// Notifications: started and succeeded to one channel, failed to another.
	rule := m.one(t, "resource", "aws_codestarnotifications_notification_rule", "pipeline")
	ruleText := string(rule.Range().SliceBytes(m.files[rule.Range().Filename].Bytes))
	if !strings.Contains(ruleText, `type    = "AWSChatbotSlack"`) {
		t.Errorf("the notification rules do not target AWS Chatbot")
	}
	m.one(t, "resource", "aws_chatbot_slack_channel_configuration", "this")
	var rules string
	for _, l := range locals {
		if a, ok := l.Body.Attributes["notification_rules"]; ok {
			rules = m.source(a.Expr)
		}
	}
	for _, want := range []string{
		`channel  = "releases"`, "codepipeline-pipeline-pipeline-execution-started", "codepipeline-pipeline-pipeline-execution-succeeded",
		`channel  = "failures"`, "codepipeline-pipeline-pipeline-execution-failed",
	} {
		if !strings.Contains(rules, want) {
			t.Errorf("notification rules lack %s:\n%s", want, rules)
		}
	}

	// The build runs with the policy lambdas iam-policy prints.
	pol := m.one(t, "resource", "aws_iam_role_policy", "lambdas")
	if got := m.source(pol.Body.Attributes["policy"].Expr); got != "var.lambdas_policy_json" {
		t.Errorf("the build role's lambdas policy is %s", got)
	}
}

// The example root module creates exactly lambdas.hcl's functions, with
// the names, runtimes, handlers and architectures the manifest gives them.
func TestExampleRootModule(t *testing.T) {
	m := loadModule(t, "terraform")
	mod := m.one(t, "module", "function")
	if got := literal(t, mod.Body.Attributes["source"].Expr).AsString(); got != "./modules/function" {
		t.Errorf("module source %s", got)
	}
	if got := m.source(mod.Body.Attributes["function_name"].Expr); got != `"${var.env}-${each.key}"` {
		t.Errorf("function_name %s: lambdas.hcl names them ${local.prefix}LABEL, prefix ${var.env}-", got)
	}
	ci := m.one(t, "module", "ci")
	if got := m.source(ci.Body.Attributes["lambdas_policy_json"].Expr); got != "data.aws_iam_policy_document.lambdas.json" {
		t.Errorf("ci policy %s", got)
	}
	m.one(t, "data", "aws_iam_policy_document", "lambdas") // lambdas_policy.tf

	var fns cty.Value
	for _, l := range m.find("locals") {
		if a, ok := l.Body.Attributes["functions"]; ok {
			fns = literal(t, a.Expr)
		}
	}
	envDefault := literal(t, m.one(t, "variable", "env").Body.Attributes["default"].Expr).AsString()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	man, diags := manifest.Load(filepath.Join(root, "lambdas.hcl"), manifest.Options{RepoRoot: root, LookupEnv: func(string) (string, bool) { return "", false }, Vars: map[string]string{"env": envDefault}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	type fn struct{ Name, Runtime, Handler, Architecture string }
	var want, got []fn
	for _, f := range man.Functions {
		want = append(want, fn{f.Name, f.Runtime, f.Handler, f.Architecture})
	}
	for it := fns.ElementIterator(); it.Next(); {
		k, v := it.Element()
		got = append(got, fn{envDefault + "-" + k.AsString(), v.GetAttr("runtime").AsString(), v.GetAttr("handler").AsString(), v.GetAttr("architecture").AsString()})
	}
	sort.Slice(want, func(i, j int) bool { return want[i].Name < want[j].Name })
	sort.Slice(got, func(i, j int) bool { return got[i].Name < got[j].Name })
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("examples/terraform creates other functions than lambdas.hcl releases (-lambdas.hcl +terraform):\n%s", diff)
	}
}

func TestTerraformFmt(t *testing.T) {
	bin, err := exec.LookPath("terraform")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("terraform is not installed, and CI=true: %v", err)
		}
		t.Skipf("terraform is not installed: terraform fmt -check not run")
	}
	cmd := exec.Command(bin, "fmt", "-check", "-recursive", "-diff", "terraform")
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE=/dev/null", "CHECKPOINT_DISABLE=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("terraform fmt -check -recursive examples/terraform: %v\n%s", err, out)
	}
}

func TestEveryTerraformFileParses(t *testing.T) {
	n := 0
	err := filepath.WalkDir("terraform", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".tf") {
			return err
		}
		n++
		if _, diags := hclparse.NewParser().ParseHCLFile(path); diags.HasErrors() {
			t.Errorf("%s: %v", path, diags)
		}
		return nil
	})
	if err != nil || n < 10 {
		t.Errorf("walked %d .tf files: %v", n, err)
	}
}
