# Sourced by scripts/test.sh (and usable by hand): a Docker engine and the
# local build image the Docker layer-builder tests use. No image registry is
# reachable from these machines, so the image is made here: a minimal Debian
# (debootstrap) with python3 and pip, imported with `docker import`.
#
#   ensure_docker            # dockerd answering on /var/run/docker.sock
#   ensure_test_build_image  # image $LAMBDAS_TEST_BUILD_IMAGE exists
#
# Both install what they need with apt-get (docker.io, debootstrap) when it
# is missing and they may (root); otherwise they say why and return 1, and
# the Docker tests skip (or fail, with CI=true).

LAMBDAS_TEST_BUILD_IMAGE="${LAMBDAS_TEST_BUILD_IMAGE:-lambdas-test/build-python3.11:local}"
export LAMBDAS_TEST_BUILD_IMAGE

docker_answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

ensure_docker() {
  if docker_answers; then return 0; fi
  if ! command -v dockerd >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ]; then
      echo "no Docker engine, and not root to install docker.io: the Docker builder tests will skip" >&2
      return 1
    fi
    echo "installing docker.io (Debian) for the Docker builder tests" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null || return 1
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "dockerd is installed but not running, and starting it needs root: the Docker builder tests will skip" >&2
    return 1
  fi
  DOCKERD_LOG=$(mktemp -t dockerd.XXXXXX.log)
  dockerd >"$DOCKERD_LOG" 2>&1 &
  DOCKERD_PID=$!
  for _ in $(seq 1 150); do
    if docker_answers; then
      echo "Docker engine $(docker version --format '{{.Server.Version}}') started (pid $DOCKERD_PID)" >&2
      return 0
    fi
    kill -0 "$DOCKERD_PID" 2>/dev/null || break
    sleep 0.2
  done
  echo "dockerd did not start; its log:" >&2
  tail -20 "$DOCKERD_LOG" >&2
  return 1
}

ensure_test_build_image() {
  docker_answers || return 1
  if docker image inspect "$LAMBDAS_TEST_BUILD_IMAGE" >/dev/null 2>&1; then return 0; fi
  if ! command -v debootstrap >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null || return 1
  fi
  local dir
  dir=$(mktemp -d -t lambdas-rootfs.XXXXXX)
  echo "making the test build image $LAMBDAS_TEST_BUILD_IMAGE (debootstrap bookworm + python3-pip)" >&2
  local t0=$SECONDS
  if ! debootstrap --variant=minbase --include=python3,python3-pip bookworm "$dir" >"$dir.log" 2>&1; then
    echo "debootstrap failed; its log:" >&2
    tail -20 "$dir.log" >&2
    rm -rf "$dir" "$dir.log"
    return 1
  fi
  # pip refuses to install outside a venv on Debian (PEP 668) unless told;
  # a build image is the place where that is right.
  rm -f "$dir"/usr/lib/python3*/EXTERNALLY-MANAGED
  tar -C "$dir" -c . | docker import - "$LAMBDAS_TEST_BUILD_IMAGE" >/dev/null
  local rc=$?
  rm -rf "$dir" "$dir.log"
  echo "test build image ready in $((SECONDS - t0)) s" >&2
  return $rc
}

# stop_docker stops the dockerd that ensure_docker started (none otherwise).
stop_docker() {
  if [ -n "${DOCKERD_PID:-}" ]; then
    kill "$DOCKERD_PID" 2>/dev/null || true
    wait "$DOCKERD_PID" 2>/dev/null || true
    DOCKERD_PID=
    echo "Docker engine stopped" >&2
  fi
}
