#!/usr/bin/env bash
# Apply benchmark: N changed functions released against the AWS emulator
# (moto) behind the fault proxy, which adds latency and enforces Lambda's API
# quotas as AWS counts them: one control-plane bucket of 15 requests/s shared
# by every Lambda call but GetFunction (reads too), and GetFunction's own
# 100/s.
#
#   bench/apply/run.sh [FUNCTIONS=100] [LATENCY=50ms]
#
# Runs, through the same proxy settings in the same session:
#   - this tree's lambdas, --parallelism 10 (the default), refresh on (the default);
#   - the previous release path: lambdas built from OLD_COMMIT (default
#     c6effc8) into a temporary folder.
# Prints for each: wall time, requests per bucket (429s), control-plane calls
# per function, failures, and the wall time divided by the floor the quota
# sets (control-plane calls that reached the emulator ÷ 15/s).
#
# FAULTPROXY=/path/to/faultproxy uses that binary instead of building
# ./internal/testenv/cmd/faultproxy (it must know -control-plane-rps).
# RUNS=k releases k times with this tree's lambdas (default 2: before and
# after the old one); OLD=0 skips the old one.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/emulator.sh

n=${1:-100}
latency=${2:-50ms}
old_commit=${OLD_COMMIT:-c6effc8}
control_rps=15
getfn_rps=100
work=$(mktemp -d)
trap 'stop_emulator; kill ${proxy_pid:-} 2>/dev/null || true; rm -rf "$work"' EXIT

echo "== build: this tree, and $old_commit (the previous release path)"
go build -o "$work/lambdas" ./cmd/lambdas
mkdir -p "$work/old-src"
if [ "${OLD:-1}" != 0 ]; then
  git archive "$old_commit" | tar -x -C "$work/old-src"
  (cd "$work/old-src" && go build -o "$work/lambdas-old" ./cmd/lambdas)
fi
if [ -n "${FAULTPROXY:-}" ]; then
  cp "$FAULTPROXY" "$work/faultproxy"
else
  go build -o "$work/faultproxy" ./internal/testenv/cmd/faultproxy
fi
start_emulator
moto_url=$AWS_ENDPOINT_URL

python3 - "$work/repo" "$n" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
os.makedirs(root)
fns = []
for i in range(n):
    d = os.path.join(root, "functions", "fn-%03d" % i)
    os.makedirs(d)
    with open(os.path.join(d, "index.js"), "w") as f:
        f.write("exports.handler = async () => ({ fn: %d });\n" % i)
    with open(os.path.join(d, "release.txt"), "w") as f:
        f.write("0\n")
    fns.append('function "fn-%03d" {\n  source = "functions/fn-%03d"\n}\n' % (i, i))
with open(os.path.join(root, "lambdas.hcl"), "w") as f:
    f.write('''variable "state" {}
project {
  name      = "bench-apply"
  region    = "us-east-1"
  artifacts = "s3://bench-artifacts/releases"
  state     = var.state
}
defaults {
  runtime = "nodejs22.x"
  handler = "index.handler"
  create { role = env("BENCH_ROLE_ARN") }
}
''' + "\n".join(fns))
PY
export BENCH_ROLE_ARN=$(python3 - <<'PY'
import boto3, json
iam = boto3.client("iam")
arn = iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))["Role"]["Arn"]
boto3.client("s3").create_bucket(Bucket="bench-artifacts")
print(arn)
PY
)
cd "$work/repo"
git init -q -b main && git add -A && git -c user.name=b -c user.email=b@b commit -qm init

echo "== setup: create the $n functions directly against moto (not measured)"
LAMBDAS_VAR_state="$work/state-new.json" "$work/lambdas" apply --auto-approve --progress lines >"$work/setup.log" || { tail -30 "$work/setup.log"; exit 1; }
grep '^Apply complete' "$work/setup.log"
cp "$work/state-new.json" "$work/state-old.json" # each binary keeps its own state from here

run() { # $1 = label, $2 = binary, $3 = state file, $4 = release number, then apply flags
  local label=$1 bin=$2 state=$3 rel=$4
  shift 4
  for d in functions/*/; do echo "$rel" >"$d/release.txt"; done
  git -c user.name=b -c user.email=b@b commit -qam "release $rel"
  "$work/faultproxy" -target "$moto_url" -latency "$latency" -control-plane-rps "$control_rps" -get-function-rps "$getfn_rps" >"$work/proxy.url" 2>"$work/proxy-$label.json" &
  proxy_pid=$!
  for _ in $(seq 1 50); do [ -s "$work/proxy.url" ] && break; sleep 0.1; done
  local start end code=0
  start=$(date +%s.%N)
  AWS_ENDPOINT_URL=$(head -1 "$work/proxy.url") LAMBDAS_VAR_state="$state" "$bin" apply --auto-approve --progress lines "$@" >"$work/apply-$label.log" 2>&1 || code=$?
  end=$(date +%s.%N)
  kill -TERM "$proxy_pid"; wait "$proxy_pid" || true
  proxy_pid=
  python3 - "$label" "$start" "$end" "$control_rps" "$work/proxy-$label.json" "$work/apply-$label.log" "$code" "$n" <<'PY'
import json, re, sys
label, start, end, rps, counts_file, log, code, n = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5], sys.argv[6], int(sys.argv[7]), int(sys.argv[8])
c = json.loads(open(counts_file).read().strip().splitlines()[-1])
cp, gf = c["buckets"]["control-plane"], c["buckets"]["get-function"]
wall = end - start
floor = cp["forwarded"] / rps
text = open(log).read()
summary = [l for l in text.splitlines() if l.startswith("Apply complete") or l.startswith("Apply interrupted")]
m = re.search(r"(\d+) released, (\d+) unchanged, (\d+) failed", summary[-1]) if summary else None
released, failed = (int(m.group(1)), int(m.group(3))) if m else (0, n)
ops = {k: v for k, v in sorted(c["by_operation"].items())}
print(f"{label:>9}: wall {wall:6.1f} s | control-plane {cp['requests']} requests ({cp['forwarded']} forwarded, {cp['throttled_429']} × 429, max {cp['max_in_1s']} in 1 s)"
      f" = {cp['forwarded'] / max(released, 1):.2f} per released function | get-function {gf['requests']} ({gf['throttled_429']} × 429)"
      f" | floor {floor:5.1f} s | wall/floor {wall / floor:4.2f} | released {released}, failed {failed}, exit {code}")
print(f"           by operation: {ops}")
for l in text.splitlines():
    if l.startswith("Lambda calls per quota bucket"):
        print("           lambdas says: " + l)
PY
}
echo "== $n changed functions, proxy: latency $latency, control-plane $control_rps req/s, GetFunction $getfn_rps req/s"
runs=${RUNS:-2}
rel=1
run new "$work/lambdas" "$work/state-new.json" $rel
if [ "${OLD:-1}" != 0 ]; then
  rel=$((rel + 1))
  run old "$work/lambdas-old" "$work/state-old.json" $rel
fi
for _ in $(seq 2 "$runs"); do
  rel=$((rel + 1))
  run new "$work/lambdas" "$work/state-new.json" $rel
done
