#!/usr/bin/env bash
# `rollout sandbox model-server` as a real HTTP server on loopback, driven with curl: the vLLM API,
# runtime LoRA, /metrics, startup and crash on start, and SIGTERM with drain and with abort.
set -u
rollout=$1
work=$(mktemp -d /tmp/rollout-model-server-test.XXXXXX)
. "$(dirname "$0")/../require.sh"
require curl:curl
pass=0 fail=0
pid="" base="" rc=""

starts=0
start_server() {  # start_server [flags...]: on a free loopback port (--port 0), read back from its log
  # A new log file each time: the previous server's log (and port) must never be read by mistake
  # while the new process has not yet truncated it.
  starts=$((starts + 1))
  log="$work/server-$starts.log"
  ln -sf "$log" "$work/server.log"
  "$rollout" sandbox model-server --port 0 --model test-model --version v1 "$@" >"$log" 2>&1 &
  pid=$!
  local port=""
  for _ in $(seq 1 200); do
    port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p' "$log")
    [[ -n $port ]] && base="http://127.0.0.1:$port" && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "model server did not start:"; cat "$work/server.log"; return 1
}
wait_server() {  # wait_server: waits (at most 15 s, then kills it) for the server to exit; its exit code in $rc
  for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid"; rc=$?
  pid=""
}
stop_server() {  # stop_server: SIGTERM, then wait; its exit code in $rc
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null
  wait_server
}
trap 'stop_server; rm -rf "$work"' EXIT

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
expect_eq() {  # expect_eq NAME WANT GOT
  if [[ "$2" == "$3" ]]; then ok; else bad "$1: want '$2', got '$3'"; fi
}
expect_contains() {  # expect_contains NAME NEEDLE TEXT
  if grep -qF -- "$2" <<<"$3"; then ok; else bad "$1: '$2' not in: $(head -c 600 <<<"$3")"; fi
}
# c METHOD PATH [JSON]: prints the HTTP status, the body goes to $work/body
c() {
  local args=(-s --noproxy '*' --max-time 20 -o "$work/body" -w '%{http_code}' -X "$1" "$base$2")
  [[ $# -ge 3 ]] && args+=(-H 'Content-Type: application/json' -d "$3")
  curl "${args[@]}"
}
body() { cat "$work/body"; }
metric() {  # metric SERIES: the value of one sample of /metrics
  curl -s --noproxy '*' --max-time 5 "$base/metrics" | awk -v s="$1" 'index($0, s " ") == 1 { print $2 }'
}
wait_running() {  # wait_running N: until vllm:num_requests_running is N (at most 5 s)
  for _ in $(seq 1 100); do
    [[ $(metric 'vllm:num_requests_running{engine="0",model_name="test-model"}') == "$1.0" ]] && return 0
    sleep 0.05
  done
  return 1
}

# The API of a ready replica.
start_server --ttft 10ms --itl 1ms || exit 1
expect_eq "health" 200 "$(c GET /health)"
expect_eq "version" 200 "$(c GET /version)"
expect_eq "version body" '{"version":"v1"}' "$(body)"
expect_eq "models" 200 "$(c GET /v1/models)"
expect_contains "models lists the base model" '"id":"test-model"' "$(body)"
expect_eq "completion" 200 "$(c POST /v1/completions '{"model":"test-model","prompt":"Hello","max_tokens":5}')"
expect_contains "completion object" '"object":"text_completion"' "$(body)"
expect_contains "completion usage" '"completion_tokens":5' "$(body)"
expect_eq "chat completion" 200 "$(c POST /v1/chat/completions '{"model":"test-model","messages":[{"role":"user","content":"Hi"}]}')"
expect_contains "chat object" '"object":"chat.completion"' "$(body)"
expect_eq "unknown model" 404 "$(c POST /v1/completions '{"model":"nope","prompt":"Hello"}')"
expect_contains "unknown model error" '"type":"NotFoundError"' "$(body)"
expect_eq "load adapter" 200 "$(c POST /v1/load_lora_adapter '{"lora_name":"food-review-1","lora_path":"/adapters/food-review-1"}')"
expect_eq "load adapter text" "Success: LoRA adapter 'food-review-1' added successfully." "$(body)"
expect_eq "load adapter again" 400 "$(c POST /v1/load_lora_adapter '{"lora_name":"food-review-1","lora_path":"/x"}')"
c GET /v1/models >/dev/null
expect_contains "models lists the adapter with its parent" '"parent":"test-model"' "$(body)"
expect_eq "adapter completion" 200 "$(c POST /v1/completions '{"model":"food-review-1","prompt":"Hello","max_tokens":3}')"
expect_contains "adapter completion model" '"model":"food-review-1"' "$(body)"
m=$(curl -s --noproxy '*' --max-time 5 -D "$work/headers" "$base/metrics")
expect_contains "metrics content type" "text/plain; version=0.0.4" "$(cat "$work/headers")"
expect_contains "metrics counter type" "# TYPE vllm:request_success_total counter" "$m"
expect_contains "metrics length" 'vllm:request_success_total{engine="0",finished_reason="length",model_name="test-model"} 1.0' "$m"
expect_contains "metrics stop" 'vllm:request_success_total{engine="0",finished_reason="stop",model_name="test-model"} 1.0' "$m"
expect_contains "metrics per adapter" 'vllm:request_success_total{engine="0",finished_reason="length",model_name="food-review-1"} 1.0' "$m"
expect_contains "metrics histogram" 'vllm:e2e_request_latency_seconds_bucket{engine="0",le="+Inf",model_name="test-model"} 2.0' "$m"
expect_contains "metrics created" '# TYPE vllm:request_success_created gauge' "$m"
expect_eq "unload adapter" 200 "$(c POST /v1/unload_lora_adapter '{"lora_name":"food-review-1"}')"
expect_eq "unload adapter again" 404 "$(c POST /v1/unload_lora_adapter '{"lora_name":"food-review-1"}')"
stop_server
expect_eq "SIGTERM exits 0" 0 "$rc"

# Startup delay: 503 first, then 200.
start_server --startup 1s || exit 1
expect_eq "health during startup" 503 "$(c GET /health)"
code=""
for _ in $(seq 1 100); do code=$(c GET /health); [[ $code == 200 ]] && break; sleep 0.05; done
expect_eq "health after startup" 200 "$code"
for _ in $(seq 1 40); do grep -q "ready" "$work/server.log" && break; sleep 0.05; done
expect_contains "ready is logged" "ready" "$(cat "$work/server.log")"
stop_server

# Crash on start: an error exit once the startup delay has passed.
start_server --startup 200ms --crash-on-start || exit 1
wait_server
expect_eq "crash on start exits 1" 1 "$rc"
expect_contains "crash is explained" "crashed on start" "$(cat "$work/server.log")"

# Without runtime LoRA the routes do not exist.
start_server --no-runtime-lora || exit 1
expect_eq "no runtime LoRA" 404 "$(c POST /v1/load_lora_adapter '{"lora_name":"a","lora_path":"/a"}')"
stop_server

# SIGTERM during a slow request: drain lets it finish, abort fails it. 100 tokens at 20 ms = 2 s.
for mode in drain abort; do
  start_server --ttft 10ms --itl 20ms --on-sigterm "$mode" || exit 1
  curl -s --noproxy '*' --max-time 20 -o /dev/null -w '%{http_code}' -d '{"model":"test-model","prompt":"Hi","max_tokens":100}' \
    -H 'Content-Type: application/json' "$base/v1/completions" >"$work/slow.code" &
  slow=$!
  if wait_running 1; then ok; else bad "$mode: the slow request is not running"; fi
  kill -TERM "$pid"
  if [[ $mode == drain ]]; then
    sleep 0.2
    expect_eq "drain: health is 503 while draining" 503 "$(c GET /health)"
    expect_eq "drain: new requests are refused" 503 "$(c POST /v1/completions '{"model":"test-model","prompt":"Hi"}')"
  fi
  wait "$slow"
  wait_server
  if [[ $mode == drain ]]; then
    expect_eq "drain: the in-flight request succeeds" 200 "$(cat "$work/slow.code")"
  else
    code=$(cat "$work/slow.code")
    if [[ $code == 500 ]]; then ok; else bad "abort: the in-flight request got $code, want 500"; fi
  fi
  expect_eq "$mode: exit 0 after SIGTERM" 0 "$rc"
  verb=draining; [[ $mode == abort ]] && verb=aborting
  expect_contains "$mode: logged" "SIGTERM: $verb 1 in-flight request(s)" "$(cat "$work/server.log")"
done

# vLLM's --shutdown-timeout: by default (0s) SIGTERM aborts the in-flight request; with a
# timeout longer than the request it finishes; with a shorter one it is aborted when it ends.
for case in "default:500" "5s:200" "1s:500"; do
  t=${case%%:*} want=${case#*:}
  flags=(--ttft 10ms --itl 20ms); [[ $t != default ]] && flags+=(--shutdown-timeout "$t")
  start_server "${flags[@]}" || exit 1
  curl -s --noproxy '*' --max-time 20 -o /dev/null -w '%{http_code}' -d '{"model":"test-model","prompt":"Hi","max_tokens":150}' \
    -H 'Content-Type: application/json' "$base/v1/completions" >"$work/slow.code" &
  slow=$!
  if wait_running 1; then ok; else bad "shutdown-timeout $t: the slow request is not running"; fi
  kill -TERM "$pid"
  wait "$slow"
  wait_server
  expect_eq "shutdown-timeout $t: the in-flight request gets $want" "$want" "$(cat "$work/slow.code")"
  expect_eq "shutdown-timeout $t: exit 0" 0 "$rc"
done

# Long generations: without max_tokens an answer lasts up to --generation.
start_server --ttft 10ms --itl 10ms --generation 1s || exit 1
took=$(curl -s --noproxy '*' -o /dev/null -w '%{time_total}' -d '{"model":"test-model","prompt":"Hi"}' \
  -H 'Content-Type: application/json' "$base/v1/completions")
if awk -v t="$took" 'BEGIN { exit !(t >= 0.2 && t <= 1.5) }'; then ok; else bad "--generation 1s: a request took ${took}s"; fi
kill -TERM "$pid"; wait_server

# Bad knobs are usage errors that name the flag.
out=$("$rollout" sandbox model-server --port 0 --model m --version v --ttft soon 2>&1); code=$?
expect_eq "bad --ttft exits 2" 2 "$code"
expect_contains "bad --ttft is named" "--ttft" "$out"
out=$("$rollout" sandbox model-server --port 0 --model m --version v --error-rate 1.5 2>&1); code=$?
expect_eq "bad --error-rate exits 2" 2 "$code"

echo "model_server: $pass passed, $fail failed"
[[ $fail == 0 ]]
