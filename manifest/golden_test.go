package manifest

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// TestBadManifests loads every testdata/bad/*.hcl as lambdas.hcl at the
// root of the test repo and compares the rendered diagnostics with the
// .golden file beside it. Goldens are what a user sees: read them.
//
// A fixture marks each line that must be reported with a "# ERROR" comment;
// the test checks that the output names each of those lines. Comment lines
// at the top set the options: "# --var NAME=VALUE", "# --var-file FILE"
// (a file in testdata/bad, copied into the repo) and "# env NAME=VALUE".
func TestBadManifests(t *testing.T) {
	fixtures, err := filepath.Glob(filepath.Join("testdata", "bad", "*.hcl"))
	if err != nil || len(fixtures) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, fixture := range fixtures {
		name := strings.TrimSuffix(filepath.Base(fixture), ".hcl")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(fixture)
			if err != nil {
				t.Fatal(err)
			}
			golden, err := filepath.Abs(strings.TrimSuffix(fixture, ".hcl") + ".golden")
			if err != nil {
				t.Fatal(err)
			}
			repo := makeRepo(t)
			opts := fixtureOptions(t, string(src), filepath.Dir(fixture), repo)
			writeFile(t, filepath.Join(repo, "lambdas.hcl"), string(src))
			t.Chdir(repo)

			m, diags := Load("lambdas.hcl", opts)
			if m != nil || !diags.HasErrors() {
				t.Fatalf("want errors, got none")
			}
			var out bytes.Buffer
			if err := diags.WriteText(&out, 100, false); err != nil {
				t.Fatal(err)
			}
			got := out.String()

			for i, line := range strings.Split(string(src), "\n") {
				if strings.Contains(line, "# ERROR") {
					want := fmt.Sprintf("on lambdas.hcl line %d", i+1)
					if !strings.Contains(got, want+":") && !strings.Contains(got, want+",") {
						t.Errorf("line %d is marked # ERROR but the output has no %q", i+1, want)
					}
				}
			}
			if strings.Contains(got, "panic") || strings.Contains(got, "goroutine ") {
				t.Errorf("output looks like a crash:\n%s", got)
			}
			// No machine-specific paths in what users see.
			if strings.Contains(got, repo) {
				t.Errorf("output contains the temp repo path %s", repo)
			}

			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./manifest -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("diagnostics differ from %s (-want +got); run go test ./manifest -update if the change is intended:\n%s", filepath.Base(golden), diff)
			}
		})
	}
}

var directiveRe = regexp.MustCompile(`^# (--var|--var-file|--env|env) (.+)$`)

func fixtureOptions(t *testing.T, src, fixtureDir, repo string) Options {
	t.Helper()
	opts := Options{Vars: map[string]string{}}
	env := map[string]string{}
	for _, line := range strings.Split(src, "\n") {
		if !strings.HasPrefix(line, "#") {
			break
		}
		m := directiveRe.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		switch m[1] {
		case "--var":
			k, v, _ := strings.Cut(m[2], "=")
			opts.Vars[k] = v
		case "env":
			k, v, _ := strings.Cut(m[2], "=")
			env[k] = v
		case "--env":
			opts.Environment = m[2]
		case "--var-file":
			data, err := os.ReadFile(filepath.Join(fixtureDir, m[2]))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(repo, m[2]), string(data))
			opts.VarFiles = append(opts.VarFiles, m[2])
		}
	}
	opts.LookupEnv = fakeEnv(env)
	return opts
}
