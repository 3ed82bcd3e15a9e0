// The scale subresource (GET/PUT/PATCH .../scale) that `kubectl scale` and autoscalers use: an
// object seen as an autoscaling/v1 Scale through its kind's ScalePaths, as the API server's
// scale REST storage for Deployments and ReplicaSets and the CRD scale subresource do.
#pragma once

#include <nlohmann/json.hpp>

#include "sandbox/resource_types.hpp"
#include "util/result.hpp"

namespace rollout::sandbox {

// The Scale of `obj`: spec.replicas, status.replicas and status.selector (a string).
nlohmann::json scale_of(const ResourceType& t, const nlohmann::json& obj);
// `obj` with the replicas of `scale` written at the spec path; its resourceVersion, if any, becomes
// the object's (a precondition, as on a real server). 422 for a missing or negative count.
Result<nlohmann::json> apply_scale(const ResourceType& t, nlohmann::json obj, const nlohmann::json& scale);

}  // namespace rollout::sandbox
