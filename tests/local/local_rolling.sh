#!/usr/bin/env bash
# A 4-replica rolling upgrade behind real nginx or HAProxy under steady load (hey): zero failed
# requests, every replica on the new version; a canary that never becomes healthy is rolled back
# with exit 3, zero failed requests, the old version everywhere and the load balancer as recorded;
# `kill -9` of apply mid-upgrade and a re-run complete it with no duplicate replica processes.
# usage: local_rolling.sh ROLLOUT SRC nginx|haproxy
set -uo pipefail
rollout=$1 src=$2 lb=$3
work=$(mktemp -d)
. "$src/tests/local/lib.sh"
trap cleanup EXIT

lb_state() {
  if [[ $lb == nginx ]]; then cat "$work/upstream.conf"; else
    echo "show servers state llm" | socat - "UNIX-CONNECT:$work/admin.sock" 2>/dev/null | awk 'NR>2{print $4, $6, $7, $8}' ||
      jq -n '"?"'
  fi
}
if [[ $lb == nginx ]]; then start_nginx || { echo "nginx did not start"; exit 1; }; block=$(nginx_lb)
else start_haproxy || { echo "haproxy did not start"; exit 1; }; block=$(haproxy_lb); fi
start_stable_by_hand
ro() { "$rollout" --state-dir "$work/state" "$@"; }

# 1. A canary that never becomes healthy: rolled back, exit 3, nothing failed, LB as recorded.
before=$(lb_state)
write_plan "$work/bad.yaml" bad-$lb "$block" --crash-on-start
start_load 25
ro plan apply "$work/bad.yaml" --yes >"$work/bad.log" 2>&1; code=$?
collect_load
expect_eq "bad canary: exit 3" 3 "$code"
grep -q "gpu0" "$work/bad.log" && ok || bad "bad canary: the message names no replica: $(tail -3 "$work/bad.log")"
expect_eq "bad canary: zero failed requests ($load_ok ok)" 0 "$load_failed"
expect_eq "bad canary: the old version on every replica" "v1 v1 v1 v1 " "$(versions)"
expect_eq "bad canary: the load balancer as recorded" "$before" "$(lb_state)"

# 2. The good canary, with apply killed (-9) mid-upgrade and run again.
write_plan "$work/good.yaml" good-$lb "$block"
start_load 60
"$rollout" --state-dir "$work/state" plan apply "$work/good.yaml" --yes >"$work/first.log" 2>&1 &
apply=$!
for _ in $(seq 1 400); do grep -q "gpu1 .*started\|gpu1 started" "$work/first.log" && break; sleep 0.05; done
kill -9 "$apply"; wait "$apply" 2>/dev/null
grep -q "gpu1 started" "$work/first.log" && ok || bad "kill -9: apply never reached gpu1: $(tail -5 "$work/first.log")"
ro plan apply "$work/good.yaml" --yes >"$work/second.log" 2>&1; code=$?
expect_eq "re-run after kill -9: exit 0" 0 "$code"
[[ $code == 0 ]] || tail -20 "$work/second.log"
expect_eq "every replica on the new version" "v2 v2 v2 v2 " "$(versions)"
expect_eq "one model server per replica (no duplicates)" 4 "$(model_servers)"
# The load runs through both applies and ends by itself (-z): killing hey would count its in-flight requests as errors.
collect_load
expect_eq "rolling upgrade with kill -9: zero failed requests ($load_ok ok)" 0 "$load_failed"
expect_eq "the load balancer back as recorded" "$before" "$(lb_state)"
grep -h "drained in\|healthy on" "$work/first.log" "$work/second.log" | head -20

summary "local_rolling ($lb)"
