// The pieces the strategies of actuators/scaffold share: gates per model server, the model server
// behind a backend, and the header's "how to run" lines.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "actuators/actuator.hpp"
#include "actuators/scaffold.hpp"

namespace rollout::actuators::scaffold {

// error-rate, a latency gate judged against stable (ttft-p99, else e2e-p99, if the engine has one)
// and canary-health; `engine` "" is taken as vllm. The names of the metric gates, for analyses,
// go to `measured`.
std::vector<plan::Gate> gates_for(const ScaffoldRequest& r, const std::string& engine, bool compare,
                                  std::vector<std::string>& measured);

// One pod of the backend (a ready one if any), or nullopt when it selects none.
std::optional<nlohmann::json> backend_pod(k8s::Client& client, const std::string& ns, const BackendPool& pool);

// The model server behind a backend, from one of its pods (ready ones first).
ModelServerGuess backend_server(k8s::Client& client, const std::string& ns, const BackendPool& pool);

// The header lines every scaffold ends with: what was detected, then how to run the plan.
void add_detection(plan::Scaffold& s, const ModelServerGuess& g);
void add_how_to_run(plan::Scaffold& s, bool has_pause);

// The entry of a weighted list with the largest weight (absent: 1, as Gateway API, GIE and Kthena
// default it), or nullopt for an empty list. A copy: callers pass temporaries (obj.value(...)).
std::optional<nlohmann::json> heaviest(const nlohmann::json& list);

// metadata.name from an object's name and a suffix ("llm-route" + "-blue-green"): a DNS label of
// at most 55 characters (the plan's rule), other characters turned into '-', the base shortened.
std::string plan_name(const std::string& base, const std::string& suffix);

plan::Step step(decltype(plan::Step::action) action);
plan::Analysis analysis(const std::vector<std::string>& gates, int minutes);

Result<plan::Scaffold> blue_green(k8s::Client& client, const ScaffoldRequest& r);
Result<plan::Scaffold> lora_canary(k8s::Client& client, const ScaffoldRequest& r);
Result<plan::Scaffold> rolling(k8s::Client& client, const ScaffoldRequest& r);

}  // namespace rollout::actuators::scaffold
