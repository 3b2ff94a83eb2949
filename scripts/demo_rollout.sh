#!/usr/bin/env bash
# The demo's second half (run by demo.sh, with the emulator, the proxy and
# the first release in place): webhook's canary, step by step. New versions
# are committed in a scratch clone, never in this checkout; the release
# state is the demo's (LAMBDAS_VAR_state). Each step of the canary lasts
# LAMBDAS_VAR_canary_interval (2s here; lambdas.hcl says 5m).
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="$1"
lambdas="$PWD/bin/lambdas"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

repo="$scratch/repo"
git clone -q "$PWD" "$repo"
cd "$repo"
commit() { git -c user.name=demo -c user.email=demo@example.com commit -qam "$1"; }
hook=examples/functions/webhook/index.mjs

# expect FIELD VALUE: webhook's status --json has them, or the demo stops.
expect() {
  "$lambdas" status --json --target webhook | python3 -c '
import json, sys
f = json.load(sys.stdin)["functions"][0]
got = {"status": f["status"], "alias_version": f.get("alias_version"), "weights": f.get("routing_weights") or {}}
want = json.loads(sys.argv[1])
bad = {k: (got[k], v) for k, v in want.items() if got[k] != v}
print("  check:", ", ".join("%s=%s" % (k, got[k]) for k in want))
sys.exit("unexpected status: %s" % bad if bad else 0)
' "$1"
}

# traffic N: invoke webhook's alias N times, say which versions answered.
traffic() {
  python3 - "$1" <<'PY'
import boto3, collections, sys
lam = boto3.client("lambda")
seen = collections.Counter()
for _ in range(int(sys.argv[1])):
    seen[lam.invoke(FunctionName="demo-webhook", Qualifier="live", Payload=b"{}")["ExecutedVersion"]] += 1
print("  %s invocations of demo-webhook:live answered by: %s" % (sys.argv[1], ", ".join("version %s: %d" % kv for kv in sorted(seen.items()))))
PY
}

step "A new webhook version (it accepts refund.updated), committed in a scratch clone"
sed -i "s/'refund.created'\]/'refund.created', 'refund.updated']/" "$hook"
commit "webhook: accept refund.updated"
"$lambdas" plan --target webhook

step "lambdas apply: smoke test, then 10% → 50% → 100%, a step every 2 s, gated by alarm demo-webhook-errors"
"$lambdas" apply --auto-approve --target webhook --progress lines
expect '{"status": "in-sync", "weights": {}}'

step "A bad version (payment.succeeded throws): it passes the smoke test, which sends an unsigned webhook"
sed -i "s|^    if (!HANDLED.has(doc.type)) {|    if (doc.type === 'payment.succeeded') throw new Error('regression: cannot read the amount');\n    if (!HANDLED.has(doc.type)) {|" "$hook"
commit "webhook: a regression"

step "CI style: lambdas apply --rollout=start takes the first step and returns"
"$lambdas" apply --auto-approve --target webhook --rollout=start --progress lines
"$lambdas" status --target webhook
expect '{"status": "rolling-out", "weights": {"3": 0.1}}'

step "lambdas promote, at once: the next step is not due yet, nothing moves"
"$lambdas" promote

step "lambdas promote, 2 s later: the next step (50%)"
sleep 2
"$lambdas" promote
expect '{"status": "rolling-out", "weights": {"3": 0.5}}'
traffic 10

step "The errors alarm goes off (SetAlarmState ALARM, as CloudWatch would on the new version's errors)"
python3 -c 'import boto3; boto3.client("cloudwatch").set_alarm_state(AlarmName="demo-webhook-errors", StateValue="ALARM", StateReason="Errors >= 1 on demo-webhook:live")'

step "lambdas promote (e.g. every minute from CI's scheduler): the alarm rolls the canary back; exit 1"
if "$lambdas" promote; then
  echo "promote should have rolled the canary back" >&2
  exit 1
fi
"$lambdas" status --target webhook
expect '{"status": "in-sync", "weights": {}}'
traffic 10

step "lambdas logs: what the bad version logged (the smoke test and the canary's traffic), by its START … Version lines"
bad=$("$lambdas" state show | python3 -c 'import json,sys; print(json.load(sys.stdin)["functions"]["webhook"]["rollout"]["new_version"])')
"$lambdas" logs webhook --version "$bad" --since 10m | head -n 8

python3 -c 'import boto3; boto3.client("cloudwatch").set_alarm_state(AlarmName="demo-webhook-errors", StateValue="OK", StateReason="recovered")'

step "A version that does not even start (a broken import): the smoke test stops it before any traffic"
sed -i "s|from './shared/index.mjs';|from './shared/missing.mjs';|" "$hook"
commit "webhook: a broken import"
if "$lambdas" apply --auto-approve --target webhook --progress lines; then
  echo "the smoke test should have stopped the release" >&2
  exit 1
fi
expect '{"status": "in-sync", "weights": {}}'
"$lambdas" status
