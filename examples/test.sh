#!/usr/bin/env bash
# Runs every unit test of the example monorepo: pytest for the Python library
# and functions, node's built-in test runner for the JS and TypeScript ones
# (the TypeScript tests are bundled with esbuild first: Node 20 cannot run
# .ts), go vet and go test for the Go function (a module of its own). Each
# suite runs in its own process (two functions both have app.py / index.mjs;
# one Python process could import only one of them). Exits non-zero if any
# suite fails.
#
# Python dependencies (requirements.txt of each function, and pytest) go into
# examples/.venv, made with --system-site-packages so an installed pytest is
# reused; set EXAMPLES_PYTHON=/path/to/python to use an interpreter as it is.
# Node dependencies are installed with `npm ci` from each package-lock.json,
# examples/package-lock.json (esbuild, for the TypeScript function) included.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/.." || exit 1 # repository root: the paths below match lambdas.hcl

export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in the function folders

python_suites=(examples/libs/shared-py examples/functions/orders-api examples/functions/invoice-worker)
node_suites=(examples/libs/shared-js examples/functions/thumbnails examples/functions/webhook)
ts_suites=(examples/functions/checkout-ts) # test/run.mjs bundles test/*.test.ts, then node --test
go_suites=(examples/functions/audit-go)

die() { echo "examples/test.sh: $*" >&2; exit 1; }

# --- Python environment ---------------------------------------------------
if [[ -n "${EXAMPLES_PYTHON:-}" ]]; then
  py="$EXAMPLES_PYTHON"
else
  venv="examples/.venv"
  if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv --system-site-packages "$venv" || die "cannot create $venv"
  fi
  py="$venv/bin/python"
  reqs=()
  for s in "${python_suites[@]}"; do
    [[ -f "$s/requirements.txt" ]] && reqs+=(-r "$s/requirements.txt")
  done
  "$py" -c 'import pytest' 2>/dev/null || reqs+=(pytest)
  if ((${#reqs[@]})); then
    "$py" -m pip install --quiet --disable-pip-version-check "${reqs[@]}" ||
      die "pip install ${reqs[*]} failed"
  fi
fi

# --- Node dependencies ----------------------------------------------------
for s in examples "${node_suites[@]}" "${ts_suites[@]}"; do
  if [[ -f "$s/package-lock.json" ]]; then
    (cd "$s" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci in $s failed"
  fi
done

# --- Run ------------------------------------------------------------------
passed=0
failed=0
failures=()
run() { # run NAME CMD...
  local name="$1"
  shift
  echo "=== $name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failures+=("$name")
  fi
}

for s in "${python_suites[@]}"; do
  run "$s (pytest)" "$py" -m pytest -q -p no:cacheprovider "$s/tests"
done
for s in "${node_suites[@]}"; do
  mapfile -t files < <(find "$s/test" -name '*.test.mjs' -not -path '*/node_modules/*' | sort)
  if ((${#files[@]} == 0)); then
    echo "no test files in $s/test" >&2
    failed=$((failed + 1))
    failures+=("$s (no tests)")
    continue
  fi
  run "$s (node --test)" node --test "${files[@]}"
done
for s in "${ts_suites[@]}"; do
  run "$s (esbuild + node --test)" node "$s/test/run.mjs"
done
for s in "${go_suites[@]}"; do
  run "$s (go vet, go test)" bash -c 'cd "$1" && go vet ./... && go test -count=1 ./...' _ "$s"
done

echo
if ((failed)); then
  printf 'FAILED: %s\n' "${failures[@]}"
fi
echo "suites: $passed passed, $failed failed"
((failed == 0))
