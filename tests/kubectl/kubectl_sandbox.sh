#!/usr/bin/env bash
# Real kubectl against `rollout sandbox up`: what works against a real API server must work here.
set -u
rollout=$1
src=$2
work=$(mktemp -d /tmp/rollout-kubectl-test.XXXXXX)
. "$src/tests/require.sh"
require kubectl:kubernetes-client curl:curl python3:python3
pass=0 fail=0
sandbox_pid=""

starts=0
start_sandbox() {  # start_sandbox [extra flags...]
  # A fresh log per start: an earlier run's "listening on" must not be mistaken for this one's.
  starts=$((starts + 1))
  log="$work/sandbox-$starts.log"
  ln -sf "$log" "$work/sandbox.log"
  "$rollout" sandbox up --port 0 --data-dir "$work/data" --kubeconfig-out "$work/kubeconfig" "$@" >"$log" 2>&1 &
  sandbox_pid=$!
  for _ in $(seq 1 100); do
    grep -q "listening on" "$log" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "sandbox did not start:"; cat "$work/sandbox.log"; return 1
}
stop_sandbox() {
  [[ -n $sandbox_pid ]] && kill "$sandbox_pid" 2>/dev/null && wait "$sandbox_pid" 2>/dev/null
  sandbox_pid=""
}
trap 'stop_sandbox; rm -rf "$work"' EXIT

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
expect_eq() {  # expect_eq NAME WANT GOT
  if [[ "$2" == "$3" ]]; then ok; else bad "$1: want '$2', got '$3'"; fi
}
expect_contains() {  # expect_contains NAME NEEDLE TEXT
  if grep -qF -- "$2" <<<"$3"; then ok; else bad "$1: '$2' not in: $(head -c 400 <<<"$3")"; fi
}

start_sandbox || exit 1
export KUBECONFIG=$work/kubeconfig
k() { kubectl --request-timeout=10s "$@" 2>&1; }

# Discovery and version
expect_contains "version" "v1.32.0-rollout-sandbox" "$(k version)"
expect_contains "api-resources lists HTTPRoute" "httproutes" "$(k api-resources)"
expect_contains "api-resources lists InferenceModel" "inferencemodels" "$(k api-resources --api-group=inference.networking.x-k8s.io)"

# kubectl apply of the seeds' objects
for f in "$src"/examples/sandbox/*.yaml; do
  out=$(k apply -f "$f")
  if [[ $? == 0 && $out == *created* ]]; then ok; else bad "apply -f $f: $out"; fi
done
expect_eq "apply again is unchanged" "httproute.gateway.networking.k8s.io/llm-route unchanged" \
  "$(k apply -f "$src/examples/sandbox/httproute-llm-route.yaml")"
expect_eq "get by short name" "food-review" "$(k get infmodel food-review -o jsonpath='{.metadata.name}')"
expect_eq "get -o jsonpath weights" "100 0" "$(k get httproute llm-route -o jsonpath='{.spec.rules[0].backendRefs[*].weight}')"
expect_eq "generation starts at 1" "1" "$(k get httproute llm-route -o jsonpath='{.metadata.generation}')"
expect_contains "get prints a table" "DATA" "$(k get configmaps)"

# Simulation: the gateway accepts the route, pods become Ready, the pod proxy reaches vLLM.
sleep 0.5
expect_eq "gateway sets Accepted and ResolvedRefs at the route's generation" "True True 1 1" \
  "$(k get httproute llm-route -o jsonpath='{.status.parents[0].conditions[*].status} {.status.parents[0].conditions[*].observedGeneration}')"
expect_contains "rollout status of the pools' Deployments" "successfully rolled out" \
  "$(k rollout status deployment/vllm-llama3-8b-instruct --timeout=60s)"
k rollout status deployment/vllm-llama3-8b-instruct-new --timeout=60s >/dev/null
expect_eq "three Ready pods" "True True True" \
  "$(k get pods -l app=vllm-llama3-8b-instruct -o jsonpath='{.items[*].status.conditions[?(@.type=="Ready")].status}')"
pod=$(k get pods -l app=vllm-llama3-8b-instruct -o jsonpath='{.items[0].metadata.name}')
expect_contains "pod proxy reaches the model server" '"root":"meta-llama/Llama-3.1-8B-Instruct"' \
  "$(k get --raw "/api/v1/namespaces/default/pods/$pod:8000/proxy/v1/models")"
expect_contains "the LoRA syncer loaded the ConfigMap's adapter" '"id":"food-review-1"' \
  "$(sleep 2.5; k get --raw "/api/v1/namespaces/default/pods/$pod:8000/proxy/v1/models")"
cfg=$(k get cm vllm-llama3-8b-instruct-adapters -o jsonpath='{.data.configmap\.yaml}')
cfg="$cfg
    - id: food-review-2
      source: Kawon/llama3.1-food-finetune_v14_r8"
k patch cm vllm-llama3-8b-instruct-adapters --type merge -p "$(python3 -c 'import json,sys; print(json.dumps({"data":{"configmap.yaml":sys.argv[1]+"\n"}}))' "$cfg")" >/dev/null
loaded=""
for _ in $(seq 1 50); do
  loaded=$(k get --raw "/api/v1/namespaces/default/pods/$pod:8000/proxy/v1/models")
  [[ $loaded == *food-review-2* ]] && break
  sleep 0.2
done
expect_contains "editing the ConfigMap loads the new adapter, seen through the pod proxy" '"id":"food-review-2"' "$loaded"
expect_contains "metrics through the pod proxy use vLLM's names" "vllm:request_success_total" \
  "$(k get --raw "/api/v1/namespaces/default/pods/$pod:8000/proxy/metrics")"

# Re-apply with a change: a 3-way merge, generation moves, other fields stay.
sed 's/weight: 100/weight: 90/; s/weight: 0$/weight: 10/' "$src/examples/sandbox/httproute-llm-route.yaml" >"$work/route.yaml"
expect_eq "apply a change" "httproute.gateway.networking.k8s.io/llm-route configured" "$(k apply -f "$work/route.yaml")"
expect_eq "weights moved" "90 10" "$(k get httproute llm-route -o jsonpath='{.spec.rules[0].backendRefs[*].weight}')"
expect_eq "generation bumped" "2" "$(k get httproute llm-route -o jsonpath='{.metadata.generation}')"
expect_contains "last-applied annotation kept" "last-applied-configuration" "$(k get httproute llm-route -o yaml)"

# kubectl patch: merge, json, strategic (built-in kinds)
k patch httproute llm-route --type merge -p '{"metadata":{"labels":{"tier":"llm"}}}' >/dev/null
expect_eq "merge patch of labels leaves generation" "2" "$(k get httproute llm-route -o jsonpath='{.metadata.generation}')"
k patch httproute llm-route --type json -p '[{"op":"replace","path":"/spec/rules/0/backendRefs/0/weight","value":50}]' >/dev/null
expect_eq "json patch" "50 10" "$(k get httproute llm-route -o jsonpath='{.spec.rules[0].backendRefs[*].weight}')"
k patch configmap vllm-llama3-8b-instruct-adapters -p '{"data":{"extra":"1"}}' >/dev/null
expect_eq "strategic patch of a ConfigMap" "1" "$(k get cm vllm-llama3-8b-instruct-adapters -o jsonpath='{.data.extra}')"
expect_contains "strategic patch of a custom resource is refused, as for a CRD" \
  "application/strategic-merge-patch+json is not supported by gateway.networking.k8s.io/v1, Kind=HTTPRoute" \
  "$(k patch httproute llm-route -p '{"spec":{"x":1}}')"
expect_contains "label selector" "llm-route" "$(k get httproute -l tier=llm)"
expect_contains "label selector excludes" "No resources found" "$(k get httproute -l tier=web)"

# Conflicts: a stale resourceVersion is refused with 409, as kubectl replace shows.
k get httproute llm-route -o json >"$work/stale.json"
k patch httproute llm-route --type merge -p '{"metadata":{"labels":{"v":"2"}}}' >/dev/null
out=$(k replace -f "$work/stale.json")
expect_contains "stale replace is a conflict" "the object has been modified" "$out"
expect_contains "create of an existing object" "AlreadyExists" "$(k create -f "$src/examples/sandbox/inferencemodel-food-review.yaml")"
expect_contains "get of a missing object" 'configmaps "nope" not found' "$(k get configmap nope)"
expect_contains "an invalid name is reported as kubectl reports a real server's 422" \
  'The ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"' \
  "$(printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\n' | k create -f -)"

# Server-side dry run changes nothing.
expect_contains "dry-run=server" "(server dry run)" "$(k apply -f "$work/route.yaml" --dry-run=server)"
k delete configmap vllm-llama3-8b-instruct-adapters --dry-run=server >/dev/null
expect_eq "dry-run delete keeps the object" "vllm-llama3-8b-instruct-adapters" \
  "$(k get cm vllm-llama3-8b-instruct-adapters -o jsonpath='{.metadata.name}')"

# Server-side apply
cat >"$work/ssa.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: ssa-demo}
data: {a: "1"}
YAML
expect_contains "server-side apply creates" "serverside-applied" "$(k apply --server-side -f "$work/ssa.yaml")"
sed -i 's/a: "1"/a: "2"/' "$work/ssa.yaml"
k apply --server-side -f "$work/ssa.yaml" >/dev/null
expect_eq "server-side apply updates" "2" "$(k get cm ssa-demo -o jsonpath='{.data.a}')"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa-demo}\ndata: {a: "2", b: "3"}\n' | k apply --server-side -f - >/dev/null
k patch cm ssa-demo --type merge -p '{"data":{"c":"by-hand"}}' >/dev/null
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa-demo}\ndata: {a: "2"}\n' | k apply --server-side -f - >/dev/null
expect_eq "server-side apply removes a field it no longer applies, keeps others' fields" '{"a":"2","c":"by-hand"}' \
  "$(k get cm ssa-demo -o jsonpath='{.data}')"
expect_contains "managedFields record the manager" "kubectl" "$(k get cm ssa-demo -o yaml --show-managed-fields)"

# Watch: kubectl get -w sees additions, changes and deletions.
(k get configmaps -w --output-watch-events >"$work/watch.out" &) 
sleep 1.5
k create configmap watched --from-literal=a=b >/dev/null
k patch configmap watched --type merge -p '{"data":{"a":"c"}}' >/dev/null
k delete configmap watched >/dev/null
sleep 1.5
pkill -f "get configmaps -w --output-watch-events" 2>/dev/null
w=$(cat "$work/watch.out")
expect_contains "watch sees ADDED" "ADDED" "$w"
expect_contains "watch sees MODIFIED" "MODIFIED" "$w"
expect_contains "watch sees DELETED" "DELETED" "$w"

# Watchers that vanish mid-stream (killed kubectl) must not take the server down (SIGPIPE on TLS).
for i in 1 2 3 4 5 6; do
  (kubectl get cm -w --request-timeout=0 >/dev/null 2>&1 &)
  sleep 0.3
  k create configmap sigpipe-$i --from-literal=a=b >/dev/null
  pkill -9 -f "get cm -w --request-timeout=0" 2>/dev/null
  for v in c d e; do k patch configmap sigpipe-$i --type merge -p "{\"data\":{\"a\":\"$v\"}}" >/dev/null; done
done
sleep 0.5
expect_eq "server survives killed watchers" "configmap/sigpipe-6" "$(k get configmap sigpipe-6 -o name)"

# Kthena ModelServing (the seed's starting object): partition 4 holds a new template back;
# lowering it by one updates exactly group 3.
ms() { k get modelserving llama -o jsonpath="$1"; }
ms_pods() { k get pods -l "modelserving.volcano.sh/revision=$1" -o jsonpath='{.items[*].metadata.name}'; }
for _ in $(seq 1 50); do
  [[ $(ms '{.status.availableReplicas}') == 4 ]] && break
  sleep 0.2
done
expect_eq "ModelServing: four Ready groups" "4 4" "$(ms '{.status.availableReplicas} {.status.currentReplicas}')"
old=$(ms '{.status.currentRevision}')
k patch modelserving llama --type json -p '[{"op":"replace","path":"/spec/template/roles/0/entryTemplate/spec/containers/0/image","value":"vllm/vllm-openai:v0.9.0"}]' >/dev/null
for _ in $(seq 1 50); do
  [[ $(ms '{.status.observedGeneration}') == 2 ]] && break
  sleep 0.1
done
new=$(ms '{.status.updateRevision}')
if [[ -n $new && $new != "$old" ]]; then ok; else bad "a new template gets a new updateRevision: '$old' -> '$new'"; fi
expect_eq "partition 4 updates no group" "4 " "$(ms '{.status.currentReplicas} {.status.updatedReplicas}')"
expect_eq "no pod on the new revision" "" "$(ms_pods "$new")"
k patch modelserving llama --type merge -p '{"spec":{"rolloutStrategy":{"rollingUpdateConfiguration":{"partition":3}}}}' >/dev/null
updated=""
for _ in $(seq 1 50); do
  updated=$(ms_pods "$new")
  [[ $updated == llama-3-server-0-0 && $(ms '{.status.updatedReplicas}') == 1 ]] && break
  sleep 0.2
done
expect_eq "partition 3 updates exactly group 3" "llama-3-server-0-0" "$updated"
expect_eq "status counts one updated group" "1 3" "$(ms '{.status.updatedReplicas} {.status.currentReplicas}')"
expect_eq "groups 0-2 keep the current revision" "llama-0-server-0-0 llama-1-server-0-0 llama-2-server-0-0" \
  "$(ms_pods "$old")"
expect_eq "currentRevision stays until every group is updated" "$old" "$(ms '{.status.currentRevision}')"
expect_eq "the updated pod's group label" "llama-3" \
  "$(k get pod llama-3-server-0-0 -o jsonpath='{.metadata.labels.modelserving\.volcano\.sh/group-name}')"

# Deployments through ReplicaSets, driven by kubectl's rollout and scale commands as on a real
# cluster (kubectl 1.32: undo is client-side, from the ReplicaSets' revision annotations).
cat >"$work/dh.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: dh}
spec:
  replicas: 2
  selector: {matchLabels: {app: dh}}
  template:
    metadata:
      labels: {app: dh}
      annotations: {sandbox.rollout.dev/startup: 0s}
    spec:
      containers: [{name: app, image: "vllm/vllm-openai:v1"}]
YAML
expect_eq "create a Deployment" "deployment.apps/dh created" "$(k apply -f "$work/dh.yaml")"
expect_contains "rollout status exits 0 once done" 'deployment "dh" successfully rolled out' \
  "$(k rollout status deployment/dh --timeout=60s)"
rs_of() { k get rs -l app=dh -o jsonpath="{range .items[?(@.metadata.annotations.deployment\.kubernetes\.io/revision==\"$1\")]}{.metadata.name} {.spec.replicas}{end}"; }
rs1=$(rs_of 1)
expect_eq "one ReplicaSet of revision 1 with 2 replicas" "2" "${rs1#* }"
expect_eq "pods are owned by the ReplicaSet" "ReplicaSet ReplicaSet" \
  "$(k get pods -l app=dh -o jsonpath='{.items[*].metadata.ownerReferences[0].kind}')"
k set image deployment/dh app=vllm/vllm-openai:v2 >/dev/null
k rollout status deployment/dh --timeout=60s >/dev/null
hist=$(k rollout history deployment/dh)
expect_eq "history lists revisions 1 and 2" "1 2" "$(awk '$1 ~ /^[0-9]+$/ {print $1}' <<<"$hist" | xargs)"
expect_eq "the old ReplicaSet is scaled to 0" "${rs1% *} 0" "$(rs_of 1)"
expect_eq "undo" "deployment.apps/dh rolled back" "$(k rollout undo deployment/dh)"
k rollout status deployment/dh --timeout=60s >/dev/null
expect_eq "undo brings the old ReplicaSet back as revision 3" "${rs1% *} 2" "$(rs_of 3)"
expect_eq "undo restores the image" "vllm/vllm-openai:v1" \
  "$(k get deploy dh -o jsonpath='{.spec.template.spec.containers[0].image}')"
before_pods=$(k get pods -l app=dh -o jsonpath='{.items[*].metadata.name}')
expect_eq "restart" "deployment.apps/dh restarted" "$(k rollout restart deployment/dh)"
k rollout status deployment/dh --timeout=60s >/dev/null
expect_eq "restart makes a new ReplicaSet" "3" "$(k get rs -l app=dh -o name | wc -l | xargs)"
after_pods=$(k get pods -l app=dh -o jsonpath='{.items[*].metadata.name}')
if [[ -n $after_pods && -z $(comm -12 <(tr ' ' '\n' <<<"$before_pods" | sort) <(tr ' ' '\n' <<<"$after_pods" | sort)) ]]; then
  ok; else bad "restart replaces every pod: before '$before_pods' after '$after_pods'"; fi
expect_eq "pause" "deployment.apps/dh paused" "$(k rollout pause deployment/dh)"
k set image deployment/dh app=vllm/vllm-openai:v3 >/dev/null
sleep 1
expect_eq "paused: a template change makes no ReplicaSet" "3" "$(k get rs -l app=dh -o name | wc -l | xargs)"
expect_eq "paused: the Progressing reason" "DeploymentPaused" \
  "$(k get deploy dh -o jsonpath='{.status.conditions[?(@.type=="Progressing")].reason}')"
expect_eq "resume" "deployment.apps/dh resumed" "$(k rollout resume deployment/dh)"
expect_contains "resumed: the rollout finishes" 'successfully rolled out' "$(k rollout status deployment/dh --timeout=60s)"
expect_eq "resumed: the new ReplicaSet" "4" "$(k get rs -l app=dh -o name | wc -l | xargs)"
expect_contains "api-resources lists deployments/scale" '"deployments/scale"' "$(k get --raw /apis/apps/v1)"
expect_eq "kubectl scale deployment" "deployment.apps/dh scaled" "$(k scale deployment/dh --replicas=5)"
k rollout status deployment/dh --timeout=60s >/dev/null
expect_eq "scaled to 5 ready replicas" "5 5" "$(k get deploy dh -o jsonpath='{.spec.replicas} {.status.readyReplicas}')"
expect_contains "the Scale's selector" '"selector":"app=dh"' \
  "$(k get --raw /apis/apps/v1/namespaces/default/deployments/dh/scale)"
expect_eq "kubectl scale modelserving" "modelserving.workload.serving.volcano.sh/llama scaled" \
  "$(k scale modelserving/llama --replicas=5)"
expect_eq "ModelServing spec.replicas" "5" "$(ms '{.spec.replicas}')"
expect_contains "ModelServing Scale selector" '"selector":"modelserving.volcano.sh/name=llama"' \
  "$(k get --raw /apis/workload.serving.volcano.sh/v1alpha1/namespaces/default/modelservings/llama/scale)"
cat >"$work/lws.yaml" <<'YAML'
apiVersion: leaderworkerset.x-k8s.io/v1
kind: LeaderWorkerSet
metadata: {name: lws1}
spec:
  replicas: 1
  leaderWorkerTemplate:
    size: 1
    workerTemplate:
      metadata: {annotations: {sandbox.rollout.dev/startup: 0s}}
      spec: {containers: [{name: w, image: "vllm/vllm-openai:v1"}]}
YAML
k apply -f "$work/lws.yaml" >/dev/null
expect_eq "kubectl scale leaderworkerset" "leaderworkerset.leaderworkerset.x-k8s.io/lws1 scaled" \
  "$(k scale leaderworkerset/lws1 --replicas=2)"
expect_eq "LeaderWorkerSet spec.replicas" "2" "$(k get lws lws1 -o jsonpath='{.spec.replicas}')"
expect_contains "Recreate with rollingUpdate is refused as on a real cluster" "may not be specified when strategy" \
  "$(k patch deploy dh --type merge -p '{"spec":{"strategy":{"type":"Recreate"}}}')"

# rollout itself as a client of the sandbox: the global flags select the cluster, -v says where
# it points without any secret, and errors map to the exit codes of the SPEC.
out=$("$rollout" list 2>&1); rc=$?
expect_eq "rollout list exits 0" "0" "$rc"
expect_contains "rollout list on an empty namespace" "No rollouts found in namespace default." "$out"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rollout-demo\n  labels: {app.kubernetes.io/managed-by: rollout}\n' | k apply -f - >/dev/null
expect_eq "rollout list -o json finds a rollout's state object" '{"name":"demo","namespace":"default","phase":""}' \
  "$("$rollout" list -o json)"
verbose=$("$rollout" list -v --context rollout-sandbox-token 2>&1 >/dev/null)
token=$(kubectl config view --raw -o jsonpath='{.users[?(@.name=="rollout-sandbox-token")].user.token}')
expect_contains "-v names the server" "$(kubectl config view -o jsonpath='{.clusters[0].cluster.server}')" "$verbose"
if [[ -n $token && $verbose != *"$token"* ]]; then ok; else bad "-v output shows the token"; fi
"$rollout" list --context nope >/dev/null 2>"$work/err"; rc=$?
expect_eq "an unknown context is a usage error" "2" "$rc"
expect_contains "the error names the context" "nope" "$(cat "$work/err")"

# Delete
expect_contains "delete" "deleted" "$(k delete -f "$src/examples/sandbox/inferencemodel-food-review.yaml")"
expect_contains "deleted object is gone" "NotFound" "$(k get inferencemodel food-review)"

# A CRD registers a new kind.
cat >"$work/crd.yaml" <<'YAML'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
YAML
k apply -f "$work/crd.yaml" >/dev/null
sleep 0.2
expect_contains "CRD kind is discoverable" "widgets" "$(k api-resources --api-group=example.com)"
out=$(printf 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 3}\n' | k apply -f -)
expect_contains "custom object created" "widget.example.com/w1 created" "$out"
expect_eq "custom object by short name" "3" "$(k get wd w1 -o jsonpath='{.spec.size}')"

# Generator commands send protobuf bodies for built-in kinds.
expect_eq "kubectl create namespace" "namespace/team-a created" "$(k create namespace team-a)"
expect_eq "kubectl create configmap" "configmap/gen created" "$(k create configmap gen --from-literal=k=v)"
expect_eq "protobuf data decoded" "v" "$(k get cm gen -o jsonpath='{.data.k}')"
expect_eq "kubectl create secret" "secret/s1 created" "$(k create secret generic s1 --from-literal=password=hunter2)"
expect_eq "secret data is base64" "hunter2" "$(k get secret s1 -o jsonpath='{.data.password}' | base64 -d)"
expect_contains "other kinds are refused clearly" "protobuf is understood only for" "$(k create deployment d --image=nginx)"

# Namespaces
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c1}\ndata: {a: b}\n' | k apply -n team-a -f - >/dev/null
expect_eq "namespaced get" "c1" "$(k get cm -n team-a c1 -o jsonpath='{.metadata.name}')"
expect_contains "all namespaces" "team-a" "$(k get cm -A)"

# Objects persist across a restart with --data-dir.
stop_sandbox
start_sandbox || exit 1
expect_eq "persisted across restart" "50 10" "$(k get httproute llm-route -o jsonpath='{.spec.rules[0].backendRefs[*].weight}')"
expect_eq "custom kinds persist" "3" "$(k get widget w1 -o jsonpath='{.spec.size}')"
expect_eq "one file per object in the data dir" "1" \
  "$(ls "$work/data/store/objects" | grep -c '^gateway.networking.k8s.io_httproutes_default_llm-route.json$')"

# Token authentication (the kubeconfig's second context) and refusal without credentials.
expect_eq "token context" "llm-route" "$(k --context rollout-sandbox-token get httproute llm-route -o jsonpath='{.metadata.name}')"
server=$(kubectl config view -o jsonpath='{.clusters[0].cluster.server}')
code=$(curl -sk -o /dev/null -w '%{http_code}' "$server/api/v1/namespaces")
expect_eq "anonymous requests are refused" "401" "$code"

# Fault injection through the admin endpoint: kubectl's own retries are not enough for 100% errors.
token=$(kubectl config view --raw -o jsonpath='{.users[?(@.name=="rollout-sandbox-token")].user.token}')
curl -sk -H "Authorization: Bearer $token" -X PUT -d '{"errorRate":1}' "$server/sandbox/faults" >/dev/null
expect_contains "injected 500s reach kubectl" "injected fault" "$(k get cm -o name)"
curl -sk -H "Authorization: Bearer $token" -X PUT -d '{"errorRate":0}' "$server/sandbox/faults" >/dev/null
expect_contains "faults cleared" "ssa-demo" "$(k get cm -o name)"

if [[ $fail != 0 ]]; then
  echo "--- sandbox log (tail) ---"; tail -20 "$work/sandbox.log"
  [[ -n $sandbox_pid ]] && ! kill -0 "$sandbox_pid" 2>/dev/null && echo "the sandbox process has exited"
fi
echo "kubectl_sandbox: $pass passed, $fail failed"
[[ $fail == 0 ]]
