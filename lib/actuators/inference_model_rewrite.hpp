// llm-d InferenceModelRewrite (llm-d.ai/v1alpha2; legacy inference.networking.x-k8s.io/v1alpha2):
// the rule for one model name rewrites requests to weighted LoRA targets. Owns /spec/rules; weight 0
// is rejected by its validation, so a target at 0% is removed (split_targets).
#pragma once

#include "actuators/actuator.hpp"

namespace rollout::actuators {

class InferenceModelRewriteActuator : public Actuator {
 public:
  explicit InferenceModelRewriteActuator(plan::InferenceModelRewriteTarget target) : target_(std::move(target)) {}

  std::string name() const override { return "inferenceModelRewrite"; }
  // In the group discovery finds: the plan's apiVersion when served; with apiVersion left out, the
  // legacy group if only that one is installed.
  Result<std::vector<ObjectRef>> resolve(k8s::Client& client, const std::string& ns) const override;
  // An object of the same name in the other group (both installed), or the legacy group detected.
  std::vector<std::string> warnings(k8s::Client& client, const std::vector<nlohmann::json>& lives) const override;
  Status check(k8s::Client& client, const nlohmann::json& live) const override;
  std::vector<std::string> managed_fields() const override { return {"/spec/rules"}; }
  Result<nlohmann::json> desired(const nlohmann::json& original, const Position& position) const override;
  // The EPP never writes this object's status: the write is the effect.
  Status verify(k8s::Client& client, const nlohmann::json& written, const Position& position,
                const Wait& wait) const override;
  // The API version the cluster serves this kind in, per discovery (see resolve).
  Result<std::string> served_api_version(k8s::Client& client) const;
  // spec.poolRef, for both roles.
  std::optional<BackendPool> backend(const nlohmann::json& original, Role role) const override;
  std::string side_name(Role role) const override { return role == Role::stable ? target_.stable : target_.canary; }

  // The index of the rule whose matches[].model.value is the target's model.
  Result<size_t> managed_rule(const nlohmann::json& rewrite) const;

 private:
  plan::InferenceModelRewriteTarget target_;
};

}  // namespace rollout::actuators
