// The local target: replicas (one per GPU) behind nginx or HAProxy. Its one object is the
// document local::Fleet presents (apiVersion local.rollout.dev/v1, kind LocalReplicas):
// spec.versions per replica and, in blueGreen, spec.weights per load-balancer server. desired()
// turns the rollout's Position into that spec; LocalHost (the host of the local.rollout.dev
// group) makes the machine match it when the engine patches it; verify() fails the step with the
// fleet's status.failure (a drain or a health check that timed out).
#pragma once

#include "actuators/actuator.hpp"
#include "actuators/object_host.hpp"

namespace rollout::actuators {

inline constexpr const char* kLocalGroup = "local.rollout.dev";

class LocalReplicasActuator : public Actuator {
 public:
  explicit LocalReplicasActuator(plan::LocalTarget target) : target_(std::move(target)) {}
  std::string name() const override { return "local"; }
  Result<std::vector<ObjectRef>> resolve(k8s::Client&, const std::string&) const override;
  Status check(k8s::Client&, const nlohmann::json&) const override { return ok_status(); }
  std::vector<std::string> managed_fields() const override { return {"/spec"}; }
  Result<nlohmann::json> desired(const nlohmann::json& original, const Position& position) const override;
  Status verify(k8s::Client&, const nlohmann::json& written, const Position&, const Wait&) const override;
  std::optional<BackendPool> backend(const nlohmann::json&, Role role) const override;
  Result<std::vector<Endpoint>> endpoints(k8s::Client&, const std::string&, const nlohmann::json& original,
                                          Role role) const override;
  std::string side_name(Role role) const override { return role == Role::canary ? "canary" : "stable"; }
  std::optional<int> replicas(const nlohmann::json&) const override;

 private:
  bool blue_green() const { return !target_.canary_replicas.empty(); }
  plan::LocalTarget target_;
};

// The load balancer's per-server weights that send `percent` % of requests to the canary set
// (blueGreen): each stable server gets `stable`, each canary server `canary`. Exact when the
// reduced ratio fits; otherwise the pair closest to `percent` within 1..kMaxServerWeight, the
// range HAProxy accepts (its `weight` and `set server ... weight` take 0 to 256; nginx has no
// limit but the same weights serve it).
inline constexpr int kMaxServerWeight = 256;
struct SetWeights {
  int stable = 1;
  int canary = 1;
};
SetWeights split_weights(int stable_servers, int canary_servers, int percent);

std::unique_ptr<ObjectHost> make_local_host(const plan::Plan& plan, const HostContext& context);

}  // namespace rollout::actuators
