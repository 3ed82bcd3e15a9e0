// The patch formats of the Kubernetes API: JSON merge patch (RFC 7386), JSON patch (RFC 6902),
// and the strategic merge patch that `kubectl apply` and `kubectl patch` send for built-in kinds.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "util/result.hpp"

namespace rollout::sandbox {

enum class PatchType { merge, json, strategic, apply };

// From a request's Content-Type; nullopt for an unsupported media type.
std::optional<PatchType> patch_type_from_content_type(const std::string& content_type);

// Applies `patch` to `live`. Errors carry the HTTP code and reason the API server would answer with.
Result<nlohmann::json> apply_patch(const nlohmann::json& live, PatchType type, const nlohmann::json& patch);

// Why the API server would refuse a strategic merge patch (or a server-side apply body merged as
// one) before merging it: a directive ($patch, $retainKeys, $setElementOrder/...,
// $deleteFromPrimitiveList/...) of the wrong type; nullopt when it can be merged.
std::optional<Error> strategic_patch_error(const nlohmann::json& patch);

// Strategic merge: maps merge, null deletes, lists of objects merge by their patch merge key
// (containers by name, ports by containerPort, ...), and the $patch, $retainKeys,
// $setElementOrder and $deleteFromPrimitiveList directives are honoured.
nlohmann::json strategic_merge(const nlohmann::json& original, const nlohmann::json& patch);

}  // namespace rollout::sandbox
