#!/usr/bin/env bash
# The shipped blue-green plans that no other suite runs, end to end against `rollout sandbox up`:
# the GIE pool rollouts (new nodes, new base model, new model server version) and the
# multi-tenant selector plan. Each gets the pools its plan names (the examples' Deployments and
# InferencePools under those names) and an HTTPRoute that holds its stable pool; the plan runs with
# its own gates (Prometheus gates as the same vLLM scrape metric, tests/engine/test_plan.py
# --prometheus-as-scrape), analyses and pauses shortened, and must leave every route on the new
# pool alone, as the seeds' "finish the rollout" shows.
set -u
rollout=$1
src=$2
work=$(mktemp -d /tmp/rollout-shipped-test.XXXXXX)
. "$src/tests/engine/lib.sh"
trap 'stop_sandbox; [[ -n ${KEEP:-} ]] || rm -rf "$work"' EXIT

start_sandbox --traffic-rate 20 || exit 1
export KUBECONFIG=$work/kubeconfig
k apply -f "$src/examples/sandbox/gateway.yaml" >/dev/null

# pool_objects STABLE CANARY [CANARY_IMAGE]: the examples' two Deployments and InferencePools under
# these names, serving food-review-1 from --lora-modules instead of the LoRA syncer's ConfigMap.
pool_objects() {
  python3 - "$src/examples/sandbox" "$1" "$2" "${3:-}" <<'PY'
import sys, yaml
src, stable, canary, image = sys.argv[1:]
names = {"vllm-llama3-8b-instruct-new": canary, "vllm-llama3-8b-instruct": stable}
def rename(text):
    for old in names:  # the longer name first: "-new" is a suffix of the other
        text = text.replace(old, "\0" + str(list(names).index(old)) + "\0")
    for i, new in enumerate(names.values()):
        text = text.replace("\0" + str(i) + "\0", new)
    return text
docs = []
for f in ("deployments.yaml", "inferencepools.yaml"):
    for d in yaml.safe_load_all(rename(open(f"{src}/{f}").read())):
        if not d:
            continue
        if d["kind"] == "Deployment":
            pod = d["spec"]["template"]["spec"]
            pod.pop("volumes", None)
            c = pod["containers"][0]
            c.pop("volumeMounts", None)
            c["args"] += ["--lora-modules", "food-review-1=Kawon/llama3.1-food-finetune_v14_r8"]
            if image and d["metadata"]["name"] == canary:
                c["image"] = image
            d["spec"]["replicas"] = 2
            d["spec"]["template"]["metadata"]["annotations"]["sandbox.rollout.dev/startup"] = "1s"
        docs.append(d)
print(yaml.safe_dump_all(docs))
PY
}
# route NAME STABLE CANARY [LABEL=VALUE]: an HTTPRoute with all traffic on STABLE.
route() {
  local labels=""
  [[ -n ${4:-} ]] && labels="  labels: {\"${4%%=*}\": \"${4#*=}\"}"
  cat <<EOF
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: $1
$labels
spec:
  parentRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: inference-gateway}]
  rules:
  - backendRefs:
    - {group: inference.networking.k8s.io, kind: InferencePool, name: $2, weight: 100}
    - {group: inference.networking.k8s.io, kind: InferencePool, name: $3, weight: 0}
    matches: [{path: {type: PathPrefix, value: /}}]
EOF
}
backends() { k get httproute "$1" -o json | jq -c '[.spec.rules[0].backendRefs[] | [.name, .weight]]'; }

# run_shipped PLAN NAME STABLE CANARY CANARY_IMAGE ROUTE...: the plan to the end, its pauses 1s.
run_shipped() {
  local plan=$1 name=$2 stable=$3 canary=$4 image=$5
  shift 5
  pool_objects "$stable" "$canary" "$image" | k apply -f - >/dev/null
  k rollout status "deployment/$stable" --timeout=60s >/dev/null
  k rollout status "deployment/$canary" --timeout=60s >/dev/null
  # A 1 s window at 1-5% of the synthetic traffic often holds no canary request (NaN: inconclusive):
  # tolerated, or the run would pause for a human; a failed measurement still fails it.
  test_plan "$plan" "$work/$name.yaml" --keep-gates --prometheus-as-scrape --pause-duration 1s --max-ratio 5 \
    --finalize true --inconclusive-limit 1000
  out=$("$rollout" plan validate "$work/$name.yaml" 2>&1)
  expect_eq "$name: the test plan is valid" 0 $?
  "$rollout" plan apply --yes --timeout 3m "$work/$name.yaml" >"$work/$name.out" 2>&1
  local code=$?
  expect_eq "$plan runs to the end" 0 "$code"
  [[ $code == 0 ]] || tail -20 "$work/$name.out"
  local r
  for r in "$@"; do
    expect_eq "$plan: HTTPRoute $r serves only the new pool" "[[\"$canary\",100]]" "$(backends "$r")"
  done
  expect_contains "$plan: its own gates were measured" "gate error-rate: Successful" "$(cat "$work/$name.out")"
}

# The framework plan's right-version gate asks the new pool's GET /version for "0.10.".
for spec in "plans/node-update-rollout.yaml node-update llm llm-new -" \
            "plans/base-model-rollout.yaml base-model vllm-llama3-8b-instruct vllm-llama3-8b-instruct-fp8 -" \
            "plans/model-server-framework-rollout.yaml framework vllm-0-8 vllm-0-10 vllm/vllm-openai:v0.10.2"; do
  read -r plan name stable canary image <<<"$spec"
  [[ $image == - ]] && image=""
  route llm-route "$stable" "$canary" | k apply -f - >/dev/null
  run_shipped "$plan" "$name" "$stable" "$canary" "$image" llm-route
done

# Every tenant's route with the plan's label moves in lockstep; a route without it stays.
label=llm.example.com/pool=vllm-llama3-8b-instruct
for t in tenant-a tenant-b tenant-c; do
  route "route-$t" vllm-llama3-8b-instruct vllm-llama3-8b-instruct-new "$label" | k apply -f - >/dev/null
done
route route-other vllm-llama3-8b-instruct vllm-llama3-8b-instruct-new | k apply -f - >/dev/null
run_shipped plans/multi-tenant-selector.yaml tenants vllm-llama3-8b-instruct vllm-llama3-8b-instruct-new "" \
  route-tenant-a route-tenant-b route-tenant-c
expect_eq "a route without the label is untouched" '[["vllm-llama3-8b-instruct",100],["vllm-llama3-8b-instruct-new",0]]' \
  "$(backends route-other)"

summary shipped_plans_e2e
