#!/usr/bin/env bash
# No credential from a kubeconfig or an exec plugin appears anywhere rollout writes: its output and
# errors (text, -o json, -o yaml, -v to -vvv), its events, the state ConfigMap, the JUnit file and
# the Markdown summary, Kubernetes Events, and the sandbox's own log. The secrets: the sandbox's
# bearer token (in the kubeconfig, in a token file, and from an exec plugin), its admin client key
# (base64 in the kubeconfig, and each line of the PEM it decodes to), and a basic-auth password.
# Every command a user runs is run with each credential, on a plan that succeeds, one that is
# rolled back, one left paused and aborted, and against a server that is down.
set -u
rollout=$1
src=$2
work=$(mktemp -d /tmp/rollout-secrets-test.XXXXXX)
. "$src/tests/engine/lib.sh"
trap 'stop_sandbox; [[ -n ${KEEP:-} ]] || rm -rf "$work"' EXIT

start_sandbox --traffic-rate 10 || exit 1
export KUBECONFIG=$work/kubeconfig
apply_examples
wait_ready
out=$work/out
mkdir -p "$out"

# ---- the credentials, and a kubeconfig with a context for each way of passing one -------------
token=$(kubectl config view --raw -o jsonpath='{.users[?(@.name=="rollout-sandbox-token")].user.token}')
key_data=$(kubectl config view --raw -o jsonpath='{.users[?(@.name=="rollout-sandbox-admin")].user.client-key-data}')
server=$(kubectl config view --raw -o jsonpath='{.clusters[0].cluster.server}')
password="basic-auth-password-$RANDOM$RANDOM"
printf '%s' "$token" >"$work/token-file"
chmod 600 "$work/token-file"
cat >"$work/exec-plugin" <<EOF
#!/bin/sh
# A client-go credential plugin: the token comes only from here.
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' '$token'
EOF
chmod 700 "$work/exec-plugin"
kubectl config set-credentials from-token-file --token= >/dev/null
python3 - "$KUBECONFIG" "$work" "$password" <<'PY'
import sys, yaml
path, work, password = sys.argv[1:]
cfg = yaml.safe_load(open(path))
cluster = cfg["contexts"][0]["context"]["cluster"]
users = {u["name"]: u for u in cfg["users"]}
users["from-token-file"] = {"name": "from-token-file", "user": {"tokenFile": f"{work}/token-file"}}
users["from-exec"] = {"name": "from-exec", "user": {"exec": {
    "apiVersion": "client.authentication.k8s.io/v1", "command": f"{work}/exec-plugin",
    "interactiveMode": "Never"}}}
users["basic"] = {"name": "basic", "user": {"username": "admin", "password": password}}
cfg["users"] = list(users.values())
for name in ("from-token-file", "from-exec", "basic"):
    cfg["contexts"].append({"name": name, "context": {"cluster": cluster, "user": name}})
yaml.safe_dump(cfg, open(path, "w"))
PY
# The same users against a server that is not there (connection refused).
sed "s#$server#https://127.0.0.1:1#" "$KUBECONFIG" >"$work/kubeconfig-down"
expect_eq "the exec plugin's token is accepted" "llm-route" \
  "$(kubectl --context from-exec get httproute llm-route -o jsonpath='{.metadata.name}' 2>&1)"

# ---- every command, with every credential ----------------------------------------------------
test_plan plans/inferencepool-blue-green.yaml "$work/good.yaml" --name secrets-good --pause-duration 1s --analysis 1s
test_plan plans/inferencepool-blue-green.yaml "$work/paused.yaml" --name secrets-paused
run() {  # run LABEL rollout-args...: output and exit code kept in $out/LABEL
  local label=$1
  shift
  "$rollout" "$@" >"$out/$label.out" 2>"$out/$label.err" </dev/null
  echo $? >"$out/$label.code"
}
# A finished blue-green leaves only the new pool on the route: the next plan starts from the seed's.
reset_route() { k apply -f "$src/examples/sandbox/httproute-llm-route.yaml" >/dev/null; }
for ctx in rollout-sandbox rollout-sandbox-token from-token-file from-exec; do
  run "$ctx-diff" plan diff "$work/good.yaml" --context "$ctx" -vvv
  run "$ctx-dry" plan apply --dry-run=server "$work/good.yaml" --context "$ctx" -o json -vvv
  run "$ctx-apply" plan apply --yes "$work/good.yaml" --context "$ctx" -o json -vvv \
    --junit "$out/$ctx.xml" --summary "$out/$ctx.md"
  expect_eq "$ctx: the plan runs to the end" 0 "$(cat "$out/$ctx-apply.code")"
  for o in text json yaml; do run "$ctx-status-$o" status secrets-good -o "$o" --context "$ctx" -vvv; done
  run "$ctx-history" history secrets-good --context "$ctx" -vvv
  run "$ctx-history-json" history secrets-good -o json --context "$ctx" -vvv
  run "$ctx-list" list --context "$ctx" -vvv
  run "$ctx-list-json" list -o json --context "$ctx" -vvv
  reset_route
  run "$ctx-until-pause" plan apply --yes --until-pause "$work/paused.yaml" --context "$ctx" -vv
  run "$ctx-pause" pause secrets-paused --context "$ctx" -v
  run "$ctx-resume" resume secrets-paused --context "$ctx" -v
  run "$ctx-abort" abort secrets-paused --context "$ctx" -vvv
  expect_eq "$ctx: the apply stops at the pause" 0 "$(cat "$out/$ctx-until-pause.code")"
  expect_eq "$ctx: the paused run is aborted" 0 "$(cat "$out/$ctx-abort.code")"
  # A server that is down: the errors name it, never the credential.
  run "$ctx-down-apply" plan apply --yes "$work/good.yaml" --context "$ctx" --kubeconfig "$work/kubeconfig-down" -vvv \
    --junit "$out/$ctx-down.xml" --summary "$out/$ctx-down.md"
  expect_eq "$ctx: a server that is down is exit 6" 6 "$(cat "$out/$ctx-down-apply.code")"
  run "$ctx-down-status" status secrets-good --context "$ctx" --kubeconfig "$work/kubeconfig-down" -vvv
done
# Basic auth is not accepted by the sandbox (nor by any API server since 1.19): the 401 and -v
# output still must not show the password.
run basic-apply plan apply --yes "$work/good.yaml" --context basic -vvv --junit "$out/basic.xml" --summary "$out/basic.md"
run basic-list list --context basic -vvv
run basic-status status secrets-good --context basic -o json -vvv
expect_contains "basic auth: -v describes the user" "basic" "$(cat "$out/basic-list.err")"

# A rolled-back run: the new pool's pods are replaced by a version that crashes on start (as in
# engine_e2e), so its health gate fails whatever the traffic; the messages quote what was measured.
crash_new_pool
reset_route
test_plan plans/inferencepool-blue-green.yaml "$work/bad.yaml" --name secrets-bad --pause-duration 1s
run bad-apply plan apply --yes --timeout 120s "$work/bad.yaml" --context from-exec -vvv --junit "$out/bad.xml" --summary "$out/bad.md"
expect_eq "the bad version is rolled back (exit 3)" 3 "$(cat "$out/bad-apply.code")"

# What the cluster holds: state ConfigMaps, their history, Kubernetes Events; and the sandbox's log.
k get configmaps -o yaml >"$out/configmaps.yaml"
k get events -A -o yaml >"$out/events.yaml"
cp "$work"/sandbox-*.log "$out/"
expect_contains "the state of every rollout was collected" "rollout-secrets-bad" "$(cat "$out/configmaps.yaml")"

# ---- look for every secret in everything collected -------------------------------------------
secrets=("$token" "$key_data" "$password")
for s in "${secrets[@]}"; do [[ ${#s} -ge 16 ]] || bad "a secret to look for is empty or short: '$s'"; done
while IFS= read -r line; do
  [[ ${#line} -ge 20 && $line != -----* ]] && secrets+=("$line")
done < <(base64 -d <<<"$key_data")
expect_eq "the PEM key's lines were looked for too" 1 "$(( ${#secrets[@]} > 4 ? 1 : 0 ))"
files=$(find "$out" -type f | wc -l)
expect_eq "every command's output, report and object was collected" 1 "$(( files > 100 ? 1 : 0 ))"
for s in "${secrets[@]}"; do
  leaks=$(grep -rlF -- "$s" "$out" | sed "s#$out/##" | tr '\n' ' ')
  expect_eq "secret ${s:0:6}... appears nowhere" "" "$leaks"
done

summary secrets_e2e
