#!/usr/bin/env bash
# The sandbox's Gateway as a person uses it: the seeds' commands verbatim (kubectl jsonpath for the
# address, curl on port 80), curl showing both versions during a 50% blue-green step and only the
# new one after, a 503 with an OpenAI error body when no pod is ready, `hey` through the gateway
# during a whole blue-green rollout with zero failed requests, Gateways created and deleted while
# the sandbox runs, --gateway-port and an address kept across a restart, and what a user who may
# not bind port 80 is told at start.
set -u
rollout=$(realpath "$1")
src=$(realpath "$2")
work=$(mktemp -d /tmp/rollout-gateway-test.XXXXXX)
. "$src/tests/engine/lib.sh"
require hey:hey curl:curl setpriv:util-linux
trap 'stop_sandbox; [[ -n ${KEEP:-} ]] || rm -rf "$work"' EXIT

unprivileged_start=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
if [[ $(id -u) != 0 && $unprivileged_start -gt 80 ]]; then
  echo "FAIL: this suite serves port 80 as the seeds do (PORT=80): run it as root, or lower" \
    "net.ipv4.ip_unprivileged_port_start to 80"
  exit 1
fi

start_sandbox --traffic-rate 0 || exit 1
export KUBECONFIG=$work/kubeconfig
apply_examples
# The two pools' pods tell their version apart (both run the same image in the examples).
k patch deployment vllm-llama3-8b-instruct --type merge \
  -p '{"spec":{"template":{"metadata":{"annotations":{"sandbox.rollout.dev/version":"blue-v1"}}}}}' >/dev/null
k patch deployment vllm-llama3-8b-instruct-new --type merge \
  -p '{"spec":{"template":{"metadata":{"annotations":{"sandbox.rollout.dev/version":"green-v2"}}}}}' >/dev/null
wait_ready
adapters_loaded() {  # every pod of the old pool has food-review-1 (the LoRA syncer runs every 2 s)
  local p
  for p in $(k get pods -l app=vllm-llama3-8b-instruct -o jsonpath='{.items[*].metadata.name}'); do
    k get --raw "/api/v1/namespaces/default/pods/$p:8000/proxy/v1/models" | grep -q '"food-review-1"' || return 1
  done
}
for _ in $(seq 1 100); do adapters_loaded && break; sleep 0.1; done
out=$(k wait --for=condition=Programmed gateway/inference-gateway --timeout=30s)
expect_contains "the Gateway is Programmed" "condition met" "$out"

# ---- (3) the seeds' commands, verbatim -------------------------------------------------------
cd "$work" || exit 1
IP=$(kubectl get gateway/inference-gateway -o jsonpath='{.status.addresses[0].value}'); PORT=80
out=$(curl -i ${IP}:${PORT}/v1/completions -H 'Content-Type: application/json' -d '{
"model": "food-review",
"prompt": "Write as if you were a critic: San Francisco",
"max_tokens": 100,
"temperature": 0
}' 2>&1)
expect_contains "the seeds' curl gets 200" "HTTP/1.1 200 OK" "$out"
expect_contains "answered by the InferenceModel's target adapter" '"model":"food-review-1"' "$out"
expect_contains "the answer names the pod" "x-rollout-sandbox-pod: vllm-llama3-8b-instruct-" "$out"
expect_contains "and its version" "x-rollout-sandbox-version: blue-v1" "$out"
[[ $IP =~ ^127\.0\.0\.([0-9]+)$ && ${BASH_REMATCH[1]} -ge 2 ]] && ok || bad "the Gateway's own loopback address: '$IP'"
expect_eq "status.addresses is an IPAddress" "IPAddress" \
  "$(k get gateway/inference-gateway -o jsonpath='{.status.addresses[0].type}')"
expect_eq "the listener counts the attached route" "1" \
  "$(k get gateway/inference-gateway -o jsonpath='{.status.listeners[0].attachedRoutes}')"
out=$(curl -s ${IP}:${PORT}/v1/models)
expect_contains "/v1/models through the gateway" '"id":"meta-llama/Llama-3.1-8B-Instruct"' "$out"
out=$(curl -s ${IP}:${PORT}/v1/chat/completions -H 'Content-Type: application/json' \
  -d '{"model":"food-review","messages":[{"role":"user","content":"hi"}],"max_tokens":3}')
expect_contains "/v1/chat/completions through the gateway" '"object":"chat.completion"' "$out"

# The base model: both pools serve it ("food-review" is rewritten only by the InferenceModel of the
# old pool, so the new pool's vLLM would answer 404 for it, as on a cluster).
base='{"model":"meta-llama/Llama-3.1-8B-Instruct","prompt":"hi","max_tokens":2}'
versions() {  # versions N: the x-rollout-sandbox-version of N requests (non-200 answers as "status-N"), counted
  for _ in $(seq 1 "$1"); do
    curl -s -o /dev/null -D - "${IP}:${PORT}/v1/completions" -H 'Content-Type: application/json' -d "$base" |
      tr -d '\r' | awk '/^HTTP\// && $2 != 200 {print "status-" $2} /^x-rollout-sandbox-version: / {print $2}'
  done | sort | uniq -c | awk '{print $2"="$1}' | tr '\n' ' '
}

# ---- (1) a 50% blue-green step: both versions; after the finish: only the new one ------------
test_plan plans/inferencepool-blue-green.yaml "$work/bg50.yaml" --name gw-blue-green --finalize true \
  --steps '[{setWeight: 50}, {pause: {}}, {setWeight: 100}]'
"$rollout" plan apply --yes --until-pause "$work/bg50.yaml" >"$work/bg50.out" 2>&1
expect_eq "handed over at the 50% pause" 0 $?
expect_eq "the route is at 50/50" "50 50" "$(k get httproute llm-route -o jsonpath='{.spec.rules[0].backendRefs[*].weight}')"
seen=$(versions 60)
expect_contains "50%: the old version answers" "blue-v1=" "$seen"
expect_contains "50%: the new version answers" "green-v2=" "$seen"
[[ $seen != *status-* ]] && ok || bad "50%: every answer is a 200: $seen"
"$rollout" promote gw-blue-green >/dev/null 2>&1
"$rollout" plan apply --yes "$work/bg50.yaml" >"$work/bg50-2.out" 2>&1
expect_eq "the rollout finishes" 0 $?
expect_eq "after the finish: only the new version" "green-v2=30 " "$(versions 30)"

# ---- no ready backend: 503 with an OpenAI-style error --------------------------------------
k scale deployment vllm-llama3-8b-instruct-new --replicas=0 >/dev/null
for _ in $(seq 1 100); do
  [[ -z $(k get pods -l app=vllm-llama3-8b-instruct-new -o name) ]] && break
  sleep 0.1
done
out=$(curl -s -w '\n%{http_code}' ${IP}:${PORT}/v1/completions -H 'Content-Type: application/json' \
  -d '{"model":"food-review","prompt":"hi","max_tokens":2}')
expect_eq "no Ready pod: 503" "503" "$(tail -1 <<<"$out")"
expect_eq "an OpenAI error body" "503" "$(head -1 <<<"$out" | jq -r '.error.code')"
k scale deployment vllm-llama3-8b-instruct-new --replicas=3 >/dev/null
wait_ready

# ---- (2) hey through the gateway during a whole blue-green rollout: no failed request -------
k apply -f "$src/examples/sandbox/httproute-llm-route.yaml" >/dev/null  # back to all on the old pool
test_plan plans/inferencepool-blue-green.yaml "$work/bg.yaml" --name gw-blue-green-load --finalize true \
  --pause-duration 1s --analysis 1s
hey -z 25s -c 40 -m POST -T application/json -d "$base" \
  "http://${IP}:${PORT}/v1/completions" >"$work/hey.out" 2>&1 &
hey_pid=$!
sleep 2
"$rollout" plan apply --yes "$work/bg.yaml" >"$work/bg.out" 2>&1
expect_eq "the rollout under load finishes" 0 $?
expect_eq "the route ends on the new pool" "vllm-llama3-8b-instruct-new=100" \
  "$(k get httproute llm-route -o json | jq -r '.spec.rules[0].backendRefs | map("\(.name)=\(.weight)") | join(" ")')"
wait "$hey_pid"  # hey stops by itself: killing it would count its in-flight requests as errors
codes=$(sed -n '/Status code distribution:/,/^$/p' "$work/hey.out" | grep -o '\[[0-9]*\]' | tr -d '[]' | sort -u | tr '\n' ' ')
expect_eq "hey: every answer is a 200" "200 " "$codes"
expect_eq "hey: no errors" "" "$(grep -A5 'Error distribution' "$work/hey.out")"
served=$(sed -n 's/^[[:space:]]*\[200\][[:space:]]*\([0-9]*\) responses/\1/p' "$work/hey.out")
[[ ${served:-0} -gt 500 ]] && ok || bad "hey: too few requests served (${served:-0}): $(tail -20 "$work/hey.out")"

# ---- Gateways created and deleted while the sandbox runs ------------------------------------
k apply -f - >/dev/null <<'YAML'
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: second
spec:
  gatewayClassName: sandbox
  listeners:
  - {name: http, protocol: HTTP, port: 8080}
  - {name: tls, protocol: TLS, port: 8443}
YAML
k wait --for=condition=Programmed gateway/second --timeout=30s >/dev/null
ip2=$(k get gateway/second -o jsonpath='{.status.addresses[0].value}')
[[ -n $ip2 && $ip2 != "$IP" ]] && ok || bad "a second Gateway gets its own address: '$ip2' (first: $IP)"
expect_eq "a TLS listener is not supported" "False UnsupportedProtocol" \
  "$(k get gateway/second -o jsonpath='{.status.listeners[1].conditions[?(@.type=="Accepted")].status} {.status.listeners[1].conditions[?(@.type=="Accepted")].reason}')"
expect_eq "no route attached: 404" "404" "$(curl -s -o /dev/null -w '%{http_code}' "$ip2:8080/v1/models")"
k delete gateway second >/dev/null
for _ in $(seq 1 50); do
  curl -s -o /dev/null "$ip2:8080/v1/models" || break
  sleep 0.1
done
curl -s -o /dev/null -m 2 "$ip2:8080/v1/models"
expect_eq "a deleted Gateway's listener stops (connection refused)" "7" "$?"

# ---- --gateway-port and the address kept across a restart ----------------------------------
stop_sandbox
start_sandbox --traffic-rate 0 --gateway-port 80=18080 || exit 1
k wait --for=condition=Programmed gateway/inference-gateway --timeout=30s >/dev/null
expect_eq "the address is kept across a restart" "$IP" \
  "$(k get gateway/inference-gateway -o jsonpath='{.status.addresses[0].value}')"
expect_contains "the listener says where it serves" "serving on $IP:18080" \
  "$(k get gateway/inference-gateway -o jsonpath='{.status.listeners[0].conditions[?(@.type=="Programmed")].message}')"
k rollout status deployment/vllm-llama3-8b-instruct-new --timeout=60s >/dev/null
out=$(curl -s -i "$IP:18080/v1/completions" -H 'Content-Type: application/json' \
  -d '{"model":"food-review","prompt":"hi","max_tokens":2}')
expect_contains "port 80 served on 18080" "x-rollout-sandbox-version: green-v2" "$out"
expect_contains "the log names the mapped port" "serving on http://$IP:18080" "$(cat "$work/sandbox-$starts.log")"
stop_sandbox

# ---- a user who may not bind port 80 is told at start, with the flag ------------------------
mkdir -p "$work/nobody" && chmod 777 "$work/nobody" && chmod o+x "$work"
cp -r "$work/data" "$work/nobody/data" && chmod -R a+rwX "$work/nobody/data"
setpriv --reuid=65534 --regid=65534 --clear-groups "$rollout" sandbox up --port 0 --traffic-rate 0 \
  --data-dir "$work/nobody/data" --kubeconfig-out "$work/nobody/kubeconfig" >"$work/nobody/log" 2>&1 &
sandbox_pid=$!
for _ in $(seq 1 100); do
  grep -q "listener port 80" "$work/nobody/log" 2>/dev/null && break
  sleep 0.1
done
log=$(cat "$work/nobody/log")
if [[ $unprivileged_start -gt 80 ]]; then
  expect_contains "at start: ports below 1024 need root" "cannot listen on ports below 1024" "$log"
  expect_contains "the Gateway from the data dir: permission denied" "$IP:80: permission denied" "$log"
  expect_contains "and the flag that maps it" "--gateway-port 80=8080" "$log"
  export KUBECONFIG=$work/nobody/kubeconfig
  expect_eq "not Programmed" "False" \
    "$(k get gateway/inference-gateway -o jsonpath='{.status.conditions[?(@.type=="Programmed")].status}')"
  expect_eq "the listener: PortUnavailable" "PortUnavailable" \
    "$(k get gateway/inference-gateway -o jsonpath='{.status.listeners[0].conditions[?(@.type=="Accepted")].reason}')"
else
  expect_contains "unprivileged ports start at $unprivileged_start: port 80 is served" "serving on http://$IP:80" "$log"
fi
stop_sandbox

summary gateway_e2e
