#!/usr/bin/env bash
# Reaction and rollback latency of `rollout plan apply` against the sandbox, read off the
# sandbox's audit log (--audit-log-path: every request and the simulated kubelet's pod status
# writes, microsecond timestamps from one clock; tests/bench/audit_latency.py does the reading):
#   reaction promote    `rollout promote` acknowledged by the API server -> the next write to the route
#   reaction gate-due   the last measurement of an analysis gate due (count x interval) -> the next write
#   reaction pod-ready  a Deployment batch's last pod Ready -> the next batch's write
#   rollback N          a gate's failing measurement answered -> the first rollback write, and -> every
#                       one of N HTTPRoutes (label selector) back at its recorded weights (acknowledged)
# Prints TSV lines "kind<TAB>what<TAB>sample_ms" (one per sample) on stdout, progress on stderr;
# run.sh takes medians. Asserted: each run ends in the expected state, or the bench exits 1.
# Usage: bench_latency.sh ROLLOUT_BIN SOURCE_DIR [--reps N] [--sizes "1 1000"]
set -uo pipefail
rollout=$(realpath "$1")
src=$(realpath "$2")
shift 2
reps=5 sizes="1 1000"
while (($#)); do
  case $1 in
    --reps) reps=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    *) echo "bench_latency: unknown argument $1" >&2; exit 2 ;;
  esac
done
for tool in kubectl jq python3; do
  command -v "$tool" >/dev/null || { echo "bench_latency: $tool is required (source .ci/deps.sh; rollout_install_deps)" >&2; exit 1; }
done
work=$(mktemp -d)
sandbox_pid="" apply_pid=""
cleanup() {
  [[ -n $apply_pid ]] && kill "$apply_pid" 2>/dev/null
  [[ -n $sandbox_pid ]] && kill "$sandbox_pid" 2>/dev/null && wait "$sandbox_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
log() { echo "bench_latency: $*" >&2; }
audit=$work/audit.log
"$rollout" sandbox up --port 0 --traffic-rate 0 --audit-log-path "$audit" --kubeconfig-out "$work/kubeconfig" \
  >"$work/sandbox.log" 2>&1 &
sandbox_pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/sandbox.log" 2>/dev/null && break; sleep 0.05; done
grep -q "listening on" "$work/sandbox.log" || { log "the sandbox did not start"; cat "$work/sandbox.log" >&2; exit 1; }
export KUBECONFIG=$work/kubeconfig
k() { kubectl --cache-dir "$work/kube-cache" --request-timeout=30s "$@"; }
for f in gateway inferencepools deployments httproute-llm-route; do
  k apply -f "$src/examples/sandbox/$f.yaml" >/dev/null || { log "applying $f failed"; exit 1; }
done
k rollout status deployment/vllm-llama3-8b-instruct --timeout=60s >/dev/null
k rollout status deployment/vllm-llama3-8b-instruct-new --timeout=60s >/dev/null
now() { date +%s.%N; }
phase_of() { k get cm "rollout-$1" -o jsonpath='{.metadata.labels.rollout\.dev/phase}' 2>/dev/null; }
wait_phase() {  # wait_phase NAME PHASE SECONDS
  for _ in $(seq 1 $(($3 * 20))); do [[ $(phase_of "$1") == "$2" ]] && return 0; sleep 0.05; done
  log "rollout $1 did not reach $2 (now: $(phase_of "$1"))"; return 1
}
failed=0
sample() { echo -e "$1\t$2\t$3"; }

# --- promote: one pause per repetition on llm-route --------------------------------------------
{
  echo "apiVersion: rollout/v1alpha1"
  echo "kind: RolloutPlan"
  echo "metadata: {name: bench-promote}"
  echo "spec:"
  echo "  strategy: blueGreen"
  echo "  target: {httpRoute: {name: llm-route, stable: {name: vllm-llama3-8b-instruct}, canary: {name: vllm-llama3-8b-instruct-new}}}"
  echo "  steps:"
  for i in $(seq 1 "$reps"); do echo "    - setWeight: $((i * 90 / (reps + 1)))"; echo "    - pause: {}"; done
  echo "    - setWeight: 100"
} >"$work/promote.yaml"
"$rollout" plan apply --yes "$work/promote.yaml" >"$work/promote.out" 2>&1 &
apply_pid=$!
for i in $(seq 1 "$reps"); do
  wait_phase bench-promote Paused 60 || { failed=1; break; }
  sleep 0.3  # settled in the pause: nothing in flight
  t0=$(now)
  "$rollout" promote bench-promote >/dev/null 2>&1 || { log "promote failed"; failed=1; break; }
  for _ in $(seq 1 100); do [[ $(phase_of bench-promote) != Paused ]] && break; sleep 0.05; done
  sleep 0.5
  v=$(python3 "$src/tests/bench/audit_latency.py" promote "$audit" "$t0" bench-promote) || { failed=1; break; }
  sample reaction promote "$v"
done
wait "$apply_pid" || { log "the promote rollout failed:"; tail -5 "$work/promote.out" >&2; failed=1; }
apply_pid=""
k apply -f "$src/examples/sandbox/httproute-llm-route.yaml" >/dev/null

# --- gate due: an analysis of count 3 at 1s -----------------------------------------------------
cat >"$work/gate.yaml" <<'YAML'
apiVersion: rollout/v1alpha1
kind: RolloutPlan
metadata: {name: bench-gate}
spec:
  strategy: blueGreen
  target: {httpRoute: {name: llm-route, stable: {name: vllm-llama3-8b-instruct}, canary: {name: vllm-llama3-8b-instruct-new}}}
  steps:
    - setWeight: 10
    - analysis: {gates: [health]}
    - setWeight: 100
  gates:
    - {name: health, http: {path: /health, from: canary}, interval: 1s, count: 3}
YAML
for i in $(seq 1 "$reps"); do
  k delete cm rollout-bench-gate --ignore-not-found >/dev/null
  k apply -f "$src/examples/sandbox/httproute-llm-route.yaml" >/dev/null
  sleep 0.2
  t0=$(now)
  "$rollout" plan apply --yes "$work/gate.yaml" >"$work/gate.out" 2>&1 || { log "the gate rollout failed:"; tail -5 "$work/gate.out" >&2; failed=1; break; }
  v=$(python3 "$src/tests/bench/audit_latency.py" gate "$audit" "$t0" 3 1) || { failed=1; break; }
  sample reaction gate-due "$v"
done
k apply -f "$src/examples/sandbox/httproute-llm-route.yaml" >/dev/null

# --- pod ready: a Deployment rolled in batches of one pod ----------------------------------------
python3 "$src/tests/engine/test_plan.py" "$src/plans/deployment-rolling.yaml" "$work/rolling.yaml" --no-gates \
  --name bench-ready --steps '[{updateReplicas: 1}, {updateReplicas: 2}, {updateReplicas: 3}]' || exit 1
for i in $(seq 1 $(((reps + 1) / 2))); do
  k delete cm rollout-bench-ready --ignore-not-found >/dev/null
  # A new template every time: the version label of the run.
  sed -i "s|vllm/vllm-openai:[^ ]*|vllm/vllm-openai:bench-$i|" "$work/rolling.yaml"
  t0=$(now)
  "$rollout" plan apply --yes "$work/rolling.yaml" >"$work/ready.out" 2>&1 || { log "the rolling rollout failed:"; tail -5 "$work/ready.out" >&2; failed=1; break; }
  while read -r v; do sample reaction pod-ready "$v"; done < <(python3 "$src/tests/bench/audit_latency.py" ready "$audit" "$t0")
done

# --- rollback: a failing gate over N routes -------------------------------------------------------
. "$src/tests/bench/fleet_routes.sh"
cat >"$work/rollback.yaml" <<'YAML'
apiVersion: rollout/v1alpha1
kind: RolloutPlan
metadata: {name: bench-rollback}
spec:
  strategy: blueGreen
  target:
    httpRoute:
      selector: {matchLabels: {tenant-group: fleet}}
      stable: {name: vllm-llama3-8b-instruct}
      canary: {name: vllm-llama3-8b-instruct-new}
  steps:
    - setWeight: 10
    - analysis: {gates: [broken]}
    - setWeight: 100
  gates:
    - {name: broken, http: {path: /bench-missing, from: canary}, interval: 1s}
YAML
for n in $sizes; do
  for i in $(seq 1 $(((reps + 1) / 2))); do
    k delete httproute -l tenant-group=fleet --wait=false >/dev/null 2>&1
    k delete cm rollout-bench-rollback --ignore-not-found >/dev/null
    write_routes "$n" "$work/routes.yaml"
    k create -f "$work/routes.yaml" >/dev/null || { log "creating $n routes failed"; exit 1; }
    t0=$(now)
    "$rollout" plan apply --yes "$work/rollback.yaml" >"$work/rollback.out" 2>&1
    code=$?
    back=$(k get httproute -l tenant-group=fleet -o json |
      jq '[.items[] | select([.spec.rules[0].backendRefs[].weight] == [100, 0])] | length')
    if [[ $code == 0 || $back != "$n" ]]; then
      log "rollback over $n routes: exit $code (want a failure), $back/$n routes back at 100/0"; tail -5 "$work/rollback.out" >&2; failed=1; break
    fi
    { read -r first; read -r all; } < <(python3 "$src/tests/bench/audit_latency.py" rollback "$audit" "$t0")
    sample "rollback-first" "$n" "$first"
    sample "rollback-all" "$n" "$all"
  done
done
k delete httproute -l tenant-group=fleet --wait=false >/dev/null 2>&1
exit $failed
