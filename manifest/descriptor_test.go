package manifest

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// TestDescriptorContent: a descriptor a builder could not read is reported
// at its own file and line, with a hint; good ones pass.
func TestDescriptorContent(t *testing.T) {
	const py = `project { name = "shop" }
function "orders-api" {
  source       = "functions/orders-api"
  runtime      = "python3.12"
  handler      = "app.handler"
  dependencies = "functions/orders-api/requirements.txt"
}
`
	const node = `project { name = "shop" }
function "web" {
  source       = "functions/web"
  runtime      = "nodejs22.x"
  handler      = "index.handler"
  dependencies = "functions/web/package.json"
}
`
	for _, tc := range []struct {
		name, manifest, file, content string
		want                          []string // in the rendered diagnostics; none means valid
	}{
		{"requirements ok", py, "functions/orders-api/requirements.txt",
			"# pinned\nrequests==2.32.3\nurllib3 >= 2, < 3  # transitive\nboto3[crt]~=1.35 ; python_version >= \"3.9\"\n-r ../../config/version.txt\n--index-url https://pypi.org/simple\nmylib @ https://example.com/mylib.whl\n./local-pkg\n\n", nil},
		{"requirements single =", py, "functions/orders-api/requirements.txt",
			"requests==2.32.3\nurllib3=2.2.3\n", []string{"Error: Invalid requirement", "on functions/orders-api/requirements.txt line 2", "urllib3=2.2.3", "==2.2.3", "lambdas.hcl line 6"}},
		{"requirements no name", py, "functions/orders-api/requirements.txt",
			"==1.0\n", []string{"on functions/orders-api/requirements.txt line 1", "is not a requirement pip can read"}},
		{"package.json ok", node, "functions/web/package.json", `{"name": "web", "dependencies": {"ms": "2.1.3"}}`, nil},
		{"package.json syntax", node, "functions/web/package.json",
			"{\n  \"name\": \"web\",\n  \"dependencies\": {\"ms\": \"2.1.3\",}\n}\n", []string{"Error: Invalid package.json", "on functions/web/package.json line 3", "is not valid JSON"}},
		{"package.json dependencies not an object", node, "functions/web/package.json",
			`{"name": "web", "dependencies": ["ms"]}`, []string{"\"dependencies\" must be an object"}},
		{"package-lock.json syntax", node, "functions/web/package-lock.json",
			"{\n  \"lockfileVersion\": 3\n  \"packages\": {}\n}\n", []string{"Error: Invalid package-lock.json", "on functions/web/package-lock.json line 3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := makeRepo(t)
			writeFile(t, filepath.Join(repo, filepath.FromSlash(tc.file)), tc.content)
			writeFile(t, filepath.Join(repo, "lambdas.hcl"), tc.manifest)
			t.Chdir(repo)
			m, diags := Load("lambdas.hcl", Options{})
			var out bytes.Buffer
			if err := diags.WriteText(&out, 100, false); err != nil {
				t.Fatal(err)
			}
			if len(tc.want) == 0 {
				if m == nil || diags.HasErrors() {
					t.Fatalf("want valid, got:\n%s", out.String())
				}
				return
			}
			if m != nil {
				t.Fatalf("want errors, got a manifest")
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}
