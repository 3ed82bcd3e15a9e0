// What a real API server does to apps/v1 Deployments and ReplicaSets before storing them: the
// defaults of pkg/apis/apps/v1/defaults.go (replicas 1; strategy RollingUpdate 25%/25%,
// revisionHistoryLimit 10, progressDeadlineSeconds 600) and the validation of
// pkg/apis/apps/validation that a rollout can trip over (a Recreate strategy with rollingUpdate
// set, maxSurge and maxUnavailable both 0, a selector that does not match the template's labels or
// changes). A plan that the sandbox accepts is then one a real cluster accepts.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "sandbox/resource_types.hpp"

namespace rollout::sandbox {

// Defaults `obj` in place; a field error ("spec.strategy.rollingUpdate: Forbidden: ...") if it is
// invalid. `old` is the stored object on an update (nullptr on create). Other kinds pass unchanged.
std::optional<std::string> admit_workload(const ResourceType& t, nlohmann::json& obj, const nlohmann::json* old);

// The status a created object of a built-in kind starts with when the client sent none: `{}`
// (typed Go structs always serialize it), a Pod's Pending phase. nullopt for kinds served from a
// CustomResourceDefinition upstream, whose create drops status altogether.
std::optional<nlohmann::json> initial_status(const ResourceType& t);

}  // namespace rollout::sandbox
