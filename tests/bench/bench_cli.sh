#!/usr/bin/env bash
# What the CLI costs the machine it runs on:
#   startup   wall time of `rollout plan validate` of one shipped plan (no cluster), REPS x 10 runs
#   lora      CPU time (user + system), peak RSS and wall time of a whole LoRA canary run
#             (plans/lora-canary-inferencemodel.yaml shortened by tests/engine/test_plan.py: pauses
#             and analyses of 1 s, HTTP health gates) against the sandbox, GNU time; REPS runs
#   idle      the sandbox's CPU with the example objects and no rollout (default flags: synthetic
#             traffic of 5 requests/s per route), from /proc/PID/stat over IDLE_S seconds
# Prints TSV lines "kind<TAB>what<TAB>value" on stdout (run.sh takes medians), progress on stderr.
# Usage: bench_cli.sh ROLLOUT_BIN SOURCE_DIR [--reps N] [--idle-seconds S]
set -uo pipefail
rollout=$(realpath "$1")
src=$(realpath "$2")
shift 2
reps=5 idle_s=10
while (($#)); do
  case $1 in
    --reps) reps=$2; shift 2 ;;
    --idle-seconds) idle_s=$2; shift 2 ;;
    *) echo "bench_cli: unknown argument $1" >&2; exit 2 ;;
  esac
done
for tool in kubectl python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench_cli: $tool is required (source .ci/deps.sh; rollout_install_deps)" >&2; exit 1; }
done
work=$(mktemp -d)
sandbox_pid=""
trap '[[ -n $sandbox_pid ]] && kill "$sandbox_pid" 2>/dev/null && wait "$sandbox_pid" 2>/dev/null; rm -rf "$work"' EXIT
failed=0

# Start-up: a process that reads, decodes and validates one plan and exits.
for _ in $(seq 1 $((reps * 10))); do
  a=$(date +%s%N)
  "$rollout" plan validate "$src/plans/lora-canary-inferencemodel.yaml" >/dev/null || failed=1
  b=$(date +%s%N)
  echo -e "startup\tplan validate\t$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", (b - a) / 1e6 }')"
done

"$rollout" sandbox up --port 0 --kubeconfig-out "$work/kubeconfig" >"$work/sandbox.log" 2>&1 &
sandbox_pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/sandbox.log" 2>/dev/null && break; sleep 0.05; done
export KUBECONFIG=$work/kubeconfig
k() { kubectl --request-timeout=30s "$@"; }
for f in "$src"/examples/sandbox/*.yaml; do k apply -f "$f" >/dev/null || { echo "bench_cli: applying $f failed" >&2; exit 1; }; done
k rollout status deployment/vllm-llama3-8b-instruct --timeout=60s >/dev/null
k rollout status deployment/vllm-llama3-8b-instruct-new --timeout=60s >/dev/null

# Idle first, before any rollout ran: the example objects and their simulated pods only.
sleep 2
ticks() { awk '{ print $14 + $15 }' "/proc/$sandbox_pid/stat"; }
hz=$(getconf CLK_TCK)
c0=$(ticks) t0=$(date +%s.%N)
sleep "$idle_s"
c1=$(ticks) t1=$(date +%s.%N)
echo -e "idle\tsandbox cpu %\t$(awk -v c="$((c1 - c0))" -v hz="$hz" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", 100 * c / hz / (b - a) }')"
echo -e "idle\tsandbox rss MiB\t$(awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$sandbox_pid/status")"

python3 "$src/tests/engine/test_plan.py" "$src/plans/lora-canary-inferencemodel.yaml" "$work/lora.yaml" \
  --analysis 1s --pause-duration 1s || exit 1
for i in $(seq 1 "$reps"); do
  k delete cm rollout-food-review-adapter --ignore-not-found >/dev/null
  k apply -f "$src/examples/sandbox/inferencemodel-food-review.yaml" -f "$src/examples/sandbox/configmap-lora-adapters.yaml" >/dev/null
  /usr/bin/time -f '%U %S %M %e' -o "$work/time" "$rollout" plan apply --yes "$work/lora.yaml" >"$work/lora.out" 2>&1 ||
    { echo "bench_cli: the LoRA canary failed:" >&2; tail -5 "$work/lora.out" >&2; failed=1; continue; }
  read -r user sys rss wall < <(tail -1 "$work/time")
  echo -e "lora\tcpu s\t$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')"
  echo -e "lora\tpeak rss MiB\t$(awk -v r="$rss" 'BEGIN { printf "%.1f", r / 1024 }')"
  echo -e "lora\twall s\t$wall"
done
exit $failed
