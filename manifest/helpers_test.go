package manifest

import (
	"os"
	"path/filepath"
	"testing"
)

// repoFiles is the small monorepo that test manifests refer to.
var repoFiles = map[string]string{
	"functions/orders-api/app.py":            "def handler(event, context):\n    return {}\n",
	"functions/orders-api/requirements.txt":  "requests==2.32.3\n",
	"functions/orders-api/tests/test_app.py": "",
	"functions/web/index.js":                 "exports.handler = async () => ({});\n",
	"functions/web/package.json":             "{\"name\": \"web\"}\n",
	"functions/web/package-lock.json":        "{}\n",
	"functions/web/package.json.bak":         "",
	"functions/cron/index.mjs":               "export const handler = async () => {};\n",
	"functions/cron/package.json":            "{\"name\": \"cron\"}\n",
	"functions/go-fn/bootstrap":              "",
	"libs/shared-py/util.py":                 "",
	"libs/shared-js/index.js":                "",
	"config/version.txt":                     "1.4.2\n",
	"README.md":                              "# shop\n",
}

// makeRepo builds the test monorepo under a temp folder and returns its
// path. Beside it, outside the repository, is a folder "outside" with a
// file secret.txt; the repository has symlinks "escape" (to that folder)
// and "libs/shared-link" (to libs/shared-py, staying inside).
func makeRepo(t testing.TB) string {
	t.Helper()
	base := t.TempDir()
	repo := filepath.Join(base, "repo")
	for name, content := range repoFiles {
		writeFile(t, filepath.Join(repo, filepath.FromSlash(name)), content)
	}
	writeFile(t, filepath.Join(base, "outside", "secret.txt"), "secret\n")
	if err := os.Symlink(filepath.Join(base, "outside"), filepath.Join(repo, "escape")); err != nil {
		t.Skipf("symlinks not available: %v", err)
	}
	if err := os.Symlink("shared-py", filepath.Join(repo, "libs", "shared-link")); err != nil {
		t.Skipf("symlinks not available: %v", err)
	}
	return repo
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fakeEnv is a LookupEnv over a map.
func fakeEnv(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}
