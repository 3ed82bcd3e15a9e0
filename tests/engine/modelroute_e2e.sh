#!/usr/bin/env bash
# A Kthena ModelRoute blue-green end to end against `rollout sandbox up`, checked with real
# kubectl: plans/kthena-modelroute-blue-green.yaml moves spec.rules[0].targetModels weights from
# ModelServer llama-v085 to llama-v092 (weights read at each pause, the sandbox's synthetic
# traffic reaching the new pods), finishes with only the new ModelServer; a canary ModelServer
# whose pods crash is rolled back with exit 3 and the route restored byte for byte; a missing
# canary ModelServer fails before anything changes.
set -u
rollout=$1
src=$2
work=$(mktemp -d /tmp/rollout-modelroute-test.XXXXXX)
. "$src/tests/engine/lib.sh"
trap 'stop_sandbox; [[ -n ${KEEP:-} ]] || rm -rf "$work"' EXIT

start_sandbox --traffic-rate 20 || exit 1
export KUBECONFIG=$work/kubeconfig
for f in modelserving-llama.yaml modelserving-llama3-8b-instruct.yaml modelroute-llama.yaml; do
  k apply -f "$src/examples/sandbox/$f" >/dev/null || echo "apply $f failed"
done
for app in llama-serving llama3-8b-instruct; do
  for _ in $(seq 1 100); do [[ $(k get pods -l app=$app -o name | wc -l) == 4 ]] && break; sleep 0.1; done
  k wait --for=condition=Ready pod -l app=$app --timeout=60s >/dev/null || echo "pods of $app not Ready"
done
weights() { k get modelroute llama -o jsonpath='{range .spec.rules[0].targetModels[*]}{.modelServerName}={.weight} {end}'; }
route_spec() { k get modelroute llama -o json | jq -c '.spec'; }
# Requests the pods with label app=$1 have finished (their vLLM counters, through the pod proxy).
served() {
  local total=0 n
  for pod in $(k get pods -l "app=$1" -o jsonpath='{.items[*].metadata.name}'); do
    n=$(kubectl get --raw "/api/v1/namespaces/default/pods/$pod:8000/proxy/metrics" 2>/dev/null |
      awk '/^vllm:request_success_total\{/ {s += $NF} END {printf "%d", s}')
    total=$((total + ${n:-0}))
  done
  echo "$total"
}

expect_eq "the route starts on llama-v085" "llama-v085=100 " "$(weights)"
expect_eq "an absent weight is defaulted to 100" "100" \
  "$(k get modelservers llama-v085 -o name >/dev/null && echo '{"apiVersion":"networking.serving.volcano.sh/v1alpha1","kind":"ModelRoute","metadata":{"name":"defaulted"},"spec":{"modelName":"x","rules":[{"targetModels":[{"modelServerName":"llama-v085"}]}]}}' |
     k create -f - -o jsonpath='{.spec.rules[0].targetModels[0].weight}')"
out=$(echo '{"apiVersion":"networking.serving.volcano.sh/v1alpha1","kind":"ModelRoute","metadata":{"name":"too-heavy"},"spec":{"modelName":"x","rules":[{"targetModels":[{"modelServerName":"llama-v085","weight":101}]}]}}' | k create -f -)
expect_contains "weight above 100 is refused" "should be less than or equal to 100" "$out"
k delete modelroute defaulted >/dev/null

# ---- a missing canary ModelServer fails before anything changes -----------------------------
test_plan plans/kthena-modelroute-blue-green.yaml "$work/bg.yaml" \
  --steps '[{setWeight: 10}, {pause: {}}, {setWeight: 50}, {pause: {}}, {setWeight: 100}, {pause: {}}]'
before=$(route_spec)
sed 's/canary: llama-v092/canary: llama-v100/' "$work/bg.yaml" >"$work/missing.yaml"
out=$("$rollout" plan apply --yes "$work/missing.yaml" 2>&1)
expect_eq "a missing canary ModelServer exits 2" 2 $?
expect_contains "it names the ModelServer" "canary ModelServer llama-v100 does not exist" "$out"
expect_eq "the route is unchanged" "$before" "$(route_spec)"

# ---- blue-green to the end, weights read at each pause ------------------------------------
"$rollout" plan apply --yes "$work/bg.yaml" >"$work/bg.out" 2>&1 &
apply_pid=$!
wait_for_phase llama-modelroute-blue-green Paused 60
expect_eq "paused at 10%" "llama-v085=90 llama-v092=10 " "$(weights)"
expect_contains "status shows the weights" "canary 10%, stable 90%" "$("$rollout" status llama-modelroute-blue-green 2>&1)"
"$rollout" promote llama-modelroute-blue-green >/dev/null 2>&1
sleep 0.5
wait_for_phase llama-modelroute-blue-green Paused 60
expect_eq "paused at 50%" "llama-v085=50 llama-v092=50 " "$(weights)"
new_before=$(served llama3-8b-instruct)
sleep 3
new_after=$(served llama3-8b-instruct)
if ((new_after > new_before)); then ok; else bad "the new ModelServer's pods got no traffic at 50% ($new_before -> $new_after)"; fi
"$rollout" promote llama-modelroute-blue-green >/dev/null 2>&1
sleep 0.5
wait_for_phase llama-modelroute-blue-green Paused 60
expect_eq "paused at 100%: the stable stays listed at 0" "llama-v085=0 llama-v092=100 " "$(weights)"
old_before=$(served llama-serving)
sleep 2
expect_eq "weight 0: the old pods get nothing" "$old_before" "$(served llama-serving)"
"$rollout" promote llama-modelroute-blue-green >/dev/null 2>&1
wait "$apply_pid"
expect_eq "blue-green apply exits 0" 0 $?
expect_eq "finished: only llama-v092 at 100" '[{"modelServerName":"llama-v092","weight":100}]' \
  "$(k get modelroute llama -o json | jq -c '.spec.rules[0].targetModels')"
expect_eq "the rule keeps its name" "default" "$(k get modelroute llama -o jsonpath='{.spec.rules[0].name}')"
expect_contains "status says Succeeded" "Succeeded" "$("$rollout" status llama-modelroute-blue-green 2>&1)"

# ---- a bad canary is rolled back, byte for byte -------------------------------------------
k apply -f "$src/examples/sandbox/modelroute-llama.yaml" >/dev/null
# A third ModelServer whose pods crash on start (sandbox knob): no pod answers /health.
cat >"$work/bad.yaml.k8s" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: llama-bad}
spec:
  replicas: 2
  selector: {matchLabels: {app: llama-bad}}
  template:
    metadata:
      labels: {app: llama-bad}
      annotations: {sandbox.rollout.dev/crash-on-start: "true"}
    spec:
      containers:
      - {name: vllm, image: vllm/vllm-openai:v0.10.2, args: [--model, meta-llama/Llama-3.1-8B-Instruct], ports: [{containerPort: 8000}]}
---
apiVersion: networking.serving.volcano.sh/v1alpha1
kind: ModelServer
metadata: {name: llama-bad}
spec:
  model: meta-llama/Llama-3.1-8B-Instruct
  inferenceEngine: vLLM
  workloadSelector: {matchLabels: {app: llama-bad}}
  workloadPort: {port: 8000}
YAML
k apply -f "$work/bad.yaml.k8s" >/dev/null
test_plan plans/kthena-modelroute-blue-green.yaml "$work/bad.yaml" --name bad-modelroute --pause-duration 1s
sed -i 's/canary: llama-v092/canary: llama-bad/' "$work/bad.yaml"
before=$(k get modelroute llama -o json | jq -c '.spec')
"$rollout" plan apply --yes --timeout 120s "$work/bad.yaml" >"$work/bad.out" 2>&1
expect_eq "a failed health gate exits 3" 3 $?
expect_contains "it names the gate" "gate canary-health failed" "$(cat "$work/bad.out")"
expect_contains "and rolls back" "restored 1 object(s)" "$(cat "$work/bad.out")"
expect_eq "the route is byte for byte as recorded" "$before" "$(k get modelroute llama -o json | jq -c '.spec')"
expect_contains "status says Failed" "Failed" "$("$rollout" status bad-modelroute 2>&1)"

summary modelroute_e2e
