# Sourced by demo.sh and .ci/run: starts the AWS emulator (moto) on a free
# loopback port and exports what the SDK needs to talk to it. Stops it on exit.

ensure_moto() {
  if ! command -v moto_server >/dev/null 2>&1 || ! python3 -c 'import moto' >/dev/null 2>&1; then
    echo "moto (the AWS emulator) is missing: installing it with pip" >&2
    python3 -m pip install --quiet 'moto[server]'
  fi
}

# install_examples_node_modules puts esbuild (examples/package.json) and the
# TypeScript example's dependencies in place, from their lockfiles.
install_examples_node_modules() {
  local d
  for d in examples examples/functions/checkout-ts; do
    if [ -f "$d/package-lock.json" ]; then
      (cd "$d" && npm ci --no-audit --no-fund --loglevel=error) || return 1
    fi
  done
}

start_emulator() {
  ensure_moto
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  EMULATOR_LOG=$(mktemp -t moto.XXXXXX.log)
  moto_server -H 127.0.0.1 -p "$port" >"$EMULATOR_LOG" 2>&1 &
  EMULATOR_PID=$!
  trap stop_emulator EXIT
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
  export AWS_ACCESS_KEY_ID=emulator AWS_SECRET_ACCESS_KEY=emulator AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
  # Never read a real AWS setup while talking to the emulator.
  export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
  unset AWS_PROFILE AWS_SESSION_TOKEN
  for _ in $(seq 1 100); do
    if python3 -c "import urllib.request; urllib.request.urlopen('$AWS_ENDPOINT_URL/moto-api/data.json', timeout=1)" >/dev/null 2>&1; then
      echo "AWS emulator (moto) listening on $AWS_ENDPOINT_URL"
      return 0
    fi
    if ! kill -0 "$EMULATOR_PID" 2>/dev/null; then break; fi
    sleep 0.2
  done
  echo "the AWS emulator did not start; its log:" >&2
  cat "$EMULATOR_LOG" >&2
  return 1
}

stop_emulator() {
  if [ -n "${EMULATOR_PID:-}" ]; then
    kill "$EMULATOR_PID" 2>/dev/null || true
    wait "$EMULATOR_PID" 2>/dev/null || true
    EMULATOR_PID=
    echo "AWS emulator stopped"
  fi
}
