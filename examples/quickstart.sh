#!/usr/bin/env bash
# First contact: install dependencies, build, and validate every shipped plan.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/deps.sh
rollout_install_deps
rollout_build build
./build/rollout version
./build/rollout plan validate plans/*.yaml
