#!/usr/bin/env bash
# Debian's kubectl 1.20 (kubernetes-client, unpacked by .ci/deps.sh beside the current kubectl)
# against `rollout sandbox up`: an older client whose `apply` validates objects against
# /openapi/v2 (protobuf), as it does against a real API server.
set -u
rollout=$1
src=$2
work=$(mktemp -d /tmp/rollout-kubectl120.XXXXXX)
kubectl120=${ROLLOUT_KUBECTL_120:-/opt/kubectl-1.20/usr/bin/kubectl}  # where .ci/deps.sh unpacks it
if [[ ! -x $kubectl120 ]]; then
  echo "FAIL: $kubectl120 missing (source .ci/deps.sh; rollout_install_deps unpacks Debian's kubernetes-client there)" >&2
  exit 1
fi
pass=0 fail=0
sandbox_pid=""
trap '[[ -n $sandbox_pid ]] && kill "$sandbox_pid" 2>/dev/null && wait "$sandbox_pid" 2>/dev/null; rm -rf "$work"' EXIT
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
expect_eq() { if [[ "$2" == "$3" ]]; then ok; else bad "$1: want '$2', got '$3'"; fi; }
expect_contains() { if grep -qF -- "$2" <<<"$3"; then ok; else bad "$1: '$2' not in: $(head -c 600 <<<"$3")"; fi; }

"$rollout" sandbox up --port 0 --data-dir "$work/data" --kubeconfig-out "$work/kubeconfig" >"$work/sandbox.log" 2>&1 &
sandbox_pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/sandbox.log" 2>/dev/null && break; sleep 0.05; done
export KUBECONFIG=$work/kubeconfig
k() { "$kubectl120" --request-timeout=10s "$@" 2>&1; }

expect_contains "it is kubectl 1.20" 'GitVersion:"v1.20' "$(k version --client)"
# apply with validation on (the default): kubectl 1.20 downloads /openapi/v2 as protobuf.
for f in "$src"/examples/sandbox/*.yaml; do
  out=$(k apply -f "$f")
  if [[ $? == 0 && $out == *created* ]]; then ok; else bad "apply -f $f: $out"; fi
done
expect_eq "apply again is unchanged" "httproute.gateway.networking.k8s.io/llm-route unchanged" \
  "$(k apply -f "$src/examples/sandbox/httproute-llm-route.yaml")"
expect_contains "apply of a changed ConfigMap (strategic merge from the v2 schema)" "configured" \
  "$(sed 's/food-review-1/food-review-9/' "$src/examples/sandbox/configmap-lora-adapters.yaml" | k apply -f -)"

# A typo is rejected client-side, before any request changes the object, as against a real server.
typo=$(sed 's/weight: 100/wieght: 100/' "$src/examples/sandbox/httproute-llm-route.yaml" | k apply -f -)
expect_contains "a field typo fails validation" 'unknown field "wieght"' "$typo"
expect_contains "validation names the object path" "ValidationError(HTTPRoute.spec.rules[0].backendRefs[0])" "$typo"
expect_eq "the typo changed nothing" "100 0" "$(k get httproute llm-route -o jsonpath='{.spec.rules[0].backendRefs[*].weight}')"
expect_contains "a wrong type fails validation" 'ValidationError(InferenceModel.spec.targetModels[0].weight): invalid type' \
  "$(sed 's/weight: 100/weight: "lots"/' "$src/examples/sandbox/inferencemodel-food-review.yaml" | k apply -f -)"
expect_contains "--validate=false lets it through to the server" "configured" \
  "$(sed 's/weight: 100/wieght: 100/' "$src/examples/sandbox/httproute-llm-route.yaml" | k apply --validate=false -f -)"
k apply -f "$src/examples/sandbox/httproute-llm-route.yaml" >/dev/null

# get, describe, patch, edit, scale, rollout status, delete.
expect_eq "get -o jsonpath" "food-review" "$(k get inferencemodel food-review -o jsonpath='{.metadata.name}')"
expect_contains "get prints a table" "vllm-llama3-8b-instruct" "$(k get deployments)"
expect_contains "describe a custom resource" "Name:         llm-route" "$(k describe httproute llm-route)"
expect_contains "describe a Deployment" "Replicas:" "$(k describe deployment vllm-llama3-8b-instruct)"
expect_contains "merge patch" "patched" \
  "$(k patch httproute llm-route --type merge -p '{"metadata":{"labels":{"patched":"yes"}}}')"
expect_contains "json patch" "patched" \
  "$(k patch httproute llm-route --type json -p '[{"op":"replace","path":"/spec/rules/0/backendRefs/0/weight","value":90}]')"
expect_eq "patched weights" "90 0" "$(k get httproute llm-route -o jsonpath='{.spec.rules[0].backendRefs[*].weight}')"
expect_contains "strategic patch of a built-in kind" "patched" \
  "$(k patch deployment vllm-llama3-8b-instruct -p '{"spec":{"template":{"metadata":{"annotations":{"v":"2"}}}}}')"
expect_contains "edit with no change" "Edit cancelled, no changes made." "$(EDITOR=true k edit httproute llm-route)"
expect_contains "rollout status" "successfully rolled out" \
  "$(k rollout status deployment/vllm-llama3-8b-instruct --timeout=60s)"
expect_contains "scale" "scaled" "$(k scale deployment vllm-llama3-8b-instruct-new --replicas=1)"
expect_eq "scaled replicas" "1" "$(k get deployment vllm-llama3-8b-instruct-new -o jsonpath='{.spec.replicas}')"
expect_contains "scale a ModelServing" "scaled" "$(k scale modelserving llama --replicas=3)"
expect_contains "delete" 'inferencemodel.inference.networking.x-k8s.io "food-review" deleted' \
  "$(k delete inferencemodel food-review)"
expect_contains "deleted is gone" "NotFound" "$(k get inferencemodel food-review)"

echo "kubectl120: $pass passed, $fail failed"
[[ $fail == 0 ]]
