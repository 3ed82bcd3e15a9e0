#!/usr/bin/env bash
# A second process steers a running `apply` through the state ConfigMap: promote, promote --full,
# pause/resume, abort (with and without a running apply), drift, deadlines, and the lock that
# stops a second concurrent apply with exit 7.
set -u
rollout=$1
src=$2
work=$(mktemp -d /tmp/rollout-control-test.XXXXXX)
. "$src/tests/engine/lib.sh"
trap 'stop_sandbox; [[ -n ${KEEP:-} ]] || rm -rf "$work"' EXIT

start_sandbox || exit 1
export KUBECONFIG=$work/kubeconfig
apply_examples
wait_ready
original=$(spec_of httproute llm-route)
reset_route() { k apply -f "$src/examples/sandbox/httproute-llm-route.yaml" >/dev/null; }
weights() { k get httproute llm-route -o jsonpath='{.spec.rules[0].backendRefs[*].weight}'; }
name=vllm-llama3-8b-blue-green
test_plan plans/inferencepool-blue-green.yaml "$work/bg.yaml" --analysis 1s

# ---- one driver at a time: the second apply exits 7 naming the holder ----------------------
"$rollout" plan apply --yes "$work/bg.yaml" >"$work/a.out" 2>&1 &
a=$!
wait_for_phase $name Paused 60
out=$("$rollout" plan apply --yes "$work/bg.yaml" 2>&1)
expect_eq "a concurrent apply exits 7" 7 $?
expect_contains "it names the holder" "is being applied by pid $a" "$out"

# ---- pause / resume from a second process -------------------------------------------------
expect_contains "promote" "promoted" "$("$rollout" promote $name 2>&1)"
for _ in $(seq 1 50); do [[ $(weights) == "50 50" ]] && break; sleep 0.1; done
"$rollout" pause $name >/dev/null 2>&1
sleep 1.5
expect_contains "status shows the user's pause" "Paused (User)" "$("$rollout" status $name 2>&1)"
held=$(weights)
sleep 2
expect_eq "a paused rollout does not move" "$held" "$(weights)"
"$rollout" resume $name >/dev/null 2>&1
wait "$a"
expect_eq "after resume it runs to the end" 0 $?
expect_contains "events show pause and resume" "resumed" "$(cat "$work/a.out")"

# ---- abort from a second process rolls back and the apply exits 4 --------------------------
reset_route
"$rollout" plan apply --yes "$work/bg.yaml" >"$work/b.out" 2>&1 &
b=$!
wait_for_phase $name Paused 60
expect_eq "at the pause the route is at 90/10" "90 10" "$(weights)"
"$rollout" abort $name >"$work/abort.out" 2>&1
wait "$b"
expect_eq "the aborted apply exits 4" 4 $?
expect_eq "abort restored the recorded route" "$original" "$(spec_of httproute llm-route)"
expect_eq "phase Aborted" "Aborted" "$(phase_of $name)"

# ---- abort with no apply running rolls back by itself ---------------------------------------
reset_route
"$rollout" plan apply --yes --until-pause "$work/bg.yaml" >/dev/null 2>&1
expect_eq "--until-pause exits 0" 0 $?
expect_eq "handed over at 90/10" "90 10" "$(weights)"
out=$("$rollout" abort $name 2>&1)
expect_eq "abort without a driver exits 0" 0 $?
expect_contains "it rolled back itself" "aborted and rolled back" "$out"
expect_eq "the route is back" "$original" "$(spec_of httproute llm-route)"
expect_contains "history lists both runs" "Aborted" "$("$rollout" history $name 2>&1)"

# ---- promote --full skips the remaining steps ---------------------------------------------
reset_route
"$rollout" plan apply --yes "$work/bg.yaml" >"$work/c.out" 2>&1 &
c=$!
wait_for_phase $name Paused 60
timeout 60 "$rollout" status -w -o json $name >"$work/watch.out" 2>&1 &
w=$!
sleep 0.5
"$rollout" promote --full $name >/dev/null 2>&1
wait "$c"
expect_eq "promote --full finishes with exit 0" 0 $?
wait "$w"
expect_eq "status -w ends when the rollout does" 0 $?
expect_eq "status -w printed the way to Succeeded" "Paused Succeeded" \
  "$(jq -r .phase "$work/watch.out" | uniq | sed -n '1p;$p' | paste -sd' ')"
expect_eq "straight to the finished route" "100" "$(weights)"
expect_eq "the 50% step never ran" "" "$(grep -F 'setWeight 50' "$work/c.out")"

# ---- drift: someone edits a managed field during the run ----------------------------------
reset_route
"$rollout" plan apply --yes "$work/bg.yaml" >"$work/d.out" 2>&1 &
d=$!
wait_for_phase $name Paused 60
k patch httproute llm-route --type json -p '[{"op":"replace","path":"/spec/rules/0/backendRefs/0/weight","value":70}]' >/dev/null
for _ in $(seq 1 50); do [[ $(k get cm rollout-$name -o jsonpath='{.data.state\.json}' | jq -r .pauseReason) == Drift ]] && break; sleep 0.2; done
st=$("$rollout" status $name 2>&1)
expect_contains "drift pauses the rollout" "Paused (Drift)" "$st"
expect_contains "naming the object and field" "HTTPRoute llm-route: spec.rules[0].backendRefs[0].weight was changed by someone else (90 -> 70)" "$st"
expect_eq "the edit is not overwritten" "70 10" "$(weights)"
"$rollout" abort $name >/dev/null 2>&1
wait "$d"
expect_eq "abort after drift exits 4" 4 $?
expect_eq "and restores the recorded values" "$original" "$(spec_of httproute llm-route)"

# ---- deadlines: --timeout rolls back with exit 5 ------------------------------------------
reset_route
out=$("$rollout" plan apply --yes --timeout 4s "$work/bg.yaml" 2>&1)
expect_eq "--timeout exits 5" 5 $?
expect_contains "it says why" "--timeout 4s exceeded" "$out"
expect_eq "after rolling back" "$original" "$(spec_of httproute llm-route)"

# ---- a rollout that is nowhere: the error names both places looked in ---------------------
out=$(XDG_STATE_HOME=$work/xdg "$rollout" status no-such-rollout 2>&1)
expect_eq "status of an unknown rollout exits 2" 2 $?
expect_contains "it names the state dir" "$work/xdg/rollout/no-such-rollout.json" "$out"
expect_contains "and the ConfigMap" "ConfigMap default/rollout-no-such-rollout" "$out"

summary control_e2e
