#!/usr/bin/env bash
# First contact: install dependencies, build, validate every shipped plan, then start the sandbox
# cluster, load the seeds' starting objects with kubectl and show what it simulates.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/deps.sh
rollout_install_deps
rollout_build build
./build/rollout version
./build/rollout plan validate plans/*.yaml

demo=$(mktemp -d /tmp/rollout-quickstart.XXXXXX)
./build/rollout sandbox up --port 0 --data-dir "$demo" >"$demo/sandbox.log" 2>&1 &
sandbox=$!
trap 'kill $sandbox 2>/dev/null; wait $sandbox 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q "listening on" "$demo/sandbox.log" && break; sleep 0.1; done
export KUBECONFIG=$demo/kubeconfig
kubectl apply -f examples/sandbox/
kubectl rollout status deployment/vllm-llama3-8b-instruct --timeout=60s
kubectl get pods,httproutes,inferencepools
pod=$(kubectl get pods -l app=vllm-llama3-8b-instruct -o jsonpath='{.items[0].metadata.name}')
echo "Models on $pod (through the API server's pod proxy):"
kubectl get --raw "/api/v1/namespaces/default/pods/$pod:8000/proxy/v1/models"; echo
echo "The sandbox keeps running in $demo as long as you like: rollout sandbox up --data-dir $demo"
