package manifest

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRequirementIncludes: the files a requirements.txt names with -r and
// -c are found (recursively, relative to the file that names them), and
// one that cannot be fingerprinted is an error at its line.
func TestRequirementIncludes(t *testing.T) {
	const fn = `project {
  name = "shop"
}
function "orders-api" {
  source       = "functions/orders-api"
  runtime      = "python3.12"
  handler      = "app.handler"
  dependencies = "functions/orders-api/requirements.txt"
}
`
	cases := []struct {
		name    string
		files   map[string]string
		want    []string
		wantErr []string
	}{
		{name: "none", files: map[string]string{"functions/orders-api/requirements.txt": "requests==2.32.3\n"}},
		{name: "recursive, relative to each file, each once", files: map[string]string{
			"functions/orders-api/requirements.txt": "-r ../../libs/base.txt\n--constraint=constraints.txt\nrequests\n-c constraints.txt # again\n",
			"libs/base.txt":                         "-rnested/more.txt\nsix\n",
			"libs/nested/more.txt":                  "idna\n",
			"functions/orders-api/constraints.txt":  "requests==2.32.3\n",
		}, want: []string{"libs/base.txt", "functions/orders-api/constraints.txt", "libs/nested/more.txt"}},
		{name: "missing, outside, URL", files: map[string]string{
			"functions/orders-api/requirements.txt": "-r missing.txt\n-r ../../../outside.txt\n-c https://example.com/c.txt\n",
		}, wantErr: []string{
			`functions/orders-api/requirements.txt line 1 names "missing.txt", but there is no file functions/orders-api/missing.txt`,
			`line 2 names "../../../outside.txt", which is outside the repository`,
			`line 3 names "https://example.com/c.txt", a URL`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			repo := makeRepo(t)
			t.Chdir(repo)
			for name, text := range tc.files {
				writeFile(t, filepath.Join(repo, filepath.FromSlash(name)), text)
			}
			writeFile(t, "lambdas.hcl", fn)
			m, diags := Load("lambdas.hcl", Options{LookupEnv: fakeEnv(nil)})
			var out bytes.Buffer
			_ = diags.WriteText(&out, 0, false)
			if len(tc.wantErr) > 0 {
				for _, w := range tc.wantErr {
					if !strings.Contains(strings.Join(strings.Fields(out.String()), " "), w) {
						t.Errorf("diagnostics lack %q:\n%s", w, out.String())
					}
				}
				return
			}
			if diags.HasErrors() {
				t.Fatalf("errors:\n%s", out.String())
			}
			if diff := cmp.Diff(tc.want, m.Functions[0].Included); diff != "" {
				t.Errorf("Included (-want +got):\n%s", diff)
			}
		})
	}
}
