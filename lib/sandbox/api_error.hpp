// Errors as the Kubernetes API reports them: an HTTP code and a metav1.Status reason.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "sandbox/resource_types.hpp"
#include "util/result.hpp"

namespace rollout::sandbox {

Error api_error(int code, const std::string& reason, const std::string& message);
// `configmaps "x" not found` (404 NotFound), as a real API server words it.
Error not_found(const ResourceType& t, const std::string& name);
// The metav1.Status body for an error.
nlohmann::json status_body(const Error& e, const std::string& kind_plural = "", const std::string& name = "");

}  // namespace rollout::sandbox
