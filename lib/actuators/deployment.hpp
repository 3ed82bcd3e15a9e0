// A Deployment rolled in exact gated batches, staying a plain Deployment (no custom resource, no
// pod restarted twice). Owns /spec/template, /spec/strategy and /spec/paused.
//
// How, and the controller facts it rests on (kubernetes/kubernetes pkg/controller/deployment):
// - Freeze: one write sets paused: true, strategy {type: Recreate} and the new template. A paused
//   Deployment is not rolled (syncDeployment -> sync(): no new ReplicaSet is created), but sync()
//   still calls scale(), which resizes ReplicaSets only (a) when one is active (it gets
//   spec.replicas), (b) when the new one is saturated (the old ones go to 0), or (c) for
//   RollingUpdate, proportionally toward replicas + maxSurge. Recreate turns (c) off, so the
//   sizes set here stand; (a) and (b) agree with them at every step (one active ReplicaSet holds
//   all replicas; a saturated new one means the last batch, whose old pods go anyway).
// - Each batch: the new ReplicaSet (the Deployment's template plus a pod-template-hash label,
//   owned by the Deployment) is created once and sized up within the recorded maxSurge, the old
//   ones down within maxUnavailable (replica_batches.hpp), until exactly k new pods are Ready.
// - Finish: the recorded strategy and paused state come back; the controller takes this
//   ReplicaSet as its new one (FindNewReplicaSet: the oldest whose template equals its own,
//   EqualIgnoreHash) and rolls the rest, so the k pods are never replaced and the ReplicaSet
//   gets the next revision (kubectl rollout history lists it).
// - Rollback: the recorded template, strategy and paused state come back; the old ReplicaSet is
//   the controller's new one again and it scales the pods of the new template away.
#pragma once

#include "actuators/actuator.hpp"

namespace rollout::actuators {

class DeploymentActuator : public Actuator {
 public:
  explicit DeploymentActuator(plan::DeploymentTarget target) : target_(std::move(target)) {}

  std::string name() const override { return "deployment"; }
  Result<std::vector<ObjectRef>> resolve(k8s::Client& client, const std::string& ns) const override;
  // A paused Deployment given a new template is refused (something else holds it still).
  Status check(k8s::Client& client, const nlohmann::json& live) const override;
  std::vector<std::string> managed_fields() const override { return {"/spec/template", "/spec/strategy", "/spec/paused"}; }
  Result<nlohmann::json> desired(const nlohmann::json& original, const Position& position) const override;
  Status verify(k8s::Client& client, const nlohmann::json& written, const Position& position,
                const Wait& wait) const override;
  // Sizes the ReplicaSets for each object's batch, then waits for its pods (see above).
  Status verify_all(k8s::Client& client, const std::vector<nlohmann::json>& written,
                    const std::vector<nlohmann::json>& originals, const Position& position,
                    const Wait& wait) const override;
  std::optional<BackendPool> backend(const nlohmann::json&, Role) const override { return std::nullopt; }
  // Canary: the pods of the ReplicaSet whose template is the Deployment's (once the new template
  // is in place); stable: the others.
  Result<std::vector<Endpoint>> endpoints(k8s::Client& client, const std::string& ns, const nlohmann::json& original,
                                          Role role) const override;
  std::string side_name(Role role) const override { return role == Role::canary ? "new pods" : "old pods"; }
  std::optional<int> replicas(const nlohmann::json& obj) const override;
  using Actuator::converge;  // the private helper below must not hide it (clang's -Woverloaded-virtual)

 private:
  Status converge(k8s::Client& client, const nlohmann::json& written, const nlohmann::json& original,
                  const Position& position, const Wait& wait) const;

  plan::DeploymentTarget target_;
};

// "Deployment NAME complete" as `kubectl rollout status` judges it: "" when the controller has
// observed the latest generation, every replica runs the template and is available, and no old
// pod is left; else what is outstanding. ErrorKind::gate_failed past its progress deadline.
Result<std::string> deployment_rollout_pending(const nlohmann::json& deployment);

}  // namespace rollout::actuators
