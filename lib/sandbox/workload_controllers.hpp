// The simulated pod runtime: pods become Ready after their startup delay (knob annotations, see
// pod_knobs.hpp); pods whose owner (a ReplicaSet or a group workload) is gone are
// garbage-collected. Deployments are deployment_controller.hpp's, ReplicaSets
// replicaset_controller.hpp's.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sandbox/controller.hpp"
#include "sandbox/pod_runtime.hpp"

namespace rollout::sandbox {

// Pods run a simulated model server each (in `runtimes`); Ready follows its /health.
std::unique_ptr<Controller> make_pod_controller(std::shared_ptr<PodRuntimes> runtimes);

// Shared by the workload controllers (here and in serving_controllers).
// A short stable hash of a pod template, as pod-template-hash and revision labels carry.
std::string template_hash(const nlohmann::json& tmpl);
bool pod_ready(const nlohmann::json& pod);
// Pods with an ownerReference to `owner` (by uid).
std::vector<nlohmann::json> owned_pods(ControllerContext& ctx, const nlohmann::json& owner);
// An IntOrString such as maxSurge: an integer, or a percentage of `replicas` rounded up or down.
int int_or_percent(const nlohmann::json& v, int replicas, bool round_up, int fallback);

}  // namespace rollout::sandbox
