#!/usr/bin/env bash
# Apply benchmark: N changed functions released against the AWS emulator
# (moto) behind the fault proxy, which adds latency and enforces a ceiling on
# mutating Lambda requests per second, as the real control plane does.
#
#   bench/apply/run.sh [FUNCTIONS=100] [LATENCY=50ms] [CEILING=15]
#
# Prints, for --parallelism 10 and --parallelism 1: wall time, mutating calls,
# 429s seen, the most mutating calls in any second, and wall time divided by
# the floor the ceiling allows (mutating calls ÷ ceiling).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/emulator.sh

n=${1:-100}
latency=${2:-50ms}
ceiling=${3:-15}
work=$(mktemp -d)
trap 'stop_emulator; kill ${proxy_pid:-} 2>/dev/null || true; rm -rf "$work"' EXIT

go build -o "$work/lambdas" ./cmd/lambdas
go build -o "$work/faultproxy" ./internal/testenv/cmd/faultproxy
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
export LAMBDAS_VAR_state="$work/state.json"
cd "$work/repo"
git init -q -b main && git add -A && git -c user.name=b -c user.email=b@b commit -qm init

echo "== setup: create the $n functions directly against moto (not measured)"
"$work/lambdas" apply --auto-approve --progress lines >"$work/setup.log" || { tail -30 "$work/setup.log"; exit 1; }
tail -1 "$work/setup.log"

run() { # $1 = parallelism, $2 = release number
  for d in functions/*/; do echo "$2" >"$d/release.txt"; done
  git -c user.name=b -c user.email=b@b commit -qam "release $2"
  "$work/faultproxy" -target "$moto_url" -latency "$latency" -mutating-rps "$ceiling" >"$work/proxy.url" 2>"$work/proxy.json" &
  proxy_pid=$!
  for _ in $(seq 1 50); do [ -s "$work/proxy.url" ] && break; sleep 0.1; done
  local start end
  start=$(date +%s.%N)
  AWS_ENDPOINT_URL=$(head -1 "$work/proxy.url") "$work/lambdas" apply --auto-approve --progress lines --parallelism "$1" >"$work/apply-$1.log" || { tail -30 "$work/apply-$1.log"; exit 1; }
  end=$(date +%s.%N)
  kill -TERM "$proxy_pid"; wait "$proxy_pid" || true
  python3 - "$1" "$start" "$end" "$ceiling" "$work/proxy.json" "$work/apply-$1.log" <<'PY'
import json, sys
par, start, end, ceiling, counts_file, log = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5], sys.argv[6]
c = json.loads(open(counts_file).read().strip().splitlines()[-1])
wall = end - start
mut = c["mutating_requests"]
floor = c["mutating_forwarded"] / ceiling
summary = [l for l in open(log) if l.startswith("Apply complete")][-1].strip()
print(f"parallelism {par:>2}: wall {wall:6.1f} s | mutating calls {mut} ({c['mutating_forwarded']} forwarded) | 429s {c['throttled_429']} | max in 1 s {c['max_mutating_in_1s']} | floor {floor:5.1f} s | wall/floor {wall/floor:4.2f}")
print("    " + summary)
PY
}
echo "== $n changed functions, proxy: latency $latency, ceiling $ceiling mutating req/s"
run 10 1
run 1 2
