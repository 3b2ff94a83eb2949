#!/usr/bin/env bash
# The demo: from a fresh clone to a working release of examples/ against a
# local AWS emulator, then a second apply that does nothing, then the
# webhook's canary step by step: a good release (blocking apply), a bad one
# caught by its alarm (apply --rollout=start, promote), one stopped by its
# smoke test, and its logs.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/emulator.sh

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Build lambdas (and the emulator's fault proxy, which runs invoked handlers locally)"
mkdir -p bin
go build -o bin/lambdas ./cmd/lambdas
go build -o bin/faultproxy ./internal/testenv/cmd/faultproxy
bin/lambdas version

step "Install esbuild for the TypeScript example (npm ci, from its lockfile)"
install_examples_node_modules

step "lambdas package: every function's zip, built and packed as apply will (no AWS needed)"
bin/lambdas package --out "$(mktemp -d)/dist" --json > "${TMPDIR:-/tmp}/lambdas-demo-package.json"
bin/lambdas package

step "Start the AWS emulator"
start_emulator
scratch=$(mktemp -d)
# moto runs invoked code in Docker, which these machines lack: the fault
# proxy in front of it answers Invoke by running the handler from the
# version's zip with the local node or python3 (smoke tests are real).
bin/faultproxy -target "$AWS_ENDPOINT_URL" -local-invoke >"$scratch/proxy.url" 2>"$scratch/proxy.log" &
PROXY_PID=$!
cleanup() {
  kill "$PROXY_PID" 2>/dev/null || true
  wait "$PROXY_PID" 2>/dev/null || true
  stop_emulator
}
trap cleanup EXIT
for _ in $(seq 1 100); do [ -s "$scratch/proxy.url" ] && break; sleep 0.1; done
export AWS_ENDPOINT_URL="$(head -1 "$scratch/proxy.url")"
echo "Lambda, S3, CloudWatch and CloudWatch Logs through $AWS_ENDPOINT_URL"
# webhook's canary waits 2 s per step here (5m in lambdas.hcl).
export LAMBDAS_VAR_canary_interval=2s
# The release state of the demo lives in a scratch folder, not in the clone.
export LAMBDAS_VAR_state="$scratch/state.json"

step "Create what Terraform would own: the execution role, the artifacts bucket, webhook's alarm"
LAMBDAS_DEMO_ROLE_ARN=$(python3 - <<'PY'
import boto3, json
boto3.client("cloudwatch").put_metric_alarm(
    AlarmName="demo-webhook-errors", Namespace="AWS/Lambda", MetricName="Errors",
    Dimensions=[{"Name": "FunctionName", "Value": "demo-webhook"}, {"Name": "Resource", "Value": "demo-webhook:live"}],
    Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold")
iam = boto3.client("iam")
role = iam.create_role(RoleName="lambdas-demo", AssumeRolePolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
boto3.client("s3").create_bucket(Bucket="lambdas-demo-artifacts")
print(role["Role"]["Arn"])
PY
)
export LAMBDAS_DEMO_ROLE_ARN
echo "role $LAMBDAS_DEMO_ROLE_ARN, bucket s3://lambdas-demo-artifacts, alarm demo-webhook-errors"

step "lambdas validate"
bin/lambdas validate

step "lambdas plan"
bin/lambdas plan

step "lambdas apply --auto-approve"
bin/lambdas apply --auto-approve

step "lambdas status"
bin/lambdas status

step "Check: every alias runs a published version whose CodeSha256 is the zip lambdas package made"
bin/lambdas status --json | python3 -c '
import json, sys
packaged = {f["name"]: f["code_sha256"] for f in json.load(open(sys.argv[1]))["functions"]}
fns = json.load(sys.stdin)["functions"]
bad = [f["name"] for f in fns if f.get("drift") or not f.get("alias_version") or f["live_code_sha256"] != packaged.get(f["name"])]
for f in fns:
    print("  %-16s %s -> version %s  CodeSha256 %s" % (f["name"], f["alias"], f["alias_version"], f["live_code_sha256"]))
sys.exit("not the packaged code: " + ", ".join(bad) if bad else 0)
' "${TMPDIR:-/tmp}/lambdas-demo-package.json"

step "Check: orders-api and thumbnails run with the dependency layer built from their descriptor"
# The released zip (without its dependencies) is unpacked as Lambda's
# /var/task, the layer the alias's version has as /opt, and the handler is
# called with nothing else on the path: python-dateutil and ms come from
# the layer or not at all.
python3 - .lambdas/dist <<'PY'
import boto3, io, json, os, subprocess, sys, tempfile, zipfile
lam, s3 = boto3.client("lambda"), boto3.client("s3")
dist = sys.argv[1]
for label in ("orders-api", "thumbnails"):
    cfg = lam.get_function(FunctionName="demo-" + label, Qualifier="live")["Configuration"]
    layers = [l["Arn"] for l in cfg.get("Layers", [])]
    if len(layers) != 1:
        sys.exit("%s:live has layers %s, want one" % (label, layers))
    name, number = layers[0].split(":")[-2:]
    fp = lam.get_layer_version(LayerName=name, VersionNumber=int(number))["Description"].split()[2]
    key = "releases/deps/%s/layer.zip" % fp
    root = tempfile.mkdtemp()
    zipfile.ZipFile(io.BytesIO(s3.get_object(Bucket="lambdas-demo-artifacts", Key=key)["Body"].read())).extractall(root + "/opt")
    zipfile.ZipFile(os.path.join(dist, label, "app.zip")).extractall(root + "/var/task")
    if label == "orders-api":
        order = {"order_id": "o-1", "currency": "EUR", "created_at": "2026-01-31T09:30:00Z",
                 "items": [{"sku": "BOOK-1", "unit_price": "19.99", "quantity": 2}]}
        code = ("import sys; sys.path[:0] = [%r, %r]; import json, app, dateutil; "
                "r = app.handler({'body': json.dumps(%r)}, None); print(r['statusCode'], json.loads(r['body'])['pay_by'], 'dateutil from', dateutil.__file__)"
                % (root + "/var/task", root + "/opt/python", order))
        cmd = [sys.executable, "-I", "-S", "-c", code]
    else:
        # Node resolves bare imports from node_modules folders above the
        # module; Lambda's runtime adds /opt/nodejs/node_modules. Linked
        # above /var/task here, it is found the same way.
        os.symlink(root + "/opt/nodejs/node_modules", root + "/node_modules")
        code = ("const m = await import(%r); const r = await m.handler({Records: [{eventSource: 'aws:s3', s3: {bucket: {name: 'up'}, object: {key: 'a.png'}}}]});"
                "console.log(r.jobs.length, 'jobs,', r.jobs[0].cacheControl ?? JSON.stringify(r.jobs[0]))" % (root + "/var/task/index.mjs"))
        cmd = ["node", "--input-type=module", "-e", code]
    out = subprocess.run(cmd, capture_output=True, text=True, env={"PATH": os.environ["PATH"], "THUMB_SIZES": "128,512", "THUMB_MAX_AGE": "30d"})
    if out.returncode != 0:
        sys.exit("%s does not run with its layer:\n%s%s" % (label, out.stdout, out.stderr))
    print("  %-11s layer %s (s3://lambdas-demo-artifacts/%s): %s" % (label, layers[0].split(":layer:")[1], key, "; ".join(out.stdout.strip().splitlines())))
PY

step "lambdas apply again: nothing changed, so nothing is built, uploaded or published"
bin/lambdas apply --auto-approve

bash scripts/demo_rollout.sh "$scratch"

rm -rf "$scratch"
step "Demo complete"
