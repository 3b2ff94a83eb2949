package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// loadWith is load with extra files written into the test repo first
// (content "->TARGET" makes a symbolic link instead).
func loadWith(t *testing.T, files map[string]string, src string) (*Manifest, Diagnostics) {
	t.Helper()
	repo := makeRepo(t)
	t.Chdir(repo)
	for name, content := range files {
		p := filepath.Join(repo, filepath.FromSlash(name))
		if target, ok := strings.CutPrefix(content, "->"); ok {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.FromSlash(target), p); err != nil {
				t.Skip(err)
			}
			continue
		}
		writeFile(t, p, content)
	}
	writeFile(t, "lambdas.hcl", src)
	return Load("lambdas.hcl", Options{LookupEnv: fakeEnv(nil)})
}

func TestBundles(t *testing.T) {
	const defaults = `
defaults {
  runtime = "python3.12"
  handler = "app.handler"
  bundle {
    from = "libs/shared-py"
    to   = "shared"
  }
}
`
	tests := []struct {
		name string
		fn   string // the function block's body after source
		want []Bundle
	}{{
		name: "the defaults' bundles come first, the function's add to them",
		fn: `
  bundle {
    from = "config/version.txt"
    to   = "./meta/version.txt"
  }
  bundle {
    from = "libs/shared-link/"
    to   = "vendor/shared-link/"
  }`,
		want: []Bundle{
			{From: "libs/shared-py", To: "shared"},
			{From: "config/version.txt", To: "meta/version.txt"},
			{From: "libs/shared-link", To: "vendor/shared-link"},
		},
	}, {
		name: "only the defaults'",
		fn:   ``,
		want: []Bundle{{From: "libs/shared-py", To: "shared"}},
	}, {
		name: "default_bundles = true changes nothing",
		fn:   `default_bundles = true`,
		want: []Bundle{{From: "libs/shared-py", To: "shared"}},
	}, {
		name: "default_bundles = false leaves them out",
		fn: `
  default_bundles = false
  bundle {
    from = "libs/shared-js"
    to   = "shared"
  }`,
		want: []Bundle{{From: "libs/shared-js", To: "shared"}},
	}, {
		name: "nothing at all",
		fn:   `default_bundles = false`,
		want: nil,
	}, {
		name: "side by side in one folder",
		fn: `
  bundle {
    from = "libs/shared-js"
    to   = "shared-js"
  }
  bundle {
    from = "README.md"
    to   = "shared2"
  }`,
		want: []Bundle{{From: "libs/shared-py", To: "shared"}, {From: "libs/shared-js", To: "shared-js"}, {From: "README.md", To: "shared2"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := project + defaults + "function \"a\" {\n  source = \"functions/orders-api\"\n  " + tt.fn + "\n}\n"
			m, _ := load(t, src, Options{})
			if diff := cmp.Diff(tt.want, m.Functions[0].Bundles, ignoreRanges); diff != "" {
				t.Errorf("bundles (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuilds(t *testing.T) {
	files := map[string]string{
		"functions/api/src/app.ts":   "export const handler = async () => ({})\n",
		"functions/api/package.json": "{}\n",
		"functions/go-fn/main.go":    "package main\n",
	}
	tests := []struct {
		name string
		src  string
		want map[string]*Build // by label
	}{{
		name: "presets and a command",
		src: `
function "go-fn" {
  source       = "functions/go-fn"
  runtime      = "provided.al2023"
  architecture = "arm64"
  handler      = "bootstrap"
  build { preset = "go" }
}
function "api" {
  source  = "functions/api"
  runtime = "nodejs22.x"
  handler = "src/app.api.get"
  build {
    preset  = "esbuild"
    timeout = "90s"
  }
}
function "py" {
  source  = "functions/orders-api"
  runtime = "python3.12"
  handler = "app.handler"
  build {
    command = <<-EOT
      make dist
      cp -r vendor dist/
    EOT
    output  = "./dist/"
    timeout = "2h"
  }
}
function "plain" {
  source  = "functions/orders-api"
  runtime = "python3.12"
  handler = "app.handler"
}`,
		want: map[string]*Build{
			"go-fn": {Preset: "go", Timeout: 10 * time.Minute},
			"api":   {Preset: "esbuild", Entry: "functions/api/src/app.ts", Timeout: 90 * time.Second},
			"py":    {Command: "make dist\ncp -r vendor dist/\n", Output: "dist", Timeout: 2 * time.Hour},
			"plain": nil,
		},
	}, {
		name: "a function's build block replaces the defaults' as a whole",
		src: `
defaults {
  runtime = "provided.al2023"
  handler = "bootstrap"
  build {
    command = "make"
    output  = "out"
    timeout = "1h"
  }
}
function "inherits" {
  source = "functions/go-fn"
}
function "own" {
  source = "functions/go-fn"
  build { preset = "go" }
}`,
		want: map[string]*Build{
			"inherits": {Command: "make", Output: "out", Timeout: time.Hour},
			"own":      {Preset: "go", Timeout: 10 * time.Minute},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, diags := loadWith(t, files, project+tt.src)
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			got := map[string]*Build{}
			for _, f := range m.Functions {
				got[f.Label] = f.Build
			}
			if diff := cmp.Diff(tt.want, got, ignoreRanges); diff != "" {
				t.Errorf("builds (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEsbuildEntry: the entry is the first file found in the order the
// builder uses; more than one is a warning.
func TestEsbuildEntry(t *testing.T) {
	src := project + `
function "web" {
  source  = "functions/web"
  runtime = "nodejs22.x"
  handler = "index.handler"
  build { preset = "esbuild" }
}`
	for _, tc := range []struct {
		name    string
		files   map[string]string
		entry   string
		warning string
	}{
		{"javascript only", nil, "functions/web/index.js", ""},
		{"a directory is not an entry", map[string]string{"functions/web/index.ts/x": ""}, "functions/web/index.js", ""},
		{"typescript before javascript", map[string]string{"functions/web/index.mts": ""},
			"functions/web/index.mts", `Several entry files: The source folder "functions/web" has index.mts and index.js for handler "index.handler"; preset "esbuild" bundles index.mts`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, diags := loadWith(t, tc.files, src)
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			if got := m.Functions[0].Build.Entry; got != tc.entry {
				t.Errorf("entry = %q, want %q", got, tc.entry)
			}
			if got := diags.Error(); tc.warning == "" && got != "" || !strings.Contains(got, tc.warning) {
				t.Errorf("diagnostics: %s\nwant: %s", got, tc.warning)
			}
		})
	}
}

// TestStatePlace: a local state file (or its lock) that a function would
// package is an error at the state setting, except below .lambdas.
func TestStatePlace(t *testing.T) {
	const whole = `
function "whole" {
  source  = "."
  runtime = "python3.12"
  handler = "functions/orders-api/app.handler"
}`
	const orders = `
function "orders-api" {
  source  = "functions/orders-api"
  runtime = "python3.12"
  handler = "app.handler"
}`
	for _, tc := range []struct {
		name  string
		state string // the state setting; "" for none
		fns   string
		files map[string]string
		want  string // "" when valid
	}{
		{"one function with source . and the default state", "", whole, nil, ""},
		{"the default state exists already", "", whole, map[string]string{".lambdas/state.json": "{}", ".lambdas/state.json.lock": "{}"}, ""},
		{"below another .lambdas folder", ".lambdas/prod/state.json", whole, nil, ""},
		{"below .lambdas inside the source", "functions/orders-api/.lambdas/state.json", orders, nil, ""},
		{"beside the source", "functions/state.json", orders, nil, ""},
		{"outside the repository", "../state.json", whole, nil, ""},
		{"in S3", "s3://shop-state/lambdas/state.json", whole, nil, ""},
		{"at the root with source .", "state.json", whole, nil,
			`lambdas.hcl:3:11: State file inside a packaged folder: The state file state.json is inside the source folder "." of function "whole"`},
		{"in a source folder", "functions/orders-api/state/prod.json", orders, nil,
			`State file inside a packaged folder: The state file functions/orders-api/state/prod.json is inside the source folder "functions/orders-api" of function "orders-api"`},
		{"through a symbolic link", "orders-link/state.json", orders, map[string]string{"orders-link": "->functions/orders-api"},
			`The state file orders-link/state.json is inside the source folder "functions/orders-api" of function "orders-api"`},
		{"the lock file is bundled", "locks/state.json", orders + `
function "web" {
  source  = "functions/web"
  runtime = "nodejs22.x"
  handler = "index.handler"
  bundle {
    from = "locks/state.json.lock"
    to   = "lock"
  }
}`, map[string]string{"locks/state.json.lock": ""},
			`The state's lock file locks/state.json.lock is "locks/state.json.lock", which function "web" bundles (lambdas.hcl line 15)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := `project { name = "shop" }`
			if tc.state != "" {
				p = "project {\n  name  = \"shop\"\n  state = \"" + tc.state + "\"\n}"
			}
			m, diags := loadWith(t, tc.files, p+"\n"+tc.fns)
			got := diags.Error()
			if tc.want == "" {
				if m == nil || got != "" {
					t.Errorf("want valid, got %s", got)
				}
				return
			}
			if m != nil || !strings.Contains(got, tc.want) {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestGitDirThroughSymlink: a path that reaches .git through a symbolic
// link is refused like .git itself.
func TestGitDirThroughSymlink(t *testing.T) {
	_, diags := loadWith(t, map[string]string{".git/HEAD": "ref: refs/heads/main\n", "libs/git": "->../.git"}, project+`
function "a" {
  source  = "functions/orders-api"
  watch   = ["libs/git/HEAD"]
  runtime = "python3.12"
  handler = "app.handler"
}`)
	want := `lambdas.hcl:5:14: Path inside .git: "libs/git/HEAD" is git's own folder (.git) or inside it.`
	if got := diags.Error(); !strings.HasPrefix(got, want) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestHashCoversEntry: the entry esbuild bundles is looked up on disk, so
// it is part of the hash; a manifest without one hashes as before.
func TestHashCoversEntry(t *testing.T) {
	src := project + `
function "web" {
  source  = "functions/web"
  runtime = "nodejs22.x"
  handler = "index.handler"
  build { preset = "esbuild" }
}`
	js, _ := loadWith(t, nil, src)
	ts, _ := loadWith(t, map[string]string{"functions/web/index.ts": ""}, src)
	if js.Hash == ts.Hash {
		t.Errorf("index.js and index.ts give the same hash %s", js.Hash)
	}
	again, _ := loadWith(t, nil, src)
	if again.Hash != js.Hash {
		t.Errorf("hash not stable: %s, %s", js.Hash, again.Hash)
	}
}
