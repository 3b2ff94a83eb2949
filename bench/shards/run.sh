#!/usr/bin/env bash
# Shard benchmark: a monorepo of N functions (default 40) with its state in
# S3, released against the AWS emulator (moto) behind the fault proxy, which
# adds latency and enforces Lambda's API quotas per account as AWS does (one
# control-plane bucket of 15 requests/s for every Lambda call but
# GetFunction; GetFunction's own 100/s).
#
#   bench/shards/run.sh [FUNCTIONS=40] [SHARDS=4] [LATENCY=50ms]
#
# Each scenario starts from an emptied emulator (every function is created)
# and the same commit:
#   concurrent  the SHARDS shard applies (lambdas apply --shard i/N) at once,
#               as the jobs of a CI matrix;
#   sequential  the same SHARDS shard applies one after another (each paced
#               at 1/SHARDS of the quotas, as --shard does);
#   seq, full rate  the matrix's groups one after another with --target
#               (paced at the full quotas: the fair sequential baseline);
#   one apply   a single apply of all N functions (no shards).
# Printed for each: wall time, control-plane requests (429s, most in one
# second), and checks: every function released, the state holding all N
# records, no lock object left.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/emulator.sh

n=${1:-40}
shards=${2:-4}
latency=${3:-50ms}
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
    fns.append('function "fn-%03d" {\n  source = "functions/fn-%03d"\n}\n' % (i, i))
with open(os.path.join(root, "lambdas.hcl"), "w") as f:
    f.write('''project {
  name      = "bench-shards"
  region    = "us-east-1"
  artifacts = "s3://bench-artifacts/releases"
  state     = "s3://bench-state/shop/state.json"
}
defaults {
  runtime = "nodejs22.x"
  handler = "index.handler"
  create { role = env("BENCH_ROLE_ARN") }
}
''' + "\n".join(fns))
PY
cd "$work/repo"
git init -q -b main && git add -A && git -c user.name=b -c user.email=b@b commit -qm init

reset_emulator() { # empty moto, then the role and the buckets again
  python3 - "$moto_url" <<'PY'
import boto3, json, sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/moto-api/reset", method="POST")).read()
iam = boto3.client("iam", endpoint_url=sys.argv[1])
print(iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))["Role"]["Arn"])
s3 = boto3.client("s3", endpoint_url=sys.argv[1])
s3.create_bucket(Bucket="bench-artifacts")
s3.create_bucket(Bucket="bench-state")
PY
}

check() { # every alias live, the state holding every record, no lock left
  python3 - "$moto_url" "$n" <<'PY'
import boto3, json, sys
url, n = sys.argv[1], int(sys.argv[2])
lam = boto3.client("lambda", endpoint_url=url)
s3 = boto3.client("s3", endpoint_url=url)
doc = json.loads(s3.get_object(Bucket="bench-state", Key="shop/state.json")["Body"].read())
recs = [f for f in doc["functions"].values() if f.get("version") and not f.get("in_flight")]
live = sum(1 for i in range(n) if lam.get_alias(FunctionName="fn-%03d" % i, Name="live")["FunctionVersion"] not in ("", "$LATEST"))
locks = s3.list_objects_v2(Bucket="bench-state", Prefix="shop/state.json.locks/").get("KeyCount", 0)
ok = len(recs) == n and live == n and locks == 0
print(f"           check: {live}/{n} aliases live, {len(recs)}/{n} records in the state (serial {doc['serial']}), {locks} lock objects left: {'PASS' if ok else 'FAIL'}")
PY
}

scenario() { # $1 = label; the rest: the commands, each a string, "&" between concurrent ones
  local label=$1
  shift
  export BENCH_ROLE_ARN
  BENCH_ROLE_ARN=$(reset_emulator)
  "$work/faultproxy" -target "$moto_url" -latency "$latency" -aws-quotas >"$work/proxy.url" 2>"$work/proxy-$label.json" &
  proxy_pid=$!
  for _ in $(seq 1 50); do [ -s "$work/proxy.url" ] && break; sleep 0.1; done
  export AWS_ENDPOINT_URL
  AWS_ENDPOINT_URL=$(head -1 "$work/proxy.url")
  local start end
  start=$(date +%s.%N)
  "$@"
  end=$(date +%s.%N)
  kill -TERM "$proxy_pid"; wait "$proxy_pid" || true
  proxy_pid=
  AWS_ENDPOINT_URL=$moto_url
  python3 - "$label" "$start" "$end" "$work/proxy-$label.json" <<'PY'
import json, sys
label, start, end, counts = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
c = json.loads(open(counts).read().strip().splitlines()[-1])
cp = c["buckets"]["control-plane"]
print(f"{label:>11}: wall {end - start:5.1f} s | control-plane {cp['requests']} requests, {cp['throttled_429']} x 429, max {cp['max_in_1s']} in 1 s | floor {cp['forwarded'] / 15:4.1f} s")
PY
  check
}

apply_shard() { "$work/lambdas" apply --auto-approve --progress lines --shard "$1" >"$work/apply-$2.log" 2>&1 || { echo "shard $1 failed:"; tail -20 "$work/apply-$2.log"; return 1; }; }
concurrent() {
  local pids=() i
  for i in $(seq 1 "$shards"); do apply_shard "$i/$shards" "c$i" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p"; done
}
sequential() { local i; for i in $(seq 1 "$shards"); do apply_shard "$i/$shards" "s$i"; done; }
# The matrix's groups one after another at the full quota (--target, not
# --shard, so not paced at 1/N): the fair sequential baseline.
targets() {
  local i args
  for i in $(seq 0 $((shards - 1))); do
    args=$(python3 -c 'import json,sys; print(" ".join("--target " + t for t in json.load(open(sys.argv[1]))["include"][int(sys.argv[2])]["targets"]))' "$work/matrix.json" "$i")
    # shellcheck disable=SC2086
    "$work/lambdas" apply --auto-approve --progress lines $args >"$work/apply-t$i.log" 2>&1 || { tail -20 "$work/apply-t$i.log"; return 1; }
  done
}
one() { "$work/lambdas" apply --auto-approve --progress lines >"$work/apply-one.log" 2>&1 || { tail -20 "$work/apply-one.log"; return 1; }; }

echo "== $n functions, $shards shards, S3 state; proxy: latency $latency, AWS quotas (control plane 15/s, GetFunction 100/s)"
BENCH_ROLE_ARN=arn:aws:iam::123456789012:role/bench "$work/lambdas" plan --format github-matrix --shards "$shards" >"$work/matrix.json"
python3 - "$work/matrix.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
print("     matrix: " + ", ".join("%s: %d functions" % (e["shard"], len(e["targets"])) for e in m["include"]))
PY
scenario concurrent concurrent
scenario sequential sequential
scenario "seq, full rate" targets
scenario "one apply" one
