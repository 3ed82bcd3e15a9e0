#!/usr/bin/env bash
# The live view as a person sees it: `rollout plan apply` and `rollout status -w` in a real
# terminal (tmux) at 80 and 140 columns against `rollout sandbox up`, the pane captured at a
# manual pause and compared, times and ids masked, with tests/tui/golden/*.txt.
# ROLLOUT_UPDATE_GOLDEN=1 rewrites the golden files. Also: a resize re-lays the view out without
# leaving old frames behind, [d] shows the diff, [q] leaves the rollout paused with exit 0 and
# the lock released, [p] promotes, and without a TTY (or with NO_COLOR) the output stays lines.
set -u
rollout=$(realpath "$1")
src=$2
work=$(mktemp -d /tmp/rollout-tui-test.XXXXXX)
. "$src/tests/engine/lib.sh"
require tmux:tmux
golden=$src/tests/tui/golden
sock=rollout-tui-$$
tm() { tmux -L "$sock" -f /dev/null "$@"; }
trap 'tm kill-server 2>/dev/null; stop_sandbox; [[ -n ${KEEP:-} ]] || rm -rf "$work"' EXIT

start_sandbox || exit 1
export KUBECONFIG=$work/kubeconfig
apply_examples
wait_ready
name=vllm-llama3-8b-blue-green
test_plan plans/inferencepool-blue-green.yaml "$work/bg.yaml" --analysis 1s
weights() { k get httproute llm-route -o jsonpath='{.spec.rules[0].backendRefs[*].weight}'; }

# Times, run ids and how many gate measurements the history holds vary from run to run: masked,
# keeping the columns (a right-aligned time keeps one space before it; the verdict marks and their
# padding are 10 columns wide).
mask() {
  sed -E -e 's/[0-9a-f]{12}/<id>/g' \
    -e 's/[0-9]+h[0-9]{2}m|[0-9]+m[0-9]{2}s|[0-9]+s\b/<t>/g' \
    -e 's/ {2,}(elapsed )?<t>$/  \1<t>/' \
    -e 's/[✓?✗!]{2,} */✓✓…       /g' -e 's/\[[0-9. ]+\]/[values]/g' -e 's/ +$//' |
    sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
}
capture() { tm capture-pane -p -t "$1" | mask; }
# Waits until the pane shows TEXT (up to 60 s).
wait_pane() {  # wait_pane SESSION TEXT
  for _ in $(seq 1 600); do
    tm capture-pane -p -t "$1" 2>/dev/null | grep -qF -- "$2" && return 0
    sleep 0.1
  done
  echo "pane $1 never showed '$2':"; tm capture-pane -p -t "$1"; return 1
}
compare() {  # compare GOLDEN_NAME TEXT
  if [[ -n ${ROLLOUT_UPDATE_GOLDEN:-} ]]; then
    printf '%s\n' "$2" >"$golden/$1"
    ok
    return
  fi
  if [[ "$2" == "$(cat "$golden/$1")" ]]; then ok; else bad "$1 differs:"; diff <(printf '%s\n' "$2") "$golden/$1"; fi
}
run_in() {  # run_in SESSION WIDTH COMMAND...: a terminal WIDTH columns wide, 40 rows
  local s=$1 w=$2
  shift 2
  tm new-session -d -s "$s" -x "$w" -y 40 \
    "env -u NO_COLOR TERM=xterm-256color KUBECONFIG=$KUBECONFIG $*; echo \"EXIT=\$?\"; sleep 600"
}
# A frame drawn over the last one leaves one header, whatever was drawn before.
one_frame() {  # one_frame WHAT TEXT
  expect_eq "$1: one frame on the screen" 1 "$(grep -c "^rollout $name" <<<"$2")"
}

for width in 80 140; do
  k apply -f "$src/examples/sandbox/httproute-llm-route.yaml" >/dev/null
  run_in apply$width "$width" "$rollout" plan apply --yes "$work/bg.yaml"
  wait_pane apply$width "[p]romote" || break
  wait_for_phase $name Paused 30
  sleep 1.5  # a tick of the elapsed times: the capture is of a redrawn frame
  shot=$(capture apply$width)
  compare "apply-pause-$width.txt" "$shot"
  one_frame "apply at $width" "$shot"
  run_in status$width "$width" "$rollout" status -w $name
  wait_pane status$width "waiting for"
  compare "status-watch-$width.txt" "$(capture status$width)"

  # Narrower, then wider: laid out again, no old frame left above.
  tm resize-window -t apply$width -x 60
  sleep 1.5
  narrow=$(tm capture-pane -p -t apply$width)
  one_frame "after a resize to 60" "$narrow"
  expect_eq "no line wider than 60 columns" "" "$(LC_ALL=C.UTF-8 python3 -c 'import sys; [print(l) for l in sys.stdin.read().splitlines() if len(l) > 60]' <<<"$narrow")"
  tm resize-window -t apply$width -x "$width"
  sleep 1.5
  one_frame "after a resize back to $width" "$(tm capture-pane -p -t apply$width)"

  if [[ $width == 80 ]]; then
    # [q] leaves it paused: the apply exits 0, the lock is free, the weights stay.
    tm send-keys -t apply80 q
    wait_pane apply80 "EXIT=0"
    expect_eq "q: still paused" Paused "$(phase_of $name)"
    expect_eq "q: the weights stay at 90/10" "90 10" "$(weights)"
    expect_contains "q: no apply drives it" "driver    none" "$("$rollout" status $name 2>&1)"
    expect_contains "status -w ends with the rollout... not yet: still open" "waiting for" "$(capture status80)"
    "$rollout" abort $name >/dev/null 2>&1
    wait_pane status80 "EXIT=0"
    expect_contains "status -w shows the end" "Aborted" "$(capture status80)"
  else
    # [d] shows the steps to come as diffs above the view; [p] promotes to the end.
    tm send-keys -t apply140 d
    wait_pane apply140 "+++ planned/HTTPRoute/llm-route"
    one_frame "after the diff" "$(tm capture-pane -p -t apply140)"
    tm send-keys -t apply140 p
    wait_pane apply140 "EXIT=0"
    expect_eq "p: promoted to the end" Succeeded "$(phase_of $name)"
    compare "apply-done-140.txt" "$(capture apply140 | sed -n '/^rollout /,$p')"
  fi
  tm kill-session -t apply$width
  tm kill-session -t status$width 2>/dev/null
done

# ---- no TTY, NO_COLOR, TERM=dumb: lines, as before ----------------------------------------
k apply -f "$src/examples/sandbox/httproute-llm-route.yaml" >/dev/null
"$rollout" plan apply --yes --until-pause "$work/bg.yaml" >"$work/plain.out" 2>&1
expect_contains "no TTY: plain lines" "==> step 1/" "$(cat "$work/plain.out")"
expect_eq "no TTY: no escape sequences" 0 "$(grep -c $'\x1b' "$work/plain.out")"
"$rollout" abort $name >/dev/null 2>&1
for env in "NO_COLOR=1" "TERM=dumb"; do
  k apply -f "$src/examples/sandbox/httproute-llm-route.yaml" >/dev/null
  tm new-session -d -s plain -x 80 -y 40 \
    "env -u NO_COLOR TERM=xterm-256color $env KUBECONFIG=$KUBECONFIG $rollout plan apply --yes --until-pause $work/bg.yaml; echo EXIT=\$?; sleep 600"
  wait_pane plain "EXIT=0"
  expect_contains "$env: plain lines" "==> step 1/" "$(tm capture-pane -p -t plain)"
  tm kill-session -t plain
  "$rollout" abort $name >/dev/null 2>&1
done
# ---- a background job of an interactive shell takes no keys: raw mode would stop it (SIGTTOU) ---
k apply -f "$src/examples/sandbox/httproute-llm-route.yaml" >/dev/null
tm new-session -d -s bg -x 80 -y 40 "env -u NO_COLOR TERM=xterm-256color KUBECONFIG=$KUBECONFIG bash --norc --noprofile -i"
tm send-keys -t bg "$rollout plan apply --yes --until-pause $work/bg.yaml & wait \$!; echo BG_\$((1+1))_EXIT=\$?" Enter
wait_pane bg "BG_2_EXIT=" >/dev/null  # not the typed line: that says $((1+1))
expect_contains "a background apply runs to its pause, not stopped" "BG_2_EXIT=0" "$(tm capture-pane -p -t bg)"
expect_eq "and shows no keys it would not read" "" "$(tm capture-pane -p -t bg | grep -F '[p]romote')"
tm kill-session -t bg
"$rollout" abort $name >/dev/null 2>&1

# ---- Ctrl-C in the live view: the cursor is shown again and the terminal's modes restored ------
# (last: the killed apply's lease in the ConfigMap outlives it for a while). The pane's shell
# traps SIGINT so that it lives on to check.
k apply -f "$src/examples/sandbox/httproute-llm-route.yaml" >/dev/null
tm new-session -d -s sig -x 80 -y 40 \
  "trap true INT; stty -g >$work/stty.before; env -u NO_COLOR TERM=xterm-256color KUBECONFIG=$KUBECONFIG $rollout plan apply --yes $work/bg.yaml; rc=\$?; stty -g >$work/stty.after; echo EXIT=\$rc; sleep 600"
wait_pane sig "[p]romote"
expect_eq "the live view hides the cursor" 0 "$(tm display -p -t sig '#{cursor_flag}')"
expect_eq "single keys: no canonical mode" "-icanon" "$(tm display -p -t sig '#{pane_tty}' | xargs -I{} stty -F {} -a | grep -o -- '-icanon')"
tm send-keys -t sig C-c
wait_pane sig "EXIT=130"
expect_eq "after Ctrl-C the cursor is shown" 1 "$(tm display -p -t sig '#{cursor_flag}')"
expect_eq "after Ctrl-C the terminal's modes are back" "$(cat "$work/stty.before")" "$(cat "$work/stty.after")"
summary tui_live_view
