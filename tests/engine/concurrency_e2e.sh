#!/usr/bin/env bash
# Concurrency against the sandbox, with real processes:
#   (a) other writers to the HTTPRoute a blue-green is moving (kubectl label, kubectl patch of
#       spec.hostnames, kubectl apply --server-side of an annotation by another field manager, each
#       in a loop): rollout's writes are guarded (resourceVersion), so every other writer's last
#       acknowledged change is on the route at the end, and the run finishes; a conflicting edit of
#       the weights rollout owns is drift: the run pauses, says so and keeps the edit; so is an
#       edit of another rule (rollout owns spec.rules as a whole, since its header rule shifts
#       the rules' indices): the run pauses and keeps it;
#   (b) several `apply`s of one rollout at once: exactly one drives, the others exit 7 naming the
#       holder; `promote`, `pause` and `abort` from several processes at once: each acknowledged
#       request is acted upon, once (a promote ends one pause step, not the next as well).
set -u
rollout=$1
src=$2
work=$(mktemp -d /tmp/rollout-concurrency-test.XXXXXX)
. "$src/tests/engine/lib.sh"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  stop_sandbox
  [[ -n ${KEEP:-} ]] || rm -rf "$work"
}
trap cleanup EXIT
start_sandbox || exit 1
export KUBECONFIG=$work/kubeconfig
apply_examples
wait_ready
name=vllm-llama3-8b-blue-green
route_weights() { k get httproute llm-route -o json | jq -c '[.spec.rules[0].backendRefs[] | {name, weight}]'; }
finished='[{"name":"vllm-llama3-8b-instruct-new","weight":100}]'
reset() {
  "$rollout" abort "$name" >/dev/null 2>&1
  k delete cm "rollout-$name" >/dev/null 2>&1
  k apply -f "$src/examples/sandbox/httproute-llm-route.yaml" >/dev/null
}
state_json() { "$rollout" status "$name" -o json 2>/dev/null; }
wait_pause() {  # wait_pause REASON STEP SECONDS: paused for REASON at step STEP (a pattern)
  for _ in $(seq 1 $(($3 * 10))); do
    [[ $(state_json | jq -r '"\(.phase) \(.pauseReason) \(.step)"') == Paused\ $1\ $2 ]] && return 0
    sleep 0.1
  done
  echo "not paused ($1) at step $2: $(state_json | jq -c '{phase, pauseReason, step, message}')"
  return 1
}

# ---- (a) other writers to the same HTTPRoute ------------------------------------------------------
test_plan plans/inferencepool-blue-green.yaml "$work/bg.yaml" --no-gates \
  --steps '[{setWeight: 10}, {pause: {duration: 1s}}, {setWeight: 30}, {pause: {duration: 1s}}, {setWeight: 50}, {pause: {duration: 1s}}]'
reset
rm -f "$work/stop"
labeller() { local i=0; while [[ ! -e $work/stop ]]; do i=$((i + 1)); k label --overwrite httproute llm-route "writer-a=v$i" >/dev/null && echo "v$i" >"$work/a.last"; done; }
hostnames_writer() {  # a field of the spec that rollout does not own
  local i=0
  while [[ ! -e $work/stop ]]; do
    i=$((i + 1))
    k patch httproute llm-route --type=merge -p "{\"spec\":{\"hostnames\":[\"v$i.example.com\"]}}" >/dev/null &&
      echo "v$i.example.com" >"$work/b.last"
  done
}
ssa_writer() {
  local i=0
  while [[ ! -e $work/stop ]]; do
    i=$((i + 1))
    printf 'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: llm-route\n  annotations:\n    writer-c: v%s\n' "$i" |
      k apply --server-side --field-manager=writer-c -f - >/dev/null && echo "v$i" >"$work/c.last"
  done
}
labeller & pids+=($!)
hostnames_writer & pids+=($!)
ssa_writer & pids+=($!)
"$rollout" plan apply --yes "$work/bg.yaml" -o json >"$work/a.out" 2>&1
rc=$?
touch "$work/stop"
for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
pids=()
expect_eq "(a) the blue-green beside three other writers exits 0" 0 $rc
[[ $rc == 0 ]] || tail -5 "$work/a.out"
expect_eq "(a) the route as the plan's end says" "$finished" "$(route_weights)"
live=$(k get httproute llm-route -o json)
expect_eq "(a) the labeller's last acknowledged label is there" "$(cat "$work/a.last")" "$(jq -r '.metadata.labels["writer-a"]' <<<"$live")"
expect_eq "(a) the hostnames writer's last acknowledged value is there" "$(cat "$work/b.last")" "$(jq -r '.spec.hostnames[0]' <<<"$live")"
expect_eq "(a) the server-side applied annotation is there" "$(cat "$work/c.last")" "$(jq -r '.metadata.annotations["writer-c"]' <<<"$live")"
expect_eq "(a) no drift reported (nobody touched the weights)" 0 "$(grep -c '"type":"drift"' "$work/a.out")"
echo "(a) other writers' acknowledged writes: labels $(cat "$work/a.last"), hostnames $(cat "$work/b.last"), annotation $(cat "$work/c.last")"

# A conflicting edit of the weights rollout owns: drift, the run pauses and keeps the edit.
reset
test_plan plans/inferencepool-blue-green.yaml "$work/drift.yaml" --no-gates --steps '[{setWeight: 10}, {pause: {}}, {setWeight: 50}]'
"$rollout" plan apply --yes "$work/drift.yaml" -o json >"$work/drift.out" 2>&1 &
apply=$!
pids+=($apply)
wait_pause PauseStep 1 30
k patch httproute llm-route --type=json -p '[{"op":"replace","path":"/spec/rules/0/backendRefs/0/weight","value":70},{"op":"replace","path":"/spec/rules/0/backendRefs/1/weight","value":30}]' >/dev/null
wait_pause Drift 1 30
expect_contains "(a) drift names the field" "was changed by someone else" "$(state_json | jq -r .message)"
expect_eq "(a) the edit is kept" '[{"name":"vllm-llama3-8b-instruct","weight":70},{"name":"vllm-llama3-8b-instruct-new","weight":30}]' "$(route_weights)"
"$rollout" abort "$name" >/dev/null 2>&1
wait "$apply"
expect_eq "(a) aborted at drift: exit 4" 4 $?
pids=()
# Another team's rule, edited while the run waits at a pause step: drift too, and kept.
reset
k patch httproute llm-route --type=json -p '[{"op":"add","path":"/spec/rules/-","value":{"matches":[{"headers":[{"name":"x-team","value":"v0"}]}],"backendRefs":[{"group":"inference.networking.k8s.io","kind":"InferencePool","name":"vllm-llama3-8b-instruct"}]}}]' >/dev/null
"$rollout" plan apply --yes "$work/drift.yaml" -o json >"$work/rule.out" 2>&1 &
apply=$!
pids+=($apply)
wait_pause PauseStep 1 30
k patch httproute llm-route --type=json -p '[{"op":"replace","path":"/spec/rules/1/matches/0/headers/0/value","value":"v1"}]' >/dev/null
wait_pause Drift 1 30
expect_contains "(a) drift names the other rule's field" "spec.rules[1].matches[0].headers[0].value was changed by someone else" "$(state_json | jq -r .message)"
expect_eq "(a) the other rule's edit is kept while paused" v1 "$(k get httproute llm-route -o jsonpath='{.spec.rules[1].matches[0].headers[0].value}')"
"$rollout" abort "$name" >/dev/null 2>&1
wait "$apply"
expect_eq "(a) aborted at drift: exit 4" 4 $?
pids=()
echo "(a) after abort, the other rule's header is: $(k get httproute llm-route -o jsonpath='{.spec.rules[1].matches[0].headers[0].value}') (abort restores the recorded spec.rules)"
k patch httproute llm-route --type=json -p '[{"op":"remove","path":"/spec/rules/1"}]' >/dev/null

# ---- (b) several applies, promotes, pauses and aborts at once ---------------------------------------
reset
test_plan plans/inferencepool-blue-green.yaml "$work/ctl.yaml" --no-gates \
  --steps '[{setWeight: 10}, {pause: {}}, {setWeight: 30}, {pause: {}}, {setWeight: 50}]'
for i in 1 2 3 4; do
  "$rollout" plan apply --yes "$work/ctl.yaml" -o json >"$work/apply-$i.out" 2>&1 &
  pids+=($!)
done
wait_pause PauseStep 1 30
sleep 1
running=() refused=0
for i in 0 1 2 3; do
  if kill -0 "${pids[$i]}" 2>/dev/null; then running+=("${pids[$i]}"); else
    wait "${pids[$i]}"; rc=$?
    [[ $rc == 7 ]] && refused=$((refused + 1)) || echo "apply $((i + 1)) exited $rc: $(tail -2 "$work/apply-$((i + 1)).out")"
  fi
done
expect_eq "(b) four applies at once: exactly one drives" 1 "${#running[@]}"
expect_eq "(b) the other three exit 7" 3 $refused
expect_contains "(b) the refusal names the holder" "is being applied by" "$(cat "$work"/apply-*.out)"
driver=${running[0]}
pids=("$driver")

# Three promotes and a pause at once: the pause step ends once, the user pause holds the run.
ctl=()
for i in 1 2 3; do "$rollout" promote "$name" >"$work/promote-$i.out" 2>&1 & ctl+=($!); done
"$rollout" pause "$name" >"$work/pause.out" 2>&1 & ctl+=($!)
acked() { local p; n_acked=0; for p in "${ctl[@]}"; do wait "$p" && n_acked=$((n_acked + 1)); done; }  # not in $(): wait needs this shell
acked
expect_eq "(b) three promotes and a pause at once: each acknowledged (exit 0)" 4 "$n_acked"
wait_pause User '[123]' 30  # 1 or 3 when the pause was read before or after the promote
resume_rc=0
"$rollout" resume "$name" >/dev/null 2>&1 || resume_rc=$?
expect_eq "(b) resume acknowledged" 0 $resume_rc
# The three promotes were spent on one pause step: the next one waits for a promote of its own.
wait_pause PauseStep 3 30
sleep 2
expect_eq "(b) still at the second pause step 2 s later (no promote carried over)" "Paused PauseStep 3" \
  "$(state_json | jq -r '"\(.phase) \(.pauseReason) \(.step)"')"
expect_eq "(b) weights at 30%" '[{"name":"vllm-llama3-8b-instruct","weight":70},{"name":"vllm-llama3-8b-instruct-new","weight":30}]' "$(route_weights)"

# An abort and two promotes at once: the abort is not lost to the promotes' writes; it wins. A
# promote either lands while the run is live (exit 0) or, when the abort has already ended the
# run, is refused and says so (exit 2): never acknowledged and then ignored. Which one depends on
# when each process gets to the cluster; both are right, anything else is not.
"$rollout" promote "$name" >"$work/promote-a.out" 2>&1 & p1=$!
"$rollout" abort "$name" >"$work/abort.out" 2>&1 & ab=$!
"$rollout" promote "$name" >"$work/promote-b.out" 2>&1 & p2=$!
wait "$ab"
expect_eq "(b) an abort beside two promotes: acknowledged (exit 0)" 0 $?
promote_outcomes=""
for x in "$p1:a" "$p2:b"; do
  wait "${x%%:*}"; rc=$?
  out=$(cat "$work/promote-${x#*:}.out")
  if [[ $rc == 0 ]]; then promote_outcomes+=" acknowledged"
  elif [[ $rc == 2 && $out == *"cannot promote rollout $name: its last run already ended (Aborted)"* ]]; then
    promote_outcomes+=" refused-after-the-end"
  else promote_outcomes+=" exit-$rc"; echo "promote ${x#*:} exited $rc: $out"; fi
done
expect_eq "(b) each promote beside the abort: acknowledged, or refused because the run had ended" "" \
  "$(tr ' ' '\n' <<<"$promote_outcomes" | grep -v -e '^$' -e '^acknowledged$' -e '^refused-after-the-end$')"
echo "(b) the two promotes beside the abort:$promote_outcomes"
wait "$driver"
expect_eq "(b) abort beside two promotes: the driver exits 4" 4 $?
pids=()
expect_eq "(b) the route is back at its recorded weights" '[{"name":"vllm-llama3-8b-instruct","weight":100},{"name":"vllm-llama3-8b-instruct-new","weight":0}]' "$(route_weights)"
expect_eq "(b) phase Aborted" Aborted "$(phase_of "$name")"
expect_eq "(b) the run recorded once" 1 "$(k get cm "rollout-$name" -o jsonpath='{.data.history\.json}' | jq length)"

summary concurrency_e2e
