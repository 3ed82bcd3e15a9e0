#!/usr/bin/env bash
# `rollout plan new` against `rollout sandbox up` holding examples/sandbox/, checked with real
# kubectl. For each strategy (blueGreen from the HTTPRoute and from the Kthena ModelRoute,
# loraCanary from the InferenceModel, rolling from the ModelServing with --image):
#   plan new -f FILE -> plan validate -> plans/schema.json accepts it -> plan apply --yes with its
#   own gates (intervals and analyses shortened by tests/engine/test_plan.py --keep-gates), the
#   manual pause promoted from a second terminal -> exit 0 and the objects in their final state.
# And the refusals: a missing object, flags of another strategy, several candidate pools, an
# existing file without --force (exit 2, the file untouched); --help has examples.
set -u
rollout=$1
src=$2
work=$(mktemp -d /tmp/rollout-plan-new-test.XXXXXX)
. "$src/tests/engine/lib.sh"
require_python_module() { python3 -c "import $1" 2>/dev/null || { echo "python3 module $1 missing (apt-get install $2)"; exit 1; }; }
require_python_module jsonschema python3-jsonschema
require_python_module yaml python3-yaml
trap 'stop_sandbox; [[ -n ${KEEP:-} ]] || rm -rf "$work"' EXIT

start_sandbox --traffic-rate 20 || exit 1
export KUBECONFIG=$work/kubeconfig
# Every example but the legacy ModelInfer, whose groups would take the pod names of the
# ModelServing of the same name.
for f in "$src"/examples/sandbox/*.yaml; do
  [[ $f == */modelinfer-* ]] || k apply -f "$f" >/dev/null || echo "apply $f failed"
done
wait_ready

# Valid for the schema editors use, as `plan validate` says it is.
schema_ok() {
  python3 - "$src/plans/schema.json" "$1" <<'PY'
import json, sys, jsonschema, yaml
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
errors = [e.message for d in yaml.safe_load_all(open(sys.argv[2])) for e in v.iter_errors(d)]
print("; ".join(errors[:3]) or "ok")
PY
}

# new_plan NAME ARGS...: plan new -f $work/NAME.yaml, then validate and the schema.
new_plan() {
  local name=$1
  shift
  local out
  out=$("$rollout" plan new "$@" -f "$work/$name.yaml" 2>&1)
  expect_eq "$name: plan new exit" 0 $?
  expect_contains "$name: says where it wrote" "wrote $work/$name.yaml" "$out"
  out=$("$rollout" plan validate "$work/$name.yaml" 2>&1)
  expect_eq "$name: plan validate exit ($out)" 0 $?
  expect_eq "$name: schema" ok "$(schema_ok "$work/$name.yaml")"
}

# run_plan FILE ROLLOUT: apply with its own gates, promote at the pause, expect exit 0.
run_plan() {
  local file=$1 name=$2
  python3 "$src/tests/engine/test_plan.py" "$work/$file.yaml" "$work/$file.run.yaml" --keep-gates \
    --gate-interval 1s --analysis 3s --deadline 5m
  "$rollout" plan apply "$work/$file.run.yaml" --yes >"$work/$file.out" 2>&1 &
  local pid=$!
  # The second terminal: promote at the manual pause (unless apply has already ended).
  for _ in $(seq 1 1200); do
    kill -0 "$pid" 2>/dev/null || break
    if [[ $(phase_of "$name") == Paused ]]; then
      "$rollout" promote "$name" >/dev/null 2>&1
      break
    fi
    sleep 0.1
  done
  wait "$pid"
  local rc=$?
  expect_eq "$file: apply exit" 0 "$rc"
  [[ $rc == 0 ]] || tail -20 "$work/$file.out"
}

# ---- loraCanary from the InferenceModel: the syncer's ConfigMap loads food-review-2 ----------
new_plan lora loraCanary --inference-model food-review --adapter food-review-2
expect_contains "lora: the syncer's ConfigMap" "configMap: vllm-llama3-8b-instruct-adapters" "$(cat "$work/lora.yaml")"
run_plan lora food-review-2-canary
expect_eq "lora: InferenceModel on food-review-2 only" '[{"name":"food-review-2","weight":100}]' \
  "$(k get inferencemodel food-review -o json | jq -c '.spec.targetModels')"
syncer=$(k get cm vllm-llama3-8b-instruct-adapters -o jsonpath='{.data.configmap\.yaml}')
expect_eq "lora: ensureExist food-review-2, ensureNotExist food-review-1" "food-review-2 food-review-1" \
  "$(python3 -c 'import sys, yaml; c = yaml.safe_load(sys.stdin)["vLLMLoRAConfig"]
print(" ".join(m["id"] for m in c["ensureExist"]["models"]), " ".join(m["id"] for m in c["ensureNotExist"]["models"]))' <<<"$syncer")"

# ---- blueGreen from the Kthena ModelRoute: llama-v085 -> llama-v092 (the ModelServing's pods) --
# First: afterwards the ModelRoute's traffic reaches the ModelServing that the rolling plan updates.
new_plan mr blueGreen --model-route llama
run_plan mr llama-blue-green
expect_eq "mr: ModelRoute on llama-v092 only" '["llama-v092"]' \
  "$(k get modelroute llama -o json | jq -c '[.spec.rules[0].targetModels[] | select((.weight // 1) > 0) | .modelServerName]')"

# ---- rolling from the ModelServing with --image: 1, 2, then all 4 groups -------------------
sel="modelserving.volcano.sh/name=llama3-8b-instruct,modelserving.volcano.sh/entry=true"
for _ in $(seq 1 100); do
  [[ $(k get pods -l "$sel" -o json | jq '[.items[] | select(any(.status.conditions[]?; .type == "Ready" and .status == "True"))] | length') == 4 ]] && break
  sleep 0.2
done
new_plan rolling rolling --model-serving llama3-8b-instruct --image vllm/vllm-openai:v0.10.2
expect_contains "rolling: the image replaced" "image: vllm/vllm-openai:v0.10.2   # the new image (was vllm/vllm-openai:v0.9.2)" \
  "$(cat "$work/rolling.yaml")"
run_plan rolling llama3-8b-instruct-rolling
expect_eq "rolling: every group Ready on the new image" 4 \
  "$(k get pods -l "$sel" -o json | jq '[.items[] | select(.metadata.deletionTimestamp == null)
     | select(.spec.containers[0].image == "vllm/vllm-openai:v0.10.2")
     | select(any(.status.conditions[]?; .type == "Ready" and .status == "True"))] | length')"

# ---- blueGreen from the HTTPRoute: stable = its backend, canary = the one free pool ----------
new_plan bg blueGreen --route llm-route
expect_contains "bg: canary found" "name: vllm-llama3-8b-instruct-new" "$(cat "$work/bg.yaml")"
expect_contains "bg: model server named" "# Model server: vllm, from the image vllm/vllm-openai:v0.8.5" "$(cat "$work/bg.yaml")"
run_plan bg llm-route-blue-green
expect_eq "bg: only the new pool carries traffic" '["vllm-llama3-8b-instruct-new"]' \
  "$(k get httproute llm-route -o json | jq -c '[.spec.rules[0].backendRefs[] | select((.weight // 1) > 0) | .name]')"

# ---- refusals: exit 2, a message naming the object or flag, nothing written --------------------
refused() {  # refused WHAT WANT_MESSAGE ARGS...
  local what=$1 want=$2
  shift 2
  local out rc
  out=$("$rollout" plan new "$@" 2>&1)
  rc=$?
  expect_eq "$what: exit" 2 "$rc"
  expect_contains "$what: message" "$want" "$out"
}
refused "missing route" "HTTPRoute nope not found in namespace default" blueGreen --route nope
refused "missing deployment" "Deployment nope not found in namespace default" rolling --deployment nope
refused "flag of another strategy" "--image does not fit blueGreen: it belongs to rolling" \
  blueGreen --route llm-route --image x
refused "no object" "give --model-serving or --model-infer or --leader-worker-set or --deployment NAME" rolling
refused "no adapter" "loraCanary needs --adapter NAME" loraCanary --inference-model food-review
refused "unknown strategy" "strategy" canary --route llm-route
k apply -f - >/dev/null <<'YAML'
apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata: {name: third-pool}
spec:
  selector: {matchLabels: {app: third}}
  targetPorts: [{number: 8000}]
  endpointPickerRef: {name: third-epp, port: {number: 9002}}
YAML
# The route now sends everything to -new: the old pool and third-pool are both free.
refused "several candidates" "several InferencePools could be the canary: third-pool, vllm-llama3-8b-instruct; pick one with --canary NAME" \
  blueGreen --route llm-route
echo "keep me" >"$work/exists.yaml"
refused "existing file" "exists: give --force to overwrite it" rolling --deployment vllm-llama3-8b-instruct -f "$work/exists.yaml"
expect_eq "existing file untouched" "keep me" "$(cat "$work/exists.yaml")"
"$rollout" plan new blueGreen --route llm-route --canary third-pool -f "$work/exists.yaml" --force 2>/dev/null
expect_eq "--force overwrites" 0 $?
expect_contains "--force: the chosen canary" "name: third-pool" "$(cat "$work/exists.yaml")"
expect_contains "-n: metadata.namespace written" "  namespace: default" \
  "$("$rollout" plan new rolling --deployment vllm-llama3-8b-instruct -n default 2>&1)"
expect_contains "-f names the file in the header's commands" "rollout plan apply $work/bg.yaml" "$(cat "$work/bg.yaml")"
expect_contains "--help has examples" "rollout plan new rolling --model-serving" "$("$rollout" plan new --help 2>&1)"

summary plan_new_e2e
