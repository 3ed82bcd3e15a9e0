// Synthetic clients behind the simulated gateway. Each request goes where the real data path
// would send it: the HTTPRoute rule whose matches fit (path, headers), a backendRef drawn by
// weight (plus RequestMirror copies for their percent), a Ready pod of that InferencePool, and the model chosen by
// the pool's InferenceModel targetModels or InferenceModelRewrite targets. The pod's simulated
// vLLM decides latency and success, and records it in its own metrics. Kthena's router is a
// second entrance: each ModelRoute gets its own requests for its spec.modelName, sent to the first
// rule that matches, a targetModel drawn by weight and a Ready pod of that ModelServer.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "sandbox/pod_runtime.hpp"
#include "sandbox/route_match.hpp"
#include "sandbox/store.hpp"

namespace rollout::sandbox {

struct TrafficOptions {
  double rate = 0;          // requests per second through each HTTPRoute; 0: none
  std::string header_name;  // a share of requests carries this header (beta users)
  std::string header_value;
  double header_share = 0;
  int max_tokens = 8;
  uint64_t seed = 0;  // 0: random
};

struct TrafficStats {
  uint64_t sent = 0, succeeded = 0, failed = 0, unroutable = 0, mirrored = 0;
  std::map<std::string, uint64_t> per_pool;  // "namespace/pool" -> requests served
};

class TrafficGenerator {
 public:
  TrafficGenerator(ObjectStore& store, TypeRegistry& types, PodRuntimes& pods, TrafficOptions options);
  ~TrafficGenerator();

  void start();
  void stop();
  // One request through `route` (an HTTPRoute object), answered before it returns.
  void send_one(const nlohmann::json& route);
  TrafficStats stats() const;
  // One request through `route` (a Kthena ModelRoute object), answered before it returns.
  void send_model_route(const nlohmann::json& route);

  // Where one request goes: a Ready pod's model server and the model it is asked for.
  struct Target {
    std::shared_ptr<ModelServerSim> server;
    std::string model;
    std::string pool;  // namespace/name
    bool mirror = false;
    std::string pod;  // the pod's name
  };
  // The routing of one request through `route` (an HTTPRoute): the rule that takes it
  // (route_match.hpp), then route_rule. Empty: no rule matches, or nothing can serve it.
  std::vector<Target> route_request(const nlohmann::json& route, const RequestFacts& request,
                                    const std::string& model = "");
  // One request through rule `rule` of `route`: a backendRef drawn by weight, a Ready pod of it,
  // the model chosen for `model` (empty: the pool's first InferenceModel or rewrite, as the
  // synthetic clients ask), then the RequestMirror copies (primary first). The gateway's
  // listeners route with this too (gateway_listeners.cpp).
  std::vector<Target> route_rule(const nlohmann::json& route, size_t rule, const std::string& model = "");

 private:
  std::optional<Target> pick_pod(const nlohmann::json& backend_ref, const std::string& route_namespace,
                                 const std::string& model);
  void choose_model(Target& t, const std::string& ns, const std::string& pool, const std::string& requested);
  void deliver(const Target& t);
  // Kthena: a Ready pod of ModelServer `server` (its workloadSelector), asked for its spec.model.
  std::optional<Target> pick_model_server_pod(const std::string& ns, const std::string& server,
                                              const std::string& model);
  void dispatch_loop();
  void worker_loop();
  // Brings routes_ up to date from the store's changes since the last call.
  void refresh_routes(const ResourceType& routes_type);

  ObjectStore& store_;
  TypeRegistry& types_;
  PodRuntimes& pods_;
  TrafficOptions options_;
  mutable std::mutex mu_;
  std::mt19937_64 rng_;
  TrafficStats stats_;
  std::condition_variable queue_cv_;
  std::deque<ObjectStore::Shared> queue_;  // routes waiting for a worker
  std::map<std::string, ObjectStore::Shared> routes_;  // "namespace/name" -> HTTPRoute (dispatcher only)
  std::optional<uint64_t> routes_seen_;                // resourceVersion routes_ reflects
  std::atomic<bool> running_{false};
  std::thread dispatcher_;
  std::vector<std::thread> workers_;
};

}  // namespace rollout::sandbox
