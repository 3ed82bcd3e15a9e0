// Kinds whose replicas are serving groups with ordinals, updated from the highest ordinal down as
// a partition is lowered: Kthena ModelServing (and the legacy ModelInfer) and LeaderWorkerSet.
// The rollout freezes the partition at spec.replicas, puts the new template in place, then lowers
// the partition one release at a time; after each, it waits until the released groups' pods carry
// the new revision and are Ready (status.updatedReplicas alone also counts groups not Ready yet).
// Owns the template field and /spec/rolloutStrategy, restored whole on rollback, so the controller
// brings the released groups back to the old revision.
#pragma once

#include <map>

#include "actuators/actuator.hpp"

namespace rollout::actuators {

// How one kind lays out its groups and labels its pods.
struct GroupKind {
  std::string plan_key;        // "modelServing"
  std::string api_version;     // "workload.serving.volcano.sh/v1alpha1"
  std::string kind;            // "ModelServing"
  std::string template_field;  // "/spec/template"
  std::string name_label;      // the pods' label naming their object
  std::string group_label;     // the pods' label naming their group
  bool group_label_is_index;   // LWS: "3"; Kthena: "<name>-3"
  std::string revision_label;  // the pods' revision
  std::string serving_label;   // the label of the pod that serves HTTP (entry, leader) and its value
  std::string serving_value;
  bool status_has_update_revision;  // status.updateRevision names the new revision (not ModelInfer, LWS)
};

const GroupKind& model_serving_kind();
const GroupKind& model_infer_kind();
const GroupKind& leader_worker_set_kind();

// Where a rollout's groups stand, from the object and its pods: "" once the position holds,
// else what is still outstanding; ErrorKind::gate_failed when a released group's pod fails.
Result<std::string> assess_groups(const GroupKind& kind, const nlohmann::json& obj,
                                  const std::vector<nlohmann::json>& pods, const Position& position);

// Which of the object's pods run the new revision (canary) and which the old one (stable).
std::map<std::string, Role> pod_roles(const GroupKind& kind, const nlohmann::json& obj,
                                      const std::vector<nlohmann::json>& pods);

class ServingGroupsActuator : public Actuator {
 public:
  ServingGroupsActuator(const GroupKind& kind, std::string name, std::optional<nlohmann::json> tmpl,
                        Duration ready_timeout)
      : kind_(kind), name_(std::move(name)), template_(std::move(tmpl)), ready_timeout_(ready_timeout) {}

  std::string name() const override { return kind_.plan_key; }
  Result<std::vector<ObjectRef>> resolve(k8s::Client& client, const std::string& ns) const override;
  // A RoleRollingUpdate strategy (a partition per role) and a partly released object are refused.
  Status check(k8s::Client& client, const nlohmann::json& live) const override;
  std::vector<std::string> managed_fields() const override { return {kind_.template_field, "/spec/rolloutStrategy"}; }
  Result<nlohmann::json> desired(const nlohmann::json& original, const Position& position) const override;
  // Released groups Ready on the new revision (or, at the empty position, every group back on one
  // revision), within readyTimeout; a crash-looping released pod fails at once.
  Status verify(k8s::Client& client, const nlohmann::json& written, const Position& position,
                const Wait& wait) const override;
  std::optional<BackendPool> backend(const nlohmann::json&, Role) const override { return std::nullopt; }
  Result<std::vector<Endpoint>> endpoints(k8s::Client& client, const std::string& ns, const nlohmann::json& original,
                                          Role role) const override;
  std::string side_name(Role role) const override { return role == Role::canary ? "updated groups" : "old groups"; }
  std::optional<int> replicas(const nlohmann::json& obj) const override;

 private:
  Result<std::vector<nlohmann::json>> pods_of(k8s::Client& client, const std::string& ns) const;

  const GroupKind& kind_;
  std::string name_;
  std::optional<nlohmann::json> template_;
  Duration ready_timeout_;
};

}  // namespace rollout::actuators
