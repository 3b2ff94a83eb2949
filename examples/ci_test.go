// Package examples holds the tests of the files in examples/ that are not
// Go: the CI files (examples/ci, the repository's action.yml) and the
// Terraform modules (examples/terraform).
//
// YAML is read with gopkg.in/yaml.v3: it was already in the module graph
// (go list -m all) and in the module cache, so the tests need neither
// Python nor the network.
package examples

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// step is a GitHub Actions step (a workflow's or a composite action's).
type step struct {
	ID               string            `yaml:"id"`
	Name             string            `yaml:"name"`
	If               string            `yaml:"if"`
	Uses             string            `yaml:"uses"`
	Run              string            `yaml:"run"`
	Shell            string            `yaml:"shell"`
	WorkingDirectory string            `yaml:"working-directory"`
	With             map[string]string `yaml:"with"`
	Env              map[string]string `yaml:"env"`
}

type actionFile struct {
	Name   string `yaml:"name"`
	Inputs map[string]struct {
		Description string `yaml:"description"`
		Required    bool   `yaml:"required"`
		Default     string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Value string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string `yaml:"using"`
		Steps []step `yaml:"steps"`
	} `yaml:"runs"`
}

type job struct {
	Name        string            `yaml:"name"`
	If          string            `yaml:"if"`
	Needs       any               `yaml:"needs"`
	Environment string            `yaml:"environment"`
	Permissions map[string]string `yaml:"permissions"`
	Outputs     map[string]string `yaml:"outputs"`
	Strategy    struct {
		FailFast *bool `yaml:"fail-fast"`
		Matrix   any   `yaml:"matrix"`
	} `yaml:"strategy"`
	Steps []step `yaml:"steps"`
}

type workflow struct {
	On struct {
		PullRequest any `yaml:"pull_request"`
		Push        struct {
			Branches []string `yaml:"branches"`
			Tags     []string `yaml:"tags"`
		} `yaml:"push"`
	} `yaml:"on"`
	Concurrency struct {
		Group            string `yaml:"group"`
		CancelInProgress string `yaml:"cancel-in-progress"`
	} `yaml:"concurrency"`
	Permissions map[string]string `yaml:"permissions"`
	Env         map[string]string `yaml:"env"`
	Jobs        map[string]job    `yaml:"jobs"`
}

func readYAML(t *testing.T, path string, v any) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Strict: a misspelt key is an error, not something silently ignored
	// by the test while the runner rejects it.
	var node yaml.Node
	if err := yaml.Unmarshal(data, &node); err != nil {
		t.Fatalf("%s is not YAML: %v", path, err)
	}
	if err := node.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return data
}

var exprRe = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// usesPinned: every action is pinned to a major version (or a commit).
var usesPinned = regexp.MustCompile(`^[\w.-]+/[\w./-]+@(v\d+|[0-9a-f]{40})$`)

// bashSyntax checks a run: script with bash -n, its ${{ }} expressions
// replaced by a word.
func bashSyntax(t *testing.T, where, script string) {
	t.Helper()
	cmd := exec.Command("bash", "-n")
	cmd.Stdin = strings.NewReader(exprRe.ReplaceAllString(script, "EXPR"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("%s: the script is not valid bash: %v\n%s\n%s", where, err, out, script)
	}
}

func TestActionFile(t *testing.T) {
	var a actionFile
	readYAML(t, "../action.yml", &a)
	if a.Runs.Using != "composite" {
		t.Errorf("runs.using = %q, want composite", a.Runs.Using)
	}
	if in, ok := a.Inputs["command"]; !ok || !in.Required {
		t.Errorf("the command input is missing or not required: %+v", a.Inputs)
	}
	for _, name := range []string{"exit-code", "version"} {
		if _, ok := a.Outputs[name]; !ok {
			t.Errorf("no %s output", name)
		}
	}
	var install, cache bool
	for i, s := range a.Runs.Steps {
		where := fmt.Sprintf("action.yml step %d (%s)", i+1, s.Name)
		switch {
		case s.Uses != "":
			if !usesPinned.MatchString(s.Uses) {
				t.Errorf("%s: uses %q is not pinned to a version", where, s.Uses)
			}
			if strings.HasPrefix(s.Uses, "actions/cache@") {
				cache = strings.Contains(s.With["key"], "steps.key.outputs.key") && strings.Contains(s.With["path"], "steps.key.outputs.bin")
			}
			if strings.HasPrefix(s.Uses, "actions/setup-go@") && s.With["go-version-file"] != "${{ github.action_path }}/go.mod" {
				t.Errorf("%s: setup-go should take the Go version from the action's go.mod", where)
			}
		case s.Run != "":
			if s.Shell != "bash" {
				t.Errorf("%s: a composite action's run step needs shell: bash", where)
			}
			// An input is data: it reaches a script through env, never
			// pasted into it (script injection).
			if exprRe.MatchString(s.Run) {
				t.Errorf("%s: ${{ }} inside run: pass it through env instead", where)
			}
			bashSyntax(t, where, s.Run)
			if strings.Contains(s.Run, "go install") && strings.Contains(s.Run, "./cmd/lambdas") && s.Env["ACTION_PATH"] == "${{ github.action_path }}" && s.Env["ACTION_REF"] == "${{ github.action_ref }}" {
				install = true
			}
		default:
			t.Errorf("%s: neither uses nor run", where)
		}
	}
	if !install || !cache {
		t.Errorf("the action must go install lambdas from its own ref (%v) and cache it (%v)", install, cache)
	}
}

// TestActionRuns runs the composite action's steps as the runner would
// (bash -eo pipefail, GITHUB_OUTPUT, GITHUB_PATH, the inputs' defaults),
// with the repository as the action's checkout: it installs lambdas from
// it and runs commands in a small repository.
func TestActionRuns(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("go is needed: %v", err)
	}
	var a actionFile
	readYAML(t, "../action.yml", &a)
	actionPath, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	workspace := testRepo(t)
	temp := t.TempDir()

	tests := []struct {
		name       string
		inputs     map[string]string
		wantFail   bool
		wantCode   string
		wantOutput string // in output-file
		check      func(t *testing.T, log string)
	}{
		{name: "validate", inputs: map[string]string{"command": "validate"}, wantCode: "0"},
		{name: "plan with changes allowed", inputs: map[string]string{
			"command": `plan --format markdown --detailed-exitcode --target "or*" --env qa`, "output-file": "plan.md", "allowed-exit-codes": "0, 2"},
			wantCode: "2", wantOutput: "### lambdas plan: shop"},
		{name: "plan with changes not allowed", inputs: map[string]string{"command": "plan --detailed-exitcode --env qa"}, wantFail: true, wantCode: "2"},
		{name: "a command line is never run by a shell", inputs: map[string]string{"command": `validate $(touch pwned) ; touch pwned2`}, wantFail: true, wantCode: "1",
			check: func(t *testing.T, log string) {
				for _, f := range []string{"pwned", "pwned2"} {
					if _, err := os.Stat(filepath.Join(workspace, f)); err == nil {
						t.Errorf("the command line ran a shell command: %s exists", f)
					}
				}
			}},
		{name: "in a folder", inputs: map[string]string{"command": "validate --manifest ../lambdas.hcl", "working-directory": "functions"}, wantCode: "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inputs := map[string]string{}
			for k, v := range a.Inputs {
				inputs[k] = v.Default
			}
			for k, v := range tt.inputs {
				inputs[k] = v
			}
			outputs := map[string]map[string]string{}
			pathFile := filepath.Join(temp, "path")
			var log bytes.Buffer
			failed := false
			for _, s := range a.Runs.Steps {
				ctx := exprContext{inputs: inputs, steps: outputs, actionPath: actionPath, actionRef: "v1.2.3", temp: temp}
				if s.Uses != "" {
					// setup-go: Go is installed; actions/cache: a miss.
					if strings.HasPrefix(s.Uses, "actions/cache@") {
						outputs[s.ID] = map[string]string{"cache-hit": ""}
						if ctx.eval(t, s.With["path"]) == "" || ctx.eval(t, s.With["key"]) == "" {
							t.Errorf("cache path or key empty")
						}
					}
					continue
				}
				env := append(os.Environ(), "RUNNER_OS=Linux", "RUNNER_ARCH=X64", "RUNNER_TEMP="+temp, "GITHUB_PATH="+pathFile, "GITHUB_ACTIONS=true")
				for k, v := range s.Env {
					env = append(env, k+"="+ctx.eval(t, v))
				}
				outFile := filepath.Join(temp, "output-"+s.ID)
				os.Remove(outFile)
				env = append(env, "GITHUB_OUTPUT="+outFile)
				dir := workspace
				if s.WorkingDirectory != "" {
					dir = filepath.Join(workspace, ctx.eval(t, s.WorkingDirectory))
				}
				cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", s.Run)
				cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, &log, &log
				err := cmd.Run()
				outputs[s.ID] = readOutputs(t, outFile)
				if err != nil {
					failed = true
					if s.ID != "run" {
						t.Fatalf("step %s failed: %v\n%s", s.Name, err, log.String())
					}
				}
			}
			if failed != tt.wantFail {
				t.Errorf("the step failed: %v, want %v\n%s", failed, tt.wantFail, log.String())
			}
			if got := outputs["run"]["exit-code"]; got != tt.wantCode {
				t.Errorf("exit-code output %q, want %q\n%s", got, tt.wantCode, log.String())
			}
			if got := outputs["install"]["version"]; got != "lambdas v1.2.3" {
				t.Errorf("version output %q: lambdas was not built at the action's ref", got)
			}
			if path, _ := os.ReadFile(pathFile); !strings.Contains(string(path), outputs["key"]["bin"]) {
				t.Errorf("lambdas is not added to GITHUB_PATH: %q", path)
			}
			if tt.wantOutput != "" {
				data, err := os.ReadFile(filepath.Join(workspace, inputs["output-file"]))
				if err != nil || !strings.Contains(string(data), tt.wantOutput) {
					t.Errorf("output-file: %v\n%s", err, data)
				}
				if !strings.Contains(log.String(), tt.wantOutput) {
					t.Errorf("the output is not in the log too")
				}
			}
			if tt.check != nil {
				tt.check(t, log.String())
			}
		})
	}
}

// exprContext evaluates the few ${{ }} expressions action.yml uses; any
// other fails the test (the action stays simple enough to check).
type exprContext struct {
	inputs                map[string]string
	steps                 map[string]map[string]string
	actionPath, actionRef string
	temp                  string
}

func (c exprContext) eval(t *testing.T, s string) string {
	t.Helper()
	return exprRe.ReplaceAllStringFunc(s, func(m string) string {
		e := exprRe.FindStringSubmatch(m)[1]
		switch {
		case e == "github.action_path":
			return c.actionPath
		case e == "github.action_ref":
			return c.actionRef
		case e == "runner.temp":
			return c.temp
		case strings.HasPrefix(e, "inputs."):
			return c.inputs[strings.TrimPrefix(e, "inputs.")]
		case strings.HasPrefix(e, "steps."):
			parts := strings.Split(e, ".")
			if len(parts) == 4 && parts[2] == "outputs" {
				return c.steps[parts[1]][parts[3]]
			}
		}
		t.Fatalf("action.yml uses an expression the test cannot evaluate: %s", m)
		return ""
	})
}

func readOutputs(t *testing.T, path string) map[string]string {
	out := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			out[k] = v
		}
	}
	return out
}

// testRepo is a git repository with a small valid manifest.
func testRepo(t *testing.T) string {
	t.Helper()
	repo := t.TempDir()
	files := map[string]string{
		"lambdas.hcl": `variable "env" { default = "qa" }
project {
  name   = "shop"
  region = "us-east-1"
}
environment "qa" {
  state     = ".lambdas/qa/state.json"
  variables = { env = "qa" }
}
environment "production" {
  state     = ".lambdas/production/state.json"
  variables = { env = "prod" }
  release { tag = "v*" }
}
function "orders" {
  function_name = "${var.env}-orders"
  source        = "functions/orders"
  runtime       = "python3.12"
  handler       = "app.handler"
}
function "web" {
  source  = "functions/web"
  runtime = "nodejs22.x"
  handler = "index.handler"
}
`,
		"functions/orders/app.py": "def handler(event, context):\n    return 1\n",
		"functions/web/index.js":  "exports.handler = async () => 1;\n",
		".gitignore":              "plan.md\n",
	}
	for name, content := range files {
		p := filepath.Join(repo, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(t, repo, "init", "-q", "-b", "main")
	git(t, repo, "add", "-A")
	git(t, repo, "commit", "-qm", "init")
	return repo
}

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=T", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=T", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func TestGitHubWorkflow(t *testing.T) {
	var w workflow
	data := readYAML(t, "ci/github-actions.yml", &w)

	// Plans on pull requests, applies on main and on release tags.
	if w.On.PullRequest == nil && !strings.Contains(string(data), "pull_request:") {
		t.Errorf("no pull_request trigger")
	}
	if !slices.Contains(w.On.Push.Branches, "main") || !slices.Contains(w.On.Push.Tags, "v*") {
		t.Errorf("push triggers: %+v", w.On.Push)
	}
	// Two runs of one environment never overlap; plans cancel older plans.
	for _, want := range []string{"production", "qa", "pull_request"} {
		if !strings.Contains(w.Concurrency.Group, want) {
			t.Errorf("concurrency group %q does not separate %s", w.Concurrency.Group, want)
		}
	}
	if !strings.Contains(w.Concurrency.CancelInProgress, "pull_request") {
		t.Errorf("cancel-in-progress %q: applies must never be cancelled, plans may", w.Concurrency.CancelInProgress)
	}
	if w.Permissions["contents"] != "read" || len(w.Permissions) != 1 {
		t.Errorf("workflow permissions %v: contents: read only, jobs ask for more", w.Permissions)
	}

	// The command lines of the teams-at-scale work are spelled once, in env.
	for name, want := range map[string]string{
		"LAMBDAS_PLAN_MARKDOWN": "plan --format markdown",
		"LAMBDAS_PLAN_MATRIX":   "plan --format github-matrix --shards",
		"LAMBDAS_APPLY_SHARD":   "apply --auto-approve --lock-timeout 15m --shard",
	} {
		if !strings.Contains(w.Env[name], want) {
			t.Errorf("env %s = %q, want it to hold %q", name, w.Env[name], want)
		}
	}
	for _, flag := range []string{"github-matrix", "--shards", `--shard($|\s)`, "--format markdown", "--auto-approve"} {
		re := regexp.MustCompile(flag)
		n := 0
		for _, line := range strings.Split(string(data), "\n") {
			if code, _, _ := strings.Cut(line, "#"); re.MatchString(code) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%q is spelled on %d lines (outside comments), want 1: keep it in env", flag, n)
		}
	}

	for name, j := range w.Jobs {
		for i, s := range j.Steps {
			where := fmt.Sprintf("job %s step %d (%s)", name, i+1, s.Name)
			if s.Uses != "" && !usesPinned.MatchString(s.Uses) {
				t.Errorf("%s: uses %q is not pinned", where, s.Uses)
			}
			if s.Run != "" {
				bashSyntax(t, where, s.Run)
			}
			// OIDC: credentials by assuming a role, which needs id-token: write.
			if strings.HasPrefix(s.Uses, "aws-actions/configure-aws-credentials@") {
				if s.With["role-to-assume"] == "" || j.Permissions["id-token"] != "write" {
					t.Errorf("%s: AWS credentials must come from OIDC: role-to-assume and id-token: write (%v)", where, j.Permissions)
				}
				if _, ok := s.With["aws-access-key-id"]; ok {
					t.Errorf("%s: stored access keys", where)
				}
			}
			if strings.HasPrefix(s.Uses, "actions/checkout@") && s.With["fetch-depth"] != "0" {
				t.Errorf("%s: lambdas plans from git's history: fetch-depth: 0", where)
			}
		}
	}

	// The pull request's plan: Markdown to the job summary and a comment.
	plan := w.Jobs["plan"]
	if !strings.Contains(plan.If, "pull_request") || plan.Permissions["pull-requests"] != "write" {
		t.Errorf("plan job: if %q, permissions %v", plan.If, plan.Permissions)
	}
	var planFile string
	var summary, comment, validate bool
	for _, s := range plan.Steps {
		if strings.HasPrefix(s.Uses, "lambdas-dev/lambdas@") && strings.Contains(s.With["command"], "env.LAMBDAS_PLAN_MARKDOWN") {
			planFile = s.With["output-file"]
			if !strings.Contains(s.With["allowed-exit-codes"], "2") {
				t.Errorf("the plan step fails on changes: allowed-exit-codes %q", s.With["allowed-exit-codes"])
			}
		}
		if strings.HasPrefix(s.Uses, "lambdas-dev/lambdas@") && strings.Contains(s.With["command"], "env.LAMBDAS_VALIDATE") {
			validate = true
		}
		if planFile != "" && strings.Contains(s.Run, planFile) && strings.Contains(s.Run, "$GITHUB_STEP_SUMMARY") {
			summary = true
		}
		if strings.HasPrefix(s.Uses, "actions/github-script@") && strings.Contains(s.With["script"], planFile) &&
			strings.Contains(s.With["script"], "createComment") && strings.Contains(s.With["script"], "updateComment") {
			comment = true
		}
	}
	if planFile == "" || !summary || !comment || !validate {
		t.Errorf("plan job: plan to a file %q, that file to the summary %v and to a PR comment %v, validate %v", planFile, summary, comment, validate)
	}
	if w.Env["LAMBDAS_VALIDATE"] != "validate" {
		t.Errorf("LAMBDAS_VALIDATE = %q", w.Env["LAMBDAS_VALIDATE"])
	}

	// Fan-out: one job plans the shards, a matrix applies them.
	shards, apply := w.Jobs["shards"], w.Jobs["apply"]
	if !strings.Contains(shards.Outputs["matrix"], "steps.matrix.outputs.matrix") {
		t.Errorf("shards job outputs %v", shards.Outputs)
	}
	if fmt.Sprint(apply.Strategy.Matrix) != "${{ fromJSON(needs.shards.outputs.matrix) }}" || fmt.Sprint(apply.Needs) != "shards" {
		t.Errorf("apply job: matrix %v, needs %v", apply.Strategy.Matrix, apply.Needs)
	}
	if apply.Strategy.FailFast == nil || *apply.Strategy.FailFast {
		t.Errorf("a failed shard must not cancel the others: fail-fast: false")
	}
	if !strings.Contains(apply.Environment, "needs.shards.outputs.environment") {
		t.Errorf("apply job environment %q", apply.Environment)
	}
	var applied bool
	for _, s := range apply.Steps {
		c := s.With["command"]
		if strings.Contains(c, "env.LAMBDAS_APPLY_SHARD") && strings.Contains(c, "matrix.shard") && strings.Contains(c, "needs.shards.outputs.environment") {
			applied = true
		}
	}
	if !applied {
		t.Errorf("no step applies the matrix's shard in its environment")
	}

	// The matrix step turns the shards' JSON into the job's outputs.
	var matrixStep step
	for _, s := range shards.Steps {
		if s.ID == "matrix" {
			matrixStep = s
		}
	}
	if _, err := exec.LookPath("jq"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("jq is needed: %v", err)
		}
		t.Logf("jq is not installed: the matrix step is not run")
		return
	}
	dir := t.TempDir()
	matrix := `{"include":[{"shard":"1/2","targets":["orders","web"]},{"shard":"2/2","targets":["audit"]}]}`
	if err := os.WriteFile(filepath.Join(dir, "matrix.json"), []byte(matrix+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", matrixStep.Run)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GITHUB_OUTPUT="+filepath.Join(dir, "out"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the matrix step: %v\n%s", err, out)
	}
	got := readOutputs(t, filepath.Join(dir, "out"))
	if got["matrix"] != matrix || got["count"] != "2" {
		t.Errorf("matrix step outputs %v", got)
	}
}

type buildspec struct {
	Version string `yaml:"version"`
	Env     struct {
		Shell               string            `yaml:"shell"`
		GitCredentialHelper string            `yaml:"git-credential-helper"`
		Variables           map[string]string `yaml:"variables"`
	} `yaml:"env"`
	Phases map[string]struct {
		RuntimeVersions map[string]string `yaml:"runtime-versions"`
		Commands        []string          `yaml:"commands"`
	} `yaml:"phases"`
	Cache struct {
		Paths []string `yaml:"paths"`
	} `yaml:"cache"`
}

func TestBuildspec(t *testing.T) {
	var b buildspec
	readYAML(t, "ci/buildspec.yml", &b)
	if b.Version != "0.2" || b.Env.Shell != "bash" || b.Env.GitCredentialHelper != "yes" {
		t.Errorf("version %q, shell %q, git-credential-helper %q", b.Version, b.Env.Shell, b.Env.GitCredentialHelper)
	}
	for _, phase := range []string{"install", "pre_build", "build"} {
		if len(b.Phases[phase].Commands) == 0 {
			t.Errorf("phase %s has no commands", phase)
		}
		for i, c := range b.Phases[phase].Commands {
			bashSyntax(t, fmt.Sprintf("%s command %d", phase, i+1), c)
		}
	}
	all := func(phase string) string { return strings.Join(b.Phases[phase].Commands, "\n") }
	if !strings.Contains(all("install"), `go install "github.com/lambdas-dev/lambdas/cmd/lambdas@${LAMBDAS_VERSION}"`) || b.Env.Variables["LAMBDAS_VERSION"] == "" {
		t.Errorf("install does not go install a pinned lambdas:\n%s", all("install"))
	}
	if !strings.Contains(all("pre_build"), "lambdas ${LAMBDAS_PLAN}") || !strings.Contains(b.Env.Variables["LAMBDAS_PLAN"], "plan") {
		t.Errorf("pre_build does not plan:\n%s", all("pre_build"))
	}
	if !strings.Contains(all("build"), "lambdas ${LAMBDAS_APPLY}") || !strings.Contains(b.Env.Variables["LAMBDAS_APPLY"], "apply --auto-approve") {
		t.Errorf("build does not apply:\n%s", all("build"))
	}
	for _, phase := range []string{"pre_build", "build"} {
		if !strings.Contains(all(phase), `--env "${LAMBDAS_ENVIRONMENT}"`) {
			t.Errorf("%s does not pick the environment", phase)
		}
	}
}
