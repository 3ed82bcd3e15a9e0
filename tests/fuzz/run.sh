#!/usr/bin/env bash
# tests/fuzz/run.sh BUILD_DIR SECONDS [FUZZER...]: runs every libFuzzer target of BUILD_DIR (the
# `sanitize` preset's tree, build-sanitize/) for SECONDS each, starting from a copy of its seed
# corpus (tests/fuzz/corpus/<fuzzer>/; the repo's corpus is never modified) with its dictionary
# (tests/fuzz/<fuzzer>.dict) when there is one. Fails on any crash, leak, timeout or
# out-of-memory, printing the reproducer and the command that re-runs it. Prints execs/s per fuzzer.
# Runs as many fuzzers at a time as there are cores (ROLLOUT_FUZZ_JOBS to choose).
set -uo pipefail
if (($# < 2)); then
  echo "usage: $0 BUILD_DIR SECONDS [FUZZER...]" >&2
  exit 2
fi
build=$(cd "$1" && pwd) seconds=$2
shift 2
src=$(cd "$(dirname "$0")/../.." && pwd)
fuzzers=("$@")
if ((${#fuzzers[@]} == 0)); then
  for f in "$src"/tests/fuzz/*_fuzz.cpp; do fuzzers+=("$(basename "$f" .cpp)"); done
fi
work=$(mktemp -d /tmp/rollout-fuzz-XXXXXX)
artifacts=$work/artifacts
mkdir -p "$artifacts"
# Leaks are findings; the sanitizers stop at the first error with a stack, printed into the
# fuzzer's log (not to a log_path a caller may have set). Suppressions: tests/sanitize/*.supp.
supp=$src/tests/sanitize
export ASAN_OPTIONS="detect_leaks=1:suppressions=$supp/asan.supp"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$supp/ubsan.supp"
# The fuzzers run side by side, as many at a time as there are cores (ROLLOUT_FUZZ_JOBS): each is
# one process on one core, so each still gets its SECONDS of a whole core.
parallel=${ROLLOUT_FUZZ_JOBS:-$(nproc)}
run_one() {  # run_one NAME: runs one fuzzer; its report line and findings go to $work/NAME.report
  local name=$1 bin=$build/tests/fuzz/$1 corpus=$work/corpus/$1 log=$work/$1.log rc runs rate size dict=()
  if [[ ! -x $bin ]]; then
    echo "FAIL: $bin not built (cmake --build $build --target rollout_fuzzers)" >"$work/$name.report"
    return 1
  fi
  mkdir -p "$corpus"
  cp "$src"/tests/fuzz/corpus/"$name"/* "$corpus"/ 2>/dev/null
  [[ -f $src/tests/fuzz/$name.dict ]] && dict=(-dict="$src/tests/fuzz/$name.dict")
  # -timeout: one input slower than 10 s is a hang; memory: 2 GiB for the process, 512 MiB for one
  # allocation (inputs are capped at 64 KiB inside each target, so more is a runaway).
  "$bin" "$corpus" "${dict[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$artifacts/$name-" >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  size=$(find "$corpus" -type f | wc -l)
  if ((rc == 0)) && ! ls "$artifacts/$name-"* >/dev/null 2>&1; then
    printf '%-22s %10s %12s %8s %s\n' "$name" "${runs:-?}" "${rate:-?}" "$size" ok >"$work/$name.report"
    return 0
  fi
  {
    printf '%-22s %10s %12s %8s %s\n' "$name" "${runs:-?}" "${rate:-?}" "$size" "FAILED (exit $rc)"
    grep -E "ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|SUMMARY:|^==[0-9]+== ?ERROR" "$log" | head -5
    tail -n 60 "$log" | sed 's/^/    /'
    for a in "$artifacts/$name-"*; do
      [[ -e $a ]] || continue
      echo "  reproducer: $a"
      echo "  re-run:     $bin $a"
      echo "  minimize:   $bin -minimize_crash=1 -runs=10000 $a"
    done
  } >"$work/$name.report"
  return 1
}
for name in "${fuzzers[@]}"; do
  while (($(jobs -rp | wc -l) >= parallel)); do wait -n; done
  (run_one "$name"; echo $? >"$work/$name.rc") &
done
wait  # every fuzzer's own status is in its .rc file (wait -n has reaped some of them already)
failed=()
printf '%-22s %10s %12s %8s %s\n' fuzzer runs execs/s corpus result
for name in "${fuzzers[@]}"; do
  [[ $(cat "$work/$name.rc" 2>/dev/null) == 0 ]] || failed+=("$name")
  cat "$work/$name.report" 2>/dev/null || echo "FAIL: $name left no report"
done
if ((${#failed[@]} > 0)); then
  echo "FAIL: ${failed[*]} (logs and reproducers kept in $work)"
  exit 1
fi
rm -rf "$work"
echo "fuzzers: ${#fuzzers[@]} ran ${seconds}s each, no findings"
