package build

import (
	"context"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The example functions build with the presets their manifest blocks name
// (see examples/README.md), and what comes out runs.
func TestExampleFunctions(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the example functions; the go one may download aws-lambda-go")
	}
	root := moduleRoot(t)

	t.Run("checkout-ts", func(t *testing.T) {
		esbuildBinary(t)
		src := filepath.Join(root, "examples", "functions", "checkout-ts")
		needInstalled(t, filepath.Join(src, "node_modules", "ms", "package.json"), "run npm ci in examples/functions/checkout-ts")
		res, err := Run(context.Background(), Spec{
			Function: "checkout", RepoRoot: root, Source: src, Preset: "esbuild",
			Runtime: "nodejs22.x", Architecture: "x86_64", Handler: "index.handler",
			WorkDir: t.TempDir(), Timeout: time.Minute,
		})
		if err != nil {
			t.Fatal(err)
		}
		if out := outFiles(t, res.Dir); len(out) != 1 || out["index.mjs"] == "" {
			t.Fatalf("out holds %v, want index.mjs only", keys(out))
		}
		got := node(t, `process.env.QUOTE_SECRET = 's';
import(require('url').pathToFileURL(process.argv[1]))
  .then(m => m.handler({body: JSON.stringify({lines: [{sku: 'kettle', qty: 1}]})}))
  .then(r => console.log(r.statusCode, JSON.parse(r.body).totalCents))`, filepath.Join(res.Dir, "index.mjs"))
		if want := "200 3985"; got != want {
			t.Errorf("handler answered %q, want %q", got, want)
		}
		want := []string{
			"examples/functions/checkout-ts/index.ts",
			"examples/functions/checkout-ts/package.json",
			"examples/functions/checkout-ts/src/catalog.ts",
			"examples/functions/checkout-ts/src/pricing.ts",
			"examples/functions/checkout-ts/src/quote.ts",
			"examples/functions/checkout-ts/tsconfig.json",
			"examples/libs/shared-js/shared/crypto.mjs",
			"examples/libs/shared-js/shared/http.mjs",
			"examples/libs/shared-js/shared/index.mjs",
			"examples/libs/shared-js/shared/keys.mjs",
			"examples/package.json", // the nearest package.json of the shared module
		}
		if diff := cmp.Diff(want, res.Inputs); diff != "" {
			t.Errorf("Inputs (-want +got):\n%s", diff)
		}
	})

	t.Run("audit-go", func(t *testing.T) {
		if _, err := exec.LookPath("go"); err != nil {
			t.Fatal("go is not on PATH")
		}
		res, err := Run(context.Background(), Spec{
			Function: "audit", RepoRoot: root, Source: filepath.Join(root, "examples", "functions", "audit-go"),
			Preset: "go", Runtime: "provided.al2023", Architecture: "arm64", Handler: "bootstrap",
			WorkDir: t.TempDir(), Timeout: 5 * time.Minute,
		})
		if err != nil {
			t.Fatal(err)
		}
		f, err := elf.Open(filepath.Join(res.Dir, "bootstrap"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if f.Machine != elf.EM_AARCH64 {
			t.Errorf("machine = %v, want arm64", f.Machine)
		}
		if fi, err := os.Stat(filepath.Join(res.Dir, "bootstrap")); err != nil || fi.Mode() != 0o755 {
			t.Errorf("bootstrap: %v, %v", fi.Mode(), err)
		}
		want := []string{
			"examples/functions/audit-go/audit.go",
			"examples/functions/audit-go/go.mod",
			"examples/functions/audit-go/go.sum",
			"examples/functions/audit-go/main.go",
		}
		if diff := cmp.Diff(want, res.Inputs); diff != "" {
			t.Errorf("Inputs (-want +got):\n%s", diff)
		}
	})
}
