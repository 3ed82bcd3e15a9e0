// ControllerRef ownership as pkg/controller/controller_ref_manager.go manages it: a controller
// adopts orphans its selector matches and releases what it owns but no longer matches. Shared by
// the Deployment controller (ReplicaSets) and the ReplicaSet controller (Pods).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sandbox/controller.hpp"

namespace rollout::sandbox {

// metav1.GetControllerOf: the ownerReference with controller: true.
std::optional<nlohmann::json> controller_of(const nlohmann::json& obj);
// metav1.NewControllerRef (controller and blockOwnerDeletion true).
nlohmann::json controller_ref(const nlohmann::json& owner);

// BaseControllerRefManager.ClaimObject for every object in `candidates` (same namespace as
// `owner`): the ones `owner` now controls, adopting and releasing through the store. A write
// that fails (a conflict) leaves that object out of this pass, as the real one requeues.
std::vector<nlohmann::json> claim_objects(ControllerContext& ctx, const ResourceType& type, const nlohmann::json& owner,
                                          const nlohmann::json& label_selector,
                                          const std::vector<nlohmann::json>& candidates);

}  // namespace rollout::sandbox
