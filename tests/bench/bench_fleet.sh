#!/usr/bin/env bash
# One setWeight step over a fleet of HTTPRoutes, two ways, side by side against the sandbox:
#   kubectl-loop   the seeds' method: one `kubectl patch --type=json` per route (90/10)
#   rollout-apply  `rollout plan apply --until-pause` of a blueGreen plan whose target selects the
#                  routes by label, with one `setWeight: 10` step and then `pause: {}`
# For each N it prints wall time, API requests (the sandbox's /sandbox/stats counter, after minus
# before), requests per route and peak RSS (GNU time's %M: the largest process of the method) of
# both, then rollout against the loop: how many times faster, and how many requests beyond one per
# route. The targets (rollout at least 10x faster than the loop, at most N + a few requests for the
# step) are printed beside the figures, never asserted: timings depend on the machine. What is
# asserted is the outcome: every route ends at 90/10, or the bench exits 1.
# Usage: bench_fleet.sh ROLLOUT_BIN SOURCE_DIR [N...]   (default N: 1 100 1000)
# With BENCH_TSV=FILE each measurement is also appended to FILE as "N<TAB>method<TAB>wall_s<TAB>
# api_requests<TAB>peak_rss_KiB" (tests/bench/run.sh takes medians over repeated runs). With
# BENCH_LOOP_MAX=N the kubectl loop is skipped for sizes above N (run.sh's later repetitions: the
# loop over 1000 routes takes minutes and varies little).
set -uo pipefail
rollout=$(realpath "$1")
src=$(realpath "$2")
shift 2
sizes=("$@")
((${#sizes[@]})) || sizes=(1 100 1000)

for tool in kubectl jq curl /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench_fleet: $tool is required (source .ci/deps.sh; rollout_install_deps)"; exit 1; }
done

work=$(mktemp -d)
sandbox_pid=""
cleanup() {
  [[ -n $sandbox_pid ]] && kill "$sandbox_pid" 2>/dev/null && wait "$sandbox_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# The sandbox in memory, no synthetic traffic: the API server is all that is measured. HTTPS as in
# the e2e suites (tests/engine/lib.sh): kubectl sends no bearer token over plain HTTP.
"$rollout" sandbox up --port 0 --traffic-rate 0 --kubeconfig-out "$work/kubeconfig" >"$work/sandbox.log" 2>&1 &
sandbox_pid=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$work/sandbox.log" 2>/dev/null && break
  sleep 0.05
done
url=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$work/sandbox.log" | head -1)
[[ -n $url ]] || { echo "bench_fleet: the sandbox did not start:"; cat "$work/sandbox.log"; exit 1; }
export KUBECONFIG=$work/kubeconfig
token=$(kubectl config view --raw -o jsonpath='{.users[?(@.name=="rollout-sandbox-token")].user.token}')
kubectl config view --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d >"$work/ca.pem"
k() { kubectl --cache-dir "$work/kube-cache" --request-timeout=30s "$@"; }
stats() {  # stats FILE: the sandbox's request counters
  curl -sf --cacert "$work/ca.pem" -H "Authorization: Bearer $token" "$url/sandbox/stats" >"$1" &&
    jq -e '.requests' "$1" >/dev/null || { echo "bench_fleet: GET /sandbox/stats failed"; exit 1; }
}
# "patch=100 get=2 ...": requests by verb between two stats files.
verbs_between() {
  jq -rn --slurpfile a "$1" --slurpfile b "$2" \
    '[$b[0].byVerb | to_entries[] | {k: .key, v: (.value - ($a[0].byVerb[.key] // 0))} | select(.v > 0)
      | "\(.k)=\(.v)"] | join(" ")'
}

# The Gateway and the two pools of the blue-green seed (examples/sandbox/inferencepools.yaml).
k apply -f "$src/examples/sandbox/inferencepools.yaml" >/dev/null || exit 1
k apply -f - >/dev/null <<'YAML' || exit 1
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: inference-gateway
spec:
  gatewayClassName: sandbox
  listeners:
  - {name: http, protocol: HTTP, port: 80}
YAML

. "$src/tests/bench/fleet_routes.sh"

cat >"$work/plan.yaml" <<'YAML'
apiVersion: rollout/v1alpha1
kind: RolloutPlan
metadata:
  name: fleet-bench
spec:
  strategy: blueGreen
  target:
    httpRoute:
      selector:
        matchLabels: {tenant-group: fleet}
      stable: {name: vllm-llama3-8b-instruct}
      canary: {name: vllm-llama3-8b-instruct-new}
  steps:
    - setWeight: 10
    - pause: {}
YAML

# Fresh routes at 100/0 and no rollout state: every method starts from the same place.
reset() {  # reset N
  k delete httproute -l tenant-group=fleet --wait=false >/dev/null 2>&1
  k delete configmap rollout-fleet-bench --ignore-not-found >/dev/null 2>&1
  write_routes "$1" "$work/routes.yaml"
  k create -f "$work/routes.yaml" >/dev/null || { echo "bench_fleet: creating $1 routes failed"; exit 1; }
}

routes_at_90_10() {
  k get httproute -l tenant-group=fleet -o json |
    jq '[.items[] | select([.spec.rules[0].backendRefs[].weight] == [90, 10])] | length'
}

cat >"$work/loop.sh" <<'SH'
n=$1 cache=$2
patch='[{"op":"replace","path":"/spec/rules/0/backendRefs/0/weight","value":90},{"op":"replace","path":"/spec/rules/0/backendRefs/1/weight","value":10}]'
for ((i = 0; i < n; i++)); do
  kubectl --cache-dir "$cache" --request-timeout=30s patch httproute "tenant-$i" --type=json -p "$patch" >/dev/null || exit 1
done
SH

rows=()
failed=0
declare -A wall reqs  # "N method" -> seconds, requests
measure() {  # measure N METHOD COMMAND...
  local n=$1 method=$2
  shift 2
  reset "$n"
  local start end rss status requests
  stats "$work/before.json"
  start=$(date +%s.%N)
  /usr/bin/time -f %M -o "$work/rss" "$@" >"$work/out" 2>&1
  status=$?
  end=$(date +%s.%N)
  stats "$work/after.json"
  requests=$(($(jq .requests "$work/after.json") - $(jq .requests "$work/before.json")))
  rss=$(tail -1 "$work/rss")
  local done_routes
  done_routes=$(routes_at_90_10)
  if [[ $status != 0 || $done_routes != "$n" ]]; then
    failed=1
    echo "bench_fleet: $method over $n routes: exit $status, $done_routes/$n routes at 90/10"
    tail -20 "$work/out"
  fi
  wall["$n $method"]=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
  reqs["$n $method"]=$requests
  [[ -n ${BENCH_TSV:-} ]] && printf '%s\t%s\t%s\t%s\t%s\n' "$n" "$method" "${wall["$n $method"]}" "$requests" "$rss" >>"$BENCH_TSV"
  rows+=("$(printf '%6s  %-14s %9.2f %13s %10.2f %14s %10s   %s' "$n" "$method" "${wall["$n $method"]}" \
    "$requests" "$(awk -v r="$requests" -v n="$n" 'BEGIN { print r / n }')" "$((rss / 1024))" "$done_routes/$n" \
    "$(verbs_between "$work/before.json" "$work/after.json")")")
  echo "${rows[-1]}"  # as it comes; the table follows at the end
}

for n in "${sizes[@]}"; do
  if [[ -z ${BENCH_LOOP_MAX:-} ]] || ((n <= BENCH_LOOP_MAX)); then
    measure "$n" kubectl-loop bash "$work/loop.sh" "$n" "$work/kube-cache"
  fi
  measure "$n" rollout-apply "$rollout" plan apply --yes --until-pause "$work/plan.yaml"
done

echo
echo "One setWeight step (90/10) over N HTTPRoutes selected by label (sandbox: --traffic-rate 0, in memory, HTTPS)"
printf '%6s  %-14s %9s %13s %10s %14s %10s   %s\n' N method wall_s api_requests req/route peak_rss_MiB at_90_10 by_verb
for row in "${rows[@]}"; do echo "$row"; done
echo "sandbox peak RSS: $(awk '/VmHWM/ {printf "%d MiB", $2 / 1024}' "/proc/$sandbox_pid/status")"
echo
echo "rollout-apply against kubectl-loop, same run (targets: >= 10x faster; <= N + a few requests, a constant"
echo "that does not grow with N). Printed, not asserted."
printf '%6s  %13s %10s   %s\n' N times_faster extra_req "requests beyond one per route"
for n in "${sizes[@]}"; do
  [[ -n ${wall["$n kubectl-loop"]:-} ]] || continue
  loop=${wall["$n kubectl-loop"]} mine=${wall["$n rollout-apply"]}
  extra=$((${reqs["$n rollout-apply"]} - n))
  speedup=$(awk -v a="$loop" -v b="$mine" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }')
  verdict=$(awk -v a="$loop" -v b="$mine" 'BEGIN { print (b > 0 && a / b >= 10) ? "10x: met" : "10x: missed" }')
  printf '%6s  %13s %10s   %s\n' "$n" "$speedup" "$extra" \
    "${reqs["$n rollout-apply"]} = N + $extra (loop: ${reqs["$n kubectl-loop"]}); $verdict"
done
exit $failed
