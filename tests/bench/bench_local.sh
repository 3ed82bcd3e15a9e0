#!/usr/bin/env bash
# Makespan of a 4-replica local rolling upgrade behind real nginx and HAProxy under steady load
# (hey; requests last up to --generation), three ways side by side in the same run:
#   bound      the lower bound: the sum over the replicas of their measured drain time (marked
#              down until their in-flight work reached zero) and startup time (process started
#              until /health 200 and the model listed), as `rollout` measured them in this run
#   rollout    `rollout plan apply` of a rolling plan without pauses or gates (wall time)
#   fixed      the seed's procedure as a script: per replica mark down + reload, sleep the fixed
#              wait ("30-120 seconds": 30 by default, --fixed-wait), stop, start, poll /health
#              every second, mark up + reload
# Each figure is the median over --runs runs, with the failed requests hey counted during each
# method (the target is zero for both). The goal for rollout, printed beside the figures and not
# asserted (timings depend on the machine): makespan <= bound * 1.02 + 0.5 s per replica.
# Asserted: every method ends with all four replicas on the new version.
# Usage: bench_local.sh ROLLOUT_BIN SOURCE_DIR [--runs N] [--fixed-wait S] [--lb nginx|haproxy|both]
#                      [--fixed-runs N]  (the fixed-wait script in the first N runs only; default all)
#                      [--load-seconds S] (how long hey runs during a rollout, default 30; the fixed
#                      script's load lasts 4 waits + S + 10 s)
# With BENCH_TSV=FILE each run is also appended to FILE as "lb<TAB>method<TAB>seconds<TAB>failed
# requests" (method rollout, bound or fixed; tests/bench/run.sh takes the medians).
set -uo pipefail
rollout=$(realpath "$1")
src=$(realpath "$2")
shift 2
runs=3 fixed_wait=30 lbs=(nginx haproxy) fixed_runs= load_seconds=30
while (($#)); do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --fixed-wait) fixed_wait=$2; shift 2 ;;
    --fixed-runs) fixed_runs=$2; shift 2 ;;
    --load-seconds) load_seconds=$2; shift 2 ;;
    --lb) [[ $2 == both ]] && lbs=(nginx haproxy) || lbs=("$2"); shift 2 ;;
    *) echo "bench_local: unknown argument $1"; exit 2 ;;
  esac
done
[[ -n $fixed_runs ]] || fixed_runs=$runs
tsv() { [[ -n ${BENCH_TSV:-} ]] && printf '%s\t%s\t%s\t%s\n' "$@" >>"$BENCH_TSV"; return 0; }
work=$(mktemp -d)
. "$src/tests/local/lib.sh"
trap 'stop_fixed; cleanup' EXIT

median() { sort -g | awk '{a[NR]=$1} END { if (NR == 0) print "-"; else if (NR % 2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2] + a[NR/2+1]) / 2 }'; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# The seed's script, for one balancer: the replicas it started are killed by pid at the end.
fixed_pids=()
stop_fixed() { for pid in "${fixed_pids[@]}"; do kill "$pid" 2>/dev/null; done; fixed_pids=(); }
set_server() {  # set_server INDEX up|down
  local i=$1 port=${replica_ports[$1]}
  if [[ $lb == nginx ]]; then
    if [[ $2 == down ]]; then sed -i "s|server 127.0.0.1:$port;|server 127.0.0.1:$port down;|" "$work/upstream.conf"
    else sed -i "s|server 127.0.0.1:$port down;|server 127.0.0.1:$port;|" "$work/upstream.conf"; fi
    nginx -s reload -p "$work" -c "$work/nginx.conf" -e "$work/error.log"
  else
    local state=ready; [[ $2 == down ]] && state=drain
    echo "set server llm/gpu$i state $state" | socat - "UNIX-CONNECT:$work/admin.sock" >/dev/null
  fi
}
fixed_upgrade() {
  local i pid port
  for i in 0 1 2 3; do
    port=${replica_ports[$i]}
    set_server "$i" down
    sleep "$fixed_wait"
    pid=${hand_pids[$i]}  # the v1 replica started by hand (reset)
    kill "$pid"; wait "$pid" 2>/dev/null  # our child: wait, not kill -0 (a zombie answers it)
    "$rollout" sandbox model-server --port "$port" --model test-model --version v2 --ttft 20ms --itl 20ms \
      --generation 2s --startup 1s >>"$work/fixed.log" 2>&1 &
    fixed_pids+=($!)
    until curl -sf --noproxy '*' "http://127.0.0.1:$port/health" >/dev/null; do sleep 1; done
    set_server "$i" up
  done
}

# Back to four v1 replicas, all in rotation, no rollout state.
reset() {
  stop_fixed
  if compgen -G "$work/state/*.local.json" >/dev/null; then
    for f in "$work"/state/*.local.json; do
      for pid in $(jq -r '.processes[]?.pid' "$f"); do kill -- "-$pid" 2>/dev/null; done
    done
  fi
  for pid in "${hand_pids[@]}"; do kill "$pid" 2>/dev/null; done
  wait "${hand_pids[@]}" 2>/dev/null
  hand_pids=()
  rm -rf "$work/state"
  for p in "${replica_ports[@]}"; do
    for _ in $(seq 1 100); do curl -s --noproxy '*' -m 1 "http://127.0.0.1:$p/health" >/dev/null || break; sleep 0.1; done
  done
  start_stable_by_hand
}
all_new() { [[ $(versions) == "v2 v2 v2 v2 " ]]; }

failed=0
rows=()
for lb in "${lbs[@]}"; do
  if [[ $lb == nginx ]]; then start_nginx || { echo "bench_local: nginx did not start"; exit 1; }; block=$(nginx_lb)
  else start_haproxy || { echo "bench_local: haproxy did not start"; exit 1; }; block=$(haproxy_lb); fi
  declare -a m_rollout=() m_bound=() m_fixed=() f_rollout=() f_fixed=() m_drain=() m_start=()
  for run in $(seq 1 "$runs"); do
    reset
    write_plan "$work/plan.yaml" "bench-$lb-$run" "$block"
    start_load "$load_seconds"
    sleep 2  # requests in flight everywhere before the first drain
    t0=$(now)
    "$rollout" --state-dir "$work/state" plan apply "$work/plan.yaml" --yes >"$work/apply.log" 2>&1; code=$?
    t1=$(now)
    kill -0 "$hey_pid" 2>/dev/null || echo "bench_local: the load ended before the rollout did (raise --load-seconds)"
    collect_load
    f_rollout+=("$load_failed")
    if [[ $code != 0 ]] || ! all_new; then failed=1; echo "bench_local: rollout on $lb run $run: exit $code, versions $(versions)"; tail -20 "$work/apply.log"; fi
    drain=$(sed -n 's/.* drained in \([0-9.]*\)s.*/\1/p' "$work/apply.log" | awk '{s+=$1} END {printf "%.2f", s}')
    start=$(sed -n 's/.* healthy on .* in \([0-9.]*\)s.*/\1/p' "$work/apply.log" | awk '{s+=$1} END {printf "%.2f", s}')
    m_drain+=("$drain") m_start+=("$start")
    m_bound+=("$(awk -v a="$drain" -v b="$start" 'BEGIN { printf "%.2f", a + b }')")
    m_rollout+=("$(elapsed "$t0" "$t1")")
    echo "$lb run $run: rollout $(elapsed "$t0" "$t1") s (drains $drain s + startups $start s), failed requests ${f_rollout[-1]}"
    tsv "$lb" rollout "$(elapsed "$t0" "$t1")" "${f_rollout[-1]}"
    tsv "$lb" bound "${m_bound[-1]}" 0
    ((run <= fixed_runs)) || continue

    reset
    start_load $((4 * fixed_wait + load_seconds + 10))
    sleep 2
    t0=$(now)
    fixed_upgrade
    t1=$(now)
    collect_load
    f_fixed+=("$load_failed")
    all_new || { failed=1; echo "bench_local: the fixed-wait script on $lb run $run left versions $(versions)"; }
    m_fixed+=("$(elapsed "$t0" "$t1")")
    echo "$lb run $run: fixed-wait script $(elapsed "$t0" "$t1") s, failed requests ${f_fixed[-1]}"
    tsv "$lb" fixed "$(elapsed "$t0" "$t1")" "${f_fixed[-1]}"
  done
  [[ $lb == nginx ]] && stop_nginx || stop_haproxy
  reset
  b=$(printf '%s\n' "${m_bound[@]}" | median) r=$(printf '%s\n' "${m_rollout[@]}" | median) f=$(printf '%s\n' "${m_fixed[@]}" | median)
  goal=$(awk -v b="$b" 'BEGIN { printf "%.2f", b * 1.02 + 0.5 * 4 }')
  rows+=("$(printf '%-8s %9s %9s %9s %10s %9s %10s %10s   %s' "$lb" "$b" "$r" "$f" \
    "$(printf '%s\n' "${m_drain[@]}" | median)" "$(printf '%s\n' "${m_start[@]}" | median)" \
    "$(IFS=+; echo "${f_rollout[*]}")" "$(IFS=+; echo "${f_fixed[*]}")" \
    "$(awk -v r="$r" -v g="$goal" -v f="$f" 'BEGIN { printf "goal <= %.2f s: %s; %.1fx faster than fixed waits", g, (r <= g ? "met" : "missed"), f / r }')")")
  # The next balancer listens on the same port: wait for this one to go.
  for _ in $(seq 1 100); do curl -s --noproxy '*' -m 1 "http://127.0.0.1:$lb_port/" >/dev/null || break; sleep 0.1; done
done

echo
echo "Local rolling upgrade of 4 replicas (v1 -> v2, startup 1 s, requests up to 2 s, hey -c 8), median of $runs runs;"
echo "fixed-wait script: the seed's procedure with a ${fixed_wait} s wait per replica. Seconds; failed requests per run."
printf '%-8s %9s %9s %9s %10s %9s %10s %10s   %s\n' lb bound_s rollout_s fixed_s drains_s starts_s failed_ro failed_fix "rollout against bound (<= bound*1.02 + 0.5 s/replica) and fixed"
for row in "${rows[@]}"; do echo "$row"; done
exit $failed
