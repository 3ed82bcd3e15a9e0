#!/usr/bin/env bash
# Local blue-green behind real nginx or HAProxy under steady load (hey): the stable set (gpu0,
# gpu1) serves, the canary set (gpu2, gpu3) is started by the first weight; each setWeight step
# becomes load-balancer weights (checked at every manual pause, with traffic through the balancer
# reaching both versions); finish drains and stops the old set: zero failed requests, only the new
# version answers. A bad canary set is stopped again with exit 3 and the balancer as recorded.
# usage: local_blue_green.sh ROLLOUT SRC nginx|haproxy
set -uo pipefail
rollout=$1 src=$2 lb=$3
work=$(mktemp -d)
. "$src/tests/local/lib.sh"
trap cleanup EXIT

# The canary set's servers are in the balancer from the start, out of rotation.
canary_down=(2 3)
if [[ $lb == nginx ]]; then start_nginx || { echo "nginx did not start"; exit 1; }; block=$(nginx_lb)
else start_haproxy || { echo "haproxy did not start"; exit 1; }; block=$(haproxy_lb); fi
start_stable_by_hand 0 1
ro() { "$rollout" --state-dir "$work/state" "$@"; }
before=$(lb_weights)
expect_eq "before: stable set in rotation, canary set out" "gpu0=1 gpu1=1 gpu2=down gpu3=down " "$before"

# Which versions answer through the balancer (20 requests).
through_lb() {
  for _ in $(seq 1 20); do
    curl -s --noproxy '*' -m 10 "http://127.0.0.1:$lb_port/v1/completions" -H 'Content-Type: application/json' \
      -d '{"model":"test-model","prompt":"Hi","max_tokens":1}' | jq -r .system_fingerprint
  done | sort -u | tr '\n' ' '
}
# Requests the replica with this index has finished (its own vllm:request_success_total).
served() {
  curl -s --noproxy '*' -m 5 "http://127.0.0.1:${replica_ports[$1]}/metrics" |
    awk '/^vllm:request_success_total/ { n += $NF } END { print n + 0 }'
}
# wait_paused NAME STEP: until `status -o json` says the rollout is paused at step STEP.
wait_paused() {
  for _ in $(seq 1 600); do
    [[ $(ro status "$1" -o json 2>/dev/null | jq -r '"\(.phase) \(.step)"') == "Paused $2" ]] && return 0
    sleep 0.1
  done
  echo "never paused at step $2: $(ro status "$1" -o json 2>&1 | head -5)"; return 1
}

# 1. A canary set that never becomes healthy: exit 3, stopped again, balancer as recorded.
write_bg_plan "$work/bad.yaml" bad-$lb "$block" --crash-on-start
start_load 20
timeout 240 "$rollout" --state-dir "$work/state" plan apply "$work/bad.yaml" --yes >"$work/bad.log" 2>&1; code=$?
expect_eq "bad canary set: exit 3" 3 "$code"
grep -q "gpu2" "$work/bad.log" && ok || bad "bad canary set: the message names no replica: $(tail -3 "$work/bad.log")"
collect_load
expect_eq "bad canary set: zero failed requests ($load_ok ok)" 0 "$load_failed"
expect_eq "bad canary set: the balancer as recorded" "$before" "$(lb_weights)"
expect_eq "bad canary set: stable serving, canary ports closed" "v1 v1 - - " "$(versions)"

# 2. Aborted at 25% while the canary set takes traffic: back to the old set, zero failed requests.
start_load 25
write_bg_plan "$work/abort.yaml" abort-$lb "$block"
ro plan apply "$work/abort.yaml" --yes >"$work/abort.log" 2>&1 &
apply=$!
wait_paused abort-$lb 1 && ok || bad "abort: no pause at 25%: $(tail -5 "$work/abort.log")"
ro abort abort-$lb >/dev/null
wait "$apply"; code=$?
kill -0 "$hey_pid" 2>/dev/null && ok || bad "abort: the load ended before the rollout did"
expect_eq "aborted blue-green: exit 4" 4 "$code"
expect_eq "aborted: the old set back in rotation, the new one out" "gpu0=1 gpu1=1 gpu2=down gpu3=down " "$(lb_weights)"
expect_eq "aborted: only the old set runs" "v1 v1 - - " "$(versions)"
collect_load
expect_eq "aborted: zero failed requests ($load_ok ok)" 0 "$load_failed"

# 2b. Left at the 25% pause (--until-pause: apply exits 0), then `rollout abort` with no apply
# running: it rebuilds the target from the plan kept with the state and rolls back itself.
start_load 25
write_bg_plan "$work/handover.yaml" handover-$lb "$block"
ro plan apply "$work/handover.yaml" --yes --until-pause >"$work/handover.log" 2>&1; code=$?
expect_eq "--until-pause: exit 0 at the pause" 0 "$code"
expect_eq "--until-pause: left at 25%" "gpu0=3 gpu1=3 gpu2=1 gpu3=1 " "$(lb_weights)"
ro abort handover-$lb >"$work/handover-abort.log" 2>&1; code=$?
expect_eq "abort with no apply running: exit 0" 0 "$code"
grep -q "aborted and rolled back" "$work/handover-abort.log" && ok ||
  bad "abort with no apply running: $(tail -5 "$work/handover-abort.log")"
kill -0 "$hey_pid" 2>/dev/null && ok || bad "handover: the load ended before the abort did"
expect_eq "abort with no apply: the balancer as recorded" "gpu0=1 gpu1=1 gpu2=down gpu3=down " "$(lb_weights)"
expect_eq "abort with no apply: only the old set runs" "v1 v1 - - " "$(versions)"
collect_load
expect_eq "abort with no apply: zero failed requests ($load_ok ok)" 0 "$load_failed"
expect_eq "abort with no apply: history says Aborted" "Aborted" \
  "$(ro history handover-$lb -o json | tail -1 | jq -r .outcome)"

# 3. The good one, step by step: 25% (3:1 per server), 50% (1:1), finish.
write_bg_plan "$work/good.yaml" good-$lb "$block"
start_load 40
ro plan apply "$work/good.yaml" --yes >"$work/good.log" 2>&1 &
apply=$!
wait_paused good-$lb 1 && ok || bad "no pause at 25%: $(tail -5 "$work/good.log")"
expect_eq "25%: weights 3:1 per server" "gpu0=3 gpu1=3 gpu2=1 gpu3=1 " "$(lb_weights)"
# Both sets serve the steady load: the replicas' own request counters over a few seconds. (Not a
# few curls: under HAProxy's leastconn a lone extra client that arrives while hey's requests fill
# every server sees ties between 3 connections/weight 3 and 1/weight 1, and ties go to the same
# servers, so 20 curls can all land on the old set while the canary takes a quarter of the load.)
stable0=$(($(served 0) + $(served 1))) canary0=$(($(served 2) + $(served 3)))
sleep 4
stable1=$(($(served 0) + $(served 1))) canary1=$(($(served 2) + $(served 3)))
((canary1 > canary0 && stable1 > stable0)) && ok ||
  bad "25%: both sets should serve the load: old set $((stable1 - stable0)), new set $((canary1 - canary0)) requests in 4 s"
ro promote good-$lb >/dev/null
wait_paused good-$lb 3 && ok || bad "no pause at 50%: $(tail -5 "$work/good.log")"
expect_eq "50%: weights 1:1" "gpu0=1 gpu1=1 gpu2=1 gpu3=1 " "$(lb_weights)"
ro promote good-$lb >/dev/null
wait "$apply"; code=$?
kill -0 "$hey_pid" 2>/dev/null && ok || bad "blue-green: the load ended before the rollout did"
expect_eq "blue-green: exit 0" 0 "$code"
[[ $code == 0 ]] || tail -20 "$work/good.log"
expect_eq "finished: the old set out of rotation" "gpu0=down gpu1=down gpu2=1 gpu3=1 " "$(lb_weights)"
expect_eq "finished: only the new set runs" "- - v2 v2 " "$(versions)"
expect_eq "finished: only the new version answers" "v2 " "$(through_lb)"
collect_load
expect_eq "blue-green: zero failed requests ($load_ok ok)" 0 "$load_failed"
expect_eq "one model server per running replica" 2 "$(model_servers)"

summary "local_blue_green ($lb)"
