package manifest

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad checks that no input makes Load (or rendering its diagnostics)
// panic. The seed corpus is the bad fixtures plus a valid manifest; run
// longer with:
//
//	go test ./manifest -run '^$' -fuzz FuzzLoad -fuzztime 60s -fuzzminimizetime 2s
//
// (a short minimize time matters: each run touches the disk, and the
// default 60 s spent minimizing each new input starves the search)
func FuzzLoad(f *testing.F) {
	fixtures, _ := filepath.Glob(filepath.Join("testdata", "bad", "*.hcl"))
	for _, name := range fixtures {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(validManifest))
	f.Add([]byte(`locals { a = [for x in [1, 2] : x * 100] }
project { name = format("%s", join("-", concat(["a"], [upper("b")]))) }
function "a" {
  source = "."
  runtime = "python3.12"
  handler = "app.handler"
  create { role = "arn:aws:iam::123456789012:role/x"; environment = { A = 1 } }
}`))

	f.Add([]byte(`project { name = "shop"
  get_function_rate_limit = 50 }
defaults {
  bundle {
    from = "libs/shared-py"
    to   = "shared"
  }
}
function "go-fn" {
  source  = "functions/go-fn"
  runtime = "provided.al2023"
  handler = "bootstrap"
  build { preset = "go" }
}
function "web" {
  source  = "functions/web"
  runtime = "nodejs22.x"
  handler = "index.handler"
  default_bundles = false
  build {
    preset  = "esbuild"
    timeout = "5m"
  }
  bundle {
    from = "libs/shared-js"
    to   = "lib/shared"
  }
}
locals { t = <<-EOT
  ${[for x in ["a"] : "%{if x == "a"}${upper(x)}%{endif}"]}
  EOT
}`))

	repo := makeRepo(f)
	env := fakeEnv(map[string]string{"STAGE": "qa"})
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := os.CreateTemp(repo, "lambdas-*.hcl")
		if err != nil {
			t.Fatal(err)
		}
		defer os.Remove(file.Name())
		if _, err := file.Write(data); err != nil {
			t.Fatal(err)
		}
		file.Close()

		m, diags := Load(file.Name(), Options{LookupEnv: env, Vars: map[string]string{"stage": "x"}})
		if m == nil && !diags.HasErrors() {
			t.Fatal("no manifest and no error")
		}
		_ = diags.WriteText(io.Discard, 80, false)
		_ = diags.WriteText(io.Discard, 0, true)
		_ = diags.Error()
	})
}

const validManifest = `
variable "stage" { default = "qa" }
locals { prefix = "${var.stage}-" }
project {
  name      = "shop"
  region    = "eu-west-1"
  artifacts = "s3://bucket/some/prefix"
}
defaults {
  runtime      = "python3.12"
  architecture = "arm64"
  deploy { strategy = "all-at-once" }
}
function "orders-api" {
  function_name = "${local.prefix}orders-api"
  source        = "functions/orders-api"
  include       = ["**/*.py"]
  exclude       = ["tests/**"]
  watch         = ["libs/shared-py"]
  handler       = "app.handler"
  dependencies  = "functions/orders-api/requirements.txt"
  deploy {
    strategy = "canary"
    steps    = [10, 100]
    interval = "5m"
    alarms   = ["orders-5xx"]
  }
  create {
    role        = "arn:aws:iam::123456789012:role/lambda"
    memory      = 256
    timeout     = 30
    environment = { LOG_LEVEL = "info", STAGE = env("STAGE", "x") }
  }
}
`
