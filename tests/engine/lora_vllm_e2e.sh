#!/usr/bin/env bash
# LoRA canary with adapters loaded through vLLM's runtime API (adapters.vllm), end to end against
# `rollout sandbox up`, checked with real kubectl through the pod proxy: dry runs show the loads
# without making them; the adapter is loaded on every pod before traffic moves, a pod deleted
# while the rollout is paused is replaced and gets the adapter before the next gate judges it,
# the old adapter is unloaded at the end; a bad adapter rolls back (exit 3) and is unloaded from
# every pod; a pool whose vLLM runs without VLLM_ALLOW_RUNTIME_LORA_UPDATING fails pre-flight
# (exit 2) and changes nothing.
set -u
rollout=$1
src=$2
work=$(mktemp -d /tmp/rollout-lora-vllm-test.XXXXXX)
. "$src/tests/engine/lib.sh"
trap 'stop_sandbox; [[ -n ${KEEP:-} ]] || rm -rf "$work"' EXIT

start_sandbox --traffic-rate 20 || exit 1
export KUBECONFIG=$work/kubeconfig
pool=vllm-llama3-8b-instruct
# The seed's objects, without the LoRA syncer: the pool's vLLM serves food-review-1 from its
# --lora-modules (as a restarted pod would again) and has the runtime API enabled.
vllm_lora_deployment 1s >"$work/deploy.yaml"
for f in inferencepools.yaml inferencemodel-food-review.yaml httproute-llm-route.yaml; do
  k apply -f "$src/examples/sandbox/$f" >/dev/null || echo "apply $f failed"
done
k apply -f "$work/deploy.yaml" >/dev/null
k rollout status deployment/$pool --timeout=60s >/dev/null

pods() { k get pods -l app=$pool -o json | jq -r '.items[] | select(.metadata.deletionTimestamp == null) | .metadata.name'; }
models_on() { k get --raw "/api/v1/namespaces/default/pods/$1:8000/proxy/v1/models" | jq -r '[.data[].id] | join(",")'; }
models_everywhere() {  # one line per ready pod: its served ids
  for p in $(pods); do models_on "$p"; done | sort | uniq -c | sed 's/^ *//'
}
wait_pods() {  # wait_pods N: N pods, all Ready
  for _ in $(seq 1 200); do
    [[ $(k get pods -l app=$pool -o json | jq '[.items[] | select(.metadata.deletionTimestamp == null) | select(.status.conditions[]? | .type == "Ready" and .status == "True")] | length') == "$1" &&
       $(pods | wc -l) == "$1" ]] && return 0
    sleep 0.1
  done
  echo "pods of $pool not ready"; return 1
}
wait_pods 3
expect_eq "before: every pod serves the base model and food-review-1" "3 meta-llama/Llama-3.1-8B-Instruct,food-review-1" "$(models_everywhere)"

# ---- dry runs show the loads and unloads, and make none ---------------------------------------
# No error-rate gate here: the replaced pod serves food-review-1 only until rollout loads food-review-2.
test_plan plans/lora-canary-vllm-runtime.yaml "$work/lora.yaml" --keep-gates --drop-gate error-rate \
  --steps '[{setWeight: 10}, {pause: {}}, {analysis: {gates: [adapter-loaded]}}, {setWeight: 50}, {setWeight: 100}]'

out=$("$rollout" plan diff "$work/lora.yaml" 2>&1)
expect_eq "plan diff exits 0" 0 $?
expect_contains "diff shows the load" "would load adapter food-review-2 (Kawon/llama3.1-food-finetune_v14_r8) on every ready pod of InferencePool $pool" "$out"
expect_contains "diff shows the unload at the end" "would unload adapter food-review-1 from every ready pod of InferencePool $pool" "$out"
out=$("$rollout" plan apply --dry-run=server "$work/lora.yaml" 2>&1)
expect_eq "server dry run exits 0" 0 $?
expect_contains "server dry run shows the load" "would load adapter food-review-2" "$out"
expect_eq "dry runs loaded nothing" "3 meta-llama/Llama-3.1-8B-Instruct,food-review-1" "$(models_everywhere)"
expect_eq "dry runs left no state" "" "$(k get cm rollout-food-review-adapter-vllm -o name --ignore-not-found)"

# ---- (1) the canary: loaded everywhere, a replaced pod gets it, the old one unloaded -----------
"$rollout" plan apply --yes "$work/lora.yaml" >"$work/lora.out" 2>&1 &
apply_pid=$!
wait_for_phase food-review-adapter-vllm Paused 60
expect_eq "paused at 10%" '[{"name":"food-review-1","weight":90},{"name":"food-review-2","weight":10}]' \
  "$(k get inferencemodel food-review -o json | jq -c '.spec.targetModels')"
expect_eq "every pod lists food-review-2 before traffic moved" "3 meta-llama/Llama-3.1-8B-Instruct,food-review-1,food-review-2" "$(models_everywhere)"
expect_eq "the events say where it was loaded" 3 "$(grep -c "loaded food-review-2 on pod $pool-" "$work/lora.out")"
victim=$(pods | head -1)
k delete pod "$victim" --wait=false >/dev/null
wait_pods 3
replacement=$(pods | grep -vxF -f <(grep -o "on pod $pool-[a-z0-9-]*" "$work/lora.out" | sed 's/on pod //') | head -1)
expect_eq "a replacement pod joined" 1 "$([[ -n $replacement && $replacement != "$victim" ]] && echo 1 || echo 0)"
for _ in $(seq 1 100); do grep -q "loaded food-review-2 on new pod $replacement" "$work/lora.out" && break; sleep 0.1; done
expect_contains "the events say the new pod got it" "loaded food-review-2 on new pod $replacement" "$(cat "$work/lora.out")"
expect_eq "the replacement lists food-review-2" "meta-llama/Llama-3.1-8B-Instruct,food-review-1,food-review-2" "$(models_on "$replacement")"
# The adapter reached the pod before any gate judged it: no measurement failed.
expect_eq "no failed measurement" "" "$(grep -E "gate adapter-loaded.*: Failed|failed" "$work/lora.out")"
"$rollout" promote food-review-adapter-vllm >/dev/null 2>&1
wait "$apply_pid"
expect_eq "the canary runs to the end" 0 $?
expect_eq "InferenceModel as the seed finishes it" '[{"name":"food-review-2","weight":100}]' \
  "$(k get inferencemodel food-review -o json | jq -c '.spec.targetModels')"
expect_eq "food-review-1 unloaded on every pod, food-review-2 kept" "3 meta-llama/Llama-3.1-8B-Instruct,food-review-2" "$(models_everywhere)"
expect_contains "the events say so" "unloaded food-review-1 on pod" "$(cat "$work/lora.out")"

# ---- (2) a bad adapter: the gate fails, traffic goes back, the adapter is unloaded everywhere ---
k patch deployment $pool --type=merge \
  -p '{"spec":{"template":{"metadata":{"annotations":{"sandbox.rollout.dev/adapter-error-rate":"food-review-2=1"}}}}}' >/dev/null
k rollout status deployment/$pool --timeout=60s >/dev/null
wait_pods 3
k apply -f "$src/examples/sandbox/inferencemodel-food-review.yaml" >/dev/null
test_plan plans/lora-canary-vllm-runtime.yaml "$work/bad.yaml" --keep-gates --name bad-adapter-vllm --pause-duration 30s
before=$(k get inferencemodel food-review -o json | jq -c '.spec')
"$rollout" plan apply --yes --timeout 120s "$work/bad.yaml" >"$work/bad.out" 2>&1
expect_eq "a failed gate exits 3" 3 $?
expect_contains "it names the gate" "gate error-rate failed" "$(cat "$work/bad.out")"
expect_eq "the InferenceModel is byte for byte as recorded" "$before" "$(k get inferencemodel food-review -o json | jq -c '.spec')"
expect_eq "food-review-2 unloaded from every pod" "3 meta-llama/Llama-3.1-8B-Instruct,food-review-1" "$(models_everywhere)"
expect_contains "the events say so" "unloaded food-review-2 on pod" "$(cat "$work/bad.out")"

# ---- (3) no runtime API: pre-flight fails, nothing changes ------------------------------------
k patch deployment $pool --type=json -p '[{"op":"replace","path":"/spec/template/spec/containers/0/env","value":[{"name":"VLLM_ALLOW_RUNTIME_LORA_UPDATING","value":"False"}]}]' >/dev/null
k rollout status deployment/$pool --timeout=60s >/dev/null
wait_pods 3
test_plan plans/lora-canary-vllm-runtime.yaml "$work/none.yaml" --keep-gates --name no-runtime-api
before=$(k get inferencemodel food-review -o json | jq -c '.')
pool_before=$(k get inferencepool $pool -o json | jq -c '.')
out=$("$rollout" plan apply --yes "$work/none.yaml" 2>&1)
expect_eq "pre-flight exits 2" 2 $?
expect_contains "it names the pod and the missing route" "does not serve vLLM's runtime LoRA API (GET /v1/load_lora_adapter answered 404" "$out"
expect_contains "with the hint" "VLLM_ALLOW_RUNTIME_LORA_UPDATING=True" "$out"
expect_eq "the InferenceModel is unchanged" "$before" "$(k get inferencemodel food-review -o json | jq -c '.')"
expect_eq "the InferencePool is unchanged" "$pool_before" "$(k get inferencepool $pool -o json | jq -c '.')"
expect_eq "no state ConfigMap" "" "$(k get cm rollout-no-runtime-api -o name --ignore-not-found)"
expect_eq "no adapter was loaded" "3 meta-llama/Llama-3.1-8B-Instruct,food-review-1" "$(models_everywhere)"

summary lora_vllm_e2e
