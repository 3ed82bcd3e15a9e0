#!/usr/bin/env bash
# `kill -9` of the sandbox itself (`rollout sandbox up --data-dir DIR`) in the middle of a rollout,
# then restarted on the same port and data dir, while other clients (the official Python client)
# write and watch. Each round:
#   - nothing written and acknowledged is lost: every ConfigMap write answered 2xx is there with
#     that resourceVersion or a later one;
#   - resourceVersions keep increasing across the restart (one writer, one write after the other:
#     each acknowledged resourceVersion is above the one before);
#   - a watch resumes or gets 410 Gone as from a real API server, and a reflector (list + watch,
#     relist on 410) ends with the same objects and resourceVersions as a fresh list;
#   - the rollout's state ConfigMap parses, and a re-run of apply finishes the blue-green.
# Two rounds; kill moments are random from $ROLLOUT_CRASH_SEED (default: the clock; printed).
set -u
rollout=$1
src=$2
work=$(mktemp -d /tmp/rollout-sandbox-crash-test.XXXXXX)
. "$src/tests/engine/lib.sh"
/usr/bin/python3 -c "import kubernetes" 2>/dev/null || { echo "FAIL: python3-kubernetes is missing (apt-get install python3-kubernetes)"; exit 1; }
writer_pid="" reflector_pid="" apply_pid=""
cleanup() {
  for p in $writer_pid $reflector_pid $apply_pid; do kill "$p" 2>/dev/null; done
  stop_sandbox
  [[ -n ${KEEP:-} ]] || rm -rf "$work"
}
trap cleanup EXIT
seed=${ROLLOUT_CRASH_SEED:-$(($(date +%s%N) % 32768))}
echo "sandbox_crash_e2e: seed $seed"
RANDOM=$seed
clients=$src/tests/engine/sandbox_crash_clients.py
restart_sandbox() {  # as start_sandbox, on the port the clients know
  starts=$((starts + 1))
  log="$work/sandbox-$starts.log"
  "$rollout" sandbox up --port "$port" --data-dir "$work/data" --kubeconfig-out "$work/kubeconfig" >"$log" 2>&1 &
  sandbox_pid=$!
  for _ in $(seq 1 200); do
    grep -q "listening on" "$log" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "sandbox did not restart:"; cat "$log"; return 1
}

start_sandbox || exit 1
export KUBECONFIG=$work/kubeconfig
port=$(grep -o 'listening on https\?://127.0.0.1:[0-9]*' "$log" | grep -o '[0-9]*$')
apply_examples
wait_ready
name=vllm-llama3-8b-blue-green
# No gates: the sandbox is the pods' node too, so its restart restarts them, and a health gate
# would rightly fail the canary; what is checked here is the API's state and the run's resumption.
test_plan plans/inferencepool-blue-green.yaml "$work/bg.yaml" --no-gates --pause-duration 2s

for round in 1 2; do
  what="round $round (seed $seed)"
  rm -f "$work/stop" "$work/acked" "$work/cache" "$work/cache.stats"
  k delete cm "rollout-$name" >/dev/null 2>&1
  k apply -f "$src/examples/sandbox/httproute-llm-route.yaml" >/dev/null
  /usr/bin/python3 "$clients" writer "$KUBECONFIG" "$work/acked" "$work/stop" 2>"$work/writer.err" &
  writer_pid=$!
  /usr/bin/python3 "$clients" reflector "$KUBECONFIG" "$work/cache" "$work/stop" 2>"$work/reflector.err" &
  reflector_pid=$!
  "$rollout" plan apply --yes "$work/bg.yaml" -o json >"$work/apply-$round.out" 2>&1 &
  apply_pid=$!
  for _ in $(seq 1 100); do [[ -f $work/acked && $(wc -l <"$work/acked") -ge 5 ]] && break; sleep 0.1; done
  sleep "$((RANDOM % 5)).$(printf '%03d' $((RANDOM % 1000)))"  # the rollout takes about 8 s
  acked_before=$([[ -f $work/acked ]] && wc -l <"$work/acked" || echo 0)
  kill -9 "$sandbox_pid"
  wait "$sandbox_pid" 2>/dev/null
  sandbox_pid=""
  sleep 0.5
  restart_sandbox || exit 1
  sleep 2  # the writer and the reflector go on against the restarted sandbox
  touch "$work/stop"
  wait "$writer_pid"
  writer_pid=""
  wait "$reflector_pid"
  reflector_pid=""
  wait "$apply_pid"
  first_rc=$?
  apply_pid=""
  acked_after=$([[ -f $work/acked ]] && wc -l <"$work/acked" || echo 0)
  expect_eq "$what: writes acknowledged before the kill ($acked_before) and after" 1 \
    "$([[ $acked_before -gt 0 && $acked_after -gt $acked_before ]] && echo 1 || echo 0)"

  # Every acknowledged write is there, at its resourceVersion or later.
  k get cm -o json | jq -r '.items[] | "\(.metadata.name) \(.metadata.resourceVersion)"' | sort >"$work/live"
  lost=$(awk 'NR == FNR { live[$1] = $2; next } !($1 in live) || live[$1] + 0 < $2 + 0 { print }' "$work/live" "$work/acked")
  expect_eq "$what: no acknowledged write lost" "" "$lost"
  backwards=$(awk '$2 + 0 <= last { print "after " last ": " $0 } { last = $2 + 0 }' "$work/acked")
  expect_eq "$what: resourceVersions keep increasing across the restart" "" "$backwards"
  # The reflector's view of the w-* objects is the server's.
  expect_eq "$what: the reflector's cache agrees with a fresh list" "$(grep '^w-' "$work/live")" "$(grep '^w-' "$work/cache")"
  expect_eq "$what: its watch never went backwards" 0 "$(jq .rv_backwards "$work/cache.stats")"
  echo "$what: reflector $(cat "$work/cache.stats"); first apply exited $first_rc"

  # The state parses; the re-run finishes the rollout.
  out=$("$rollout" status "$name" -o json 2>&1)
  expect_eq "$what: rollout status -o json parses" 1 "$(jq -e '.phase' <<<"$out" >/dev/null 2>&1 && echo 1 || echo 0)"
  "$rollout" plan apply --yes "$work/bg.yaml" -o json >>"$work/apply-$round.out" 2>&1
  rc=$?
  expect_eq "$what: the re-run exits 0" 0 $rc
  [[ $rc == 0 ]] || tail -5 "$work/apply-$round.out"
  expect_eq "$what: the route as the plan's end says" '[{"name":"vllm-llama3-8b-instruct-new","weight":100}]' \
    "$(k get httproute llm-route -o json | jq -c '[.spec.rules[0].backendRefs[] | {name, weight}]')"
  expect_eq "$what: phase" Succeeded "$(phase_of "$name")"
  expect_eq "$what: the run recorded once" 1 "$(k get cm "rollout-$name" -o jsonpath='{.data.history\.json}' | jq length)"
  # One DELETE of the collection (the writer labels its objects), as a real API server takes it:
  # `kubectl delete` of each name sends a DELETE and then a GET per object under client-go's
  # default client-side rate limit (5 requests/s), so the 500-1000 objects the writer leaves took
  # 100-200 s, and in CI pushed the suite past its ctest timeout.
  k delete --raw "/api/v1/namespaces/default/configmaps?labelSelector=writer%3Dsandbox-crash" >/dev/null
  expect_eq "$what: the writer's objects deleted" 0 "$(k get cm -o name | grep -c '/w-')"
done

summary sandbox_crash_e2e
