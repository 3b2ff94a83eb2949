package build

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// jsRepo makes a repository with esbuild at its root (a link to the one
// examples/ installs) and the given files; it returns the repository root.
func jsRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	bin := esbuildBinary(t)
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "node_modules", ".bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(bin, filepath.Join(root, "node_modules", ".bin", "esbuild")); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, root, files)
	return root
}

func jsSpec(t *testing.T, root, source, handler string) Spec {
	return Spec{
		Function: "checkout", RepoRoot: root, Source: filepath.Join(root, filepath.FromSlash(source)),
		Preset: "esbuild", Runtime: "nodejs22.x", Architecture: "arm64", Handler: handler,
		WorkDir: t.TempDir(), Timeout: time.Minute,
	}
}

// node runs a script with node and returns its stdout.
func node(t *testing.T, script string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("node is not on PATH")
	}
	out, err := exec.Command("node", append([]string{"-e", script}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// outFiles maps the slash paths of the files under dir to their content.
func outFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

var tsFunction = map[string]string{
	"functions/checkout/index.ts": `import type { Order } from './types';
import { total } from './money';
import { S3Client } from '@aws-sdk/client-s3';
import { greet } from './shared/greet';

export async function handler(order: Order): Promise<{ total: number; greeting: string; s3: string }> {
  const client: typeof S3Client | undefined = order.lines.length < 0 ? S3Client : undefined;
  return { total: total(order.lines), greeting: greet(order.customer?.name ?? 'stranger'), s3: typeof client };
}
`,
	"functions/checkout/types.ts":      "export interface Order { lines: { cents: number; qty: number }[]; customer?: { name?: string } }\n",
	"functions/checkout/money.ts":      "export const total = (lines: { cents: number; qty: number }[]): number => lines.reduce((s, l) => s + l.cents * l.qty, 0);\n",
	"functions/checkout/tsconfig.json": `{"compilerOptions": {"strict": true}}` + "\n",
	"functions/checkout/package.json":  `{"name": "checkout", "private": true}` + "\n",
	"functions/checkout/README.md":     "not an input\n",
	"libs/shared/greet.ts":             "export function greet(name: string): string { return `hello, ${name}`; }\n",
}

func TestEsbuildTypeScriptCJS(t *testing.T) {
	root := jsRepo(t, tsFunction)
	// A shared library reached through a symlink, as examples/ does it.
	if err := os.Symlink("../../libs/shared", filepath.Join(root, "functions", "checkout", "shared")); err != nil {
		t.Fatal(err)
	}
	s := jsSpec(t, root, "functions/checkout", "index.handler")
	res, err := Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	out := outFiles(t, res.Dir)
	if len(out) != 1 || out["index.js"] == "" {
		t.Fatalf("out holds %v, want index.js only", keys(out))
	}
	js := out["index.js"]
	if !strings.Contains(js, `require("@aws-sdk/client-s3")`) {
		t.Error("@aws-sdk/client-s3 is not left external as a require")
	}
	if !strings.Contains(js, "// money.ts\n") || !strings.Contains(js, "// ../../libs/shared/greet.ts\n") {
		t.Error("the bundle's file comments are not relative to the source folder")
	}
	if strings.Contains(js, "sourceMappingURL") {
		t.Error("the bundle has a source map")
	}
	if !strings.Contains(js, `order.customer?.name ?? "stranger"`) {
		t.Error("syntax node22 supports was rewritten: not minified, target node22 expected")
	}

	// Stub the SDK, which only Lambda provides, and call the handler.
	writeFiles(t, res.Dir, map[string]string{"node_modules/@aws-sdk/client-s3/index.js": "exports.S3Client = class {};\n"})
	got := node(t, `require(process.argv[1]).handler({lines: [{cents: 250, qty: 2}, {cents: 99, qty: 1}]}).then(r => console.log(JSON.stringify(r)))`,
		filepath.Join(res.Dir, "index.js"))
	if want := `{"total":599,"greeting":"hello, stranger","s3":"undefined"}`; got != want {
		t.Errorf("handler answered %s, want %s", got, want)
	}

	// The type-only import (types.ts) is erased: esbuild does not read it.
	wantInputs := []string{
		"functions/checkout/index.ts",
		"functions/checkout/money.ts",
		"functions/checkout/package.json",
		"functions/checkout/tsconfig.json",
		"libs/shared/greet.ts",
	}
	if diff := cmp.Diff(wantInputs, res.Inputs); diff != "" {
		t.Errorf("Inputs (-want +got):\n%s", diff)
	}

	// Deterministic: again into another work folder, and from another
	// checkout elsewhere.
	again, err := Run(context.Background(), jsSpec(t, root, "functions/checkout", "index.handler"))
	if err != nil {
		t.Fatal(err)
	}
	root2 := jsRepo(t, tsFunction)
	if err := os.Symlink("../../libs/shared", filepath.Join(root2, "functions", "checkout", "shared")); err != nil {
		t.Fatal(err)
	}
	elsewhere, err := Run(context.Background(), jsSpec(t, root2, "functions/checkout", "index.handler"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*Result{again, elsewhere} {
		if diff := cmp.Diff(map[string]string{"index.js": js}, outFiles(t, r.Dir)); diff != "" {
			t.Errorf("%s differs from the first build (-first +again):\n%s", r.Dir, diff)
		}
	}
}

func keys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// ESM: from package.json's "type", or from an .mts entry; a bundled
// CommonJS dependency that requires a Node.js module works in the bundle.
func TestEsbuildESM(t *testing.T) {
	files := map[string]string{
		"functions/esm/package.json": `{"name": "esm", "type": "module"}` + "\n",
		"functions/esm/src/app.ts": `import { ListBucketsCommand } from '@aws-sdk/client-s3';
import legacy from 'legacy';
export const handler = async () => ({ eol: legacy.eol(), sdk: typeof ListBucketsCommand });
`,
		"functions/esm/node_modules/legacy/package.json": `{"name": "legacy", "main": "index.js"}` + "\n",
		"functions/esm/node_modules/legacy/index.js":     "const os = require('os');\nmodule.exports = { eol: () => JSON.stringify(os.EOL) };\n",
		"functions/mts/api.mts":                          "export const get = async () => 'from mts';\n",
	}
	root := jsRepo(t, files)

	res, err := Run(context.Background(), jsSpec(t, root, "functions/esm", "src/app.handler"))
	if err != nil {
		t.Fatal(err)
	}
	out := outFiles(t, res.Dir)
	mjs, ok := out["src/app.mjs"]
	if len(out) != 1 || !ok {
		t.Fatalf("out holds %v, want src/app.mjs only", keys(out))
	}
	if !strings.Contains(mjs, `from "@aws-sdk/client-s3"`) || strings.Contains(mjs, `require("@aws-sdk`) {
		t.Error("@aws-sdk/client-s3 is not left external as an import")
	}
	writeFiles(t, res.Dir, map[string]string{
		"node_modules/@aws-sdk/client-s3/package.json": `{"name": "@aws-sdk/client-s3", "type": "module", "exports": "./index.js"}`,
		"node_modules/@aws-sdk/client-s3/index.js":     "export class ListBucketsCommand {}\n",
	})
	got := node(t, `import(require('url').pathToFileURL(process.argv[1])).then(m => m.handler()).then(r => console.log(JSON.stringify(r)))`,
		filepath.Join(res.Dir, "src", "app.mjs"))
	if want := `{"eol":"\"\\n\"","sdk":"function"}`; got != want {
		t.Errorf("handler answered %s, want %s", got, want)
	}
	// node_modules is left out of the inputs: the lockfile stands for it.
	if diff := cmp.Diff([]string{"functions/esm/package.json", "functions/esm/src/app.ts"}, res.Inputs); diff != "" {
		t.Errorf("Inputs (-want +got):\n%s", diff)
	}

	res, err = Run(context.Background(), jsSpec(t, root, "functions/mts", "api.get"))
	if err != nil {
		t.Fatal(err)
	}
	got = node(t, `import(require('url').pathToFileURL(process.argv[1])).then(m => m.get()).then(console.log)`, filepath.Join(res.Dir, "api.mjs"))
	if got != "from mts" {
		t.Errorf("api.get answered %q", got)
	}
}

// The target comes from the runtime: syntax newer than it is rewritten.
func TestEsbuildTarget(t *testing.T) {
	root := jsRepo(t, map[string]string{"fn/index.js": "exports.handler = async (e) => e?.a ?? 1;\n"})
	for runtime, lowered := range map[string]bool{"nodejs22.x": false, "nodejs12.x": true} {
		s := jsSpec(t, root, "fn", "index.handler")
		s.Runtime = runtime
		res, err := Run(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		js := outFiles(t, res.Dir)["index.js"]
		if got := !strings.Contains(js, "?."); got != lowered {
			t.Errorf("%s: optional chaining rewritten = %v, want %v:\n%s", runtime, got, lowered, js)
		}
	}
}

func TestEsbuildEntryAndFormat(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string // the output file
	}{
		{"ts before js", map[string]string{"fn/index.ts": "export const handler = 1;\n", "fn/index.js": "exports.handler = 2;\n"}, "index.js"},
		{"cjs entry in a module package", map[string]string{"fn/package.json": `{"type": "module"}`, "fn/index.cjs": "exports.handler = 1;\n"}, "index.js"},
		{"module package above the source", map[string]string{"package.json": `{"type": "module"}`, "fn/index.js": "export const handler = 1;\n"}, "index.mjs"},
		{"nearest package.json decides", map[string]string{"package.json": `{"type": "module"}`, "fn/package.json": `{}`, "fn/index.js": "export const handler = 1;\n"}, "index.js"},
		{"nested folder", map[string]string{"fn/handlers/orders/get.tsx": "export const handler = () => 1;\n"}, "handlers/orders/get.js"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := jsRepo(t, tc.files)
			h := "index.handler"
			if strings.HasSuffix(tc.want, "get.js") {
				h = "handlers/orders/get.handler"
			}
			res, err := Run(context.Background(), jsSpec(t, root, "fn", h))
			if err != nil {
				t.Fatal(err)
			}
			if out := outFiles(t, res.Dir); len(out) != 1 || out[tc.want] == "" {
				t.Errorf("out holds %v, want %s", keys(out), tc.want)
			}
		})
	}
}

func TestEsbuildErrors(t *testing.T) {
	root := jsRepo(t, map[string]string{
		"fn/index.ts":      "export const handler = (: number) => 1;\n",
		"ok/index.ts":      "export const handler = 1;\n",
		"bad/package.json": "{not json",
		"bad/index.js":     "exports.handler = 1;\n",
	})
	for _, tc := range []struct {
		name    string
		source  string
		handler string
		runtime string
		want    []string
	}{
		{"syntax error", "fn", "index.handler", "nodejs22.x", []string{"checkout: build: esbuild exited with status 1:\n", "[ERROR] Unexpected \":\"", "index.ts:1:24:"}},
		{"no entry", "ok", "main.handler", "nodejs22.x", []string{"checkout: build: no file for the handler's module main in ", "looked for main.{ts,tsx,mts,cts,js,mjs,cjs,jsx}"}},
		{"bad handler", "ok", "index", "nodejs22.x", []string{`checkout: build: handler "index": want <file>.<function>`}},
		{"handler leaving the source", "ok", "../fn/index.handler", "nodejs22.x", []string{`must name a file inside the source folder`}},
		{"not node", "ok", "index.handler", "python3.12", []string{`the esbuild preset needs a Node.js runtime (nodejs22.x, ...), not "python3.12"`}},
		{"bad package.json", "bad", "index.handler", "nodejs22.x", []string{"bad/package.json: invalid character"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := jsSpec(t, root, tc.source, tc.handler)
			s.Runtime = tc.runtime
			_, err := Run(context.Background(), s)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error = %q, want it to hold %q", err, w)
				}
			}
		})
	}
}

// Without node_modules/.bin/esbuild from the source up to the repository
// root, the error says where it looked and how to install it; a binary
// above the repository is not used.
func TestEsbuildMissing(t *testing.T) {
	bin := esbuildBinary(t)
	outer := t.TempDir()
	if err := os.MkdirAll(filepath.Join(outer, "node_modules", ".bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(bin, filepath.Join(outer, "node_modules", ".bin", "esbuild")); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(outer, "repo")
	writeFiles(t, root, map[string]string{"functions/checkout/index.ts": "export const handler = 1;\n"})
	_, err := Run(context.Background(), jsSpec(t, root, "functions/checkout", "index.handler"))
	want := "checkout: build: esbuild not found: looked for node_modules/.bin/esbuild in functions/checkout, functions, the repository root; " +
		"install it with `npm install --save-dev esbuild` in the repository or in the function's folder"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %v\nwant   %s...", err, want)
	}
}

// The esbuild closest to the source wins.
func TestEsbuildNearestBinary(t *testing.T) {
	root := jsRepo(t, map[string]string{"functions/fn/index.js": "exports.handler = 1;\n"})
	fake := filepath.Join(root, "functions", "fn", "node_modules", ".bin", "esbuild")
	writeFiles(t, root, map[string]string{"functions/fn/node_modules/.bin/esbuild": "#!/bin/sh\necho fake esbuild >&2\nexit 3\n"})
	if err := os.Chmod(fake, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), jsSpec(t, root, "functions/fn", "index.handler"))
	if want := "checkout: build: esbuild exited with status 3:\nfake esbuild"; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}
