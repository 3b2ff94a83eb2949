package manifest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

// TestDiagnosticsJSONNamesEveryErrorLine loads every testdata/bad fixture
// and checks that the JSON diagnostics hold an error on each line marked
// "# ERROR", with the file name, a column inside the line and a snippet
// whose code is that line.
func TestDiagnosticsJSONNamesEveryErrorLine(t *testing.T) {
	fixtures, err := filepath.Glob(filepath.Join("testdata", "bad", "*.hcl"))
	if err != nil || len(fixtures) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, fixture := range fixtures {
		t.Run(strings.TrimSuffix(filepath.Base(fixture), ".hcl"), func(t *testing.T) {
			src, err := os.ReadFile(fixture)
			if err != nil {
				t.Fatal(err)
			}
			repo := makeRepo(t)
			opts := fixtureOptions(t, string(src), filepath.Dir(fixture), repo)
			writeFile(t, filepath.Join(repo, "lambdas.hcl"), string(src))
			t.Chdir(repo)
			_, diags := Load("lambdas.hcl", opts)
			js := diags.JSON()
			// It must survive a round trip through encoding/json as is.
			data, err := json.Marshal(js)
			if err != nil {
				t.Fatal(err)
			}
			var back []JSONDiagnostic
			if err := json.Unmarshal(data, &back); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(js, back); diff != "" {
				t.Fatalf("round trip (-want +got):\n%s", diff)
			}
			lines := strings.Split(string(src), "\n")
			errorsOn := map[int]JSONDiagnostic{}
			for _, d := range js {
				if d.Severity != "error" && d.Severity != "warning" {
					t.Errorf("severity %q", d.Severity)
				}
				if d.Summary == "" {
					t.Errorf("diagnostic without summary: %+v", d)
				}
				if d.Range == nil || d.Range.Filename != "lambdas.hcl" || d.Severity != "error" {
					continue
				}
				errorsOn[d.Range.Start.Line] = d
				if d.Snippet == nil || d.Snippet.StartLine != d.Range.Start.Line {
					t.Errorf("line %d: snippet %+v", d.Range.Start.Line, d.Snippet)
				} else if first, _, _ := strings.Cut(d.Snippet.Code, "\n"); d.Range.Start.Line <= len(lines) && first != lines[d.Range.Start.Line-1] {
					t.Errorf("line %d: snippet code %q, the line is %q", d.Range.Start.Line, first, lines[d.Range.Start.Line-1])
				}
			}
			for i, line := range lines {
				if !strings.Contains(line, "# ERROR") {
					continue
				}
				d, ok := errorsOn[i+1]
				if !ok {
					t.Errorf("line %d is marked # ERROR but no JSON error has range.start.line %d: %s", i+1, i+1, data)
					continue
				}
				if c := d.Range.Start.Column; c < 1 || c > len(line)+1 {
					t.Errorf("line %d: column %d outside the line %q", i+1, c, line)
				}
			}
		})
	}
}

// TestDiagnosticsJSONGolden pins the JSON of one manifest with many
// mistakes (testdata/json/several.json; -update rewrites it).
func TestDiagnosticsJSONGolden(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "bad", "several.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	golden, err := filepath.Abs(filepath.Join("testdata", "json", "several.json"))
	if err != nil {
		t.Fatal(err)
	}
	repo := makeRepo(t)
	writeFile(t, filepath.Join(repo, "lambdas.hcl"), string(src))
	t.Chdir(repo)
	_, diags := Load("lambdas.hcl", Options{LookupEnv: fakeEnv(nil)})
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(diags.JSON()); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./manifest -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), out.String()); diff != "" {
		t.Errorf("JSON diagnostics differ from %s (-want +got):\n%s", golden, diff)
	}
}

func TestDiagnosticsJSONWithoutRange(t *testing.T) {
	d := Diagnostics{Diags: hcl.Diagnostics{
		{Severity: hcl.DiagError, Summary: "Cannot read the manifest", Detail: "open lambdas.hcl: no such file"},
		{Severity: hcl.DiagWarning, Summary: "w", Subject: &hcl.Range{Filename: "gone.hcl", Start: hcl.Pos{Line: 3, Column: 2, Byte: 9}, End: hcl.Pos{Line: 3, Column: 4, Byte: 11}}},
	}}
	want := []JSONDiagnostic{
		{Severity: "error", Summary: "Cannot read the manifest", Detail: "open lambdas.hcl: no such file"},
		{Severity: "warning", Summary: "w", Range: &JSONRange{Filename: "gone.hcl", Start: JSONPos{3, 2, 9}, End: JSONPos{3, 4, 11}}},
	}
	if diff := cmp.Diff(want, d.JSON()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if e, w := d.Counts(); e != 1 || w != 1 {
		t.Errorf("Counts = %d, %d", e, w)
	}
}

func TestWriteGitHub(t *testing.T) {
	rng := func(l1, c1, l2, c2 int) *hcl.Range {
		return &hcl.Range{Filename: "lambdas.hcl", Start: hcl.Pos{Line: l1, Column: c1}, End: hcl.Pos{Line: l2, Column: c2}}
	}
	tests := []struct {
		name string
		diag *hcl.Diagnostic
		want string
	}{
		{"one line", &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid region", Detail: `"eu-west1" is not an AWS region`, Subject: rng(8, 15, 8, 25)},
			"::error file=sub/lambdas.hcl,line=8,col=15,endLine=8,endColumn=25,title=Invalid region::\"eu-west1\" is not an AWS region\n"},
		{"several lines, a warning", &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Deprecated", Detail: "a\nb", Subject: rng(2, 1, 4, 2)},
			"::warning file=sub/lambdas.hcl,line=2,col=1,endLine=4,title=Deprecated::a%0Ab\n"},
		{"escapes", &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "a: b, c", Detail: "100% sure\r\n::error::x", Subject: rng(1, 1, 1, 2)},
			"::error file=sub/lambdas.hcl,line=1,col=1,endLine=1,endColumn=2,title=a%3A b%2C c::100%25 sure%0D%0A::error::x\n"},
		{"no range, no detail", &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read the manifest"},
			"::error title=Cannot read the manifest::Cannot read the manifest\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			d := Diagnostics{Diags: hcl.Diagnostics{tt.diag}}
			if err := d.WriteGitHub(&b, func(s string) string { return "sub/" + s }); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, b.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
