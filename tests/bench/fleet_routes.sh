# Sourced by bench_fleet.sh and bench_latency.sh: the fleet of HTTPRoutes both measure.
# N routes labelled tenant-group=fleet, all traffic on the stable pool.
write_routes() {  # write_routes N FILE
  local n=$1 file=$2
  : >"$file"
  for ((i = 0; i < n; i++)); do
    cat >>"$file" <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: tenant-$i
  labels: {tenant-group: fleet}
spec:
  parentRefs:
  - {group: gateway.networking.k8s.io, kind: Gateway, name: inference-gateway}
  rules:
  - backendRefs:
    - {group: inference.networking.k8s.io, kind: InferencePool, name: vllm-llama3-8b-instruct, weight: 100}
    - {group: inference.networking.k8s.io, kind: InferencePool, name: vllm-llama3-8b-instruct-new, weight: 0}
    matches:
    - path: {type: PathPrefix, value: /tenant-$i}
YAML
  done
}
