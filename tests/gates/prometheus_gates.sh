#!/usr/bin/env bash
# Prometheus gates end to end: a real Prometheus (Debian's) scrapes the sandbox's pods every
# second while synthetic traffic flows; the shipped blue-green plan, with its own Prometheus
# gates pointed at it, promotes a good canary, rolls back one that errors or is slow (exit 3),
# and refuses before any change when Prometheus is unreachable (exit 6) or a query does not parse (exit 2).
set -u
rollout=$1
src=$2
work=$(mktemp -d /tmp/rollout-prometheus-gates.XXXXXX)
. "$src/tests/engine/lib.sh"
prom_pid=""
trap '[[ -n $prom_pid ]] && kill $prom_pid 2>/dev/null && wait $prom_pid 2>/dev/null; stop_sandbox; [[ -n ${KEEP:-} ]] || rm -rf "$work"' EXIT
require prometheus:prometheus curl:curl
t0=$SECONDS
elapsed() { echo "  [$((SECONDS - t0))s] $*"; }

start_sandbox --traffic-rate 40 || exit 1
export KUBECONFIG=$work/kubeconfig
apply_examples
wait_ready

# The sandbox's prometheus.yml, scraping every second (rate windows of 15s then hold 15 samples).
sed -e 's/scrape_interval: 5s/scrape_interval: 1s/g' -e 's/evaluation_interval: 5s/evaluation_interval: 1s/' \
  -e 's/scrape_timeout: 4s/scrape_timeout: 900ms/' -e 's/refresh_interval: 5s/refresh_interval: 1s/' \
  "$work/data/prometheus.yml" >"$work/prometheus.yml"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
prom=http://127.0.0.1:$port
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$port" >"$work/prometheus.log" 2>&1 &
prom_pid=$!
for _ in $(seq 1 100); do curl -sf "$prom/-/ready" >/dev/null && break; sleep 0.2; done
curl -sf "$prom/-/ready" >/dev/null && ok || { bad "prometheus not ready"; tail -5 "$work/prometheus.log"; }
elapsed "prometheus ready"

route() { k get httproute llm-route -o json | jq -c '.spec'; }
weights() { k get httproute llm-route -o jsonpath='{.spec.rules[0].backendRefs[*].weight}'; }
state_of() { kubectl --request-timeout=10s get cm "rollout-$1" -o name 2>/dev/null; }
plan() {  # plan NAME OUT [test_plan.py flags]
  local name=$1 out=$2
  shift 2
  test_plan plans/inferencepool-blue-green.yaml "$out" --name "$name" --prometheus "$prom" --rate-window 15s \
    --gate-interval 1s --analysis 3s --pause-duration 1s --max-ratio 3 "$@"
}
# Re-creates the new pool's Deployment with a sandbox knob on its pod template (or none).
new_pool_with() {  # new_pool_with ANNOTATION VALUE
  k get deployment vllm-llama3-8b-instruct-new -o json |
    jq --arg k "$1" --arg v "$2" 'del(.metadata.resourceVersion, .metadata.uid, .metadata.creationTimestamp, .metadata.generation, .metadata.managedFields, .status)
      | .spec.template.metadata.annotations = ({} | if $k == "" then . else .[$k] = $v end)' >"$work/deploy.json"
  k delete deployment vllm-llama3-8b-instruct-new --wait=true >/dev/null
  for _ in $(seq 1 50); do [[ -z $(k get pods -l app=vllm-llama3-8b-instruct-new -o name) ]] && break; sleep 0.2; done
  k apply -f "$work/deploy.json" >/dev/null
  k rollout status deployment/vllm-llama3-8b-instruct-new --timeout=60s >/dev/null
}

# ---- (d) pre-flight: nothing changes when Prometheus cannot answer ------------------------
before=$(route)
plan pf-down "$work/down.yaml"
sed -i "s|address: $prom|address: http://127.0.0.1:1|" "$work/down.yaml"
out=$("$rollout" plan apply --yes "$work/down.yaml" 2>&1)
expect_eq "an unreachable Prometheus exits 6" 6 $?
expect_contains "it names the gate and the address" "Prometheus at http://127.0.0.1:1 is unreachable" "$out"
expect_eq "the route is unchanged" "$before" "$(route)"
expect_eq "no state was written" "" "$(state_of pf-down)"
plan pf-bad "$work/badquery.yaml"
python3 - "$work/badquery.yaml" <<'EOF'
import sys, yaml
p = yaml.safe_load(open(sys.argv[1]))
p["spec"]["gates"][0]["prometheus"]["query"] = 'sum(rate(vllm:request_success_total{app="{{canary}}"}[15s])'
yaml.safe_dump(p, open(sys.argv[1], "w"), sort_keys=False)
EOF
out=$("$rollout" plan apply --yes "$work/badquery.yaml" 2>&1)
expect_eq "a query that does not parse exits 2" 2 $?
expect_contains "it names the gate" "gate error-rate" "$out"
expect_contains "with Prometheus' parse error" "parse error" "$out"
expect_eq "the route is unchanged" "$before" "$(route)"
expect_eq "no state was written" "" "$(state_of pf-bad)"
elapsed "pre-flight"

# ---- (a) a good canary is promoted ----------------------------------------------------------
# The stable's series must be in Prometheus before the first comparison.
for _ in $(seq 1 60); do
  n=$(curl -s "$prom/api/v1/query" --data-urlencode 'query=count(rate(vllm:request_success_total{app="vllm-llama3-8b-instruct"}[15s]) > 0)' |
    jq -r '.data.result[0].value[1] // 0')
  [[ $n -gt 0 ]] && break
  sleep 0.5
done
plan good-bg "$work/good.yaml"
"$rollout" plan apply --yes --timeout 150s "$work/good.yaml" -o json >"$work/good.out" 2>&1
expect_eq "a good canary is promoted (exit 0)" 0 $?
expect_eq "the route serves only the new pool" "100" "$(weights)"
expect_contains "the error-rate gate was measured" '"gate":"error-rate"' "$(cat "$work/good.out")"
expect_contains "the ttft-p99 gate compared with the stable" "vs stable" "$(cat "$work/good.out")"
expect_contains "finished Succeeded" '"outcome":"Succeeded"' "$(cat "$work/good.out")"
elapsed "good canary promoted"

# ---- (b) a canary failing half its requests is rolled back ----------------------------------
k apply -f "$src/examples/sandbox/httproute-llm-route.yaml" >/dev/null
new_pool_with sandbox.rollout.dev/error-rate 0.5
before=$(route)
plan errors-bg "$work/errors.yaml"
"$rollout" plan apply --yes --timeout 150s "$work/errors.yaml" >"$work/errors.out" 2>&1
expect_eq "an erroring canary exits 3" 3 $?
expect_contains "the error-rate gate failed" "gate error-rate failed" "$(cat "$work/errors.out")"
expect_contains "with the measured rate" "successCondition \"result < 0.01\" is false" "$(cat "$work/errors.out")"
expect_eq "the route is restored" "$before" "$(route)"
elapsed "erroring canary rolled back"

# ---- (c) a canary slow to the first token is rolled back ------------------------------------
new_pool_with sandbox.rollout.dev/ttft 2s
sleep 15  # the erroring pods' last requests leave the 15s window
before=$(route)
plan slow-bg "$work/slow.yaml"
"$rollout" plan apply --yes --timeout 150s "$work/slow.yaml" >"$work/slow.out" 2>&1
expect_eq "a slow canary exits 3" 3 $?
expect_contains "the ttft-p99 gate failed" "gate ttft-p99 failed" "$(cat "$work/slow.out")"
expect_eq "the route is restored" "$before" "$(route)"
elapsed "slow canary rolled back"

summary prometheus_gates
