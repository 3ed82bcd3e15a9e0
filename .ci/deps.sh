#!/usr/bin/env bash
# Installs everything rollout needs to build and test, from Debian bookworm packages only.
# Sourced by tests/run.sh and examples/quickstart.sh; safe to run again (installs only what is missing).
set -euo pipefail

ROLLOUT_PACKAGES=(
  # build
  build-essential cmake ninja-build ccache pkg-config git
  # libraries (REFERENCE.md: C++ libraries in Debian bookworm)
  libcli11-dev libyaml-cpp-dev libfmt-dev nlohmann-json3-dev libcurl4-openssl-dev
  libcpp-httplib-dev libdtl-dev catch2 libssl-dev
  # tests: schema cross-check, completion scripts in every shell; GNU time for the benchmarks' peak RSS
  python3 python3-jsonschema python3-yaml jq bash-completion zsh fish curl prometheus time
  # local replicas: real load balancers on loopback, a load generator, the HAProxy admin socket by hand
  nginx-light haproxy hey socat
)
# The kubectl suites need a kubectl: any on PATH will do (build machines have v1.32); without
# one, Debian's kubernetes-client (an older kubectl, v1.20). Known gap: v1.20's `kubectl apply`
# asks for /openapi/v2, which the sandbox does not serve yet, so those suites fail with it.
if ! command -v kubectl >/dev/null; then ROLLOUT_PACKAGES+=(kubernetes-client); fi

rollout_install_deps() {
  local missing=()
  for p in "${ROLLOUT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then return 0; fi
  echo "Installing: ${missing[*]}"
  local sudo=""
  if [[ $(id -u) != 0 ]]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

rollout_build() {
  local build_dir=${1:-build}
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DROLLOUT_WERROR=ON >/dev/null
  cmake --build "$build_dir" -j "${ROLLOUT_JOBS:-2}"
}
