// Runs the TypeScript tests with node's test runner on Node.js 18 and later.
// Node 20 cannot run .ts files (type stripping arrived in 22.6, behind a
// flag until 23.6), so each test/*.test.ts is first bundled by the same
// esbuild that lambdas' esbuild preset uses (examples/package.json) into a
// temporary folder, with the settings of the preset for this function (ESM,
// platform node), and node --test runs the bundles. Exits with its status.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const fnDir = dirname(dirname(fileURLToPath(import.meta.url)));

// The nearest node_modules/.bin/esbuild, as the preset looks for it.
function findEsbuild(dir) {
  for (;;) {
    const bin = join(dir, 'node_modules', '.bin', 'esbuild');
    if (existsSync(bin)) return bin;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

const esbuild = findEsbuild(fnDir);
if (!esbuild) {
  console.error('esbuild not found: run `npm ci` in examples/ (it installs esbuild from examples/package.json)');
  process.exit(1);
}
const tests = readdirSync(join(fnDir, 'test'))
  .filter((f) => f.endsWith('.test.ts'))
  .sort()
  .map((f) => join('test', f));
if (tests.length === 0) {
  console.error('no test/*.test.ts files');
  process.exit(1);
}

const out = mkdtempSync(join(tmpdir(), 'checkout-ts-tests-'));
let status = 1;
try {
  const built = spawnSync(
    esbuild,
    [
      ...tests,
      '--bundle',
      '--platform=node',
      `--target=node${process.versions.node.split('.')[0]}`,
      '--format=esm',
      '--out-extension:.js=.mjs',
      `--outdir=${out}`,
      '--log-level=warning',
    ],
    { cwd: fnDir, stdio: 'inherit' },
  );
  if (built.status === 0) {
    const bundles = readdirSync(out).filter((f) => f.endsWith('.mjs')).sort().map((f) => join(out, f));
    status = spawnSync(process.execPath, ['--test', ...bundles], { stdio: 'inherit' }).status ?? 1;
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
process.exit(status);
