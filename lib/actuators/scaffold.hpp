// `rollout plan new`: a plan scaffolded from live objects, so that a user edits a plan instead of
// writing one. The route's current backend and the pools it could move to, an InferenceModel's
// or InferenceModelRewrite's adapters and who loads them, a workload's replicas and template, and
// which model server its pods run (to pick the gate presets that server exposes) are read from
// the cluster; plan/scaffold renders the result as commented YAML.
#pragma once

#include <functional>
#include <string>

#include "k8s/client.hpp"
#include "plan/scaffold.hpp"
#include "util/result.hpp"

namespace rollout::actuators {

// What `plan new` was asked for: each field is a flag of the command (empty: not given).
struct ScaffoldRequest {
  plan::Strategy strategy = plan::Strategy::blueGreen;
  std::string ns;
  std::string name;  // --name: metadata.name; default from the object
  // blueGreen
  std::string route;        // --route: an HTTPRoute
  std::string model_route;  // --model-route: a Kthena ModelRoute
  std::string canary;       // --canary: the pool, Service or ModelServer to move to
  // loraCanary
  std::string inference_model;  // --inference-model
  std::string rewrite;          // --rewrite: an InferenceModelRewrite
  std::string adapter;          // --adapter: the new adapter's id
  std::string adapter_source;   // --adapter-source: where it is loaded from
  // rolling
  std::string model_serving;      // --model-serving
  std::string model_infer;        // --model-infer (Kthena's legacy ModelInfer)
  std::string leader_worker_set;  // --leader-worker-set
  std::string deployment;         // --deployment
  std::string image;              // --image: the new image of the model-server containers
  // Whether a scrape preset exists for ENGINE and METRIC (gates::find_preset, handed in: gates
  // are not this folder's to know).
  std::function<bool(const std::string& engine, const std::string& metric)> preset_exists;
};

// The flags fit the strategy: exactly one object to start from, no flag of another strategy.
// ErrorKind::usage naming the flag.
Status check_scaffold_request(const ScaffoldRequest& r);

// Which model server a pod spec runs, from its containers' images, then commands and args, then
// ports. `engine` is a scrape preset engine (vllm, sglang, tgi) or "" when nothing tells.
struct ModelServerGuess {
  std::string engine;
  std::string evidence;  // "image vllm/vllm-openai:v0.9.2 of container vllm"
  std::string image;     // the serving container's image ("" when unknown)
};
ModelServerGuess detect_model_server(const nlohmann::json& pod_spec);

// The plan, read off the live objects. A missing object is ErrorKind::not_found naming it; a
// choice the objects leave open (several candidate pools, no adapter) is ErrorKind::usage
// naming the flag that settles it.
Result<plan::Scaffold> scaffold_plan(k8s::Client& client, const ScaffoldRequest& r);

}  // namespace rollout::actuators
