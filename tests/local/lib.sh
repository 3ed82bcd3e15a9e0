# Shared by the local-replica suites: real nginx or HAProxy on loopback with temporary configs,
# fake model servers as replicas, a real load generator (hey), all stopped by pid.
# Expects $rollout, $src and $work to be set.
. "$src/tests/require.sh"
require nginx:nginx-light haproxy:haproxy hey:hey curl:curl jq:jq socat:socat
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
expect_eq() { if [[ "$2" == "$3" ]]; then ok; else bad "$1: want '$2', got '$3'"; fi; }
summary() { echo "$1: $pass passed, $fail failed"; [[ $fail == 0 ]]; }

base_port=$((20000 + RANDOM % 20000))
lb_port=$base_port
replica_ports=($((base_port + 1)) $((base_port + 2)) $((base_port + 3)) $((base_port + 4)))
hand_pids=()

start_nginx() {
  mkdir -p "$work/tmp"
  {
    echo "upstream llm {"
    local i=0
    for p in "${replica_ports[@]}"; do
      if [[ " ${canary_down[*]:-} " == *" $i "* ]]; then echo "    server 127.0.0.1:$p down;"; else echo "    server 127.0.0.1:$p;"; fi
      i=$((i + 1))
    done
    echo "}"
  } >"$work/upstream.conf"
  cat >"$work/nginx.conf" <<CONF
pid $work/nginx.pid;
error_log $work/error.log;
worker_processes 1;
events {}
http {
    access_log off;
    client_body_temp_path $work/tmp/body;
    proxy_temp_path $work/tmp/proxy;
    fastcgi_temp_path $work/tmp/fastcgi;
    uwsgi_temp_path $work/tmp/uwsgi;
    scgi_temp_path $work/tmp/scgi;
    include $work/upstream.conf;
    server {
        listen 127.0.0.1:$lb_port;
        location / { proxy_pass http://llm; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_read_timeout 120s; }
    }
}
CONF
  nginx -p "$work" -c "$work/nginx.conf" -e "$work/error.log" || return 1
  for _ in $(seq 1 100); do [[ -s $work/nginx.pid ]] && return 0; sleep 0.05; done
  return 1
}
stop_nginx() { [[ -s $work/nginx.pid ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; }

start_haproxy() {
  {
    echo "global"
    echo "    stats socket $work/admin.sock mode 600 level admin"
    echo "    pidfile $work/haproxy.pid"
    echo "defaults"
    echo "    mode http"
    echo "    timeout connect 2s"
    echo "    timeout client 120s"
    echo "    timeout server 120s"
    echo "frontend fe"
    echo "    bind 127.0.0.1:$lb_port"
    echo "    default_backend llm"
    echo "backend llm"
    echo "    balance leastconn"
    local i=0
    for p in "${replica_ports[@]}"; do
      if [[ " ${canary_down[*]:-} " == *" $i "* ]]; then echo "    server gpu$i 127.0.0.1:$p disabled"; else echo "    server gpu$i 127.0.0.1:$p"; fi
      i=$((i + 1))
    done
  } >"$work/haproxy.cfg"
  haproxy -D -f "$work/haproxy.cfg" || return 1
  for _ in $(seq 1 100); do [[ -S $work/admin.sock ]] && return 0; sleep 0.05; done
  return 1
}
stop_haproxy() { [[ -s $work/haproxy.pid ]] && kill "$(cat "$work/haproxy.pid")" 2>/dev/null; }

# The stable version, started by hand as an operator would: found later by its port.
# start_stable_by_hand [INDEX...]: only these replicas (default: all four).
start_stable_by_hand() {
  local ports=("${replica_ports[@]}")
  if (($#)); then ports=(); for i in "$@"; do ports+=("${replica_ports[$i]}"); done; fi
  for p in "${ports[@]}"; do
    "$rollout" sandbox model-server --port "$p" --model test-model --version v1 --ttft 20ms --itl 20ms \
      --generation 2s >>"$work/hand.log" 2>&1 &
    hand_pids+=($!)
  done
  for p in "${ports[@]}"; do
    for _ in $(seq 1 100); do curl -sf --noproxy '*' "http://127.0.0.1:$p/health" >/dev/null && break; sleep 0.05; done
  done
}

# The versions and timeouts both plan writers share: v1 -> v2 fake model servers; arguments are
# extra canary flags (e.g. --crash-on-start).
versions_block() {
  local extra=""; for f in "$@"; do extra+=", \"$f\""; done
  cat <<BLOCK
      stable:
        command: [$rollout, sandbox, model-server, --port, "{port}", --model, "{model}", --version, v1, --ttft, 20ms, --itl, 20ms, --generation, 2s]
        model: test-model
      canary:
        command: [$rollout, sandbox, model-server, --port, "{port}", --model, "{model}", --version, v2, --ttft, 20ms, --itl, 20ms, --generation, 2s, --startup, 1s$extra]
        model: test-model
      stop: {grace: 10s}
      health: {path: /health, timeout: 15s}
      drain: {timeout: 30s}
BLOCK
}

# write_plan FILE NAME LB_BLOCK [CANARY_EXTRA_FLAGS...]
write_plan() {
  local file=$1 name=$2 lb=$3; shift 3
  cat >"$file" <<PLAN
apiVersion: rollout/v1alpha1
kind: RolloutPlan
metadata:
  name: $name
spec:
  strategy: rolling
  target:
    local:
      loadBalancer:
$lb
      replicas:
        - {name: gpu0, gpu: 0, port: ${replica_ports[0]}}
        - {name: gpu1, gpu: 1, port: ${replica_ports[1]}}
        - {name: gpu2, gpu: 2, port: ${replica_ports[2]}}
        - {name: gpu3, gpu: 3, port: ${replica_ports[3]}}
$(versions_block "$@")
      maxUnavailable: 1
PLAN
}
# write_bg_plan FILE NAME LB_BLOCK [CANARY_EXTRA_FLAGS...]: blueGreen from gpu0,gpu1 to gpu2,gpu3
# with manual pauses at 25% and 50%.
write_bg_plan() {
  local file=$1 name=$2 lb=$3; shift 3
  cat >"$file" <<PLAN
apiVersion: rollout/v1alpha1
kind: RolloutPlan
metadata:
  name: $name
spec:
  strategy: blueGreen
  target:
    local:
      loadBalancer:
$lb
      replicas:
        - {name: gpu0, gpu: 0, port: ${replica_ports[0]}}
        - {name: gpu1, gpu: 1, port: ${replica_ports[1]}}
      canaryReplicas:
        - {name: gpu2, gpu: 2, port: ${replica_ports[2]}}
        - {name: gpu3, gpu: 3, port: ${replica_ports[3]}}
$(versions_block "$@")
  steps:
    - setWeight: 25
    - pause: {}
    - setWeight: 50
    - pause: {}
PLAN
}
nginx_lb() {
  printf '        nginx:\n          upstreamFile: %s\n          upstream: llm\n          test: [nginx, -t, -q, -p, %s, -c, %s, -e, %s]\n          reload: [nginx, -s, reload, -p, %s, -c, %s, -e, %s]\n' \
    "$work/upstream.conf" "$work" "$work/nginx.conf" "$work/error.log" "$work" "$work/nginx.conf" "$work/error.log"
}
haproxy_lb() { printf '        haproxy: {socket: %s, backend: llm}\n' "$work/admin.sock"; }

# Steady traffic through the load balancer; requests last up to 2 s (--generation). hey's own count.
start_load() {  # start_load SECONDS
  hey -z "$1s" -c 8 -t 60 -m POST -T application/json -d '{"model":"test-model","prompt":"Hello"}' \
    "http://127.0.0.1:$lb_port/v1/completions" >"$work/hey.out" 2>&1 &
  hey_pid=$!
}
# Waits for hey to end by itself and sets load_failed (responses other than 200, plus errors, as
# hey counts them) and load_ok (200s). Call it in this shell, never as $(...): a subshell cannot
# wait for hey and would read a summary hey has not written yet. A run without a summary or
# without a single 200 is not "zero failed": load_failed then says what went wrong.
collect_load() {
  wait "$hey_pid"
  local non200 errors
  load_ok=$(awk '/Status code distribution/{s=1;next} s&&/\[200\]/{n+=$2} END{print n+0}' "$work/hey.out")
  non200=$(awk '/Status code distribution/{s=1;next} s&&/\[[0-9]+\]/{gsub(/[\[\]]/,"",$1); if ($1!="200") n+=$2} END{print n+0}' "$work/hey.out")
  errors=$(awk '/Error distribution/{s=1;next} s&&/\[[0-9]+\]/{gsub(/[\[\]]/,"",$1); n+=$1} END{print n+0}' "$work/hey.out")
  load_failed=$((non200 + errors))
  if ! grep -q "Status code distribution" "$work/hey.out" || [[ $load_ok == 0 ]]; then
    load_failed="no successful load: $(tail -3 "$work/hey.out" | tr '\n' ' ')"
  fi
}

# The version each replica port answers, "-" for a closed port.
versions() {
  for p in "${replica_ports[@]}"; do
    curl -s --noproxy '*' -m 5 "http://127.0.0.1:$p/version" | jq -r .version 2>/dev/null | grep . || echo -
  done | tr '\n' ' '
}
# Each server's state in the balancer as "gpuN=WEIGHT" or "gpuN=down" (nginx down, HAProxy drain/maint).
lb_weights() {
  if [[ $lb == nginx ]]; then
    local i=0
    for p in "${replica_ports[@]}"; do
      awk -v a="127.0.0.1:$p" -v n="gpu$i" '$1=="server" && ($2==a || $2==a";") {
        w=1; d=0; for (k=3; k<=NF; k++) { t=$k; sub(/;$/,"",t); if (t=="down") d=1; if (t ~ /^weight=/) { sub(/^weight=/,"",t); w=t } }
        printf "%s=%s ", n, (d ? "down" : w) }' "$work/upstream.conf"
      i=$((i + 1))
    done
  else
    echo "show stat" | socat - "UNIX-CONNECT:$work/admin.sock" | awk -F, '
      NR==1 { for (k=1; k<=NF; k++) { h=$k; sub(/^# /,"",h); col[h]=k }; next }
      $1=="llm" && $2 ~ /^gpu/ { s=$col["status"]; printf "%s=%s ", $2, ((s ~ /MAINT|DRAIN/) ? "down" : $col["weight"]) }'
  fi
}
model_servers() { pgrep -f -c -- "sandbox model-server --port ($(IFS='|'; echo "${replica_ports[*]}"))( |$)" || true; }

cleanup() {
  stop_nginx; stop_haproxy
  for pid in "${hand_pids[@]}"; do kill "$pid" 2>/dev/null; done
  if [[ -f $work/state/*.local.json ]] || compgen -G "$work/state/*.local.json" >/dev/null; then
    for f in "$work"/state/*.local.json; do
      for pid in $(jq -r '.processes[]?.pid' "$f"); do kill -- "-$pid" 2>/dev/null; done
    done
  fi
  [[ -n ${hey_pid:-} ]] && kill "$hey_pid" 2>/dev/null
  wait 2>/dev/null
  [[ -n ${LOCAL_KEEP:-} ]] && echo "kept $work" || rm -rf "$work"
}
