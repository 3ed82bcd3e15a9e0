#!/usr/bin/env bash
# `kill -9` of `apply` at random moments, then a re-run, for several strategies: a LoRA canary
# through the LoRA syncer's ConfigMap, a blue-green HTTPRoute, a LoRA canary whose adapters are
# loaded through vLLM's runtime API (adapters.vllm) and a ModelServing rolling update. After every
# kill the state ConfigMap parses (`rollout status NAME -o json` works, or no state was written
# yet); the re-run exits 0 and leaves the objects as the plan's end says, whatever the kills
# interrupted, and the killed run's lock never blocks it on the same host.
#   ROLLOUT_KILL_TRIALS  kills in all, spread over the strategies (default 30; the benchmark runs 200+);
#                        a trial whose run ended before the kill does not count
#   ROLLOUT_KILL_SEED    the random moments' seed (default: from the clock; printed, so a failure
#                        can be reproduced with ROLLOUT_KILL_SEED=N ROLLOUT_KILL_ONLY=STRATEGY)
#   ROLLOUT_KILL_ONLY    run one strategy: lora-syncer, blue-green, lora-vllm, modelserving
set -u
rollout=$1
src=$2
work=$(mktemp -d /tmp/rollout-kill-test.XXXXXX)
. "$src/tests/engine/lib.sh"
trap 'stop_sandbox; [[ -n ${KEEP:-} ]] || rm -rf "$work"' EXIT

kills_total=${ROLLOUT_KILL_TRIALS:-30}
seed=${ROLLOUT_KILL_SEED:-$(($(date +%s%N) % 32768))}
only=${ROLLOUT_KILL_ONLY:-}
strategies=(lora-syncer blue-green lora-vllm modelserving)
[[ -n $only ]] && strategies=("$only")
per_strategy=$(((kills_total + ${#strategies[@]} - 1) / ${#strategies[@]}))
echo "kill_resume: seed $seed, ${#strategies[@]} strategies, $per_strategy kills each (two per trial)"
RANDOM=$seed

# A fresh sandbox (new data dir) for each strategy, so that no strategy sees another's leftovers.
fresh_sandbox() {
  stop_sandbox
  rm -rf "$work/data"
  start_sandbox "$@" || exit 1
  export KUBECONFIG=$work/kubeconfig
}
pods_ready() {  # pods_ready SELECTOR N: N pods, none being deleted, all Ready
  for _ in $(seq 1 300); do
    [[ $(k get pods -l "$1" -o json | jq '[.items[] | select(.metadata.deletionTimestamp == null)] as $p
        | if ($p | length) == '"$2"' and all($p[]; any(.status.conditions[]?; .type == "Ready" and .status == "True"))
          then 1 else 0 end') == 1 ]] && return 0
    sleep 0.1
  done
  echo "pods $1: not $2 Ready: $(k get pods -l "$1" -o wide)"; return 1
}

# ---- per strategy: setup, reset before each trial, the plan's end ---------------------------------
setup_lora-syncer() {
  fresh_sandbox
  apply_examples
  wait_ready
  name=food-review-adapter
  test_plan plans/lora-canary-inferencemodel.yaml "$work/plan.yaml" --analysis 1s --pause-duration 1s
  sleep_max=5  # a run takes about 7 s
}
reset_lora-syncer() {
  k apply -f "$src/examples/sandbox/inferencemodel-food-review.yaml" -f "$src/examples/sandbox/configmap-lora-adapters.yaml" >/dev/null
}
final_lora-syncer() {
  k get inferencemodel food-review -o json | jq -c '.spec.targetModels'
  k get cm vllm-llama3-8b-instruct-adapters -o jsonpath='{.data.configmap\.yaml}' | python3 -c '
import sys, yaml
c = yaml.safe_load(sys.stdin)["vLLMLoRAConfig"]
print([m["id"] for m in c["ensureExist"]["models"]], [m["id"] for m in (c.get("ensureNotExist") or {}).get("models", [])])'
}
want_lora-syncer() { echo '[{"name":"food-review-2","weight":100}]'; echo "['food-review-2'] ['food-review-1']"; }

setup_blue-green() {
  fresh_sandbox
  apply_examples
  wait_ready
  name=vllm-llama3-8b-blue-green
  test_plan plans/inferencepool-blue-green.yaml "$work/plan.yaml" --analysis 1s --pause-duration 1s
  sleep_max=5
}
reset_blue-green() { k apply -f "$src/examples/sandbox/httproute-llm-route.yaml" >/dev/null; }
final_blue-green() { k get httproute llm-route -o json | jq -c '[.spec.rules[0].backendRefs[] | {name, weight}]'; }
want_blue-green() { echo '[{"name":"vllm-llama3-8b-instruct-new","weight":100}]'; }

setup_lora-vllm() {  # the pool's vLLM serves food-review-1 from --lora-modules, no syncer (as lora_vllm_e2e)
  fresh_sandbox
  vllm_lora_deployment 200ms >"$work/deploy.yaml"
  k apply -f "$src/examples/sandbox/inferencepools.yaml" -f "$src/examples/sandbox/inferencemodel-food-review.yaml" \
    -f "$work/deploy.yaml" >/dev/null
  pods_ready app=vllm-llama3-8b-instruct 3
  name=food-review-adapter-vllm
  test_plan plans/lora-canary-vllm-runtime.yaml "$work/plan.yaml" --analysis 1s --pause-duration 1s
  sleep_max=4
}
reset_lora-vllm() {  # new pods: food-review-1 only, as before any run
  k apply -f "$src/examples/sandbox/inferencemodel-food-review.yaml" >/dev/null
  k rollout restart deployment/vllm-llama3-8b-instruct >/dev/null
  k rollout status deployment/vllm-llama3-8b-instruct --timeout=60s >/dev/null
  pods_ready app=vllm-llama3-8b-instruct 3
}
final_lora-vllm() {
  k get inferencemodel food-review -o json | jq -c '.spec.targetModels'
  for p in $(k get pods -l app=vllm-llama3-8b-instruct -o json | jq -r '.items[] | select(.metadata.deletionTimestamp == null) | .metadata.name'); do
    k get --raw "/api/v1/namespaces/default/pods/$p:8000/proxy/v1/models" | jq -r '[.data[].id] | join(",")'
  done | sort | uniq -c | sed 's/^ *//'
}
want_lora-vllm() { echo '[{"name":"food-review-2","weight":100}]'; echo "3 meta-llama/Llama-3.1-8B-Instruct,food-review-2"; }

ms_sel="modelserving.volcano.sh/name=llama3-8b-instruct,modelserving.volcano.sh/entry=true"
setup_modelserving() {
  fresh_sandbox
  name=llama3-8b-modelserving
  test_plan plans/kthena-modelserving-rolling.yaml "$work/plan.yaml" --analysis 1s --pause-duration 1s \
    --steps '[{updateReplicas: 2}, {pause: {}}, {updateReplicas: 4}]' --pod-annotation sandbox.rollout.dev/startup=300ms
  sleep_max=3
  reset_modelserving
}
reset_modelserving() {  # the example's ModelServing again, every group Ready on the old image
  k delete modelserving llama3-8b-instruct --wait=false >/dev/null 2>&1
  for _ in $(seq 1 100); do [[ -z $(k get pods -l "$ms_sel" -o name) ]] && break; sleep 0.1; done
  sed 's/startup: 1s/startup: 300ms/' "$src/examples/sandbox/modelserving-llama3-8b-instruct.yaml" | k apply -f - >/dev/null
  pods_ready "$ms_sel" 4
}
final_modelserving() {
  k get modelserving llama3-8b-instruct -o json | jq -r '.spec.template.roles[0].entryTemplate.spec.containers[0].image'
  pods_ready "$ms_sel" 4 >/dev/null && k get pods -l "$ms_sel" -o json |
    jq -r '[.items[] | select(.metadata.deletionTimestamp == null) | .spec.containers[0].image] | unique | join(",")'
}
want_modelserving() { echo vllm/vllm-openai:v0.10.2; echo vllm/vllm-openai:v0.10.2; }

# After a kill: the state ConfigMap, if the run got as far as writing it, parses.
state_parses() {  # state_parses WHAT
  if [[ -z $(k get cm "rollout-$name" -o name --ignore-not-found) ]]; then ok; return; fi
  local out
  out=$("$rollout" status "$name" -o json 2>&1)
  if jq -e '.phase' <<<"$out" >/dev/null 2>&1; then ok; else bad "$1: rollout status -o json after the kill: $(head -c 400 <<<"$out")"; fi
}

kills=0
for strategy in "${strategies[@]}"; do
  started=$SECONDS
  "setup_$strategy"
  strategy_kills=0 trial=0
  while ((strategy_kills < per_strategy && trial < 3 * per_strategy)); do
    trial=$((trial + 1))
    what="$strategy trial $trial (seed $seed)"
    [[ $trial == 1 ]] || "reset_$strategy"
    k delete cm "rollout-$name" >/dev/null 2>&1
    killed_in=""
    for _ in 1 2; do  # two kills per trial, at random moments of a run
      "$rollout" plan apply --yes "$work/plan.yaml" -o json >>"$work/$strategy-$trial.out" 2>&1 &
      pid=$!
      sleep "$((RANDOM % sleep_max)).$(printf '%03d' $((RANDOM % 1000)))"
      if kill -9 "$pid" 2>/dev/null; then
        kills=$((kills + 1)) strategy_kills=$((strategy_kills + 1))
        wait "$pid" 2>/dev/null
        killed_in="$killed_in $(phase_of "$name")"
        state_parses "$what"
      else
        wait "$pid" 2>/dev/null
        killed_in="$killed_in (ended)"
      fi
    done
    "$rollout" plan apply --yes "$work/plan.yaml" -o json >>"$work/$strategy-$trial.out" 2>&1
    rc=$?
    expect_eq "$what, killed in:$killed_in: the re-run exits 0" 0 $rc
    expect_eq "$what: the plan's end" "$("want_$strategy")" "$("final_$strategy")"
    expect_eq "$what: phase" "Succeeded" "$(phase_of "$name")"
    expect_eq "$what: the run recorded once" 1 "$(k get cm "rollout-$name" -o jsonpath='{.data.history\.json}' | jq length)"
    [[ $rc == 0 ]] || tail -5 "$work/$strategy-$trial.out"
  done
  echo "$strategy: $strategy_kills kills in $trial trials, $((SECONDS - started)) s"
done
echo "kill_resume: $kills kills (seed $seed)"

summary kill_resume
