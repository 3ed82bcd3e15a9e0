#!/usr/bin/env bash
# The one benchmark command: the six benchmarks of the README's "Benchmarks" section, each
# comparison measured side by side in the same run, printed as one table (every figure the
# median of its samples) and written whole, with the machine and this exact command, to
# docs/BENCHMARKS.md.
#   1 fleet step       tests/bench/bench_fleet.sh (rollout against a kubectl patch loop), REPS runs
#   2 reaction latency tests/bench/bench_latency.sh (the sandbox's audit log)
#   3 rollback latency tests/bench/bench_latency.sh
#   4 local makespan   tests/bench/bench_local.sh (nginx and HAProxy; bound, rollout, fixed waits)
#   5 blast radius     bench_sequential --compare (the sequential judge against threshold analysis)
#   6 CLI cost         tests/bench/bench_cli.sh
# The full run also drives the hardening suites: 200 `kill -9` trials (tests/engine/kill_resume.sh)
# and, with --fuzz-build DIR (a build with the fuzzers) when tests/fuzz/run.sh exists, the fuzzers.
# --short (CI, ctest bench_short): 100 routes, one repetition, short waits; writes
# BUILD_DIR/BENCHMARKS-short.md, never docs/BENCHMARKS.md.
# Each trial of kill_resume.sh takes 5-10 s: the 200 of the full run add 16-35 minutes (16 on a quiet machine);
# --kill-trials N changes the number (0: none).
# Usage: tests/bench/run.sh BUILD_DIR [--short] [--out FILE] [--fuzz-build DIR] [--fuzz-seconds S]
#                           [--kill-trials N]
set -uo pipefail
command_line="tests/bench/run.sh $*"
[[ $# -ge 1 ]] || { sed -n '2,/^# Usage/p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
build=$(realpath "$1")
shift
src=$(cd "$(dirname "$0")/../.." && pwd)
short=0 out="" fuzz_build="" fuzz_seconds=300 kill_trials_arg=""

while (($#)); do
  case $1 in
    --short) short=1; shift ;;
    --out) out=$2; shift 2 ;;
    --fuzz-build) fuzz_build=$(realpath "$2"); shift 2 ;;
    --fuzz-seconds) fuzz_seconds=$2; shift 2 ;;
    --kill-trials) kill_trials_arg=$2; shift 2 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
rollout=$build/rollout
sequential=$build/tests/bench_sequential
for f in "$rollout" "$sequential"; do
  [[ -x $f ]] || { echo "run.sh: $f is missing (cmake --build $build --target rollout bench_sequential)" >&2; exit 1; }
done
if ((short)); then
  [[ -n $out ]] || out=$build/BENCHMARKS-short.md
  [[ $(realpath -m "$out") == "$src/docs/BENCHMARKS.md" ]] &&
    { echo "run.sh: --short does not overwrite docs/BENCHMARKS.md (its figures are the full run's)" >&2; exit 2; }
  reps=1 sizes=(100) rollback_sizes="1 100" local_args=(--runs 1 --fixed-wait 3 --lb nginx --load-seconds 20) sim_runs=200 idle=3 kill_trials=0
else
  [[ -n $out ]] || out=$src/docs/BENCHMARKS.md
  reps=3 sizes=(1 100 1000) rollback_sizes="1 1000" local_args=(--runs 3 --fixed-runs 1 --fixed-wait 30)
  sim_runs=2000 idle=10 kill_trials=200
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
logdir=$build/bench-logs
mkdir -p "$logdir"
started=$(date +%s)

part() {  # part NAME COMMAND...: runs it, its stdout/stderr to the log, records exit and seconds
  local name=$1 t0 code
  shift
  echo "== $name: $*" >&2
  t0=$(date +%s)
  "$@" >"$logdir/$name.log" 2>&1
  code=$?
  printf '%s\t%s\t%s\n' "$name" "$code" "$(($(date +%s) - t0))" >>"$work/status.tsv"
  ((code == 0)) || { echo "   $name failed (exit $code); log: $logdir/$name.log" >&2; tail -5 "$logdir/$name.log" >&2; }
  return 0
}

fleet() {  # the kubectl loop over more than 100 routes in the first repetition only
  for rep in $(seq 1 "$reps"); do
    if ((rep == 1)); then
      BENCH_TSV=$work/fleet.tsv bash "$src/tests/bench/bench_fleet.sh" "$rollout" "$src" "${sizes[@]}" || return 1
    else
      BENCH_TSV=$work/fleet.tsv BENCH_LOOP_MAX=100 bash "$src/tests/bench/bench_fleet.sh" "$rollout" "$src" "${sizes[@]}" || return 1
    fi
  done
}
latency() { bash "$src/tests/bench/bench_latency.sh" "$rollout" "$src" --reps $((reps == 1 ? 1 : 5)) --sizes "$rollback_sizes" >"$work/latency.tsv"; }
local_makespan() { BENCH_TSV=$work/local.tsv bash "$src/tests/bench/bench_local.sh" "$rollout" "$src" "${local_args[@]}"; }
blast() { "$sequential" --compare --runs "$sim_runs" >"$work/blast.tsv"; }
cli() { bash "$src/tests/bench/bench_cli.sh" "$rollout" "$src" --reps $((reps == 1 ? 1 : 5)) --idle-seconds "$idle" >"$work/cli.tsv"; }

part fleet fleet
part latency latency
part local local_makespan
part blast blast
part cli cli
[[ -n $kill_trials_arg ]] && kill_trials=$kill_trials_arg
if ((kill_trials)); then
  part kill env ROLLOUT_KILL_TRIALS=$kill_trials bash "$src/tests/engine/kill_resume.sh" "$rollout" "$src"
  sed -i "s/^kill\t\([0-9]*\)\t\([0-9]*\)$/kill\t\1\t\2\t$kill_trials trials/" "$work/status.tsv"
fi
if ((!short)) && [[ -n $fuzz_build ]]; then
  if [[ -f $src/tests/fuzz/run.sh ]]; then
    part fuzz bash "$src/tests/fuzz/run.sh" "$fuzz_build" "$fuzz_seconds"
    sed -i "s/^fuzz\t\([0-9]*\)\t\([0-9]*\)$/fuzz\t\1\t\2\t$fuzz_seconds s each/" "$work/status.tsv"
  else
    echo "run.sh: --fuzz-build given but tests/fuzz/run.sh does not exist yet; fuzzers skipped" >&2
    printf 'fuzz\tskipped\t0\ttests/fuzz/run.sh not in this tree\n' >>"$work/status.tsv"
  fi
fi
total=$(($(date +%s) - started))

table=$(python3 "$src/tests/bench/report.py" "$work")
echo "$table"
cpu=$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)
mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
os=$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")
compiler=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt" | head -1)
compiler_version=$("${compiler:-c++}" --version 2>/dev/null | head -1)
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt" | head -1)
version=$("$rollout" version 2>/dev/null | head -1)
commit=$(git -C "$src" rev-parse --short HEAD 2>/dev/null)
dirty=$(git -C "$src" status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo " (uncommitted changes)")
nice_level=$(nice)
{
  echo "# Benchmarks"
  echo
  echo "Generated whole by \`$command_line\` (do not edit by hand; run it again)."
  echo
  echo "| machine | |"
  echo "|---|---|"
  echo "| date | $(date -u +%Y-%m-%dT%H:%M:%SZ) |"
  echo "| CPU | $cpu, nproc $(nproc) |"
  echo "| RAM | $mem |"
  echo "| OS | $os, kernel $(uname -r) |"
  echo "| compiler | $compiler_version, $build_type |"
  echo "| rollout | $version |"
  echo "| source tree | commit $commit$dirty |"
  echo "| niceness | $nice_level (the machine was shared with other jobs: timings are upper bounds) |"
  echo "| mode | $( ((short)) && echo "short (CI): 100 routes, one repetition" || echo "full: $reps repetitions, 1/100/1000 routes") |"
  echo "| duration | ${total} s |"
  echo
  echo "$table"
  echo
  cat "$src/tests/bench/BENCHMARKS.notes.md"
} >"$out"
echo "run.sh: wrote $out in ${total} s (logs in $logdir)" >&2
! grep -qvP '^\S+\t(0|skipped)\t' "$work/status.tsv"
