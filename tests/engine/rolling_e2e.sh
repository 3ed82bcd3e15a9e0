#!/usr/bin/env bash
# Rolling updates in the cluster, driven the way a user does and checked with real kubectl: Kthena
# ModelServing, the legacy ModelInfer, LeaderWorkerSet and Deployment (kind given as $3, default
# all). For each kind:
#   - a good version rolls batch by batch: at every pause between batches exactly the expected
#     number of pods/groups run the new version and are Ready; `status` and `promote` come from a
#     second terminal; it ends with every pod on the new version;
#   - a version that crashes on start is stopped at the first batch and rolled back with exit 3:
#     every pod back on the old version, the recorded fields byte-for-byte as before;
#   - `kill -9` of apply during a batch, then a re-run, completes it with no duplicate pods;
#   - `abort` from a second terminal mid-rollout rolls back (exit 4);
#   - the shipped plan (gates swapped for health checks, analyses shortened) runs end to end.
set -u
rollout=$1
src=$2
only=${3:-}
work=$(mktemp -d /tmp/rollout-rolling-test.XXXXXX)
. "$src/tests/engine/lib.sh"
trap 'stop_sandbox; [[ -n ${KEEP:-} ]] || rm -rf "$work"' EXIT

start_sandbox || exit 1
export KUBECONFIG=$work/kubeconfig

# Per kind: plan, example file, resource, rollout name, serving-pod selector, replicas,
# the fields rollout records, the image before and after.
declare -A plan example res name sel total fields
plan[modelserving]=plans/kthena-modelserving-rolling.yaml
example[modelserving]=modelserving-llama3-8b-instruct.yaml
res[modelserving]=modelserving/llama3-8b-instruct
name[modelserving]=llama3-8b-modelserving
sel[modelserving]="modelserving.volcano.sh/name=llama3-8b-instruct,modelserving.volcano.sh/entry=true"
total[modelserving]=4
fields[modelserving]='{template: .spec.template, strategy: .spec.rolloutStrategy, replicas: .spec.replicas}'
plan[modelinfer]=plans/kthena-modelinfer-legacy.yaml
example[modelinfer]=modelinfer-llama3-8b-instruct.yaml
res[modelinfer]=modelinfer/llama3-8b-instruct
name[modelinfer]=llama3-8b-modelinfer
sel[modelinfer]="modelinfer.matrixinfer.ai/name=llama3-8b-instruct,modelinfer.matrixinfer.ai/entry=true"
total[modelinfer]=4
fields[modelinfer]=${fields[modelserving]}
plan[lws]=plans/leaderworkerset-rolling.yaml
example[lws]=leaderworkerset-vllm-llama3-70b.yaml
res[lws]=leaderworkerset/vllm-llama3-70b
name[lws]=vllm-llama3-70b-lws
sel[lws]="leaderworkerset.sigs.k8s.io/name=vllm-llama3-70b,leaderworkerset.sigs.k8s.io/worker-index=0"
total[lws]=3
fields[lws]='{template: .spec.leaderWorkerTemplate, strategy: .spec.rolloutStrategy, replicas: .spec.replicas}'
plan[deployment]=plans/deployment-rolling.yaml
example[deployment]=deployments.yaml
res[deployment]=deployment/vllm-llama3-8b-instruct
name[deployment]=vllm-deployment-rolling
sel[deployment]="app=vllm-llama3-8b-instruct"
total[deployment]=3
fields[deployment]='{template: .spec.template, strategy: .spec.strategy, replicas: .spec.replicas, paused: .spec.paused}'
old_image=v0.9.2
new_image=v0.10.2

# Ready serving pods (entry/leader pods: one per group) whose first container runs image tag $2.
ready_on() {  # ready_on KIND TAG
  k get pods -l "${sel[$1]}" -o json | jq --arg t "vllm/vllm-openai:$2" \
    '[.items[] | select(.metadata.deletionTimestamp == null) | select(.spec.containers[0].image == $t)
      | select(any(.status.conditions[]?; .type == "Ready" and .status == "True"))] | length'
}
serving_pods() { k get pods -l "${sel[$1]}" -o json | jq '[.items[] | select(.metadata.deletionTimestamp == null)] | length'; }
recorded() { k get "${res[$1]}" -o json | jq -cS "${fields[$1]}"; }
state_field() { k get cm "rollout-$1" -o jsonpath='{.data.state\.json}' | jq -r "$2"; }

# The kind's object as in examples/sandbox, every pod Ready on the old image.
reset_kind() {
  local kind=$1
  "$rollout" abort "${name[$kind]}" >/dev/null 2>&1
  k delete cm "rollout-${name[$kind]}" >/dev/null 2>&1
  k delete "${res[$kind]}" --wait=false >/dev/null 2>&1
  for _ in $(seq 1 100); do [[ $(serving_pods "$kind") == 0 ]] && break; sleep 0.1; done
  if [[ $kind == deployment ]]; then
    python3 - "$src/examples/sandbox/deployments.yaml" "$work/deploy.yaml" <<'EOF'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["metadata"]["name"] == "vllm-llama3-8b-instruct"]
docs[0]["spec"]["template"]["spec"]["containers"][0]["image"] = "vllm/vllm-openai:v0.9.2"
yaml.safe_dump(docs[0], open(sys.argv[2], "w"))
EOF
    k apply -f "$work/deploy.yaml" >/dev/null
  else
    k apply -f "$src/examples/sandbox/${example[$kind]}" >/dev/null
  fi
  for _ in $(seq 1 300); do [[ $(ready_on "$kind" $old_image) == "${total[$kind]}" ]] && return 0; sleep 0.1; done
  echo "reset $kind: not ready ($(ready_on "$kind" $old_image) of ${total[$kind]})"
}

# Steps: one batch more at a time, a manual pause after each but the last.
pausing_steps() {
  local n=$1 s="[" i
  for i in $(seq 1 $((n - 1))); do s+="{updateReplicas: $i}, {pause: {}}, "; done
  echo "$s{updateReplicas: $n}]"
}

wait_paused_at() {  # wait_paused_at NAME STEP_TITLE_PREFIX: Paused at a pause step after that batch
  for _ in $(seq 1 600); do
    [[ $(phase_of "$1") == Paused && $(state_field "$1" .pauseReason) == PauseStep ]] && return 0
    sleep 0.1
  done
  echo "rollout $1 did not pause (phase $(phase_of "$1"), step $(state_field "$1" .stepTitle))"
  return 1
}

good_rollout() {
  local kind=$1 n=${total[$1]} id=${name[$1]}
  reset_kind "$kind"
  test_plan "${plan[$kind]}" "$work/$kind-good.yaml" --steps "$(pausing_steps "$n")" --ready-timeout 60s
  "$rollout" plan apply --yes "$work/$kind-good.yaml" >"$work/$kind-good.out" 2>&1 &
  local pid=$! uids=""
  for b in $(seq 1 $((n - 1))); do
    wait_paused_at "$id" || break
    expect_eq "$kind: paused after batch $b: new pods Ready" "$b" "$(ready_on "$kind" $new_image)"
    expect_eq "$kind: paused after batch $b: old pods Ready" "$((n - b))" "$(ready_on "$kind" $old_image)"
    expect_eq "$kind: paused after batch $b: no extra pods" "$n" "$(serving_pods "$kind")"
    expect_contains "$kind: status from a second terminal" "Paused" "$("$rollout" status "$id" 2>&1)"
    uids+=" $(k get pods -l "${sel[$kind]}" -o json | jq -r --arg t "vllm/vllm-openai:$new_image" \
      '.items[] | select(.spec.containers[0].image == $t) | .metadata.uid')"
    "$rollout" promote "$id" >/dev/null 2>&1 || bad "$kind: promote after batch $b failed"
  done
  wait "$pid"
  expect_eq "$kind: the good version rolls to the end (exit 0)" 0 $?
  expect_eq "$kind: every group on the new version" "$n" "$(ready_on "$kind" $new_image)"
  expect_eq "$kind: no old pod left" 0 "$(ready_on "$kind" $old_image)"
  expect_eq "$kind: phase" Succeeded "$(phase_of "$id")"
  expect_eq "$kind: no gate judged a canary before the first batch" 0 \
    "$(grep -c "(background): Failed" "$work/$kind-good.out")"
  if [[ $kind == deployment ]]; then
    uids+=" $(k get pods -l "${sel[$kind]}" -o jsonpath='{.items[*].metadata.uid}')"
    expect_eq "deployment: each new pod was created once (distinct new-template pod UIDs over the rollout)" "$n" \
      "$(tr ' ' '\n' <<<"$uids" | grep . | sort -u | wc -l)"
    expect_eq "deployment: unpaused, its recorded strategy back" \
      '{"paused":null,"type":"RollingUpdate"}' "$(k get "${res[$kind]}" -o json | jq -cS '{paused: .spec.paused, type: .spec.strategy.type}')"
    local hist
    hist=$(k rollout history "${res[$kind]}")
    expect_contains "deployment: kubectl rollout history lists the new revision" "2 " "$hist"
    expect_eq "deployment: rollout status agrees" 0 "$(k rollout status "${res[$kind]}" --timeout=30s >/dev/null; echo $?)"
  fi
  grep -q "FAIL\|error" "$work/$kind-good.out" && tail -5 "$work/$kind-good.out"
}

crash_rollout() {
  local kind=$1 n=${total[$1]} id=${name[$1]}
  reset_kind "$kind"
  local before
  before=$(recorded "$kind")
  test_plan "${plan[$kind]}" "$work/$kind-crash.yaml" --steps "$(pausing_steps "$n")" --ready-timeout 60s \
    --pod-annotation sandbox.rollout.dev/crash-on-start=true
  "$rollout" plan apply --yes "$work/$kind-crash.yaml" >"$work/$kind-crash.out" 2>&1
  expect_eq "$kind: a crash-on-start version fails the first batch with exit 3" 3 $?
  expect_contains "$kind: the message names the failing pod" "fails (container" "$(cat "$work/$kind-crash.out")"
  expect_eq "$kind: every group back on the old version and Ready" "$n" "$(ready_on "$kind" $old_image)"
  expect_eq "$kind: no new pod left" 0 "$(ready_on "$kind" $new_image)"
  expect_eq "$kind: recorded fields as before" "$before" "$(recorded "$kind")"
  expect_eq "$kind: phase" Failed "$(phase_of "$id")"
}

killed_rollout() {
  local kind=$1 n=${total[$1]} id=${name[$1]}
  reset_kind "$kind"
  test_plan "${plan[$kind]}" "$work/$kind-kill.yaml" --no-gates --pause-duration 1s --ready-timeout 60s
  "$rollout" plan apply --yes "$work/$kind-kill.yaml" >"$work/$kind-kill-1.out" 2>&1 &
  local pid=$! title=""
  for _ in $(seq 1 300); do
    title=$(state_field "$id" .stepTitle 2>/dev/null)
    [[ $title == updateReplicas* && $(ready_on "$kind" $new_image) -lt "${total[$kind]}" ]] && break
    sleep 0.05
  done
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  expect_contains "$kind: killed during a batch" "updateReplicas" "$title"
  "$rollout" plan apply --yes "$work/$kind-kill.yaml" >"$work/$kind-kill-2.out" 2>&1
  expect_eq "$kind: the re-run completes (exit 0)" 0 $?
  expect_eq "$kind: the resumed batch is waited for (verified), not taken as done" verified \
    "$(awk '/==> step/ {n++} n == 1 && / verified$/ {print "verified"; exit}' "$work/$kind-kill-2.out")"
  expect_eq "$kind: after the re-run every group is on the new version" "$n" "$(ready_on "$kind" $new_image)"
  expect_eq "$kind: no duplicate pods" "$n" "$(serving_pods "$kind")"
}

aborted_rollout() {
  local kind=$1 n=${total[$1]} id=${name[$1]}
  reset_kind "$kind"
  local before
  before=$(recorded "$kind")
  test_plan "${plan[$kind]}" "$work/$kind-abort.yaml" --steps "$(pausing_steps "$n")" --ready-timeout 60s
  "$rollout" plan apply --yes "$work/$kind-abort.yaml" >"$work/$kind-abort.out" 2>&1 &
  local pid=$!
  wait_paused_at "$id"
  "$rollout" abort "$id" >/dev/null 2>&1
  wait "$pid"
  expect_eq "$kind: abort from a second terminal ends apply with exit 4" 4 $?
  expect_eq "$kind: aborted: every group on the old version" "$n" "$(ready_on "$kind" $old_image)"
  expect_eq "$kind: aborted: recorded fields as before" "$before" "$(recorded "$kind")"
}

# An autoscaler changes spec.replicas mid-rollout: the next percentage batch is computed from the
# new count, and apply says so.
autoscaled_rollout() {
  local kind=deployment id=${name[deployment]}
  reset_kind $kind
  test_plan "${plan[$kind]}" "$work/$kind-scaled.yaml" --ready-timeout 60s \
    --steps '[{updateReplicas: "34%"}, {pause: {}}, {updateReplicas: "67%"}, {pause: {}}, {updateReplicas: "100%"}]'
  "$rollout" plan apply --yes "$work/$kind-scaled.yaml" >"$work/$kind-scaled.out" 2>&1 &
  local pid=$!
  wait_paused_at "$id"
  expect_eq "autoscaled: 34% of 3 is 2 new pods" 2 "$(ready_on $kind $new_image)"
  k scale "${res[$kind]}" --replicas=6 >/dev/null
  "$rollout" promote "$id" >/dev/null 2>&1
  wait_paused_at "$id"
  expect_eq "autoscaled: 67% of 6 is 5 new pods" 5 "$(ready_on $kind $new_image)"
  expect_eq "autoscaled: and 1 old" 1 "$(ready_on $kind $old_image)"
  expect_contains "autoscaled: apply says the batch was recomputed" "spec.replicas changed from 3 to 6" \
    "$(cat "$work/$kind-scaled.out")"
  "$rollout" promote "$id" >/dev/null 2>&1
  wait "$pid"
  expect_eq "autoscaled: the rollout ends (exit 0)" 0 $?
  expect_eq "autoscaled: all 6 on the new version" 6 "$(ready_on $kind $new_image)"
  k scale "${res[$kind]}" --replicas=3 >/dev/null
}

shipped_plan() {
  local kind=$1
  reset_kind "$kind"
  test_plan "${plan[$kind]}" "$work/$kind-shipped.yaml" --analysis 1s --pause-duration 1s
  "$rollout" plan apply --yes "$work/$kind-shipped.yaml" >"$work/$kind-shipped.out" 2>&1
  local rc=$?
  expect_eq "$kind: the shipped plan runs end to end" 0 $rc
  [[ $rc == 0 ]] || tail -5 "$work/$kind-shipped.out"
  expect_eq "$kind: shipped plan: every group on the new version" "${total[$kind]}" "$(ready_on "$kind" $new_image)"
}

for kind in modelserving modelinfer lws deployment; do
  [[ -n $only && $only != "$kind" ]] && continue
  good_rollout "$kind"
  crash_rollout "$kind"
  killed_rollout "$kind"
  shipped_plan "$kind"
done
[[ -z $only || $only == lws ]] && aborted_rollout lws
[[ -z $only || $only == deployment ]] && aborted_rollout deployment
[[ -z $only || $only == deployment ]] && autoscaled_rollout

summary "rolling_e2e${only:+ ($only)}"
