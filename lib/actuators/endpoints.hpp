// The model-server pods behind a backend (an InferencePool's selector, or a Service's), and
// requests to them through the API server's pod proxy, as kubectl would reach them: the LoRA
// actuator verifies adapters with it, HTTP gates probe the canary with it.
#pragma once

#include <string>
#include <vector>

#include "actuators/actuator.hpp"

namespace rollout::actuators {

struct Endpoint {
  std::string pod;
  int port = 0;        // the pool's target port (InferencePool v1 targetPorts[0], v1alpha2 targetPortNumber, Service targetPort, ModelServer workloadPort.port)
  bool ready = false;  // the pod's Ready condition
  std::string base;    // "/api/v1/namespaces/NS/pods/POD:PORT/proxy": where a GET reaches it
  // Which process serves: a replacement pod has a new uid, a restarted container one more restart.
  // What a server holds only in memory (runtime-loaded adapters) is gone when either changes.
  std::string uid = {};
  int restarts = 0;
};

// One pod as an endpoint on `port`, reached through the pod proxy.
Endpoint pod_endpoint(const std::string& ns, const nlohmann::json& pod, int port);
// The port a model-server pod serves on when no pool says: its first declared containerPort, else
// vLLM's default 8000.
int serving_port(const nlohmann::json& pod);

// The backend in the InferencePool generation the cluster serves (discovery): the requested group
// when served, else the other one (v1 inference.networking.k8s.io / v1alpha2 x-k8s.io). Other kinds
// as given.
Result<BackendPool> served_pool_group(k8s::Client& client, const BackendPool& requested);

// Every pod the backend selects, ready or not. A missing pool is ErrorKind::not_found naming it.
Result<std::vector<Endpoint>> pool_endpoints(k8s::Client& client, const std::string& ns, const BackendPool& pool);

// GET PATH on the pod through /api/v1/namespaces/NS/pods/POD:PORT/proxy/PATH, without retries.
Result<k8s::HttpResult> proxy_get(k8s::Client& client, const std::string& ns, const Endpoint& endpoint,
                                  const std::string& path, Duration timeout);
// POST a JSON body to PATH on the pod through the same proxy, without retries (not idempotent).
Result<k8s::HttpResult> proxy_post(k8s::Client& client, const std::string& ns, const Endpoint& endpoint,
                                   const std::string& path, const nlohmann::json& body, Duration timeout);

}  // namespace rollout::actuators
