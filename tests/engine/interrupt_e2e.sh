#!/usr/bin/env bash
# SIGTERM and SIGINT to `rollout plan apply` (a cancelled CI job, a Ctrl-C) against `rollout
# sandbox up`: the apply stops between writes and ends by its signal (exit status 143 / 130, as
# CI runners and shells expect), says where the rollout stays, writes its JUnit and Markdown
# reports (outcome Interrupted), leaves the route and the state where they were and the lock
# free; a new apply resumes and finishes. A second signal ends it at once. A signal the parent
# ignored (a background job's SIGINT) stays ignored.
set -u
rollout=$1
src=$2
work=$(mktemp -d /tmp/rollout-interrupt-test.XXXXXX)
. "$src/tests/engine/lib.sh"
require xmllint:libxml2-utils
apply_pid=""
trap '[[ -n $apply_pid ]] && kill -9 "$apply_pid" 2>/dev/null; stop_sandbox; [[ -n ${KEEP:-} ]] || rm -rf "$work"' EXIT

# A command prefix that runs the command with SIGINT at its default, as a foreground job gets it
# (bash ignores SIGINT in the background jobs of a script). Not a function: a backgrounded
# function is a subshell, and $! would be that subshell rather than the process it runs.
with_sigint=(python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])')
weights() { k get httproute llm-route -o json | jq -c '[.spec.rules[0].backendRefs[] | {(.name): (.weight // 1)}] | add'; }
wait_for_event() {  # wait_for_event FILE EVENT SECONDS
  for _ in $(seq 1 $(($3 * 10))); do
    grep -q "\"event\":\"$2\"" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "no $2 event in $1 after $3 s"; return 1
}

start_sandbox || exit 1
export KUBECONFIG=$work/kubeconfig
apply_examples
wait_ready

# ---- SIGTERM at a manual pause, with reports ------------------------------------------------
test_plan plans/inferencepool-blue-green.yaml "$work/bg.yaml" --name bg-term \
  --steps '[{setWeight: 10}, {pause: {}}, {setWeight: 100}]'
"$rollout" plan apply --yes -o json "$work/bg.yaml" --junit "$work/term.xml" --summary "$work/term.md" \
  >"$work/term.jsonl" 2>"$work/term.err" &
apply_pid=$!
wait_for_phase bg-term Paused 60
kill -TERM "$apply_pid"
wait "$apply_pid"
expect_eq "SIGTERM: the apply ends by its signal (143)" 143 $?
apply_pid=""
expect_contains "an interrupted event says where it stays" '"event":"interrupted"' "$(cat "$work/term.jsonl")"
expect_contains "and how to go on" "interrupted by SIGTERM at step 2/4 (pause until promoted)" "$(cat "$work/term.jsonl")"
expect_contains "stderr says so" "error: rollout bg-term interrupted by SIGTERM" "$(cat "$work/term.err")"
expect_eq "no finished event" "" "$(grep '"event":"finished"' "$work/term.jsonl")"
xmllint --noout "$work/term.xml" 2>&1
expect_eq "the JUnit file is written and well-formed" 0 $?
expect_contains "the JUnit outcome is Interrupted" '<property name="outcome" value="Interrupted"/>' "$(cat "$work/term.xml" 2>/dev/null)"
expect_contains "the step is an error of type Interrupted" 'type="Interrupted"' "$(cat "$work/term.xml" 2>/dev/null)"
expect_contains "the summary says INTERRUPTED" "## Rollout bg-term: INTERRUPTED" "$(cat "$work/term.md" 2>/dev/null)"
expect_eq "the route stays at 10%" '{"vllm-llama3-8b-instruct":90,"vllm-llama3-8b-instruct-new":10}' "$(weights)"
expect_eq "the rollout stays Paused" Paused "$(phase_of bg-term)"
status=$("$rollout" status bg-term -o json 2>&1)
expect_eq "no apply holds its lock" "" "$(jq -r '.lock // empty | .holder // empty' <<<"$status" 2>/dev/null)"
# A new apply resumes at once (no lock to wait out), and a promote finishes it.
"$rollout" plan apply --yes -o json "$work/bg.yaml" >"$work/term2.jsonl" 2>&1 &
apply_pid=$!
wait_for_event "$work/term2.jsonl" run_resumed 30
expect_eq "the new apply resumes it" 0 $?
wait_for_event "$work/term2.jsonl" paused 30
"$rollout" promote bg-term >/dev/null
wait "$apply_pid"
expect_eq "the resumed apply finishes (exit 0)" 0 $?
apply_pid=""
expect_eq "the route is on the new pool" '{"vllm-llama3-8b-instruct-new":100}' "$(weights)"
expect_eq "the rollout Succeeded" Succeeded "$(phase_of bg-term)"

# ---- SIGINT (Ctrl-C) in the middle of a timed pause, text output --------------------------------
k apply -f "$src/examples/sandbox/httproute-llm-route.yaml" >/dev/null
test_plan plans/inferencepool-blue-green.yaml "$work/int.yaml" --name bg-int --pause-duration 10m \
  --steps '[{setWeight: 10}, {pause: {}}, {setWeight: 100}]'
"${with_sigint[@]}" "$rollout" plan apply --yes "$work/int.yaml" >"$work/int.out" 2>"$work/int.err" &
apply_pid=$!
wait_for_phase bg-int Progressing 60
for _ in $(seq 1 100); do grep -q "step 2/" "$work/int.out" && break; sleep 0.1; done
sleep 1
kill -INT "$apply_pid"
wait "$apply_pid"
expect_eq "SIGINT: the apply ends by its signal (130)" 130 $?
apply_pid=""
expect_contains "it says it heard the signal" "SIGINT: stopping after the write under way" "$(cat "$work/int.err")"
expect_contains "and where the rollout stays" "interrupted by SIGINT at step 2/4 (pause 10m" "$(cat "$work/int.out" "$work/int.err")"
expect_eq "the rollout stays Progressing" Progressing "$(phase_of bg-int)"
expect_contains "status says no apply drives it" "no apply drives it" "$("$rollout" status bg-int 2>&1)"
expect_eq "the route stays at 10%" '{"vllm-llama3-8b-instruct":90,"vllm-llama3-8b-instruct-new":10}' "$(weights)"
out=$("$rollout" abort bg-int 2>&1)
expect_eq "abort with no apply running rolls it back (exit 0)" 0 $?
expect_eq "the route is back on stable" '{"vllm-llama3-8b-instruct":100,"vllm-llama3-8b-instruct-new":0}' "$(weights)"

# ---- a background job's SIGINT stays ignored ---------------------------------------------------
k apply -f "$src/examples/sandbox/httproute-llm-route.yaml" >/dev/null
test_plan plans/inferencepool-blue-green.yaml "$work/bgjob.yaml" --name bg-job \
  --steps '[{setWeight: 10}, {pause: {}}, {setWeight: 100}]'
"$rollout" plan apply --yes -o json "$work/bgjob.yaml" >"$work/bgjob.jsonl" 2>&1 &
apply_pid=$!
wait_for_phase bg-job Paused 60
kill -INT "$apply_pid"
sleep 2
kill -0 "$apply_pid" 2>/dev/null
expect_eq "an ignored SIGINT does not stop it" 0 $?
"$rollout" abort bg-job >/dev/null 2>&1
wait "$apply_pid"
expect_eq "abort still ends it (exit 4)" 4 $?
apply_pid=""

# ---- a second signal ends it at once, while a write is under way ------------------------------
# Every API request takes 3 s: the first SIGTERM waits for the write under way, the second does not.
k apply -f "$src/examples/sandbox/httproute-llm-route.yaml" >/dev/null
test_plan plans/inferencepool-blue-green.yaml "$work/twice.yaml" --name bg-twice \
  --steps '[{setWeight: 10}, {pause: {}}, {setWeight: 100}]'
stop_sandbox
start_sandbox --fault-latency 3s || exit 1
"$rollout" plan apply --yes -o json "$work/twice.yaml" >"$work/twice.jsonl" 2>"$work/twice.err" &
apply_pid=$!
wait_for_event "$work/twice.jsonl" run_started 120  # the run holds its lock and writes from here on
kill -TERM "$apply_pid"
sleep 0.5
kill -TERM "$apply_pid"
wait "$apply_pid"
expect_eq "two SIGTERMs: it ends by the signal" 143 $?
apply_pid=""
expect_eq "without stopping at a safe point" "" "$(grep '"event":"interrupted"' "$work/twice.jsonl")"
# The state it left is one a new apply resumes (or, before the state existed, starts afresh).
stop_sandbox
start_sandbox || exit 1
wait_ready
"$rollout" plan apply --yes --timeout 120s "$work/twice.yaml" >"$work/twice2.out" 2>&1 &
apply_pid=$!
wait_for_phase bg-twice Paused 60
"$rollout" promote bg-twice >/dev/null
wait "$apply_pid"
expect_eq "a new apply after the hard stop finishes (exit 0)" 0 $?
apply_pid=""

summary interrupt_e2e
