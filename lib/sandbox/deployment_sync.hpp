// The Deployment controller's decisions as pure functions: what to scale, what to delete, what
// status to write. Ported from kube-controller-manager's pkg/controller/deployment/sync.go
// (scale, cleanupDeployment, calculateStatus, checkPausedConditions), rolling.go
// (reconcileNewReplicaSet, reconcileOldReplicaSets) and progress.go (syncRolloutStatus);
// deployment_controller.cpp reads the store, calls these and writes their results back.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "sandbox/deployment_util.hpp"

namespace rollout::sandbox::deploy {

// Set `rs` to `replicas` (scaleReplicaSet also refreshes its desired-/max-replicas annotations).
struct ScaleAction {
  json rs;
  int replicas = 0;
};

// sync.go scale(): on a scaling event or while paused. The single active (or newest) ReplicaSet
// takes spec.replicas; a saturated new ReplicaSet scales old ones to 0; otherwise, for
// RollingUpdate only, the change toward replicas+maxSurge is spread in proportion (GetProportion)
// with the leftover on the largest ReplicaSet. Recreate: nothing.
std::vector<ScaleAction> plan_scale(const json& d, const std::optional<json>& new_rs, const RSList& old);

// rolling.go reconcileNewReplicaSet: the new ReplicaSet's next size, nullopt when unchanged.
std::optional<int> plan_new_replica_set(const json& d, const RSList& all, const json& new_rs);
// rolling.go reconcileOldReplicaSets: cleanupUnhealthyReplicas, then
// scaleDownOldReplicaSetsForRollingUpdate, within maxUnavailable.
std::vector<ScaleAction> plan_old_replica_sets(const json& d, const RSList& all, RSList old_active,
                                               const json& new_rs);

// sync.go cleanupDeployment: the old ReplicaSets past revisionHistoryLimit (default 10) to delete,
// oldest first, only those fully scaled down and observed.
std::vector<std::string> plan_cleanup(const json& d, RSList old);

// Deployment conditions (deployment_util.go NewDeploymentCondition / SetDeploymentCondition).
json new_condition(const std::string& type, const std::string& status, const std::string& reason,
                   const std::string& message, const std::string& now);
void set_condition(json& status, json cond);
void remove_condition(json& status, const std::string& type);
std::optional<json> get_condition(const json& status, const std::string& type);

// sync.go calculateStatus, with the Available condition.
json calculate_status(const RSList& all, const std::optional<json>& new_rs, const json& d, const std::string& now);
// progress.go syncRolloutStatus: calculateStatus plus the Progressing condition.
json rollout_status(const RSList& all, const std::optional<json>& new_rs, const json& d, const std::string& now,
                    std::time_t now_seconds);
// sync.go checkPausedConditions: the status with Progressing Unknown/DeploymentPaused or
// DeploymentResumed, nullopt when nothing changes.
std::optional<json> paused_condition_status(const json& d, const std::string& now);

}  // namespace rollout::sandbox::deploy
