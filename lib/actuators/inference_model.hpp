// GIE InferenceModel (inference.networking.x-k8s.io/v1alpha2): traffic between two target models
// (LoRA adapters) of one model name by weight. Owns /spec/targetModels. The weighted-list rules
// (weights 1..1e6, all set or none, an entry at 0% dropped) are shared with InferenceModelRewrite.
#pragma once

#include "actuators/actuator.hpp"

namespace rollout::actuators {

// A list of weighted targets: [{NAME_KEY: name, weight}], and which entries are stable and canary.
struct WeightedTargets {
  std::string name_key;  // "name" (targetModels) or "modelRewrite" (rules[].targets)
  std::string stable;
  std::string canary;
};

// The list at `position`: stable 100-w, canary w, an entry at 0% removed, other entries kept;
// finished (or 100%): only the canary at 100. `where` names the field in messages.
Result<nlohmann::json> split_targets(const nlohmann::json& entries, const WeightedTargets& targets,
                                     const Position& position, const std::string& where);

// Before a rollout: the stable is listed, every other entry has a weight, and with the canary
// there are at most `max_entries` (0: no limit).
Status check_targets(const nlohmann::json& entries, const WeightedTargets& targets, const std::string& where,
                     size_t max_entries);

// Why an inferenceModel target cannot run on a cluster without the InferenceModel CRD, and how to
// migrate the plan to its successor.
std::string inference_model_gone();

class InferenceModelActuator : public Actuator {
 public:
  explicit InferenceModelActuator(plan::InferenceModelTarget target) : target_(std::move(target)) {}

  std::string name() const override { return "inferenceModel"; }
  // Pre-flight: a cluster without the InferenceModel CRD (GIE >= v1.0) is ErrorKind::not_found
  // naming the successor and the plan's migration (inference_model_gone()).
  Result<std::vector<ObjectRef>> resolve(k8s::Client& client, const std::string& ns) const override;
  Status check(k8s::Client& client, const nlohmann::json& live) const override;
  std::vector<std::string> managed_fields() const override { return {"/spec/targetModels"}; }
  Result<nlohmann::json> desired(const nlohmann::json& original, const Position& position) const override;
  // Nothing reports a target model split as applied: the write is the effect.
  Status verify(k8s::Client& client, const nlohmann::json& written, const Position& position,
                const Wait& wait) const override;
  // spec.poolRef, for both roles (the split is inside one pool).
  std::optional<BackendPool> backend(const nlohmann::json& original, Role role) const override;
  std::string side_name(Role role) const override { return role == Role::stable ? target_.stable : target_.canary; }

 private:
  WeightedTargets targets() const { return {"name", target_.stable, target_.canary}; }
  plan::InferenceModelTarget target_;
};

}  // namespace rollout::actuators
