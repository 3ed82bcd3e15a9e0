#!/usr/bin/env bash
# `kill -9` of `apply` at random moments, then a re-run: the rollout always ends in the seed's
# finished state (nothing applied twice changes the result), and the killed run's lock never
# blocks the re-run on the same host. Trials: $ROLLOUT_KILL_TRIALS (default 10).
set -u
rollout=$1
src=$2
work=$(mktemp -d /tmp/rollout-kill-test.XXXXXX)
. "$src/tests/engine/lib.sh"
trap 'stop_sandbox; [[ -n ${KEEP:-} ]] || rm -rf "$work"' EXIT

start_sandbox || exit 1
export KUBECONFIG=$work/kubeconfig
apply_examples
wait_ready
name=food-review-adapter
test_plan plans/lora-canary-inferencemodel.yaml "$work/im.yaml" --analysis 1s --pause-duration 1s
want_im='[{"name":"food-review-2","weight":100}]'
ids() {
  k get cm vllm-llama3-8b-instruct-adapters -o jsonpath='{.data.configmap\.yaml}' | python3 -c '
import sys, yaml
c = yaml.safe_load(sys.stdin)["vLLMLoRAConfig"]
print([m["id"] for m in c["ensureExist"]["models"]], [m["id"] for m in (c.get("ensureNotExist") or {}).get("models", [])])'
}
trials=${ROLLOUT_KILL_TRIALS:-10}
RANDOM=42
for trial in $(seq 1 "$trials"); do
  k delete cm "rollout-$name" >/dev/null 2>&1
  k apply -f "$src/examples/sandbox/inferencemodel-food-review.yaml" -f "$src/examples/sandbox/configmap-lora-adapters.yaml" >/dev/null
  kills=""
  for _ in 1 2; do  # two kills per trial, at random moments
    "$rollout" plan apply --yes "$work/im.yaml" -o json >>"$work/trial-$trial.out" 2>&1 &
    pid=$!
    sleep "$((RANDOM % 7)).$(printf '%03d' $((RANDOM % 1000)))"  # a run takes about 7 s
    if kill -9 "$pid" 2>/dev/null; then kills="$kills $(phase_of $name)"; fi
    wait "$pid" 2>/dev/null
  done
  "$rollout" plan apply --yes "$work/im.yaml" -o json >>"$work/trial-$trial.out" 2>&1
  rc=$?
  expect_eq "trial $trial (killed in:$kills): the re-run exits 0" 0 $rc
  expect_eq "trial $trial: InferenceModel finished" "$want_im" "$(k get inferencemodel food-review -o json | jq -c '.spec.targetModels')"
  expect_eq "trial $trial: adapters finished" "['food-review-2'] ['food-review-1']" "$(ids)"
  expect_eq "trial $trial: phase" "Succeeded" "$(phase_of $name)"
  [[ $rc == 0 ]] || tail -5 "$work/trial-$trial.out"
done

summary kill_resume
