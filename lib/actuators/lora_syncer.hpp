// The LoRA syncer ConfigMap (plan `adapters`): loads the plan's adapters on every pod of the pool
// before any traffic moves (ensureExist), and on success unloads the old ones (ensureNotExist).
// Owns /data/configmap.yaml; verified through each ready pod's GET /v1/models, since the syncer
// writes nothing back to Kubernetes.
#pragma once

#include "actuators/actuator.hpp"

namespace rollout::actuators {

class LoraSyncerActuator : public Actuator {
 public:
  explicit LoraSyncerActuator(plan::Adapters adapters) : adapters_(std::move(adapters)) {}

  std::string name() const override { return "loraSyncer"; }
  Result<std::vector<ObjectRef>> resolve(k8s::Client& client, const std::string& ns) const override;
  // The key exists and parses; a `load` id already in ensureExist with another source is a clash.
  Status check(k8s::Client& client, const nlohmann::json& live) const override;
  std::vector<std::string> managed_fields() const override { return {"/data/configmap.yaml"}; }
  // Before adapters_loaded: the original, byte for byte.
  Result<nlohmann::json> desired(const nlohmann::json& original, const Position& position) const override;
  // Once loaded (and until finished): every ready pod of adapters.verify.pool lists each load id,
  // within adapters.verify.timeout (which replaces wait.timeout).
  Status verify(k8s::Client& client, const nlohmann::json& written, const Position& position,
                const Wait& wait) const override;
  std::optional<BackendPool> backend(const nlohmann::json&, Role) const override { return std::nullopt; }

 private:
  Result<BackendPool> verify_pool(k8s::Client& client, const std::string& ns) const;
  Result<std::string> not_loaded(k8s::Client& client, const std::string& ns, const BackendPool& pool) const;

  plan::Adapters adapters_;
};

}  // namespace rollout::actuators
