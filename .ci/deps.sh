#!/usr/bin/env bash
# Installs everything rollout needs to build and test, from Debian bookworm packages only.
# Sourced by tests/run.sh and examples/demo.sh; safe to run again (installs only what is missing).
set -euo pipefail

# What the rollout binary needs to build (examples/demo.sh installs only these and the demo's tools).
ROLLOUT_BUILD_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  # libraries (REFERENCE.md: C++ libraries in Debian bookworm)
  libcli11-dev libyaml-cpp-dev libfmt-dev nlohmann-json3-dev libcurl4-openssl-dev
  libcpp-httplib-dev libdtl-dev libssl-dev
)
ROLLOUT_DEMO_PACKAGES=("${ROLLOUT_BUILD_PACKAGES[@]}" curl jq bsdextrautils)
ROLLOUT_PACKAGES=(
  "${ROLLOUT_BUILD_PACKAGES[@]}" catch2
  # tests: schema cross-check, completion scripts in every shell; GNU time for the benchmarks' peak RSS
  python3 python3-jsonschema python3-yaml jq bash-completion zsh fish curl prometheus time
  # tests: the man page rendered (groff, man), the .deb built and its Depends computed (dpkg-dev)
  groff-base man-db dpkg-dev
  # tests/engine/reports_e2e.sh: the JUnit report is checked with xmllint
  libxml2-utils
  # tests/clients: the official Python Kubernetes client against the sandbox
  python3-kubernetes
  # local replicas: real load balancers on loopback, a load generator, the HAProxy admin socket by hand
  nginx-light haproxy hey socat
  # tests/tui: the live view captured from a real terminal
  tmux
)
# The kubectl suites need a kubectl: any on PATH will do (build machines have v1.32); without
# one, Debian's kubernetes-client (an older kubectl, v1.20).
if ! command -v kubectl >/dev/null; then
  ROLLOUT_PACKAGES+=(kubernetes-client)
  ROLLOUT_DEMO_PACKAGES+=(kubernetes-client)
fi
# tests/clients/kubectl120.sh runs Debian's kubectl 1.20 by full path, beside the current one
# rather than instead of it: the package is downloaded and unpacked, never installed.
ROLLOUT_KUBECTL_120_DIR=/opt/kubectl-1.20
ROLLOUT_KUBECTL_120=$ROLLOUT_KUBECTL_120_DIR/usr/bin/kubectl

rollout_install_kubectl_120() {
  [[ -x $ROLLOUT_KUBECTL_120 ]] && return 0
  local sudo="" tmp
  if [[ $(id -u) != 0 ]]; then sudo="sudo"; fi
  tmp=$(mktemp -d)
  chmod 755 "$tmp"  # apt-get download runs as _apt where it can
  echo "Unpacking kubernetes-client (kubectl 1.20) into $ROLLOUT_KUBECTL_120_DIR"
  if ! (cd "$tmp" && apt-get download -qq kubernetes-client 2>/dev/null); then
    $sudo apt-get update -qq
    (cd "$tmp" && apt-get download -qq kubernetes-client)
  fi
  $sudo dpkg -x "$tmp"/kubernetes-client_*.deb "$ROLLOUT_KUBECTL_120_DIR"
  rm -rf "$tmp"
}

rollout_install_packages() {  # rollout_install_packages PACKAGE...: those not installed yet
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]} > 0)); then
    echo "Installing: ${missing[*]}"
    local sudo=""
    if [[ $(id -u) != 0 ]]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

rollout_install_deps() {
  rollout_install_packages "${ROLLOUT_PACKAGES[@]}"
  rollout_install_kubectl_120
}

# The ASan + UBSan build and the libFuzzer targets (tests/sanitize/run.sh): Debian's clang and its
# runtime libraries (libFuzzer, the sanitizers), on top of everything rollout_install_deps installs.
ROLLOUT_SANITIZE_PACKAGES=(clang libclang-rt-14-dev)

rollout_install_sanitize_deps() {
  rollout_install_deps
  rollout_install_packages "${ROLLOUT_SANITIZE_PACKAGES[@]}"
}

rollout_install_demo_deps() {
  rollout_install_packages "${ROLLOUT_DEMO_PACKAGES[@]}"
}

rollout_build() {  # rollout_build DIR: everything, tests included
  local build_dir=${1:-build}
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DROLLOUT_WERROR=ON -DROLLOUT_BUILD_TESTS=ON >/dev/null
  cmake --build "$build_dir" -j "${ROLLOUT_JOBS:-2}"
}

rollout_build_binary() {  # rollout_build_binary DIR: only the rollout binary (a new build dir leaves the tests out)
  local build_dir=${1:-build} tests=()
  [[ -f $build_dir/CMakeCache.txt ]] || tests=(-DROLLOUT_BUILD_TESTS=OFF)
  # The flags of rollout_build, so that building the tests later recompiles nothing.
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DROLLOUT_WERROR=ON "${tests[@]}" >/dev/null
  cmake --build "$build_dir" -j "${ROLLOUT_JOBS:-2}" --target rollout
}
