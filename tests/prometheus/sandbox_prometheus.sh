#!/usr/bin/env bash
# A real Prometheus (Debian's) scrapes the sandbox's pods with the prometheus.yml the sandbox
# writes, while the built-in synthetic traffic flows through the simulated gateway.
set -u
rollout=$1
src=$2
work=$(mktemp -d /tmp/rollout-prometheus-test.XXXXXX)
pass=0 fail=0
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

. "$src/tests/require.sh"
require prometheus:prometheus kubectl:kubernetes-client curl:curl python3:python3

"$rollout" sandbox up --port 0 --data-dir "$work/sandbox" --traffic-rate 20 >"$work/sandbox.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q "listening on" "$work/sandbox.log" && break; sleep 0.05; done
export KUBECONFIG=$work/sandbox/kubeconfig
kubectl apply -f "$src/examples/sandbox/" >/dev/null 2>&1 || bad "kubectl apply of examples/sandbox"
kubectl patch httproute llm-route --type merge \
  -p '{"spec":{"rules":[{"backendRefs":[{"group":"inference.networking.k8s.io","kind":"InferencePool","name":"vllm-llama3-8b-instruct","weight":80},{"group":"inference.networking.k8s.io","kind":"InferencePool","name":"vllm-llama3-8b-instruct-new","weight":20}]}]}}' >/dev/null
kubectl rollout status deployment/vllm-llama3-8b-instruct --timeout=60s >/dev/null || bad "pods not ready"
[[ -s $work/sandbox/prometheus.yml ]] && ok || bad "the sandbox wrote no prometheus.yml"

port=$(free_port)
prometheus --config.file="$work/sandbox/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$port" >"$work/prometheus.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -sf "127.0.0.1:$port/-/ready" >/dev/null && break; sleep 0.2; done
curl -sf "127.0.0.1:$port/-/ready" >/dev/null && ok || { bad "prometheus not ready"; tail -5 "$work/prometheus.log"; }

query() { curl -s "127.0.0.1:$port/api/v1/query" --data-urlencode "query=$1"; }
value=""
for _ in $(seq 1 60); do  # scrapes every 5s; rate() needs two samples
  value=$(query 'sum(rate(vllm:request_success_total[1m]))' | python3 -c '
import json,sys
r=json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")' 2>/dev/null)
  [[ -n $value && $value != 0 ]] && break
  sleep 1
done
if python3 -c "import sys; sys.exit(0 if float('${value:-0}') > 0 else 1)"; then ok; else bad "sum(rate(vllm:request_success_total[1m])) = '${value}'"; fi
echo "request rate seen by Prometheus: ${value:-none} /s"

targets=$(curl -s "127.0.0.1:$port/api/v1/targets" | python3 -c '
import json,sys
t=json.load(sys.stdin)["data"]["activeTargets"]
print(sum(1 for x in t if x["health"]=="up"))')
[[ $targets -ge 6 ]] && ok || bad "expected 6 healthy pod targets, Prometheus has $targets"

# The split between the pools, as Prometheus sees it, follows the 80/20 weights.
share=$(query 'sum(vllm:request_success_total{app="vllm-llama3-8b-instruct-new"}) / sum(vllm:request_success_total)' |
  python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "nan")')
echo "share of the new pool: $share (weight 20%)"
if python3 -c "import sys; v=float('$share'); sys.exit(0 if 0.05 < v < 0.40 else 1)"; then ok; else bad "new pool share $share"; fi

echo "sandbox_prometheus: $pass passed, $fail failed"
[[ $fail == 0 ]]
