# Shared by the engine suites: a sandbox on a free port, the seeds' objects, kubectl, checks.
# Expects $rollout, $src and $work to be set.
. "$src/tests/require.sh"
require kubectl:kubernetes-client jq:jq python3:python3
pass=0 fail=0
sandbox_pid=""
starts=0
start_sandbox() {  # start_sandbox [extra flags...]
  starts=$((starts + 1))
  log="$work/sandbox-$starts.log"
  "$rollout" sandbox up --port 0 --data-dir "$work/data" --kubeconfig-out "$work/kubeconfig" "$@" >"$log" 2>&1 &
  sandbox_pid=$!
  for _ in $(seq 1 100); do
    grep -q "listening on" "$log" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "sandbox did not start:"; cat "$log"; return 1
}
stop_sandbox() {
  [[ -n $sandbox_pid ]] && kill "$sandbox_pid" 2>/dev/null && wait "$sandbox_pid" 2>/dev/null
  sandbox_pid=""
}
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
expect_eq() {  # expect_eq NAME WANT GOT
  if [[ "$2" == "$3" ]]; then ok; else bad "$1: want '$2', got '$3'"; fi
}
expect_contains() {  # expect_contains NAME NEEDLE TEXT
  if grep -qF -- "$2" <<<"$3"; then ok; else bad "$1: '$2' not in: $(head -c 600 <<<"$3")"; fi
}
summary() {
  echo "$1: $pass passed, $fail failed"
  [[ $fail == 0 ]]
}
k() { kubectl --request-timeout=10s "$@" 2>&1; }
apply_examples() {
  for f in "$src"/examples/sandbox/*.yaml; do k apply -f "$f" >/dev/null || echo "apply $f failed"; done
}
wait_ready() {
  k rollout status deployment/vllm-llama3-8b-instruct --timeout=60s >/dev/null
  k rollout status deployment/vllm-llama3-8b-instruct-new --timeout=60s >/dev/null
}
first_pod() { k get pods -l "app=$1" -o jsonpath='{.items[0].metadata.name}'; }
spec_of() { k get "$1" "$2" -o json | jq -c '.spec'; }
test_plan() {  # test_plan SHIPPED_PLAN OUT [test_plan.py flags]
  local plan=$1 out=$2
  shift 2
  python3 "$src/tests/engine/test_plan.py" "$src/$plan" "$out" "$@"
}
phase_of() { k get cm "rollout-$1" -o jsonpath='{.metadata.labels.rollout\.dev/phase}' 2>/dev/null; }
wait_for_phase() {  # wait_for_phase NAME PHASE SECONDS
  for _ in $(seq 1 $(($3 * 10))); do
    [[ $(phase_of "$1") == "$2" ]] && return 0
    sleep 0.1
  done
  echo "rollout $1 did not reach phase $2 (now: $(phase_of "$1"))"
  return 1
}
crash_new_pool() {  # the new pool's pods replaced by a version that crashes on start: none answers /health
  k get deployment vllm-llama3-8b-instruct-new -o json |
    jq 'del(.metadata.resourceVersion, .metadata.uid, .metadata.creationTimestamp, .metadata.generation, .metadata.managedFields, .status)
        | .spec.template.metadata.annotations["sandbox.rollout.dev/crash-on-start"] = "true"' >"$work/bad-deploy.json"
  k delete deployment vllm-llama3-8b-instruct-new --wait=true >/dev/null
  for _ in $(seq 1 50); do [[ -z $(k get pods -l app=vllm-llama3-8b-instruct-new -o name) ]] && break; sleep 0.2; done
  k apply -f "$work/bad-deploy.json" >/dev/null
}
# The seed's pool Deployment without the LoRA syncer: its vLLM serves food-review-1 from
# --lora-modules (as a restarted pod would again), with the runtime API; STARTUP its start time.
vllm_lora_deployment() {  # vllm_lora_deployment STARTUP > FILE
  python3 - "$src/examples/sandbox/deployments.yaml" "$1" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
d = next(d for d in docs if d["metadata"]["name"] == "vllm-llama3-8b-instruct")
pod = d["spec"]["template"]["spec"]
pod.pop("volumes", None)
c = pod["containers"][0]
c.pop("volumeMounts", None)
c["args"] += ["--lora-modules", "food-review-1=Kawon/llama3.1-food-finetune_v14_r8"]
d["spec"]["template"]["metadata"]["annotations"]["sandbox.rollout.dev/startup"] = sys.argv[2]
print(yaml.safe_dump(d))
PY
}
