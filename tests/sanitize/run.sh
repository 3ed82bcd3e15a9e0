#!/usr/bin/env bash
# The ASan + UBSan build and what runs on it (README "Sanitizers and fuzzers"), from the source root:
#   tests/sanitize/run.sh               all phases below, in order
#   tests/sanitize/run.sh --build-only  configure the `sanitize` preset (clang, build-sanitize/) and
#                                       build rollout, rollout_tests and the fuzzers
#   tests/sanitize/run.sh --tests-only  the unit tests (ctest -L unit), then two e2e suites at once
#   tests/sanitize/run.sh --unit-only | --e2e-only   one half of --tests-only
#   tests/sanitize/run.sh --fuzz SECONDS             tests/fuzz/run.sh build-sanitize SECONDS
#   tests/sanitize/run.sh --fuzzers SECONDS          build only the fuzzers (and the libraries they
#                                       drive), then run each for SECONDS
# Every sanitized process (the unit tests, each `rollout` command, the sandbox the suites start)
# writes its reports to a log directory (ASAN_OPTIONS=log_path): a suite fails when any report
# appears there, whatever its own checks said, since a report in the sandbox never reaches them.
# Needs Debian's clang and libclang-rt-14-dev (`source .ci/deps.sh; rollout_install_sanitize_deps`).
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$src/build-sanitize
fuzz_seconds=${ROLLOUT_FUZZ_SECONDS:-30}
phases=(build unit e2e fuzz)
case ${1:-} in
  "") ;;
  --build-only) phases=(build) ;;
  --tests-only) phases=(unit e2e) ;;
  --unit-only) phases=(unit) ;;
  --e2e-only) phases=(e2e) ;;
  --fuzz) phases=(fuzz) fuzz_seconds=${2:?--fuzz SECONDS} ;;
  --fuzzers) phases=(build_fuzzers fuzz) fuzz_seconds=${2:?--fuzzers SECONDS} ;;
  *) echo "usage: $0 [--build-only | --tests-only | --unit-only | --e2e-only | --fuzz SECONDS | --fuzzers SECONDS]" >&2; exit 2 ;;
esac
# The two suites that reach the most code: every traffic strategy (blue-green, LoRA canary,
# rollback, dry runs, bad targets) and whole rollouts under API faults (retries, dropped watches).
suites=(engine_e2e api_faults_e2e)
# Narrow suppressions for findings in code that is not ours (each explained in its file).
supp=$src/tests/sanitize
logs=$(mktemp -d /tmp/rollout-sanitize-XXXXXX)
export ASAN_OPTIONS="detect_leaks=1:log_path=$logs/asan:suppressions=$supp/asan.supp"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan:suppressions=$supp/ubsan.supp"
failed=() pids=()

reports() {  # reports PHASE: fails (and prints them) when sanitizer reports were written
  local files=("$logs"/asan.* "$logs"/ubsan.*)
  [[ -e ${files[0]} || -e ${files[-1]} ]] || return 0
  echo "FAIL: $1: sanitizer reports:"
  for f in "${files[@]}"; do
    [[ -e $f ]] || continue
    echo "---- $f"
    head -n 80 "$f"
  done
  mkdir -p "$logs/kept-$1" && mv "${files[@]}" "$logs/kept-$1/" 2>/dev/null
  return 1
}

timed() {  # timed NAME COMMAND...: runs it, prints its wall time, records a failure
  local start=$SECONDS rc
  "${@:2}"
  rc=$?
  echo "== $1: exit $rc in $((SECONDS - start)) s"
  reports "$1" || rc=1
  ((rc == 0)) || failed+=("$1")
}

for phase in "${phases[@]}"; do
  case $phase in
    build | build_fuzzers)
      command -v clang++ >/dev/null || { echo "FAIL: clang++ not found (source .ci/deps.sh; rollout_install_sanitize_deps)"; exit 1; }
      (cd "$src" && cmake --preset sanitize >/dev/null) || { echo "FAIL: cmake --preset sanitize"; exit 1; }
      targets=(rollout rollout_tests rollout_fuzzers)
      [[ $phase == build_fuzzers ]] && targets=(rollout_fuzzers)
      timed "$phase" cmake --build "$build" -j "${ROLLOUT_JOBS:-2}" --target "${targets[@]}"
      ;;
    unit)
      # Each test case in its own process, as ctest runs them in the normal tree (label `unit`),
      # two at a time: a sanitizer report makes its process exit non-zero, so ctest names the test.
      timed unit_tests ctest --test-dir "$build" -L unit -j "${ROLLOUT_JOBS:-2}" --output-on-failure
      ;;
    e2e)
      # Both suites at once: each starts its own sandbox on free ports.
      e2e_start=$SECONDS
      for suite in "${suites[@]}"; do
        bash "$src/tests/engine/$suite.sh" "$build/rollout" "$src" >"$logs/$suite.out" 2>&1 &
        pids+=($!)
      done
      for i in "${!suites[@]}"; do
        rc=0
        wait "${pids[$i]}" || rc=$?
        cat "$logs/${suites[$i]}.out"
        echo "== ${suites[$i]}: exit $rc (both suites: $((SECONDS - e2e_start)) s)"
        ((rc == 0)) || failed+=("${suites[$i]}")
      done
      reports e2e || failed+=(e2e)
      ;;
    fuzz)
      timed fuzzers bash "$src/tests/fuzz/run.sh" "$build" "$fuzz_seconds"
      ;;
  esac
  if [[ $phase == build* && ${#failed[@]} -gt 0 ]]; then break; fi
done
if ((${#failed[@]} > 0)); then
  echo "FAIL: ${failed[*]} (sanitizer logs in $logs)"
  exit 1
fi
rm -rf "$logs"
echo "sanitize: ${phases[*]}: ok"
