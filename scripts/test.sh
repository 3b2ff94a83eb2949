#!/usr/bin/env bash
# Runs every test of the project. The Go tests start the AWS emulator (moto)
# themselves; they fail rather than skip when CI=true and it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/emulator.sh
ensure_moto
# A Docker engine and the local build image for the Docker layer-builder
# tests, where this machine allows (root): they skip without, and fail
# without when CI=true (.ci/run sets them up first).
. scripts/docker.sh
trap stop_docker EXIT
if [ "${CI:-}" = true ] || [ "$(id -u)" = 0 ]; then
  ensure_docker && ensure_test_build_image || echo "no Docker engine or build image: the Docker builder tests skip (CI=true: fail)" >&2
fi

echo "==> npm ci in examples/ (esbuild, which the build tests and the TypeScript example use)"
install_examples_node_modules

echo "==> go vet"
go vet ./...
echo "==> go test (with the race detector: the planner and executor are concurrent)"
go test -race -count=1 -timeout 15m ./...
echo "==> example functions' tests"
bash examples/test.sh
