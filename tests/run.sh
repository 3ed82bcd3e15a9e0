#!/usr/bin/env bash
# The test command of README.md: install dependencies, build, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/deps.sh
rollout_install_deps
rollout_build build
cd build
ctest --output-on-failure -j "${ROLLOUT_JOBS:-2}"
