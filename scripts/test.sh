#!/usr/bin/env bash
# Runs every test of the project. The Go tests start the AWS emulator (moto)
# themselves; they fail rather than skip when CI=true and it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
# Tools the tests use besides Go, Python and Node: git, and unzip (the
# packager's archives are checked with it too); installed from Debian when
# missing and this is root.
missing=()
command -v git >/dev/null || missing+=(git)
command -v unzip >/dev/null || missing+=(unzip)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "the tests need ${missing[*]}: install them (e.g. apt-get install ${missing[*]})" >&2
    exit 1
  fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
. scripts/emulator.sh
ensure_moto
# A Docker engine and the local build image for the Docker layer-builder
# tests, where this machine allows (root): they skip without, and fail
# without when CI=true.
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
