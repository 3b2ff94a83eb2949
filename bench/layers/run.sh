#!/usr/bin/env bash
# Layers benchmark: 50 Python functions sharing 5 distinct descriptors (10
# functions each, every function with its own copy of its requirements.txt)
# released against the AWS emulator (moto) behind the fault proxy with
# Lambda's quotas (control plane 15/s, GetFunction 100/s) and LATENCY.
#
#   bench/layers/run.sh [FUNCTIONS=50] [LATENCY=20ms]
#
# Measures, with /usr/bin/time (wall, peak RSS) and the apply's JSON events:
#   1. the first apply: every function created with its layer; the bar is
#      exactly 5 builds and 5 layer versions;
#   2. the apply after it, nothing changed: the bar is 0 builds, 0 uploads;
#   3. one descriptor changed: 1 build, 1 layer version, its 10 functions;
#   and, as a same-session baseline, the 5 pip installs alone.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/emulator.sh

n=${1:-50}
latency=${2:-20ms}
work=$(mktemp -d)
trap 'stop_emulator; kill ${proxy_pid:-} 2>/dev/null || true; rm -rf "$work"' EXIT

go build -o "$work/lambdas" ./cmd/lambdas
go build -o "$work/faultproxy" ./internal/testenv/cmd/faultproxy
start_emulator
moto_url=$AWS_ENDPOINT_URL

descriptors=("six==1.16.0" "idna==3.7" "python-dateutil==2.9.0.post0" "attrs==23.2.0" "certifi==2024.2.2")
python3 - "$work/repo" "$n" "${descriptors[@]}" <<'PY'
import os, sys
root, n, descs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
fns = []
for i in range(n):
    d = os.path.join(root, "functions", "fn-%02d" % i)
    os.makedirs(d)
    open(os.path.join(d, "app.py"), "w").write("def handler(e, c):\n    return %d\n" % i)
    open(os.path.join(d, "requirements.txt"), "w").write(descs[i % len(descs)] + "\n")
    fns.append('function "fn-%02d" {\n  source = "functions/fn-%02d"\n  exclude = ["requirements.txt"]\n  dependencies = "functions/fn-%02d/requirements.txt"\n}\n' % (i, i, i))
open(os.path.join(root, "lambdas.hcl"), "w").write('''variable "state" {}
project {
  name      = "bench-layers"
  region    = "us-east-1"
  artifacts = "s3://bench-artifacts/releases"
  state     = var.state
}
defaults {
  runtime = "python3.12"
  handler = "app.handler"
  builder = "local"
  create { role = env("BENCH_ROLE_ARN") }
}
''' + "\n".join(fns))
PY
export BENCH_ROLE_ARN=$(python3 - <<'PY'
import boto3, json
arn = boto3.client("iam").create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))["Role"]["Arn"]
boto3.client("s3").create_bucket(Bucket="bench-artifacts")
print(arn)
PY
)
cd "$work/repo"
git init -q -b main && git add -A && git -c user.name=b -c user.email=b@b commit -qm init
export LAMBDAS_VAR_state="$work/state.json"

run() { # $1 = label
  local label=$1
  "$work/faultproxy" -target "$moto_url" -latency "$latency" -aws-quotas >"$work/proxy.url" 2>"$work/proxy-$label.json" &
  proxy_pid=$!
  for _ in $(seq 1 300); do [ -s "$work/proxy.url" ] && break; sleep 0.1; done
  # Never without the proxy: an empty AWS_ENDPOINT_URL would mean AWS itself.
  if ! grep -q '^http://127\.0\.0\.1:' "$work/proxy.url"; then echo "the fault proxy did not start:" >&2; cat "$work/proxy.url" "$work/proxy-$label.json" >&2; exit 1; fi
  local code=0
  AWS_ENDPOINT_URL=$(head -1 "$work/proxy.url") /usr/bin/time -f '%e %M' -o "$work/time-$label" \
    "$work/lambdas" apply --auto-approve --json >"$work/apply-$label.jsonl" 2>"$work/apply-$label.err" || code=$?
  kill -TERM "$proxy_pid"; wait "$proxy_pid" || true
  proxy_pid=
  if [ "$code" != 0 ]; then echo "apply ($label) exited $code:" >&2; tail -20 "$work/apply-$label.err" >&2; tail -5 "$work/apply-$label.jsonl" >&2; exit 1; fi
  python3 - "$label" "$work/time-$label" "$work/proxy-$label.json" "$work/apply-$label.jsonl" <<'PY'
import json, sys
label, timef, proxyf, events = sys.argv[1:]
wall, rss = open(timef).read().split()
c = json.loads(open(proxyf).read().strip().splitlines()[-1])
ops = c["by_operation"]
done = {}
summary = {}
for line in open(events):
    e = json.loads(line)
    if e.get("event") == "summary":
        summary = e
        continue
    if e.get("event") in ("done", "note") and e.get("step") in ("build-dependencies", "publish-layer", "upload"):
        if e["step"] == "build-dependencies" and e["event"] != "note":
            continue
        done[e["step"]] = done.get(e["step"], 0) + 1
released = sum(1 for f in summary.get("functions", []) if f["status"] == "released")
print(f"{label:>16}: wall {float(wall):5.1f} s, peak RSS {int(rss)/1024:5.0f} MiB | released {released} | "
      f"layer builds {summary.get('layer_builds', 0)}, PublishLayerVersion {ops.get('PublishLayerVersion', 0)}, "
      f"code uploads {done.get('upload', 0)} | control-plane {c['buckets']['control-plane']['forwarded']} ({c['buckets']['control-plane']['throttled_429']} x 429), "
      f"get-function {c['buckets']['get-function']['forwarded']}")
PY
}

echo "== $n functions, ${#descriptors[@]} distinct descriptors, latency $latency, Lambda quotas"
run first
run "nothing changed"
sed -i 's/six==1.16.0/six==1.17.0/' functions/fn-00/requirements.txt functions/fn-05/requirements.txt functions/fn-1[05]/requirements.txt functions/fn-[234][05]/requirements.txt
git -c user.name=b -c user.email=b@b commit -qam "six 1.17"
run "one descriptor"

echo "== baseline: the ${#descriptors[@]} pip installs alone (same flags as the local builder)"
start=$(date +%s.%N)
for d in "${descriptors[@]}"; do
  PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check --no-compile --target "$work/pip-$RANDOM" \
    --platform manylinux2014_x86_64 --only-binary=:all: --python-version 3.12 --implementation cp "$d"
done
echo "$(python3 -c "import sys; print('%.1f' % ($(date +%s.%N) - $start))") s"
