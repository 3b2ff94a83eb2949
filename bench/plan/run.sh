#!/usr/bin/env bash
# The planner benchmark: how long `lambdas plan` takes, and how much memory,
# on a generated monorepo (bench/gen: by default 500 functions, ~20,000 files,
# 2,000 commits), and whether its answer is right.
#
#   bench/plan/run.sh [--functions N] [--files N] [--commits N] [--seed N]
#                     [--runs N] [--lib libs/lib-03] [--workdir DIR] [--keep]
#                     [--lambdas PATH]   (a prebuilt CLI instead of building ./cmd/lambdas)
#
# Steps:
#   1. build the CLI (go build ./cmd/lambdas) and the generator;
#   2. generate the repository in a temporary folder;
#   3. plan with no state: every function must be "new";
#   4. record every function as released at HEAD without AWS
#      (`lambdas state mark-released`), then plan: nothing may change;
#   5. commit to the docs only: still nothing may change;
#   6. commit to one shared library: the functions that change must be exactly
#      the library's dependents (.bench/dependents.json);
#   7. commit to one function's source too: exactly one more function changes.
# Each plan scenario is timed over --runs runs (median wall time, peak RSS),
# with /usr/bin/time, and also with hyperfine when it is installed
# (apt-get install -y hyperfine).
#
# Prints PASS or FAIL per check and a summary; exits 0 when every check passed,
# 1 when one failed, and 3 when the benchmark could not run (no CLI, ...).
set -uo pipefail

functions=500 files=20000 commits=2000 seed=1 runs=10 lib=libs/lib-03 workdir="" keep=0 prebuilt=""
usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while (($#)); do
  case "$1" in
  --functions) functions="$2"; shift 2 ;;
  --files) files="$2"; shift 2 ;;
  --commits) commits="$2"; shift 2 ;;
  --seed) seed="$2"; shift 2 ;;
  --runs) runs="$2"; shift 2 ;;
  --lib) lib="$2"; shift 2 ;;
  --workdir) workdir="$2"; shift 2 ;;
  --keep) keep=1; shift ;;
  --lambdas) prebuilt="$2"; shift 2 ;;
  -h | --help) usage; exit 0 ;;
  *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 3 ;;
  esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cannot() { echo "CANNOT RUN: $*" >&2; exit 3; }
for tool in go git python3; do
  command -v "$tool" >/dev/null || cannot "$tool is not installed"
done
if [[ ! -x /usr/bin/time ]]; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "installing GNU time (for peak RSS)..."
    apt-get install -y -qq time >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq time) >/dev/null 2>&1
  fi
  [[ -x /usr/bin/time ]] || cannot "/usr/bin/time (GNU time) is missing: apt-get install -y time"
fi

if [[ -z "$workdir" ]]; then
  workdir="$(mktemp -d "${TMPDIR:-/tmp}/lambdas-bench.XXXXXX")"
elif [[ -e "$workdir" && -n "$(ls -A "$workdir")" ]]; then
  cannot "--workdir $workdir is not empty"
fi
mkdir -p "$workdir"
if ((keep)); then
  echo "work folder: $workdir (kept)"
else
  trap 'rm -rf "$workdir"' EXIT
fi
repo="$workdir/repo"
LAMBDAS="$workdir/lambdas"
out="$workdir/out"
mkdir -p "$out"

now() { echo "$EPOCHREALTIME"; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$2"; }

# --- 1. build ------------------------------------------------------------------
echo "== building the lambdas CLI and the generator"
if [[ -n "$prebuilt" ]]; then
  cp "$prebuilt" "$LAMBDAS" || cannot "--lambdas $prebuilt: cannot copy it"
elif ! (cd "$root" && go build -o "$LAMBDAS" ./cmd/lambdas); then
  cannot "go build ./cmd/lambdas failed (errors above). The benchmark needs the lambdas CLI with
  'lambdas plan --manifest FILE --json [--detailed-exitcode]' and
  'lambdas state mark-released --manifest FILE' (or 'lambdas state seed')."
fi
(cd "$root" && go build -o "$workdir/gen" ./bench/gen) || cannot "go build ./bench/gen failed"

# The command that records every function as released at HEAD without AWS.
if "$LAMBDAS" state mark-released --help >/dev/null 2>&1; then
  seed_cmd=(state mark-released)
elif "$LAMBDAS" state seed --help >/dev/null 2>&1; then
  seed_cmd=(state seed)
else
  cannot "the CLI has neither 'lambdas state mark-released' nor 'lambdas state seed'"
fi

# --- 2. generate ---------------------------------------------------------------
echo "== generating $functions functions, $files files, $commits commits (seed $seed)"
t0=$(now)
"$workdir/gen" -out "$repo" -functions "$functions" -files "$files" -commits "$commits" -seed "$seed" ||
  cannot "bench/gen failed"
gen_seconds=$(elapsed "$t0" "$(now)")
deps_json="$repo/.bench/dependents.json"
cd "$repo" || exit 3
manifest="$repo/lambdas.hcl"
plan() { "$LAMBDAS" plan --manifest "$manifest" "$@"; }

# --- checks --------------------------------------------------------------------
failures=0
pass() { echo "PASS  $*"; }
fail() { echo "FAIL  $*"; failures=$((failures + 1)); }

# check_plan NAME PLAN_JSON EXPECTED_EXIT ACTUAL_EXIT MODE [ARGS]
#   MODE all-new:         every function is "new"
#   MODE all-unchanged:   every function is "unchanged"
#   MODE exactly LABEL... the functions whose change is not "unchanged" are exactly these
check_plan() {
  local name="$1" json="$2" want_exit="$3" got_exit="$4"
  shift 4
  local msg
  if [[ "$got_exit" != "$want_exit" ]]; then
    fail "$name: plan --detailed-exitcode exited $got_exit, want $want_exit"
    return
  fi
  if msg=$(python3 - "$json" "$functions" "$@" 2>&1 <<'EOF'
import json, sys

path, nfunctions, mode, *want = sys.argv[1:]
try:
    with open(path) as f:
        plan = json.load(f)
except (OSError, ValueError) as err:
    sys.exit(f"cannot read the plan JSON: {err}")
if plan.get("format_version") != 2:
    sys.exit(f"format_version is {plan.get('format_version')!r}, want 2")
fns = plan.get("functions") or []
if len(fns) != int(nfunctions):
    sys.exit(f"the plan lists {len(fns)} functions, want {nfunctions}")
names = [f["name"] for f in fns]
if names != sorted(names):
    sys.exit("functions are not sorted by name")
by = {}
for f in fns:
    by.setdefault(f["change"], []).append(f["name"])
changed = sorted(n for f in fns if f["change"] != "unchanged" for n in [f["name"]])
counts = ", ".join(f"{len(v)} {k}" for k, v in sorted(by.items()))
if mode == "all-new":
    if set(by) != {"new"}:
        sys.exit(f"want every function new, got {counts}")
elif mode == "all-unchanged":
    if changed:
        sys.exit(f"want nothing changed, got {counts}: {' '.join(changed[:10])}{' ...' if len(changed) > 10 else ''}")
elif mode == "exactly":
    want = sorted(set(want))
    missing = sorted(set(want) - set(changed))
    extra = sorted(set(changed) - set(want))
    if missing or extra:
        sys.exit(f"changed set differs from the expected {len(want)}: missing {missing[:10]}, unexpected {extra[:10]}")
    wrong = [f["name"] for f in fns if f["name"] in want and f["change"] != "changed"]
    if wrong:
        sys.exit(f"want change \"changed\" for {wrong[:10]}")
    quiet = [f["name"] for f in fns if f["name"] in want and not f.get("changed_files")]
    if quiet:
        sys.exit(f"changed functions with no changed_files: {quiet[:10]}")
print(counts)
EOF
  ); then
    pass "$name: $msg"
  else
    fail "$name: $msg"
  fi
}

# plan_check NAME MODE [ARGS]: one plan with --json --detailed-exitcode, checked.
plan_check() {
  local name="$1" mode="$2" want_exit=2 code
  shift 2
  [[ "$mode" == all-unchanged ]] && want_exit=0
  plan --json --detailed-exitcode >"$out/$name.json" 2>"$out/$name.err"
  code=$?
  if ((code == 1)); then
    fail "$name: lambdas plan failed: $(head -c 2000 "$out/$name.err")"
    return
  fi
  if [[ ! -s "$out/$name.json" ]]; then
    # A Go runtime crash exits 2 too, like "changes" under --detailed-exitcode.
    fail "$name: lambdas plan printed no JSON (exit $code): $(head -c 500 "$out/$name.err")"
    return
  fi
  check_plan "$name" "$out/$name.json" "$want_exit" "$code" "$mode" "$@"
}

# --- timing --------------------------------------------------------------------
results=()
have_hyperfine=0
command -v hyperfine >/dev/null && have_hyperfine=1

# measure NAME: times `lambdas plan --json` --runs times (after one warm-up run).
measure() {
  local name="$1" i t s
  local samples="$out/$name.samples"
  : >"$samples"
  plan --json >/dev/null 2>&1 || { fail "$name: lambdas plan failed while timing"; return; }
  for ((i = 0; i < runs; i++)); do
    t=$(now)
    /usr/bin/time -f '%M %x' -o "$out/time.txt" "$LAMBDAS" plan --manifest "$manifest" --json \
      >/dev/null 2>"$out/$name.run.err"
    s=$(elapsed "$t" "$(now)")
    # GNU time puts "Command exited with non-zero status N" before its line.
    echo "$s $(tail -n 1 "$out/time.txt")" >>"$samples"
    if [[ "$(tail -n 1 "$out/time.txt")" != *" 0" ]]; then
      fail "$name: timed run $((i + 1)) of lambdas plan failed: $(head -c 500 "$out/$name.run.err")"
    fi
  done
  local line
  line=$(python3 - "$samples" "$name" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
wall = [float(r[0]) for r in rows]
rss = [int(r[1]) for r in rows]
bad = [r for r in rows if r[2] != "0"]
print(f"{sys.argv[2]:<22} median {statistics.median(wall):6.2f}s  min {min(wall):6.2f}s  max {max(wall):6.2f}s"
      f"  peak RSS {max(rss) / 1024:6.1f} MiB  ({len(rows)} runs{', %d failed' % len(bad) if bad else ''})")
EOF
  )
  echo "   $line"
  results+=("$line")
  if ((have_hyperfine)); then
    if hyperfine -N --warmup 1 --runs "$runs" --export-json "$out/$name.hyperfine.json" \
      "$LAMBDAS plan --manifest $manifest --json" >/dev/null 2>&1; then
      line=$(python3 - "$out/$name.hyperfine.json" "$name" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"{sys.argv[2]:<22} median {r['median']:6.2f}s  mean {r['mean']:6.2f}s ± {r['stddev']:.2f}s"
      f"  (hyperfine, {len(r['times'])} runs)")
EOF
      )
      echo "   $line"
      results+=("$line")
    else
      echo "   (hyperfine failed; figures above are from /usr/bin/time)"
    fi
  fi
}

commit() { # commit MESSAGE FILE...
  local msg="$1"
  shift
  git add -- "$@" && git commit -q -m "$msg" -- "$@" || cannot "git commit failed"
}

# --- 3. no state: everything new -----------------------------------------------
echo "== plan with no state"
plan_check no-state all-new
measure no-state

# --- 4. released at HEAD: nothing changed --------------------------------------
echo "== ${seed_cmd[*]}, then plan"
"$LAMBDAS" "${seed_cmd[@]}" --manifest "$manifest" >"$out/seed.log" 2>&1 ||
  cannot "lambdas ${seed_cmd[*]} failed: $(cat "$out/seed.log")"
plan_check unchanged all-unchanged
measure unchanged

# The baseline in the same run: git status over the same tree.
if ((have_hyperfine)); then
  if hyperfine -N --warmup 1 --runs "$runs" --export-json "$out/git-status.hyperfine.json" \
    "git status --porcelain" >/dev/null 2>&1; then
    line=$(python3 - "$out/git-status.hyperfine.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"{'git status (baseline)':<22} median {r['median']:6.2f}s  mean {r['mean']:6.2f}s ± {r['stddev']:.2f}s"
      f"  (hyperfine, {len(r['times'])} runs)")
EOF
    )
    echo "   $line"
    results+=("$line")
  fi
fi

# Delivery, not only detection: package every function once, and check that
# the shared libraries are really in the zips (through the links and the
# bundles).
echo "== lambdas package (every function)"
t=$(now)
if "$LAMBDAS" package --manifest "$manifest" --out "$workdir/dist" --json >"$out/package.json" 2>"$out/package.err"; then
  pkg_seconds=$(elapsed "$t" "$(now)")
  if msg=$(python3 - "$out/package.json" "$manifest" "$workdir/dist" <<'EOF'
import json, re, sys, zipfile
res = json.load(open(sys.argv[1]))["functions"]
blocks = re.split(r'\nfunction "', open(sys.argv[2]).read())[1:]
bundled = {}
for b in blocks:
    m = re.search(r'bundle \{\s+from = "[^"]+"\s+to\s+= "([^"]+)"', b)
    if m:
        bundled[b.split('"', 1)[0]] = m.group(1)
files = 0
for f in res:
    names = zipfile.ZipFile(f"{sys.argv[3]}/{f['name']}/app.zip").namelist()
    files += len(names)
    if not any(n.startswith("shared/") for n in names):
        sys.exit(f"{f['name']}: no shared/ (its linked library) in the zip")
    if f["name"] in bundled and not any(n.startswith(bundled[f["name"]] + "/") for n in names):
        sys.exit(f"{f['name']}: no {bundled[f['name']]}/ (its bundled library) in the zip")
print(f"{len(res)} zips, {files} entries, {len(bundled)} with a bundle")
EOF
  ); then
    pass "package: $msg"
    line="$(printf '%-22s %6.2fs once' 'package (all)' "$pkg_seconds")  ($msg)"
    echo "   $line"
    results+=("$line")
  else
    fail "package: $msg"
  fi
else
  fail "package: lambdas package failed: $(head -c 2000 "$out/package.err")"
fi

# --- 5. a docs-only commit changes nothing -------------------------------------
echo "== a commit to docs/ only"
doc=$(git ls-files docs | head -n 1)
echo "Benchmark edit." >>"$doc"
commit "docs: benchmark edit" "$doc"
plan_check docs-commit all-unchanged

# --- 6. one shared-library commit: exactly its dependents ----------------------
echo "== a commit to $lib"
mapfile -t dependents < <(python3 -c '
import json, sys
deps = json.load(open(sys.argv[1]))
if sys.argv[2] not in deps:
    sys.exit(f"{sys.argv[2]} is not a library of this repository: {sorted(deps)}")
print("\n".join(deps[sys.argv[2]]))
' "$deps_json" "$lib") || cannot "no dependents for $lib"
src=$(git ls-files -- "$lib" | grep -E '\.(py|mjs)$' | head -n 1)
[[ -n "$src" ]] || cannot "no source file under $lib"
if [[ "$src" == *.py ]]; then printf '\n# benchmark edit\n' >>"$src"; else printf '\n// benchmark edit\n' >>"$src"; fi
commit "$(basename "$lib"): benchmark edit" "$src"
echo "   $src changed; ${#dependents[@]} functions package $lib (a symlink or a bundle)"
plan_check lib-commit exactly "${dependents[@]}"
measure lib-commit

# --- 7. and one function's own source ------------------------------------------
fn=$(python3 -c '
import json, sys
deps = json.load(open(sys.argv[1]))
every = {f for v in deps.values() for f in v}
print(sorted(every - set(deps[sys.argv[2]]))[0])
' "$deps_json" "$lib") || cannot "no function outside the dependents of $lib"
fsrc=$(git ls-files -- "functions/$fn" | grep -E '^functions/[^/]+/(app\.py|index\.mjs)$' | head -n 1)
[[ -n "$fsrc" ]] || cannot "no handler file in functions/$fn"
echo "== a commit to $fsrc"
if [[ "$fsrc" == *.py ]]; then printf '\n# benchmark edit\n' >>"$fsrc"; else printf '\n// benchmark edit\n' >>"$fsrc"; fi
commit "$fn: benchmark edit" "$fsrc"
plan_check fn-commit exactly "${dependents[@]}" "$fn"

# --- summary -------------------------------------------------------------------
git_kib=$(du -sk .git | cut -f1)
echo
echo "== summary"
echo "repository: $functions functions, $(git ls-files | wc -l) files, $(git rev-list --count HEAD) commits," \
  ".git $((git_kib / 1024)) MiB; generated in ${gen_seconds}s"
echo "machine:    $(nproc) cores, $(go version | cut -d' ' -f3), $(uname -sr)"
echo "lambdas plan --json, $runs runs each:"
for line in "${results[@]}"; do echo "  $line"; done
echo
if ((failures)); then
  echo "FAIL: $failures check(s) failed (plans kept in $out$( ((keep)) || echo ', removed on exit; rerun with --keep'))"
  exit 1
fi
echo "PASS: every check passed"
