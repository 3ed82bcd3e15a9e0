#!/usr/bin/env bash
# The file store end to end: `rollout plan apply --state-dir DIR` against `rollout sandbox up`
# keeps its state in DIR/<name>.json (not in a ConfigMap), and a second process steers it through
# DIR/<name>.control.json: status (text and -o json), list, promote, pause/resume, abort (rolled
# back, the apply exits 4), promote --full, history, and the flock that stops a second apply
# with exit 7. Without --state-dir the control commands look in the default state dir
# ($XDG_STATE_HOME/rollout) and in the cluster, say where they found the rollout, and refuse a
# name found in both. Route weights are checked with real kubectl; how long the running apply
# took to react to each request is printed.
set -u
rollout=$1
src=$2
work=$(mktemp -d /tmp/rollout-filestore-test.XXXXXX)
. "$src/tests/engine/lib.sh"
trap 'stop_sandbox; [[ -n ${KEEP:-} ]] || rm -rf "$work"' EXIT

start_sandbox || exit 1
export KUBECONFIG=$work/kubeconfig
# The default state dir of every command below unless a case says otherwise: nothing of this
# suite may land in the user's ~/.local/state.
export XDG_STATE_HOME=$work/unused-xdg
apply_examples
wait_ready
original=$(spec_of httproute llm-route)
reset_route() { k apply -f "$src/examples/sandbox/httproute-llm-route.yaml" >/dev/null; }
weights() { k get httproute llm-route -o jsonpath='{.spec.rules[0].backendRefs[*].weight}'; }
wait_weights() {  # wait_weights WANT SECONDS
  for _ in $(seq 1 $(($2 * 10))); do [[ $(weights) == "$1" ]] && return 0; sleep 0.1; done
  return 1
}
name=vllm-llama3-8b-blue-green
state=$work/state
# 90/10 -> pause {} -> 50/50 -> analysis -> 100: the analyses are long enough (5s) for a pause
# requested after 50/50 to land while the run is still in that step.
test_plan plans/inferencepool-blue-green.yaml "$work/bg.yaml" --analysis 1s
python3 - "$work/bg.yaml" <<'EOF'
import sys, yaml
p = yaml.safe_load(open(sys.argv[1]))
after_pause = False
for s in p["spec"]["steps"]:
    after_pause = after_pause or "pause" in s
    if "analysis" in s and after_pause:
        s["analysis"]["duration"] = "5s"
yaml.safe_dump(p, open(sys.argv[1], "w"), sort_keys=False)
EOF
ro() { "$rollout" "$@"; }
local_phase() { jq -r .phase "$1/$name.json" 2>/dev/null; }
wait_local_phase() {  # wait_local_phase DIR PHASE SECONDS
  for _ in $(seq 1 $(($3 * 10))); do
    [[ $(local_phase "$1") == "$2" ]] && return 0
    sleep 0.1
  done
  echo "rollout $name in $1 did not reach phase $2 (now: $(local_phase "$1"))"
  return 1
}
now_ms() { date +%s%3N; }
# react NAME LOG PATTERN CMD...: runs the control command CMD, then waits (up to 10s) for PATTERN
# in the running apply's event log LOG; prints and records how long that took from CMD's start.
reactions=""
react() {
  local what=$1 log=$2 pattern=$3
  shift 3
  local t0 t1
  t0=$(now_ms)
  react_out=$("$@" 2>&1)
  react_rc=$?
  for _ in $(seq 1 500); do grep -qF -- "$pattern" "$log" && break; sleep 0.02; done
  t1=$(now_ms)
  if ! grep -qF -- "$pattern" "$log"; then
    bad "$what: the apply did not react within 10s ('$pattern' not in its output)"
    return
  fi
  local ms=$((t1 - t0))
  reactions+="$what ${ms}ms; "
  echo "reaction to $what: ${ms}ms"
  # Generous for e2e (two shared cores): the contract says within a second.
  if [[ $ms -le 3000 ]]; then ok; else bad "$what took ${ms}ms (> 3000ms)"; fi
}
event_count() { grep -cF -- "\"event\":\"$2\"" "$1"; }

# ---- a run whose state lives in --state-dir --------------------------------------------------
"$rollout" plan apply --yes -o json --state-dir "$state" "$work/bg.yaml" >"$work/a.out" 2>"$work/a.err" &
a=$!
wait_local_phase "$state" Paused 60
expect_eq "at the pause the route is at 90/10" "90 10" "$(weights)"
# The state files as documented: <name>.json, .control.json, .lock (held, naming the driver); no
# state ConfigMap in the cluster.
for f in "$name.json" "$name.control.json" "$name.lock"; do
  expect_eq "$f exists in the state dir" yes "$([[ -f $state/$f ]] && echo yes || echo no)"
done
expect_eq "the state file names the run's step" "pause" "$(jq -r .stepTitle "$state/$name.json" | cut -d' ' -f1)"
expect_eq "the lock file names the apply's pid" "$a" "$(jq -r .pid "$state/$name.lock")"
expect_contains "no state ConfigMap in the cluster" "NotFound" "$(k get cm "rollout-$name")"

# status from a second process, text and JSON
st=$(ro status $name --state-dir "$state")
expect_eq "status exits 0" 0 $?
expect_contains "status shows the phase" "$name  Paused" "$st"
expect_contains "status shows the step" "▶ 7 pause until promoted" "$st"
expect_contains "status shows the weights" "canary 10%, stable 90%" "$st"
expect_contains "status names the driver" "driver    pid $a on " "$st"
expect_contains "status says where the state is" "state     $state/$name.json" "$st"
js=$(ro status $name -o json --state-dir "$state")
expect_eq "status -o json: phase" Paused "$(jq -r .phase <<<"$js")"
expect_eq "status -o json: step" 6 "$(jq -r .step <<<"$js")"
expect_eq "status -o json: driver pid" "$a" "$(jq -r .driver.pid <<<"$js")"
expect_eq "status -o json: state store" "$state/$name.json" "$(jq -r .stateStore <<<"$js")"
h=$(ro history $name --state-dir "$state")
expect_contains "history shows the run in progress" "Paused  " "$h"
expect_contains "at its step" "in progress: pause until promoted" "$h"
ls_out=$(ro list --state-dir "$state")
expect_contains "list shows the rollout in the state dir" "$name" "$ls_out"
expect_eq "list: phase and where" "Paused $state" "$(awk -v n=$name '$1==n {print $2, $3}' <<<"$ls_out")"
expect_eq "list -o json" "Paused" "$(ro list -o json --state-dir "$state" | jq -r "select(.name==\"$name\") | .phase")"

# one driver at a time: a second apply of the same rollout is refused with exit 7 naming the holder
out=$("$rollout" plan apply --yes --state-dir "$state" "$work/bg.yaml" 2>&1)
expect_eq "a concurrent apply exits 7" 7 $?
expect_contains "it names the holder" "is being applied by pid $a on " "$out"
expect_contains "and the lock file" "$state/$name.lock" "$out"
expect_eq "the refused apply changed nothing" "90 10" "$(weights)"

# promote ends the pause {}: the running apply reacts through the control file
react "promote" "$work/a.out" '"event":"promoted"' ro promote $name --state-dir "$state"
expect_eq "promote exits 0" 0 $react_rc
expect_contains "promote says it was promoted, and where" "rollout $name promoted (state in $state/$name.json)" "$react_out"
expect_eq "promote is in the control file" yes "$(jq -e '.promote | select(. != "")' "$state/$name.control.json" >/dev/null && echo yes || echo no)"
wait_weights "50 50" 20 || bad "after promote the route did not reach 50/50 (now $(weights))"
ok

# pause / resume: the apply holds at 50/50 while paused, then runs to the end
react "pause" "$work/a.out" '"event":"paused","message":"paused by' ro pause $name --state-dir "$state"
expect_contains "pause answers" "rollout $name paused (state in $state/$name.json)" "$react_out"
for _ in $(seq 1 30); do [[ $(jq -r .pauseReason "$state/$name.json") == User ]] && break; sleep 0.1; done
expect_contains "status shows the user's pause" "Paused (User)" "$(ro status $name --state-dir "$state")"
sleep 6  # longer than the 5s analysis: a paused run does not finish its step
expect_eq "a paused rollout does not move" "50 50" "$(weights)"
react "resume" "$work/a.out" '"event":"resumed"' ro resume $name --state-dir "$state"
expect_contains "resume answers" "rollout $name resumed (state in $state/$name.json)" "$react_out"
wait "$a"
expect_eq "after resume the apply runs to the end with exit 0" 0 $?
expect_eq "the route is finished: only the new pool" "100" "$(weights)"
expect_eq "phase Succeeded in the state file" Succeeded "$(local_phase "$state")"
expect_eq "history file written" yes "$([[ -f $state/$name.history.json ]] && echo yes || echo no)"
st=$(ro status $name --state-dir "$state")
expect_contains "status after the run: Succeeded" "$name  Succeeded" "$st"
expect_contains "status after the run: no driver" "driver    none" "$st"
run1=$(jq -r .runId "$state/$name.json")
h=$(ro history $name --state-dir "$state")
expect_eq "history exits 0" 0 $?
expect_eq "history lists the run as Succeeded" "Succeeded" "$(awk -v r=$run1 '$1==r {print $2}' <<<"$h")"
expect_contains "a control command on a finished run is refused" "already ended (Succeeded)" \
  "$(ro promote $name --state-dir "$state" 2>&1)"

# ---- abort from a second process: the apply rolls back and exits 4 ------------------------
reset_route
"$rollout" plan apply --yes -o json --state-dir "$state" "$work/bg.yaml" >"$work/b.out" 2>"$work/b.err" &
b=$!
wait_local_phase "$state" Paused 60
expect_eq "second run at the pause: 90/10" "90 10" "$(weights)"
run2=$(jq -r .runId "$state/$name.json")
react "abort" "$work/b.out" '"event":"rolling_back"' ro abort $name --state-dir "$state"
expect_eq "abort exits 0" 0 $react_rc
expect_contains "abort says the running apply rolled it back" "aborted: the running apply rolled it back (Aborted)" "$react_out"
wait "$b"
expect_eq "the aborted apply exits 4" 4 $?
expect_eq "abort restored the recorded route" "$original" "$(spec_of httproute llm-route)"
expect_eq "weights back to the original" "$(jq -r '.rules[0].backendRefs | map(.weight // 1 | tostring) | join(" ")' <<<"$original")" "$(weights)"
expect_eq "phase Aborted in the state file" Aborted "$(local_phase "$state")"
h=$(ro history $name --state-dir "$state")
expect_eq "history: first run Succeeded" Succeeded "$(awk -v r=$run1 '$1==r {print $2}' <<<"$h")"
expect_eq "history: second run Aborted" Aborted "$(awk -v r=$run2 '$1==r {print $2}' <<<"$h")"
expect_eq "history -o json has both runs" 2 "$(ro history $name -o json --state-dir "$state" | jq -s length)"

# ---- promote --full skips the remaining steps ----------------------------------------------
reset_route
"$rollout" plan apply --yes -o json --state-dir "$state" "$work/bg.yaml" >"$work/c.out" 2>"$work/c.err" &
c=$!
wait_local_phase "$state" Paused 60
timeout 60 "$rollout" status -w -o json $name --state-dir "$state" >"$work/watch.out" 2>&1 &
w=$!
sleep 0.5
react "promote --full" "$work/c.out" '"event":"promoted"' ro promote --full $name --state-dir "$state"
expect_contains "promote --full answers" "rollout $name promoted to the end" "$react_out"
wait "$c"
expect_eq "promote --full finishes with exit 0" 0 $?
expect_eq "straight to the finished route" "100" "$(weights)"
expect_eq "the 50% step never ran" "" "$(grep -F 'setWeight 50' "$work/c.out")"
wait "$w"
expect_eq "status -w (watching the state file) ends when the rollout does" 0 $?
expect_eq "status -w printed the way to Succeeded" "Paused Succeeded" \
  "$(jq -r .phase "$work/watch.out" | uniq | sed -n '1p;$p' | paste -sd' ')"

# ---- the driver is killed (-9): the kernel drops its flock; a new apply resumes the run -------
reset_route
"$rollout" plan apply --yes -o json --state-dir "$state" "$work/bg.yaml" >"$work/k.out" 2>&1 &
kpid=$!
wait_local_phase "$state" Paused 60
run3=$(jq -r .runId "$state/$name.json")
kill -9 $kpid
wait $kpid 2>/dev/null
st=$(ro status $name --state-dir "$state")
expect_contains "after kill -9 nobody drives it" "driver    none" "$st"
expect_contains "and it is still at the pause" "$name  Paused" "$st"
out=$("$rollout" plan apply --yes --until-pause --state-dir "$state" "$work/bg.yaml" 2>&1)
expect_eq "a new apply takes the dead holder's lock and hands over at the pause" 0 $?
expect_contains "it resumed the run" "resuming rollout $name at step 7/12" "$out"
expect_eq "the same run" "$run3" "$(jq -r .runId "$state/$name.json")"
expect_eq "still at 90/10" "90 10" "$(weights)"
# abort with no apply running rolls back from the state file by itself
out=$(ro abort $name --state-dir "$state" 2>&1)
expect_eq "abort without a driver exits 0" 0 $?
expect_contains "it rolled back itself" "rollout $name aborted and rolled back (state in $state/$name.json)" "$out"
expect_eq "the route is as recorded" "$original" "$(spec_of httproute llm-route)"
expect_eq "phase Aborted" Aborted "$(local_phase "$state")"
expect_eq "history: the killed-and-resumed run Aborted" Aborted \
  "$(ro history $name --state-dir "$state" | awk -v r=$run3 '$1==r {print $2}')"

# ---- the default state dir: control commands without --state-dir ---------------------------
reset_route
xdg=$work/xdg
default_dir=$xdg/rollout
XDG_STATE_HOME=$xdg "$rollout" plan apply --yes -o json --state-dir "$default_dir" "$work/bg.yaml" >"$work/d.out" 2>"$work/d.err" &
d=$!
wait_local_phase "$default_dir" Paused 60
st=$(XDG_STATE_HOME=$xdg ro status $name)
expect_eq "status without --state-dir exits 0" 0 $?
expect_contains "it found the rollout in the default dir and says so" "$name  Paused (PauseStep)  $default_dir/$name.json" "$st"
expect_contains "status shows the phase" "$name  Paused" "$st"
expect_contains "list without --state-dir shows the default dir's rollout" "$default_dir" "$(XDG_STATE_HOME=$xdg ro list)"
react "promote (default dir)" "$work/d.out" '"event":"promoted"' env XDG_STATE_HOME="$xdg" "$rollout" promote $name
expect_contains "promote without --state-dir says where it found the rollout" "(state in $default_dir/$name.json)" "$react_out"
wait "$d"
expect_eq "the default-dir run finishes with exit 0" 0 $?
expect_eq "default dir: history" Succeeded "$(XDG_STATE_HOME=$xdg ro history $name | awk 'NR==2 {print $2}')"

# A run of the same name in the cluster (ConfigMap store), handed over at its pause: now the name
# is known in both places, and a control command without --state-dir must not guess.
reset_route
XDG_STATE_HOME=$xdg "$rollout" plan apply --yes --until-pause "$work/bg.yaml" >"$work/e.out" 2>&1
expect_eq "the cluster run hands over at the pause" 0 $?
expect_eq "its state is the ConfigMap" Paused "$(phase_of $name)"
for verb in status abort; do
  out=$(XDG_STATE_HOME=$xdg ro $verb $name 2>&1)
  expect_eq "$verb of a name in both places exits 2" 2 $?
  [[ $verb == status ]] && echo "refusal: $out"
  expect_contains "$verb names the state file" "$default_dir/$name.json" "$out"
  expect_contains "$verb names the ConfigMap" "rollout-$name" "$out"
done
expect_eq "the refused abort changed nothing" "90 10" "$(weights)"
expect_eq "the cluster run is still paused" Paused "$(phase_of $name)"
# The refusal says how to reach each one, and both ways work.
expect_contains "it says --state-dir picks the state file" "--state-dir $default_dir picks the state file" "$out"
expect_contains "and how to reach the ConfigMap" "for the ConfigMap, set XDG_STATE_HOME to a directory without $name.json" "$out"
expect_contains "--state-dir picks the local one" "$name  Succeeded" "$(ro status $name --state-dir "$default_dir")"
st=$(XDG_STATE_HOME=$work/elsewhere ro status $name 2>&1)
expect_contains "with another XDG_STATE_HOME the cluster one is found" "$name  Paused (PauseStep)  namespace default" "$st"
expect_contains "and it is the paused cluster run" "$name  Paused" "$st"
out=$(XDG_STATE_HOME=$work/elsewhere ro abort $name 2>&1)
expect_eq "abort of the cluster run exits 0" 0 $?
expect_contains "it rolled back itself" "aborted and rolled back" "$out"
expect_eq "the route is back" "$original" "$(spec_of httproute llm-route)"

echo "control reactions: $reactions"
summary file_store_e2e
