#!/usr/bin/env bash
# Rollout benchmark: N functions in one rollout group on a canary (10%, 50%,
# 100%), each gated by its own CloudWatch alarm, against the AWS emulator
# (moto) behind the fault proxy with Lambda's quotas (control plane 15/s,
# GetFunction 100/s) and latency.
#
#   bench/shift/run.sh [FUNCTIONS=100] [LATENCY=50ms]
#
# Measures, each through a fresh proxy:
#   start:    lambdas apply --rollout=start (UpdateFunctionCode and the first
#             UpdateAlias of every function: 2 control-plane calls each)
#   step:     lambdas promote, the 50% step (one UpdateAlias each)
#   last:     lambdas promote, the last step (one UpdateAlias each)
# and prints the wall time, the control-plane requests, and the wall time
# divided by the floor the 15/s quota sets (control-plane requests ÷ 15).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/emulator.sh

n=${1:-100}
latency=${2:-50ms}
control_rps=15
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
    fns.append('function "fn-%03d" {\n  source = "functions/fn-%03d"\n  deploy { alarms = ["fn-%03d-errors"] }\n}\n' % (i, i, i))
with open(os.path.join(root, "lambdas.hcl"), "w") as f:
    f.write('''variable "state" {}
project {
  name      = "bench-shift"
  region    = "us-east-1"
  artifacts = "s3://bench-artifacts/releases"
  state     = var.state
}
defaults {
  runtime       = "nodejs22.x"
  handler       = "index.handler"
  rollout_group = "all"
  deploy {
    strategy = "canary"
    steps    = [10, 50, 100]
    interval = "1s"
  }
  create { role = env("BENCH_ROLE_ARN") }
}
''' + "\n".join(fns))
PY
export BENCH_ROLE_ARN=$(python3 - "$n" <<'PY'
import boto3, json, sys
iam = boto3.client("iam")
arn = iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))["Role"]["Arn"]
boto3.client("s3").create_bucket(Bucket="bench-artifacts")
cw = boto3.client("cloudwatch")
for i in range(int(sys.argv[1])):
    cw.put_metric_alarm(AlarmName="fn-%03d-errors" % i, Namespace="AWS/Lambda", MetricName="Errors", Statistic="Sum",
                        Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold")
print(arn)
PY
)
export LAMBDAS_VAR_state="$work/state.json"
cd "$work/repo"
git init -q -b main && git add -A && git -c user.name=b -c user.email=b@b commit -qm init

echo "== setup: create the $n functions (a first release moves at once; not measured)"
"$work/lambdas" apply --auto-approve --progress lines >"$work/setup.log" || { tail -30 "$work/setup.log"; exit 1; }
grep '^Apply complete' "$work/setup.log"
for d in functions/*/; do echo 1 >"$d/release.txt"; done
git -c user.name=b -c user.email=b@b commit -qam "release 1"

measure() { # $1 = label, then the command
  local label=$1 start end code=0
  shift
  "$work/faultproxy" -target "$moto_url" -latency "$latency" -aws-quotas >"$work/proxy.url" 2>"$work/proxy-$label.json" &
  proxy_pid=$!
  for _ in $(seq 1 50); do [ -s "$work/proxy.url" ] && break; sleep 0.1; done
  start=$(date +%s.%N)
  AWS_ENDPOINT_URL=$(head -1 "$work/proxy.url") "$@" >"$work/$label.log" 2>&1 || code=$?
  end=$(date +%s.%N)
  kill -TERM "$proxy_pid"; wait "$proxy_pid" || true
  proxy_pid=
  python3 - "$label" "$start" "$end" "$control_rps" "$work/proxy-$label.json" "$code" <<'PY'
import json, sys
label, start, end, rps, counts, code = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5], int(sys.argv[6])
c = json.loads(open(counts).read().strip().splitlines()[-1])
cp = c["buckets"]["control-plane"]
wall = end - start
floor = cp["forwarded"] / rps
ops = {k: v for k, v in sorted(c["by_operation"].items())}
print(f"{label:>6}: wall {wall:5.1f} s | control-plane {cp['forwarded']} forwarded ({cp['throttled_429']} x 429, max {cp['max_in_1s']} in 1 s) | floor {floor:5.1f} s | wall/floor {wall / floor:4.2f} | exit {code}")
print(f"        all requests {c['total_requests']}; Lambda by operation: {ops}")
PY
}
echo "== $n functions in one rollout group, proxy: latency $latency, control plane $control_rps/s, GetFunction 100/s"
measure start "$work/lambdas" apply --auto-approve --rollout=start --progress lines
grep -E '^Apply complete|^Lambda calls' "$work/start.log"
sleep 1
measure step "$work/lambdas" promote --progress lines
grep -E '^Promote' "$work/step.log"
sleep 1
measure last "$work/lambdas" promote --progress lines
grep -E '^Promote' "$work/last.log"
