// Kthena ModelRoute (networking.serving.volcano.sh/v1alpha1): traffic between two ModelServers of
// one rule by spec.rules[i].targetModels[].weight (0..100; kthena-router draws a target by weight,
// pkg/kthena-router/datastore/store.go selectDestination). Owns /spec/rules. Weight 0 is valid
// here, so the stable stays listed at 0 until the rollout finishes; finished keeps only the canary
// at 100, as an httpRoute's finish does. Gates see each ModelServer's pods (its workloadSelector).
#pragma once

#include "actuators/actuator.hpp"

namespace rollout::actuators {

inline constexpr const char* kModelRouteApi = "networking.serving.volcano.sh/v1alpha1";

class ModelRouteActuator : public Actuator {
 public:
  explicit ModelRouteActuator(plan::ModelRouteTarget target) : target_(std::move(target)) {}

  std::string name() const override { return "modelRoute"; }
  Result<std::vector<ObjectRef>> resolve(k8s::Client& client, const std::string& ns) const override;
  // The rule, the stable among its targetModels, and both ModelServers exist.
  Status check(k8s::Client& client, const nlohmann::json& live) const override;
  std::vector<std::string> managed_fields() const override { return {"/spec/rules"}; }
  Result<nlohmann::json> desired(const nlohmann::json& original, const Position& position) const override;
  // ModelRoute has no status (ModelRouteStatus is empty): the write is the effect.
  Status verify(k8s::Client& client, const nlohmann::json& written, const Position& position,
                const Wait& wait) const override;
  // The role's ModelServer: its workloadSelector's pods on its workloadPort (endpoints.cpp).
  std::optional<BackendPool> backend(const nlohmann::json& original, Role role) const override;
  std::string side_name(Role role) const override { return role == Role::stable ? target_.stable : target_.canary; }

  // The index of the rule this rollout moves: by name, by index, or the route's only rule.
  Result<size_t> managed_rule(const nlohmann::json& route) const;

 private:
  // Rules' checks without the cluster: the rule, the stable listed, room for the canary.
  Status check_rule(const nlohmann::json& live) const;
  plan::ModelRouteTarget target_;
};

}  // namespace rollout::actuators
