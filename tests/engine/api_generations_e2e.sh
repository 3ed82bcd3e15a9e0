#!/usr/bin/env bash
# API generations found by discovery, end to end against `rollout sandbox up --disable-api`:
# an inferenceModel plan on a cluster without the InferenceModel CRD fails before any change,
# naming InferenceModelRewrite and the migration; with both InferenceModelRewrite groups
# installed the plan's group is changed and a namesake in the other group is a warning; with only
# the legacy group, a plan that leaves apiVersion out uses it and one naming llm-d.ai is refused.
set -u
rollout=$1
src=$2
work=$(mktemp -d /tmp/rollout-apigen-test.XXXXXX)
. "$src/tests/engine/lib.sh"
trap 'stop_sandbox; [[ -n ${KEEP:-} ]] || rm -rf "$work"' EXIT
export KUBECONFIG=$work/kubeconfig
apply() { for f in "$@"; do k apply -f "$src/examples/sandbox/$f" >/dev/null || echo "apply $f failed"; done; }
cm_of() { k get cm vllm-llama3-8b-instruct-adapters -o json | jq -c '.data'; }

# ---- GIE v1.0 cluster: no inference.networking.x-k8s.io/v1alpha2 ---------------------------
start_sandbox --disable-api inference.networking.x-k8s.io/v1alpha2 --traffic-rate 0 || exit 1
expect_eq "discovery has no v1alpha2 InferenceModel" "" \
  "$(k api-resources --api-group=inference.networking.x-k8s.io -o name)"
apply configmap-lora-adapters.yaml inferencepools.yaml inferencemodelrewrite-food-review.yaml
test_plan plans/lora-canary-inferencemodel.yaml "$work/im.yaml"
before=$(cm_of)
out=$("$rollout" plan apply --yes "$work/im.yaml" 2>&1)
expect_eq "an inferenceModel plan exits 2" 2 $?
expect_contains "it says the CRD is not served" "this cluster does not serve InferenceModel" "$out"
expect_contains "it names the successor" "InferenceModelRewrite (llm-d.ai/v1alpha2)" "$out"
expect_contains "it says how to migrate" "target.inferenceModelRewrite {name: the InferenceModelRewrite, model:" "$out"
expect_eq "the adapters ConfigMap is unchanged" "$before" "$(cm_of)"
expect_eq "no state was written" "" "$(k get cm rollout-food-review-adapter -o name --ignore-not-found)"
stop_sandbox

# ---- both InferenceModelRewrite groups: the plan's, and a warning for the namesake ----------
start_sandbox --traffic-rate 0 || exit 1
k get inferencemodelrewrites.inference.networking.x-k8s.io >/dev/null
k get inferencemodelrewrites.llm-d.ai food-review-rewrite -o json |
  jq '.apiVersion = "inference.networking.x-k8s.io/v1alpha2" | del(.metadata.resourceVersion, .metadata.uid, .metadata.creationTimestamp, .metadata.generation, .metadata.annotations, .status)' |
  k create -f - >/dev/null
test_plan plans/lora-canary-inferencemodelrewrite.yaml "$work/rw.yaml"
out=$("$rollout" plan apply --dry-run=server "$work/rw.yaml" 2>&1)
expect_eq "a server dry run exits 0" 0 $?
expect_contains "the namesake is a warning" \
  "warning: InferenceModelRewrite food-review-rewrite exists in both llm-d.ai/v1alpha2 and inference.networking.x-k8s.io/v1alpha2; only the llm-d.ai/v1alpha2 one is changed" "$out"
stop_sandbox

# ---- only the legacy group ------------------------------------------------------------------
start_sandbox --disable-api llm-d.ai --traffic-rate 0 || exit 1
expect_eq "discovery has no llm-d.ai" "" "$(k api-resources --api-group=llm-d.ai -o name)"
out=$("$rollout" plan apply --dry-run=server "$work/rw.yaml" 2>&1)
expect_eq "apiVersion llm-d.ai in the plan exits 2" 2 $?
expect_contains "it says what to write" "set apiVersion: inference.networking.x-k8s.io/v1alpha2" "$out"
grep -v "apiVersion: llm-d.ai" "$work/rw.yaml" >"$work/rw-default.yaml"
out=$("$rollout" plan apply --dry-run=server "$work/rw-default.yaml" 2>&1)
expect_eq "apiVersion left out: exits 0" 0 $?
expect_contains "the legacy group is used, and said" "serves it only in the legacy group inference.networking.x-k8s.io/v1alpha2" "$out"
out=$("$rollout" sandbox up --port 0 --disable-api nosuch.example.com 2>&1)
expect_eq "an unknown group is a usage error" 2 $?
expect_contains "it names the group" '"nosuch.example.com" is not an API group' "$out"

summary api_generations_e2e
