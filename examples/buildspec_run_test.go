package examples

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdas-dev/lambdas/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.RunTests(m)) }

// TestBuildspecReleases runs the buildspec's pre_build, build and
// post_build commands as CodeBuild does (bash, one shell for the phases,
// a phase ending at its first failing command), with the variables the
// pipeline sets, in a clone of a repository, against the AWS emulator: the
// functions are planned, released and read back. The install phase (go
// install of a published lambdas version) needs the network: a lambdas
// built from this tree is put on PATH in its place.
func TestBuildspecReleases(t *testing.T) {
	var b buildspec
	readYAML(t, "ci/buildspec.yml", &b)
	moto := testenv.StartMoto(t)
	moto.Reset(t)
	cfg := testenv.AWSConfig(t, moto.Endpoint)
	role := testenv.CreateRole(t, cfg, "buildspec-test")
	testenv.CreateBucket(t, cfg, "buildspec-artifacts")

	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "lambdas"), "../cmd/lambdas")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	// The pipeline's clone: a repository with an origin (git fetch --tags).
	origin := testRepo(t)
	manifest, err := os.ReadFile(filepath.Join(origin, "lambdas.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(manifest), `  region = "us-east-1"`, `  region    = "us-east-1"
  artifacts = "s3://buildspec-artifacts/releases"`, 1) + `
defaults {
  create {
    role = env("TEST_ROLE_ARN")
  }
}
`
	if err := os.WriteFile(filepath.Join(origin, "lambdas.hcl"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, origin, "commit", "-qam", "artifacts and create")
	git(t, origin, "tag", "v1.0.0")
	clone := filepath.Join(t.TempDir(), "src")
	git(t, filepath.Dir(clone), "clone", "-q", origin, clone)

	var script strings.Builder
	for k, v := range b.Env.Variables {
		script.WriteString("export " + k + "=" + shellQuote(v) + "\n")
	}
	script.WriteString("export LAMBDAS_ENVIRONMENT=qa\n") // the branch pipeline's build action
	for _, phase := range []string{"pre_build", "build", "post_build"} {
		script.WriteString("echo '--- phase " + phase + "'\n(\nset -e\n")
		for _, c := range b.Phases[phase].Commands {
			script.WriteString(c + "\n")
		}
		script.WriteString(") || { echo '--- phase " + phase + " failed'; exit 1; }\n")
	}
	cmd := exec.Command("bash", "--noprofile", "--norc", "-c", script.String())
	cmd.Dir = clone
	cmd.Env = append(os.Environ(),
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"AWS_ENDPOINT_URL="+moto.Endpoint, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION=us-east-1",
		"AWS_CONFIG_FILE="+filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(t.TempDir(), "none"),
		"TEST_ROLE_ARN="+role, "GITHUB_ACTIONS=", "HOME="+clone)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("the buildspec failed: %v\n%s", err, out.String())
	}
	log := out.String()
	for _, want := range []string{
		"The manifest lambdas.hcl is valid: project shop, 2 functions.",
		"Plan: 2 new, 0 changed, 0 unchanged.",
		"Apply complete: 2 released, 0 unchanged, 0 failed",
		"in sync",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the build's log lacks %q:\n%s", want, log)
		}
	}
	if strings.Count(log, "in sync") != 2 {
		t.Errorf("status should show both functions in sync:\n%s", log)
	}
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
