#!/usr/bin/env bash
# The first five minutes with rollout: install what the binary needs (Debian packages only),
# build only the rollout binary, start the embedded sandbox cluster with the seeds' objects
# (examples/sandbox/) and steady synthetic traffic, then run three real rollouts with live
# progress:
#   1. a LoRA canary: adapter food-review-2 loaded through vLLM's runtime API, 10% of the
#      InferenceModel's traffic, a manual pause that this script promotes (as a second terminal
#      would), then 50% and 100% gated on the adapter's error rate;
#   2. an InferencePool blue-green to a deliberately bad version: the error-rate gate catches it
#      at 10% and the route goes back to its recorded weights (exit 3);
#   3. a Kthena ModelServing rolling upgrade, one serving group at a time.
# It ends with what happened and the commands to try next. No GPU, cluster or network needed.
#
# usage: bash examples/demo.sh [--keep] [--rollout BIN]
#   --keep         leave the sandbox running at the end (stop it with the kill command printed)
#   --rollout BIN  use this binary: install nothing, build nothing
set -euo pipefail
cd "$(dirname "$0")/.."

keep=0
rollout=""
while (($# > 0)); do
  case $1 in
    --keep) keep=1 ;;
    --rollout) rollout=$(realpath "$2"); shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "examples/demo.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }'; }
bold() { if [[ -t 1 && -z ${NO_COLOR:-} ]]; then printf '\033[1m%s\033[0m\n' "$*"; else printf '%s\n' "$*"; fi; }
say() { printf '    %s\n' "$*"; }

build_seconds=0
if [[ -z $rollout ]]; then
  bold "==> Installing what the build needs (Debian packages) and building the rollout binary"
  source .ci/deps.sh
  rollout_install_demo_deps
  build_start=$(now)
  rollout_build_binary build
  build_seconds=$(since "$build_start")
  rollout=$PWD/build/rollout
fi
for tool in kubectl curl jq; do
  command -v "$tool" >/dev/null || { echo "examples/demo.sh: $tool is missing (run without --rollout to install it)" >&2; exit 1; }
done
start=$(now)

# ---- the sandbox: API server, simulated pods, gateway, synthetic traffic ----------------------
demo=$(mktemp -d /tmp/rollout-demo.XXXXXX)
free_port() {  # a port nothing listens on, on any loopback address the gateway may take
  local p
  for p in $(shuf -i 20000-40000 -n 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  echo 18080
}
gateway_port=$(free_port)
"$rollout" sandbox up --port 0 --data-dir "$demo" --traffic-rate 20 --gateway-port "80=$gateway_port" \
  >"$demo/sandbox.log" 2>&1 &
sandbox=$!
promoter=""
cleanup() {
  [[ -n $promoter ]] && kill "$promoter" 2>/dev/null
  if ((keep == 0)); then kill "$sandbox" 2>/dev/null && wait "$sandbox" 2>/dev/null; fi
  return 0
}
trap cleanup EXIT
for _ in $(seq 1 200); do
  grep -q "listening on" "$demo/sandbox.log" && break
  kill -0 "$sandbox" 2>/dev/null || { cat "$demo/sandbox.log"; exit 1; }
  sleep 0.05
done
export KUBECONFIG=$demo/kubeconfig
k() { kubectl --request-timeout=20s "$@"; }
bold "==> Sandbox cluster on $(k config view --minify -o jsonpath='{.clusters[0].cluster.server}'), state in $demo"
say "loading the seeds' objects: kubectl apply -f examples/sandbox/"
k apply -f examples/sandbox/ >"$demo/apply.log"
say "$(grep -c . "$demo/apply.log") objects created; waiting for the simulated vLLM pods"
k rollout status deployment/vllm-llama3-8b-instruct --timeout=90s >/dev/null
k rollout status deployment/vllm-llama3-8b-instruct-new --timeout=90s >/dev/null
k wait pods -l app=llama-serving --for=condition=Ready --timeout=90s >/dev/null
k wait gateway/inference-gateway --for=condition=Programmed --timeout=60s >/dev/null
gateway=$(k get gateway/inference-gateway -o jsonpath='{.status.addresses[0].value}'):$gateway_port
pods=$(k get pods --no-headers | grep -c Running)
say "$pods pods Running; gateway inference-gateway on http://$gateway; 20 synthetic requests/s per route"

# ---- the three rollouts --------------------------------------------------------------------
names=() strategies=() targets=() codes=() wants=() times=()
phase_of() { k get cm "rollout-$1" -o jsonpath='{.metadata.labels.rollout\.dev/phase}' 2>/dev/null || true; }
run_plan() {  # run_plan PLAN NAME STRATEGY TARGET WANTED_EXIT
  local t0 code
  t0=$(now)
  set +e
  "$rollout" plan apply --yes "$1"
  code=$?
  set -e
  names+=("$2") strategies+=("$3") targets+=("$4") codes+=("$code") wants+=("$5") times+=("$(since "$t0")")
}

echo
bold "==> 1/3  LoRA canary: adapter food-review-2 through vLLM's runtime API, promoted at 10%"
say "InferenceModel food-review today: $(k get inferencemodel food-review -o jsonpath='{range .spec.targetModels[*]}{.name}={.weight} {end}')"
# The promote a second terminal would send, once the rollout waits at its pause.
(
  for _ in $(seq 1 600); do [[ $(phase_of demo-lora-canary) == Paused ]] && break; sleep 0.1; done
  sleep 2
  "$rollout" promote demo-lora-canary >"$demo/promote.log" 2>&1
) &
promoter=$!
run_plan examples/demo/lora-canary.yaml demo-lora-canary loraCanary InferenceModel/food-review 0
wait "$promoter" 2>/dev/null || true
promoter=""
say "promoted from outside the apply: $(cat "$demo/promote.log" 2>/dev/null)"
say "InferenceModel food-review now: $(k get inferencemodel food-review -o jsonpath='{range .spec.targetModels[*]}{.name}={.weight} {end}')"
completion() {
  curl -s --max-time 10 "http://$gateway/v1/completions" -H 'Content-Type: application/json' \
    -d '{"model": "food-review", "prompt": "Write as if you were a critic: San Francisco", "max_tokens": 8}'
}
say "through the gateway, food-review is now answered by: $(completion | jq -r '.model + " (" + (.choices[0].text | .[0:40]) + "...)"' 2>/dev/null)"

echo
bold "==> 2/3  InferencePool blue-green to a bad version: the gates catch it and roll back"
say "making the new pool bad: a quarter of its requests fail (sandbox.rollout.dev/error-rate: 0.25)"
k patch deployment vllm-llama3-8b-instruct-new --type merge -p \
  '{"spec":{"template":{"metadata":{"annotations":{"sandbox.rollout.dev/error-rate":"0.25","sandbox.rollout.dev/version":"v2-bad"}}}}}' >/dev/null
k rollout status deployment/vllm-llama3-8b-instruct-new --timeout=90s >/dev/null
route_weights() { k get httproute llm-route -o jsonpath='{range .spec.rules[0].backendRefs[*]}{.name}={.weight} {end}'; }
say "HTTPRoute llm-route today: $(route_weights)"
run_plan examples/demo/blue-green-bad.yaml demo-blue-green blueGreen HTTPRoute/llm-route 3
say "HTTPRoute llm-route now: $(route_weights)"

echo
bold "==> 3/3  Kthena ModelServing rolling upgrade: v0.8.5 -> v0.10.2, one serving group at a time"
images() { k get pods -l app=llama-serving --sort-by=.metadata.name -o jsonpath='{range .items[*]}{.metadata.name}={.spec.containers[0].image} {end}' | sed 's#vllm/vllm-openai:##g'; }
say "pods today: $(images)"
run_plan examples/demo/modelserving-rolling.yaml demo-modelserving-rolling rolling ModelServing/llama 0
say "pods now: $(images)"

# ---- what happened --------------------------------------------------------------------------
echo
total=$(since "$start")
bold "==> What happened (${total}s after the build$( ((build_seconds > 0)) && echo "; the build took ${build_seconds}s"))"
status=0
{
  printf 'ROLLOUT\tSTRATEGY\tTARGET\tEXIT\tTIME\tOUTCOME\n'
  for i in "${!names[@]}"; do
    outcome=$("$rollout" history "${names[$i]}" -o json 2>/dev/null | tail -1 | jq -r '.outcome + ": " + (.message | split(" (successCondition")[0])' 2>/dev/null)
    [[ ${codes[$i]} == "${wants[$i]}" ]] || { outcome="UNEXPECTED (wanted exit ${wants[$i]}): $outcome"; status=1; }
    printf '%s\t%s\t%s\t%s\t%ss\t%s\n' "${names[$i]}" "${strategies[$i]}" "${targets[$i]}" "${codes[$i]}" "${times[$i]}" "$outcome"
  done
} | column -t -s $'\t' | sed 's/^/    /'

rel=$rollout
[[ $rollout == "$PWD/build/rollout" ]] && rel=./build/rollout
echo
if ((keep)); then
  bold "==> Try next (the sandbox keeps running, pid $sandbox: stop it with kill $sandbox)"
else
  bold "==> Try next"
  say "The sandbox has stopped; its objects and the rollouts' state are kept in $demo. Bring it back:"
  say "  $rel sandbox up --data-dir $demo --port 0 --gateway-port 80=$gateway_port &"
  say "(or run: bash examples/demo.sh --keep)"
fi
cat <<EOF
      export KUBECONFIG=$demo/kubeconfig
      $rel list                                    # the three rollouts and where their state lives
      $rel history demo-blue-green                 # the run that was rolled back, and why
      $rel status demo-modelserving-rolling        # steps, replicas, the last gate measurements
      $rel plan diff examples/demo/blue-green-bad.yaml   # every step's changes against live state
      kubectl patch deployment vllm-llama3-8b-instruct-new --type merge -p '{"spec":{"template":{"metadata":{"annotations":{"sandbox.rollout.dev/error-rate":"0"}}}}}'
      $rel plan apply examples/demo/blue-green-bad.yaml  # the fixed pool, 10% -> 50% -> 100%; meanwhile, in a
      $rel promote demo-blue-green                 #   second terminal: skip the analysis in progress
      $rel abort demo-blue-green                   #   or put the route back and stop
      curl -s http://$gateway/v1/completions -H 'Content-Type: application/json' \\
        -d '{"model": "food-review", "prompt": "Write as if you were a critic: San Francisco", "max_tokens": 20}'
EOF
exit $status
