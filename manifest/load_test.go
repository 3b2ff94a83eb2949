package manifest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"
)

// ignoreRanges leaves source ranges out of comparisons: the golden tests
// check where diagnostics point.
var ignoreRanges = cmpopts.IgnoreTypes(hcl.Range{})

// load writes src as lambdas.hcl at the root of a fresh test repo, makes
// that the current folder (so diagnostics name "lambdas.hcl") and loads it;
// it fails the test on error diagnostics.
func load(t *testing.T, src string, opts Options) (*Manifest, string) {
	t.Helper()
	repo := makeRepo(t)
	t.Chdir(repo)
	writeFile(t, "lambdas.hcl", src)
	if opts.LookupEnv == nil {
		opts.LookupEnv = fakeEnv(nil)
	}
	m, diags := Load("lambdas.hcl", opts)
	if diags.HasErrors() {
		var b bytes.Buffer
		_ = diags.WriteText(&b, 0, false)
		t.Fatalf("Load: unexpected errors:\n%s", b.String())
	}
	return m, repo
}

// loadErr is load for a manifest that must fail; it returns the compact
// error text.
func loadErr(t *testing.T, src string, opts Options) string {
	t.Helper()
	repo := makeRepo(t)
	t.Chdir(repo)
	writeFile(t, "lambdas.hcl", src)
	if opts.LookupEnv == nil {
		opts.LookupEnv = fakeEnv(nil)
	}
	m, diags := Load("lambdas.hcl", opts)
	if !diags.HasErrors() || m != nil {
		t.Fatalf("Load: want errors, got manifest %v and diagnostics %q", m != nil, diags.Error())
	}
	return diags.Error()
}

const project = `project { name = "shop" }
`

// fn is the Function a minimal python function block gives.
func fn(label string, edit func(*Function)) *Function {
	f := &Function{
		Label:        label,
		Name:         label,
		Source:       "functions/orders-api",
		Runtime:      "python3.12",
		Architecture: "x86_64",
		Handler:      "app.handler",
		BuildImage:   "public.ecr.aws/sam/build-python3.12:latest-x86_64", Builder: "auto", BuilderTimeout: 10 * time.Minute,
		Alias:  "live",
		Deploy: Deploy{Strategy: "all-at-once", Steps: []float64{100}},
	}
	if edit != nil {
		edit(f)
	}
	return f
}

func TestLoadFunctions(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []*Function
	}{{
		name: "minimal function gets every default",
		src: project + `
function "orders-api" {
  source  = "functions/orders-api"
  runtime = "python3.12"
  handler = "app.handler"
}`,
		want: []*Function{fn("orders-api", nil)},
	}, {
		name: "everything set",
		src: project + `
function "orders-api" {
  function_name = "shop-orders-api"
  source        = "functions/orders-api/"
  include       = ["**/*.py", "*.txt"]
  exclude       = ["tests/**"]
  watch         = ["libs/shared-py", "README.md", "libs/shared-link"]
  runtime       = "python3.13"
  architecture  = "arm64"
  handler       = "app.handler"
  dependencies  = "functions/orders-api/requirements.txt"
  builder_image = "my.registry/build-python:3.13"
  builder       = "docker"
  builder_timeout = "20m"
  keep_versions = 3
  alias         = "prod"
  deploy {
    strategy = "canary"
    steps    = [10, 100]
    interval = "5m"
    alarms   = ["orders-5xx", "orders-latency"]
  }
  create {
    role        = "arn:aws:iam::123456789012:role/lambda"
    memory      = 256
    timeout     = 30
    environment = { LOG_LEVEL = "info" }
  }
}`,
		want: []*Function{{
			Label: "orders-api", Name: "shop-orders-api", Source: "functions/orders-api",
			Include: []string{"**/*.py", "*.txt"}, Exclude: []string{"tests/**"},
			Watch:   []string{"libs/shared-py", "README.md", "libs/shared-link"},
			Runtime: "python3.13", Architecture: "arm64", Handler: "app.handler",
			Dependencies: "functions/orders-api/requirements.txt",
			BuildImage:   "my.registry/build-python:3.13", Builder: "docker", BuilderTimeout: 20 * time.Minute, KeepVersions: 3, Alias: "prod",
			Deploy: Deploy{Strategy: "canary", Steps: []float64{10, 100}, Interval: 5 * time.Minute,
				Alarms: []string{"orders-5xx", "orders-latency"}},
			Create: &Create{Role: "arn:aws:iam::123456789012:role/lambda", Memory: 256, Timeout: 30,
				Environment: map[string]string{"LOG_LEVEL": "info"}},
		}},
	}, {
		name: "node function finds its lockfile, sorted by label",
		src: project + `
function "web" {
  source       = "functions/web"
  runtime      = "nodejs22.x"
  handler      = "index.handler"
  dependencies = "functions/web/package.json"
  deploy {
    strategy = "linear"
    steps    = [25, 50, 75, 100]
    interval = "1m30s"
  }
}
function "cron" {
  source       = "functions/cron"
  runtime      = "nodejs20.x"
  architecture = "arm64"
  handler      = "index.handler"
  dependencies = "functions/cron/package.json"
}`,
		want: []*Function{{
			Label: "cron", Name: "cron", Source: "functions/cron", Runtime: "nodejs20.x",
			Architecture: "arm64", Handler: "index.handler", Dependencies: "functions/cron/package.json",
			BuildImage: "public.ecr.aws/sam/build-nodejs20.x:latest-arm64", Builder: "auto", BuilderTimeout: 10 * time.Minute, Alias: "live",
			Deploy: Deploy{Strategy: "all-at-once", Steps: []float64{100}},
		}, {
			Label: "web", Name: "web", Source: "functions/web", Runtime: "nodejs22.x",
			Architecture: "x86_64", Handler: "index.handler", Dependencies: "functions/web/package.json",
			Lockfile:   "functions/web/package-lock.json",
			BuildImage: "public.ecr.aws/sam/build-nodejs22.x:latest-x86_64", Builder: "auto", BuilderTimeout: 10 * time.Minute, Alias: "live",
			Deploy: Deploy{Strategy: "linear", Steps: []float64{25, 50, 75, 100}, Interval: 90 * time.Second},
		}},
	}, {
		name: "custom runtime, explicit all-at-once with steps [100], null means unset",
		src: project + `
function "go-fn" {
  source  = "functions/go-fn"
  runtime = "provided.al2023"
  handler = "bootstrap"
  alias   = null
  deploy {
    strategy = "all-at-once"
    steps    = [100]
  }
}`,
		want: []*Function{{
			Label: "go-fn", Name: "go-fn", Source: "functions/go-fn", Runtime: "provided.al2023",
			Architecture: "x86_64", Handler: "bootstrap", Alias: "live",
			BuildImage: "public.ecr.aws/sam/build-provided.al2023:latest-x86_64", Builder: "auto", BuilderTimeout: 10 * time.Minute,
			Deploy: Deploy{Strategy: "all-at-once", Steps: []float64{100}},
		}},
	}, {
		name: "source may be the repository root",
		src: project + `
function "whole" {
  source  = "."
  runtime = "python3.12"
  handler = "app.handler"
}`,
		want: []*Function{fn("whole", func(f *Function) { f.Source = "." })},
	}, {
		name: "defaults merge under functions",
		src: project + `
defaults {
  runtime      = "python3.12"
  architecture = "arm64"
  handler      = "app.handler"
  exclude      = ["tests/**"]
  deploy {
    strategy = "canary"
    steps    = [10, 100]
    interval = "10m"
    alarms   = ["shop-5xx"]
  }
  create {
    role        = "arn:aws:iam::123456789012:role/lambda"
    memory      = 512
    environment = { LOG_LEVEL = "info", STAGE = "qa" }
  }
}
function "a" {
  source = "functions/orders-api"
}
function "b" {
  source       = "functions/orders-api"
  architecture = "x86_64"
  exclude      = []
  deploy {
    interval = "1m"
  }
  create {
    timeout     = 60
    environment = { LOG_LEVEL = "debug", EXTRA = "1" }
  }
}
function "c" {
  source = "functions/orders-api"
  deploy {
    strategy = "all-at-once"
    steps    = null
  }
}`,
		want: []*Function{
			fn("a", func(f *Function) {
				f.Architecture = "arm64"
				f.BuildImage = "public.ecr.aws/sam/build-python3.12:latest-arm64"
				f.Exclude = []string{"tests/**"}
				f.Deploy = Deploy{Strategy: "canary", Steps: []float64{10, 100}, Interval: 10 * time.Minute, Alarms: []string{"shop-5xx"}}
				f.Create = &Create{Role: "arn:aws:iam::123456789012:role/lambda", Memory: 512, Timeout: 3,
					Environment: map[string]string{"LOG_LEVEL": "info", "STAGE": "qa"}}
			}),
			fn("b", func(f *Function) {
				f.Exclude = []string{}
				f.Deploy = Deploy{Strategy: "canary", Steps: []float64{10, 100}, Interval: time.Minute, Alarms: []string{"shop-5xx"}}
				f.Create = &Create{Role: "arn:aws:iam::123456789012:role/lambda", Memory: 512, Timeout: 60,
					Environment: map[string]string{"LOG_LEVEL": "debug", "STAGE": "qa", "EXTRA": "1"}}
			}),
			fn("c", func(f *Function) {
				f.Architecture = "arm64"
				f.BuildImage = "public.ecr.aws/sam/build-python3.12:latest-arm64"
				f.Exclude = []string{"tests/**"}
				// Interval and alarms still come from defaults: merging is
				// attribute by attribute. An all-at-once move ignores them.
				f.Deploy = Deploy{Strategy: "all-at-once", Steps: []float64{100}, Alarms: []string{"shop-5xx"}}
				f.Create = &Create{Role: "arn:aws:iam::123456789012:role/lambda", Memory: 512, Timeout: 3,
					Environment: map[string]string{"LOG_LEVEL": "info", "STAGE": "qa"}}
			}),
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := load(t, tt.src, Options{})
			if diff := cmp.Diff(tt.want, m.Functions, ignoreRanges); diff != "" {
				t.Errorf("functions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadProject(t *testing.T) {
	const fnBlock = `
function "a" {
  source  = "functions/orders-api"
  runtime = "python3.12"
  handler = "app.handler"
}`
	tests := []struct {
		name string
		src  string
		want func(repo string) Project
	}{{
		name: "defaults",
		src:  `project { name = "shop" }`,
		want: func(repo string) Project {
			return Project{Name: "shop", StateFile: filepath.Join(repo, ".lambdas", "state.json"), APIRateLimit: 15, GetFunctionRateLimit: 100}
		},
	}, {
		name: "all set, S3 state",
		src: `project {
  name           = "shop"
  region         = "eu-west-1"
  artifacts      = "s3://shop-artifacts/lambdas/"
  state          = "s3://shop-state/lambdas/state.json"
  api_rate_limit = 7.5
  get_function_rate_limit = 50
}`,
		want: func(string) Project {
			return Project{Name: "shop", Region: "eu-west-1",
				Artifacts: &S3Location{Bucket: "shop-artifacts", Prefix: "lambdas"},
				StateS3:   &S3Location{Bucket: "shop-state", Prefix: "lambdas/state.json"}, APIRateLimit: 7.5, GetFunctionRateLimit: 50}
		},
	}, {
		name: "bucket only, local state relative to the manifest",
		src: `project {
  name      = "shop"
  artifacts = "s3://shop-artifacts"
  state     = "state/prod.json"
}`,
		want: func(repo string) Project {
			return Project{Name: "shop", Artifacts: &S3Location{Bucket: "shop-artifacts"},
				StateFile: filepath.Join(repo, "state", "prod.json"), APIRateLimit: 15, GetFunctionRateLimit: 100}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, repo := load(t, tt.src+fnBlock, Options{})
			if diff := cmp.Diff(tt.want(repo), m.Project, ignoreRanges); diff != "" {
				t.Errorf("project (-want +got):\n%s", diff)
			}
			if m.File != filepath.Join(repo, "lambdas.hcl") || m.Dir != repo || m.RepoRoot != repo {
				t.Errorf("File, Dir, RepoRoot = %q, %q, %q", m.File, m.Dir, m.RepoRoot)
			}
		})
	}
}

// A manifest in a subfolder: paths are relative to it, results relative to
// the repository root.
func TestManifestInSubfolder(t *testing.T) {
	repo := makeRepo(t)
	path := filepath.Join(repo, "functions", "lambdas.hcl")
	writeFile(t, path, project+`
function "orders-api" {
  source       = "orders-api"
  watch        = ["../libs/shared-py"]
  runtime      = "python3.12"
  handler      = "app.handler"
  dependencies = "orders-api/requirements.txt"
}`)
	m, diags := Load(path, Options{RepoRoot: repo, LookupEnv: fakeEnv(nil)})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	want := fn("orders-api", func(f *Function) {
		f.Watch = []string{"libs/shared-py"}
		f.Dependencies = "functions/orders-api/requirements.txt"
	})
	if diff := cmp.Diff([]*Function{want}, m.Functions, ignoreRanges); diff != "" {
		t.Errorf("functions (-want +got):\n%s", diff)
	}
	if m.RepoRoot != repo || m.Dir != filepath.Join(repo, "functions") {
		t.Errorf("RepoRoot, Dir = %q, %q", m.RepoRoot, m.Dir)
	}

	// Without RepoRoot the manifest folder is the root, and ../libs leaves it.
	_, diags = Load(path, Options{LookupEnv: fakeEnv(nil)})
	if got := diags.Error(); !strings.Contains(got, "Path leaves the repository") {
		t.Errorf("without RepoRoot: %s", got)
	}
}

const varsManifest = `
variable "stage" { default = "qa" }
variable "memory" { default = 128 }
project { name = "shop-${var.stage}" }
function "a" {
  function_name = "${var.stage}-a"
  source        = "functions/orders-api"
  runtime       = "python3.12"
  handler       = "app.handler"
  create {
    role   = "arn:aws:iam::123456789012:role/lambda"
    memory = var.memory
  }
}`

func TestVariablesPrecedence(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		varFiles map[string]string // file name → content, applied in name order
		vars     map[string]string
		want     string
	}{
		{name: "default", want: "qa"},
		{name: "env over default", env: map[string]string{"LAMBDAS_VAR_stage": "env"}, want: "env"},
		{name: "var file over env", env: map[string]string{"LAMBDAS_VAR_stage": "env"},
			varFiles: map[string]string{"a.vars": `stage = "file"`}, want: "file"},
		{name: "later var file wins", varFiles: map[string]string{"a.vars": `stage = "a"`, "b.vars": `stage = "b"`}, want: "b"},
		{name: "--var over everything", env: map[string]string{"LAMBDAS_VAR_stage": "env"},
			varFiles: map[string]string{"a.vars": `stage = "file"`}, vars: map[string]string{"stage": "cli"}, want: "cli"},
		{name: "env vars that match nothing are ignored", env: map[string]string{"LAMBDAS_VAR_nope": "x"}, want: "qa"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := makeRepo(t)
			var files []string
			for _, name := range sortedKeys(tt.varFiles) {
				p := filepath.Join(repo, name)
				writeFile(t, p, tt.varFiles[name])
				files = append(files, p)
			}
			writeFile(t, filepath.Join(repo, "lambdas.hcl"), varsManifest)
			m, diags := Load(filepath.Join(repo, "lambdas.hcl"), Options{Vars: tt.vars, VarFiles: files, LookupEnv: fakeEnv(tt.env)})
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			if got := m.Functions[0].Name; got != tt.want+"-a" {
				t.Errorf("function name = %q, want %q", got, tt.want+"-a")
			}
			if got := m.Project.Name; got != "shop-"+tt.want {
				t.Errorf("project name = %q", got)
			}
		})
	}

	// A var file may give non-string values.
	repo := makeRepo(t)
	writeFile(t, filepath.Join(repo, "lambdas.hcl"), varsManifest)
	writeFile(t, filepath.Join(repo, "prod.vars"), "memory = 1024\n")
	m, diags := Load(filepath.Join(repo, "lambdas.hcl"), Options{VarFiles: []string{filepath.Join(repo, "prod.vars")}, LookupEnv: fakeEnv(nil)})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if got := m.Functions[0].Create.Memory; got != 1024 {
		t.Errorf("memory = %d, want 1024", got)
	}
}

func TestVariableErrors(t *testing.T) {
	src := `variable "stage" {}` + "\n" + project + `
function "a" {
  source  = "functions/orders-api"
  runtime = "python3.12"
  handler = "${var.stage}.handler"
}`
	got := loadErr(t, src, Options{Vars: map[string]string{"stgae": "x"}})
	for _, want := range []string{
		`Undeclared variable: --var stgae=... sets a variable that lambdas.hcl does not declare. Did you mean "stage"?`,
		`lambdas.hcl:1:10: No value for variable: Variable "stage" has no default, so it must be set: pass --var stage=VALUE`,
		`LAMBDAS_VAR_stage`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	// The handler that uses the missing variable is not reported again.
	if n := strings.Count(got, "\n") + 1; n != 2 {
		t.Errorf("want 2 diagnostics, got %d:\n%s", n, got)
	}
}

func TestEnvFunction(t *testing.T) {
	src := project + `
function "a" {
  function_name = env("FN_NAME")
  source        = "functions/orders-api"
  runtime       = env("RUNTIME", "python3.12")
  handler       = env("HANDLER", "app.handler")
}`
	m, _ := load(t, src, Options{LookupEnv: fakeEnv(map[string]string{"FN_NAME": "from-env", "HANDLER": "app.main"})})
	want := fn("a", func(f *Function) { f.Name = "from-env"; f.Handler = "app.main" })
	if diff := cmp.Diff([]*Function{want}, m.Functions, ignoreRanges); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	got := loadErr(t, src, Options{})
	want2 := `lambdas.hcl:4:19: Environment variable not set: env("FN_NAME") reads FN_NAME from the environment, and it is not set. Set it (export FN_NAME=...), or give a fallback value: env("FN_NAME", "default").`
	if got != want2 {
		t.Errorf("got  %s\nwant %s", got, want2)
	}
}

func TestLocals(t *testing.T) {
	// Locals are used before they are defined, across blocks.
	src := `
variable "stage" { default = "qa" }
locals {
  name = "${local.prefix}orders"
}
locals {
  prefix = "${local.stage_up}-"
  stage_up = upper(var.stage)
  tags = join(",", concat(["a"], [for s in ["b"] : s]))
  fmt = format("%s/%d", lower("X"), 3)
}
` + project + `
function "a" {
  function_name = local.name
  source        = "functions/orders-api"
  runtime       = "python3.12"
  handler       = "app.handler"
  create {
    role        = "arn:aws:iam::123456789012:role/lambda"
    environment = { TAGS = local.tags, FMT = local.fmt }
  }
}`
	m, _ := load(t, src, Options{})
	f := m.Functions[0]
	if f.Name != "QA-orders" {
		t.Errorf("name = %q", f.Name)
	}
	if diff := cmp.Diff(map[string]string{"TAGS": "a,b", "FMT": "x/3"}, f.Create.Environment); diff != "" {
		t.Errorf("environment (-want +got):\n%s", diff)
	}

	got := loadErr(t, `locals {
  a = local.b
  b = "${local.a}x"
  c = local.a
}
`+project, Options{})
	want := `lambdas.hcl:2:3: Cycle in local values: local.a depends on itself: local.a → local.b → local.a.`
	if !strings.HasPrefix(got, want) || strings.Count(got, "\n") != 0 {
		t.Errorf("got:\n%s\nwant one diagnostic starting with:\n%s", got, want)
	}
}

func TestFileFunction(t *testing.T) {
	src := project + `
function "a" {
  source  = "functions/orders-api"
  runtime = "python3.12"
  handler = "app.handler"
  create {
    role        = "arn:aws:iam::123456789012:role/lambda"
    environment = { VERSION = CALL }
  }
}`
	// replace is not a manifest function: the error says so.
	bad := strings.Replace(src, "CALL", `replace(file("config/version.txt"), ".", "-")`, 1)
	if got := loadErr(t, bad, Options{}); !strings.Contains(got, `Call to unknown function: There is no function named "replace".`) {
		t.Errorf("got %s", got)
	}

	m, _ := load(t, strings.Replace(src, "CALL", `trimspace(file("config/version.txt"))`, 1), Options{})
	if got := m.Functions[0].Create.Environment["VERSION"]; got != "1.4.2" {
		t.Errorf("VERSION = %q", got)
	}

	for _, tc := range []struct{ path, want string }{
		{"../outside/secret.txt", `"../outside/secret.txt" is outside the repository`},
		{"escape/secret.txt", `"escape/secret.txt" leads out of the repository through a symbolic link`},
		{"config", `"config" is a folder`},
		{"nope.txt", `there is no file "nope.txt"`},
		{"/etc/passwd", `"/etc/passwd" is absolute`},
	} {
		got := loadErr(t, project+`locals { x = file("`+tc.path+`") }`, Options{})
		if !strings.Contains(got, "Cannot read file: file(): "+tc.want) {
			t.Errorf("file(%q): got %s", tc.path, got)
		}
	}
}

func TestHash(t *testing.T) {
	src := `variable "stage" { default = "qa" }
` + project + `locals { region = env("REGION", "eu-west-1") }
`
	hash := func(opts Options) string {
		m, _ := load(t, src, opts)
		if len(m.Hash) != 64 {
			t.Fatalf("hash %q", m.Hash)
		}
		return m.Hash
	}
	base := hash(Options{})
	if again := hash(Options{}); again != base {
		t.Errorf("hash not stable: %s, %s", base, again)
	}
	if h := hash(Options{Vars: map[string]string{"stage": "prod"}}); h == base {
		t.Error("hash ignores variable values")
	}
	if h := hash(Options{LookupEnv: fakeEnv(map[string]string{"REGION": "us-east-1"})}); h == base {
		t.Error("hash ignores what env() read")
	}
}

func TestWarningsKeepTheManifest(t *testing.T) {
	repo := makeRepo(t)
	path := filepath.Join(repo, "lambdas.hcl")
	writeFile(t, path, project+`
function "a" {
  source  = "functions/orders-api"
  runtime = "python3.12"
  handler = "app.handler"
  deploy { interval = "5m" }
}`)
	m, diags := Load(path, Options{LookupEnv: fakeEnv(nil)})
	if m == nil || diags.HasErrors() || diags.Err() != nil {
		t.Fatalf("want a manifest and no errors: %s", diags.Error())
	}
	want := path + ":7:23: warning: interval has no effect: "
	if got := diags.Error(); !strings.HasPrefix(got, want) {
		t.Errorf("got %s\nwant prefix %s", got, want)
	}
	if m.Functions[0].Deploy.Interval != 0 {
		t.Errorf("interval kept with all-at-once")
	}
}

func TestDiagnosticsForms(t *testing.T) {
	repo := makeRepo(t)
	t.Chdir(repo)
	writeFile(t, "lambdas.hcl", project+`
function "a" {
  source  = "functions/orders-api"
  runtime = "pyton3.12"
  handler = "app.handler"
}`)
	m, diags := Load("lambdas.hcl", Options{LookupEnv: fakeEnv(nil)})
	if m != nil || diags.Err() == nil {
		t.Fatal("want errors")
	}
	wantLine := `lambdas.hcl:5:13: Unknown runtime: "pyton3.12" is not a Lambda runtime that lambdas knows. Did you mean "python3.12"?`
	if got := diags.Error(); !strings.HasPrefix(got, wantLine) {
		t.Errorf("Error() = %s\nwant prefix %s", got, wantLine)
	}
	if got := diags.Err().Error(); got != diags.Error() {
		t.Errorf("Err().Error() = %s", got)
	}

	var plain, color bytes.Buffer
	if err := diags.WriteText(&plain, 0, false); err != nil {
		t.Fatal(err)
	}
	wantText := `Error: Unknown runtime

  on lambdas.hcl line 5, in function "a":
   5:   runtime = "pyton3.12"
                  ^^^^^^^^^^^

`
	if !strings.HasPrefix(plain.String(), wantText) {
		t.Errorf("WriteText:\n%s\nwant prefix:\n%s", plain.String(), wantText)
	}
	if err := diags.WriteText(&color, 0, true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(color.String(), "\x1b[31mError\x1b[0m: Unknown runtime") ||
		!strings.Contains(color.String(), "\x1b[1;4m\"pyton3.12\"\x1b[0m") || strings.Contains(color.String(), "^^^") {
		t.Errorf("colored WriteText:\n%q", color.String())
	}
}

func TestMissingManifest(t *testing.T) {
	m, diags := Load(filepath.Join(t.TempDir(), "lambdas.hcl"), Options{})
	if m != nil || !strings.HasPrefix(diags.Error(), "Cannot read the manifest: ") {
		t.Errorf("got %v, %s", m, diags.Error())
	}
}

// The repository root may be named through a symlink that the manifest
// path does not go through (or the other way round).
func TestRepoRootThroughSymlink(t *testing.T) {
	repo := makeRepo(t)
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(repo, link); err != nil {
		t.Skip(err)
	}
	path := filepath.Join(repo, "lambdas.hcl")
	writeFile(t, path, project+`
function "a" {
  source  = "functions/orders-api"
  runtime = "python3.12"
  handler = "app.handler"
}`)
	m, diags := Load(path, Options{RepoRoot: link, LookupEnv: fakeEnv(nil)})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if m.Functions[0].Source != "functions/orders-api" {
		t.Errorf("source = %q", m.Functions[0].Source)
	}

	// A manifest outside the given root is refused.
	_, diags = Load(path, Options{RepoRoot: filepath.Join(repo, "functions"), LookupEnv: fakeEnv(nil)})
	if got := diags.Error(); !strings.HasPrefix(got, "Manifest outside the repository: ") {
		t.Errorf("got %s", got)
	}
}

// TestFormatWidthIsBounded: a manifest cannot make lambdas allocate a
// gigabyte with one format verb; ordinary widths still work.
func TestFormatWidthIsBounded(t *testing.T) {
	for _, tc := range []struct {
		expr, want string
	}{
		{`format("%05d-%s", 42, "x")`, ""},
		{`format("%.3s", "abcdef")`, ""},
		{`format("%0999999999d", 0)`, "too large"},
		{`format("%.99999999999999999999f", 1)`, "too large"},
	} {
		repo := makeRepo(t)
		writeFile(t, filepath.Join(repo, "lambdas.hcl"), "project { name = "+tc.expr+" }\n")
		_, diags := Load(filepath.Join(repo, "lambdas.hcl"), Options{})
		got := diags.Error()
		if tc.want == "" {
			if strings.Contains(got, "too large") {
				t.Errorf("%s: refused: %s", tc.expr, got)
			}
			continue
		}
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s: want %q, got %q", tc.expr, tc.want, got)
		}
	}
}
