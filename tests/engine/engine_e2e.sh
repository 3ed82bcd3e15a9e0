#!/usr/bin/env bash
# `rollout plan apply` end to end against `rollout sandbox up`, checked with real kubectl: the
# seeds' blue-green and LoRA canary plans run to completion and leave the objects as the seeds'
# "finish the rollout" YAML shows; a bad version is rolled back to the recorded bytes with exit 3;
# dry runs change nothing; bad targets fail before anything changes.
set -u
rollout=$1
src=$2
work=$(mktemp -d /tmp/rollout-engine-test.XXXXXX)
. "$src/tests/engine/lib.sh"
trap 'stop_sandbox; [[ -n ${KEEP:-} ]] || rm -rf "$work"' EXIT

start_sandbox || exit 1
export KUBECONFIG=$work/kubeconfig
apply_examples
wait_ready

# ---- dry runs and diff change nothing -----------------------------------------------------
test_plan plans/inferencepool-blue-green.yaml "$work/bg.yaml" --finalize "echo finalized > $work/finalized" --delete-stable
before=$(spec_of httproute llm-route)
out=$("$rollout" plan diff "$work/bg.yaml" 2>&1)
expect_eq "plan diff exits 0" 0 $?
expect_contains "diff shows the 99/1 weights" "+      weight: 99" "$out"
expect_contains "diff names the object" "+++ planned/HTTPRoute/llm-route" "$out"
expect_contains "diff shows the finish" "# step 12/13: finish: only the canary serves" "$out"
expect_contains "diff shows the finalize command" "would run sh -c echo finalized" "$out"
expect_contains "diff shows what deleteStable deletes" "would delete InferencePool vllm-llama3-8b-instruct" "$out"
out=$("$rollout" plan apply --dry-run=server "$work/bg.yaml" -o json 2>&1)
expect_eq "server dry run exits 0" 0 $?
expect_contains "server dry run reports diffs" '"event":"object_diff"' "$out"
expect_eq "dry runs changed nothing" "$before" "$(spec_of httproute llm-route)"
expect_eq "no state after dry runs" "" "$(kubectl get cm rollout-vllm-llama3-8b-blue-green -o name 2>/dev/null)"

# ---- bad targets fail before anything changes ---------------------------------------------
sed 's/name: vllm-llama3-8b-instruct-new/name: no-such-pool/' "$work/bg.yaml" >"$work/bg-missing.yaml"
out=$("$rollout" plan apply --yes "$work/bg-missing.yaml" 2>&1)
expect_eq "a missing canary pool exits 2" 2 $?
expect_contains "it names the pool" "no-such-pool" "$out"
expect_eq "the route is unchanged" "$before" "$(spec_of httproute llm-route)"
sed 's/name: llm-route/name: no-such-route/' "$work/bg.yaml" >"$work/bg-noroute.yaml"
out=$("$rollout" plan apply --yes "$work/bg-noroute.yaml" 2>&1)
expect_eq "a missing route exits 2" 2 $?
expect_contains "it names the route" "no-such-route" "$out"

# ---- InferencePool blue-green to the end --------------------------------------------------
"$rollout" plan apply --yes "$work/bg.yaml" -o json >"$work/bg.out" 2>"$work/bg.err" &
apply_pid=$!
wait_for_phase vllm-llama3-8b-blue-green Paused 60
expect_eq "paused at 10% before 50%" "90 10" "$(k get httproute llm-route -o jsonpath='{.spec.rules[0].backendRefs[*].weight}')"
out=$("$rollout" status vllm-llama3-8b-blue-green 2>&1)
expect_contains "status shows the pause" "Paused (PauseStep)" "$out"
expect_contains "status shows the weights" "canary 10%, stable 90%" "$out"
expect_contains "status shows the gate" "canary-health" "$out"
expect_contains "promote from a second process" "promoted" "$("$rollout" promote vllm-llama3-8b-blue-green 2>&1)"
wait "$apply_pid"
expect_eq "blue-green apply exits 0" 0 $?
expect_eq "the route is the seed's finished route" \
  '[{"group":"inference.networking.k8s.io","kind":"InferencePool","name":"vllm-llama3-8b-instruct-new","weight":100}]' \
  "$(k get httproute llm-route -o json | jq -c '.spec.rules[0].backendRefs')"
expect_eq "finalize ran" "finalized" "$(cat "$work/finalized" 2>/dev/null)"
expect_contains "deleteStable names the pool" "deleted InferencePool vllm-llama3-8b-instruct (deleteStable)" "$(cat "$work/bg.out")"
expect_eq "the old pool is gone" "" "$(k get inferencepool vllm-llama3-8b-instruct -o name --ignore-not-found)"
expect_eq "the new pool stays" "inferencepool.inference.networking.k8s.io/vllm-llama3-8b-instruct-new" \
  "$(k get inferencepool vllm-llama3-8b-instruct-new -o name 2>/dev/null)"
expect_contains "json events: promoted" '"event":"promoted"' "$(cat "$work/bg.out")"
expect_contains "json events: finished Succeeded" '"outcome":"Succeeded"' "$(cat "$work/bg.out")"
expect_eq "every stdout line is JSON" "" "$(grep -v '^{' "$work/bg.out")"
expect_contains "history has the run" "Succeeded" "$("$rollout" history vllm-llama3-8b-blue-green 2>&1)"
expect_contains "list shows it" "Succeeded" "$("$rollout" list 2>&1)"
out=$("$rollout" plan apply --yes "$work/bg.yaml" 2>&1)
expect_eq "re-applying a finished plan exits 0" 0 $?
expect_contains "and says so" "already succeeded" "$out"
k apply -f "$src/examples/sandbox/httproute-llm-route.yaml" -f "$src/examples/sandbox/inferencepools.yaml" >/dev/null
out=$("$rollout" plan apply --yes --until-pause "$work/bg.yaml" 2>&1)
expect_eq "after the route was reset, the same plan runs again" "90 10" "$(k get httproute llm-route -o jsonpath='{.spec.rules[0].backendRefs[*].weight}')"
"$rollout" abort vllm-llama3-8b-blue-green >/dev/null 2>&1

# ---- LoRA canary on an InferenceModel + the syncer ConfigMap ------------------------------
test_plan plans/lora-canary-inferencemodel.yaml "$work/im.yaml"
"$rollout" plan apply --yes "$work/im.yaml" --until-pause >"$work/im.out" 2>&1
expect_eq "--until-pause hands over with exit 0" 0 $?
expect_eq "handed over at 10%" '[{"name":"food-review-1","weight":90},{"name":"food-review-2","weight":10}]' \
  "$(k get inferencemodel food-review -o json | jq -c '.spec.targetModels')"
expect_contains "the adapter was verified on the pods" "food-review-2" \
  "$(k get --raw "/api/v1/namespaces/default/pods/$(first_pod vllm-llama3-8b-instruct):8000/proxy/v1/models")"
"$rollout" promote food-review-adapter >/dev/null 2>&1
"$rollout" plan apply --yes "$work/im.yaml" >"$work/im2.out" 2>&1
expect_eq "the re-run continues to the end" 0 $?
expect_eq "InferenceModel as the seed finishes it" '[{"name":"food-review-2","weight":100}]' \
  "$(k get inferencemodel food-review -o json | jq -c '.spec.targetModels')"
cfg=$(k get cm vllm-llama3-8b-instruct-adapters -o jsonpath='{.data.configmap\.yaml}')
expect_eq "ConfigMap: food-review-2 in ensureExist, food-review-1 in ensureNotExist" \
  '{"exist": ["food-review-2"], "notExist": ["food-review-1"]}' \
  "$(python3 -c 'import sys,yaml,json; c=yaml.safe_load(sys.stdin)["vLLMLoRAConfig"]; print(json.dumps({"exist":[m["id"] for m in c["ensureExist"]["models"]],"notExist":[m["id"] for m in c.get("ensureNotExist",{}).get("models",[])]}))' <<<"$cfg")"

# ---- LoRA canary on an InferenceModelRewrite ----------------------------------------------
k apply -f "$src/examples/sandbox/configmap-lora-adapters.yaml" >/dev/null  # food-review-1 again
test_plan plans/lora-canary-inferencemodelrewrite.yaml "$work/rw.yaml" --pause-duration 1s
"$rollout" plan apply --yes "$work/rw.yaml" >"$work/rw.out" 2>&1
expect_eq "rewrite canary exits 0" 0 $?
expect_eq "the rule keeps only food-review-2" '[{"modelRewrite":"food-review-2","weight":100}]' \
  "$(k get inferencemodelrewrites.llm-d.ai food-review-rewrite -o json | jq -c '.spec.rules[0].targets')"

# ---- beta users by header, then a mirror, then weights -------------------------------------
k apply -f "$src/examples/sandbox/httproute-llm-route.yaml" >/dev/null
test_plan plans/header-beta-route.yaml "$work/beta.yaml"
"$rollout" plan apply --yes --until-pause "$work/beta.yaml" >"$work/beta.out" 2>&1
expect_eq "header route: handed over at the pause" 0 $?
expect_eq "an added rule sends x-beta: true to the new pool" \
  '{"headers":[{"name":"x-beta","type":"Exact","value":"true"}],"path":{"type":"PathPrefix","value":"/"}}|[{"group":"inference.networking.k8s.io","kind":"InferencePool","name":"vllm-llama3-8b-instruct-new","weight":1}]' \
  "$(k get httproute llm-route -o json | jq -c '.spec.rules[0].matches[0]')|$(k get httproute llm-route -o json | jq -c '.spec.rules[0].backendRefs')"
expect_eq "the managed rule still sends everyone else to the old pool" "100 0" \
  "$(k get httproute llm-route -o jsonpath='{.spec.rules[1].backendRefs[*].weight}')"
expect_eq "the gateway accepted the route at its generation" "True True" \
  "$(k get httproute llm-route -o jsonpath='{.status.parents[0].conditions[*].status}')"
"$rollout" promote vllm-llama3-8b-beta-first >/dev/null 2>&1
"$rollout" plan apply --yes "$work/beta.yaml" -o json >"$work/beta2.out" 2>&1
expect_eq "header route plan runs to the end" 0 $?
expect_contains "the mirror was set on the way" '"type":"RequestMirror"' "$(cat "$work/beta2.out")"
expect_eq "finished: one rule, only the new pool, no mirror" \
  '[{"backendRefs":[{"group":"inference.networking.k8s.io","kind":"InferencePool","name":"vllm-llama3-8b-instruct-new","weight":100}],"matches":[{"path":{"type":"PathPrefix","value":"/"}}]}]' \
  "$(k get httproute llm-route -o json | jq -c '.spec.rules')"

# ---- a bad version is rolled back by the health gate, byte for byte -----------------------
k apply -f "$src/examples/sandbox/httproute-llm-route.yaml" >/dev/null
# The new pool's pods are replaced by a version that crashes on start: no pod answers /health.
crash_new_pool
test_plan plans/inferencepool-blue-green.yaml "$work/bad.yaml" --name bad-blue-green --pause-duration 1s
before=$(k get httproute llm-route -o json | jq -c '.spec')
"$rollout" plan apply --yes --timeout 120s "$work/bad.yaml" >"$work/bad.out" 2>&1
expect_eq "a failed health gate exits 3" 3 $?
expect_contains "it names the gate" "gate canary-health failed" "$(cat "$work/bad.out")"
expect_contains "and rolls back" "restored 1 object(s)" "$(cat "$work/bad.out")"
expect_eq "the route is byte for byte as recorded" "$before" "$(k get httproute llm-route -o json | jq -c '.spec')"
expect_contains "status says Failed" "Failed" "$("$rollout" status bad-blue-green 2>&1)"

summary engine_e2e
