#!/usr/bin/env bash
# plans/local-sandbox-demo.yaml as shipped, set up exactly as its header tells a user to (nginx on
# 127.0.0.1:18000 with the upstream file in /tmp/rollout-demo, four v1 fake model servers, steady
# load from hey), then applied: it waits at its `pause: {}`, `rollout promote` from a second
# process ends the pause, and the run ends with every replica on v2, its gates measured, and zero
# failed requests.
# usage: local_demo_plan.sh ROLLOUT SRC
set -uo pipefail
rollout=$(realpath "$1") src=$(realpath "$2")
demo=/tmp/rollout-demo
work=$demo  # lib.sh's helpers read $work
. "$src/tests/local/lib.sh"
[[ -e $demo ]] && { echo "local_demo_plan: $demo exists; it is the demo's fixed directory (remove it first)"; exit 1; }
PATH=$(dirname "$rollout"):$PATH  # the plan runs `rollout sandbox model-server`
hand_pids=()
cleanup_demo() {
  [[ -s $demo/nginx.pid ]] && kill "$(cat "$demo/nginx.pid")" 2>/dev/null
  for pid in "${hand_pids[@]}"; do kill "$pid" 2>/dev/null; done
  for f in "$demo"/state/*.local.json; do
    [[ -f $f ]] && for pid in $(jq -r '.processes[]?.pid' "$f"); do kill -- "-$pid" 2>/dev/null; done
  done
  [[ -n ${hey_pid:-} ]] && kill "$hey_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$demo"
}
trap cleanup_demo EXIT

# The set-up block of the plan's header, as written there.
setup=$(sed -n '/^# Set up/,/^# How to run/p' "$src/plans/local-sandbox-demo.yaml" | sed -e '1d;$d' -e 's/^#   \{0,1\}//' -e 's/^#$//')
mkdir -p $demo/tmp $demo/state
eval "$(echo "$setup" | sed -n "/^cat > \/tmp\/rollout-demo\/nginx.conf/,/^EOF$/p")"
eval "$(echo "$setup" | sed -n "/^cat > \/tmp\/rollout-demo\/llm-upstream.conf/,/^EOF$/p")"
[[ -s $demo/nginx.conf && -s $demo/llm-upstream.conf ]] && ok || bad "the plan's header no longer writes nginx.conf and llm-upstream.conf"
nginx -p $demo -c nginx.conf -e error.log || { echo "nginx did not start"; exit 1; }
for p in 18001 18002 18003 18004; do
  rollout sandbox model-server --port $p --model meta-llama/Llama-3.1-8B-Instruct --version v1 >>$demo/hand.log 2>&1 &
  hand_pids+=($!)
done
for p in 18001 18002 18003 18004; do
  for _ in $(seq 1 100); do curl -sf --noproxy '*' "http://127.0.0.1:$p/health" >/dev/null && break; sleep 0.05; done
done
hey -z 240s -c 4 -t 60 -m POST -T application/json \
  -d '{"model":"meta-llama/Llama-3.1-8B-Instruct","prompt":"Hello","max_tokens":32}' \
  http://127.0.0.1:18000/v1/completions >"$demo/hey.out" 2>&1 &
hey_pid=$!

ro() { rollout --state-dir $demo/state "$@"; }
ro plan apply "$src/plans/local-sandbox-demo.yaml" --yes >"$demo/apply.log" 2>&1 &
apply=$!
paused=""
for _ in $(seq 1 1800); do
  [[ $(ro status sandbox-demo -o json 2>/dev/null | jq -r .pauseReason) == PauseStep ]] && { paused=1; break; }
  kill -0 "$apply" 2>/dev/null || break
  sleep 0.1
done
[[ -n $paused ]] && ok || bad "never paused at the plan's pause: $(tail -5 "$demo/apply.log")"
expect_eq "at the pause: one replica on v2" "v2 v1 v1 v1 " "$(for p in 18001 18002 18003 18004; do curl -s --noproxy '*' http://127.0.0.1:$p/version | jq -r .version; done | tr '\n' ' ')"
ro promote sandbox-demo >/dev/null
wait "$apply"; code=$?
expect_eq "the demo plan: exit 0" 0 "$code"
[[ $code == 0 ]] || tail -20 "$demo/apply.log"
kill -0 "$hey_pid" 2>/dev/null && ok || bad "the load ended before the rollout did"
expect_eq "every replica on v2" "v2 v2 v2 v2 " "$(for p in 18001 18002 18003 18004; do curl -s --noproxy '*' http://127.0.0.1:$p/version | jq -r .version; done | tr '\n' ' ')"
grep -q "gate error-rate" "$demo/apply.log" && ok || bad "no error-rate measurement in the output: $(grep -i gate "$demo/apply.log" | head -3)"
collect_load
expect_eq "the demo plan: zero failed requests ($load_ok ok)" 0 "$load_failed"
summary "local_demo_plan"
