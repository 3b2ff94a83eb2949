#!/usr/bin/env bash
# The demo: from a fresh clone to a working release of examples/ against a
# local AWS emulator, then a second apply that does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/emulator.sh

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Build lambdas"
mkdir -p bin
go build -o bin/lambdas ./cmd/lambdas
bin/lambdas version

step "Install esbuild for the TypeScript example (npm ci, from its lockfile)"
install_examples_node_modules

step "lambdas package: every function's zip, built and packed as apply will (no AWS needed)"
bin/lambdas package --out "$(mktemp -d)/dist" --json > "${TMPDIR:-/tmp}/lambdas-demo-package.json"
bin/lambdas package

step "Start the AWS emulator"
start_emulator
scratch=$(mktemp -d)
# The release state of the demo lives in a scratch folder, not in the clone.
export LAMBDAS_VAR_state="$scratch/state.json"

step "Create what Terraform would own: the execution role and the artifacts bucket"
LAMBDAS_DEMO_ROLE_ARN=$(python3 - <<'PY'
import boto3, json
iam = boto3.client("iam")
role = iam.create_role(RoleName="lambdas-demo", AssumeRolePolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
boto3.client("s3").create_bucket(Bucket="lambdas-demo-artifacts")
print(role["Role"]["Arn"])
PY
)
export LAMBDAS_DEMO_ROLE_ARN
echo "role $LAMBDAS_DEMO_ROLE_ARN, bucket s3://lambdas-demo-artifacts"

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

step "lambdas apply again: nothing changed, so nothing is done"
bin/lambdas apply --auto-approve

rm -rf "$scratch"
step "Demo complete"
