#!/usr/bin/env bash
# Whole rollouts while the API server misbehaves (the sandbox's fault injection, PUT /sandbox/faults):
#   1. 500s and 429s on a share of requests, added latency and watches dropped after a few events:
#      the blue-green runs to the end, exit 0, and leaves the seed's finished route;
#   2. every request failing from the middle of a run: the apply gives up with exit 6 after its
#      retries, and what the route holds is what the state records it wrote (nothing half-applied
#      and unrecorded); with the faults gone, a re-run of the same plan resumes and finishes.
set -u
rollout=$1
src=$2
work=$(mktemp -d /tmp/rollout-faults-test.XXXXXX)
. "$src/tests/engine/lib.sh"
require curl:curl
trap 'stop_sandbox; [[ -n ${KEEP:-} ]] || rm -rf "$work"' EXIT

start_sandbox --traffic-rate 10 || exit 1
export KUBECONFIG=$work/kubeconfig
apply_examples
wait_ready
token=$(kubectl config view --raw -o jsonpath='{.users[?(@.name=="rollout-sandbox-token")].user.token}')
server=$(kubectl config view --raw -o jsonpath='{.clusters[0].cluster.server}')
faults() {  # faults JSON: the sandbox's fault injection from now on
  curl -sk -H "Authorization: Bearer $token" -X PUT -d "$1" "$server/sandbox/faults" >/dev/null
}
route_backends() { k get httproute llm-route -o json | jq -c '[.spec.rules[0].backendRefs[] | [.name, .weight]]'; }
finished='[["vllm-llama3-8b-instruct-new",100]]'

# ---- 1. flaky API server: the rollout completes ----------------------------------------------
test_plan plans/inferencepool-blue-green.yaml "$work/flaky.yaml" --name faults-flaky --pause-duration 1s --analysis 1s
faults '{"errorRate":0.15,"throttleRate":0.15,"latencyMs":50,"dropWatchAfter":3}'
"$rollout" plan apply --yes --timeout 4m "$work/flaky.yaml" >"$work/flaky.out" 2>&1
code=$?
faults '{}'
expect_eq "a flaky API server: the blue-green completes" 0 "$code"
[[ $code == 0 ]] || tail -15 "$work/flaky.out"
expect_eq "the route is the seed's finished route" "$finished" "$(route_backends)"
expect_eq "the state says Succeeded" Succeeded "$(phase_of faults-flaky)"

# ---- 2. the API server goes away mid-run: exit 6, state and route agree, a re-run finishes ------
k apply -f "$src/examples/sandbox/httproute-llm-route.yaml" >/dev/null
test_plan plans/inferencepool-blue-green.yaml "$work/down.yaml" --name faults-down --pause-duration 3s --analysis 3s
"$rollout" plan apply --yes "$work/down.yaml" >"$work/down.out" 2>&1 &
apply_pid=$!
for _ in $(seq 1 200); do
  [[ $(k get httproute llm-route -o jsonpath='{.spec.rules[0].backendRefs[1].weight}') == 5 ]] && break
  sleep 0.1
done
faults '{"errorRate":1}'
wait "$apply_pid"
code=$?
faults '{}'
expect_eq "every request failing: exit 6" 6 "$code"
expect_contains "the error quotes the API server" "an error on the server" "$(tail -3 "$work/down.out")"
# The route's weights are those the state records as written by this run (or its originals).
state=$(k get cm rollout-faults-down -o jsonpath='{.data.state\.json}')
recorded=$(jq -c '[.objects[] | select(.ref.kind == "HTTPRoute") | (.written // .original)] | .[0]' <<<"$state")
live=$(k get httproute llm-route -o json)
agree=$(python3 - "$recorded" "$live" <<'PY'
import json, sys
fields, live = json.loads(sys.argv[1]), json.loads(sys.argv[2])
def at(obj, pointer):
    for part in pointer.strip("/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        obj = obj[int(part)] if isinstance(obj, list) else obj.get(part)
        if obj is None:
            return None
    return obj
bad = [p for p, v in (fields or {}).items() if v.get("present", True) and at(live, p) != v.get("value")]
print("agree" if fields and not bad else "disagree: " + ", ".join(bad) if bad else "no recorded fields")
PY
)
expect_eq "the live route is what the state recorded" agree "$agree"
"$rollout" plan apply --yes --timeout 3m "$work/down.yaml" >"$work/resume.out" 2>&1
expect_eq "the re-run resumes and finishes" 0 $?
expect_contains "it resumed the stopped run" "resum" "$(head -3 "$work/resume.out")"
expect_eq "the route is the seed's finished route" "$finished" "$(route_backends)"

summary api_faults_e2e
