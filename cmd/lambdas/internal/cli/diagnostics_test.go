package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// brokenManifest has two errors, on lines 5 and 7.
const brokenManifest = `project { name = "x" }
function "a" {
  source       = "src"
  runtime      = "python3.12"
  architecture = "sparc"
  handler      = "app.handler"
  alias        = "$LATEST"
}
`

// warnedManifest is valid with one warning, on line 7.
const warnedManifest = `project {
  name   = "x"
  region = "us-east-1"
}
function "a" {
  source  = "src"
  handler = "app.handler"
  runtime = "python3.12"
  deploy {
    interval = "5m"
  }
}
`

// diagRepo makes a git repository with the manifest at sub/lambdas.hcl.
func diagRepo(t *testing.T, manifestText string) string {
	t.Helper()
	repo := t.TempDir()
	writeFile(t, filepath.Join(repo, "sub", "lambdas.hcl"), manifestText)
	writeFile(t, filepath.Join(repo, "sub", "src", "app.py"), "def handler(e, c):\n    return 1\n")
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"commit", "-qm", "init"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=T", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=T", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+repo)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return repo
}

func runIn(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	t.Chdir(dir)
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

type diagLine struct {
	Severity, File string
	Line           int
}

func diagLines(doc diagnosticsDocument) []diagLine {
	var out []diagLine
	for _, d := range doc.Diagnostics {
		l := diagLine{Severity: d.Severity}
		if d.Range != nil {
			l.File, l.Line = d.Range.Filename, d.Range.Start.Line
		}
		out = append(out, l)
	}
	return out
}

func TestValidateJSON(t *testing.T) {
	t.Setenv("GITHUB_ACTIONS", "")
	tests := []struct {
		name      string
		manifest  string
		args      []string
		dir       string // relative to the repository
		wantCode  int
		wantValid bool
		want      []diagLine
	}{
		{"errors, from the root", brokenManifest, []string{"validate", "--json", "--manifest", "sub/lambdas.hcl"}, ".", 1, false,
			[]diagLine{{"error", "sub/lambdas.hcl", 5}, {"error", "sub/lambdas.hcl", 7}}},
		{"errors, in the folder", brokenManifest, []string{"--json", "validate"}, "sub", 1, false,
			[]diagLine{{"error", "lambdas.hcl", 5}, {"error", "lambdas.hcl", 7}}},
		{"a warning", warnedManifest, []string{"validate", "--json"}, "sub", 0, true,
			[]diagLine{{"warning", "lambdas.hcl", 10}}},
		{"no manifest", brokenManifest, []string{"validate", "--json", "--manifest", "nope.hcl"}, "sub", 1, false,
			[]diagLine{{"error", "", 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := diagRepo(t, tt.manifest)
			code, out, _ := runIn(t, filepath.Join(repo, tt.dir), tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d", code, tt.wantCode)
			}
			var doc diagnosticsDocument
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("stdout is not one JSON document: %v\n%s", err, out)
			}
			if doc.Valid != tt.wantValid || doc.FormatVersion != diagnosticsFormatVersion {
				t.Errorf("valid %v format %q, want %v %q", doc.Valid, doc.FormatVersion, tt.wantValid, diagnosticsFormatVersion)
			}
			if diff := cmp.Diff(tt.want, diagLines(doc)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s\n%s", diff, out)
			}
			errs, warns := 0, 0
			for _, d := range doc.Diagnostics {
				if d.Summary == "" || d.Detail == "" {
					t.Errorf("diagnostic without summary or detail: %+v", d)
				}
				if d.Severity == "error" {
					errs++
				} else {
					warns++
				}
			}
			if doc.ErrorCount != errs || doc.WarningCount != warns {
				t.Errorf("counts %d, %d; listed %d, %d", doc.ErrorCount, doc.WarningCount, errs, warns)
			}
		})
	}
}

// With --json, a command other than validate keeps its stdout for its own
// output and writes the diagnostics as one JSON line on stderr.
func TestDiagnosticsJSONOnStderr(t *testing.T) {
	t.Setenv("GITHUB_ACTIONS", "")
	repo := diagRepo(t, brokenManifest)
	for _, cmd := range [][]string{{"plan", "--json"}, {"--json", "apply", "--auto-approve"}, {"status", "--json"}, {"package", "--json"}} {
		t.Run(cmd[0], func(t *testing.T) {
			code, out, errOut := runIn(t, filepath.Join(repo, "sub"), cmd...)
			if code != 1 || out != "" {
				t.Errorf("exit %d, stdout %q; want 1 and nothing", code, out)
			}
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			var doc diagnosticsDocument
			if err := json.Unmarshal([]byte(lines[0]), &doc); err != nil {
				t.Fatalf("stderr's first line is not the JSON diagnostics: %v\n%s", err, errOut)
			}
			want := []diagLine{{"error", "lambdas.hcl", 5}, {"error", "lambdas.hcl", 7}}
			if diff := cmp.Diff(want, diagLines(doc)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// Under GitHub Actions each diagnostic is also a workflow command whose
// file is relative to the repository root, wherever lambdas runs.
func TestGitHubAnnotations(t *testing.T) {
	t.Setenv("GITHUB_ACTIONS", "true")
	tests := []struct {
		name, manifest, dir string
		args                []string
		wantCode            int
		want                []string
	}{
		{"in the folder", brokenManifest, "sub", []string{"validate"}, 1, []string{
			"::error file=sub/lambdas.hcl,line=5,col=18,endLine=5,endColumn=25,title=Invalid architecture::",
			"::error file=sub/lambdas.hcl,line=7,col=18,endLine=7,endColumn=27,title=Invalid alias::",
		}},
		{"from the root", brokenManifest, ".", []string{"plan", "--manifest", "sub/lambdas.hcl"}, 1, []string{
			"::error file=sub/lambdas.hcl,line=5,col=18,endLine=5,endColumn=25,title=Invalid architecture::",
			"::error file=sub/lambdas.hcl,line=7,col=18,endLine=7,endColumn=27,title=Invalid alias::",
		}},
		{"a warning, with --json", warnedManifest, "sub", []string{"validate", "--json"}, 0, []string{
			"::warning file=sub/lambdas.hcl,line=10,col=16,endLine=10,endColumn=20,title=interval has no effect::",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := diagRepo(t, tt.manifest)
			code, _, errOut := runIn(t, filepath.Join(repo, tt.dir), tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\n%s", code, tt.wantCode, errOut)
			}
			var got []string
			for _, line := range strings.Split(errOut, "\n") {
				if strings.HasPrefix(line, "::") {
					got = append(got, line[:strings.Index(line[2:], "::")+4])
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("annotations (-want +got):\n%s\nstderr:\n%s", diff, errOut)
			}
			if !strings.Contains(errOut, "on lambdas.hcl line") && !strings.Contains(tt.args[len(tt.args)-1], "json") && tt.dir == "sub" {
				t.Errorf("the text diagnostics are missing:\n%s", errOut)
			}
		})
	}
}
