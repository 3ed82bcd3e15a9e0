// Server-side printing (meta.k8s.io/v1 Table): what `kubectl get` asks for, so that it prints the
// same columns as against a real cluster and can follow `get -w` watch streams.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sandbox/resource_types.hpp"

namespace rollout::sandbox {

// The Accept header asks for as=Table.
bool wants_table(const std::string& accept);

// A Table of `objects`; without columns for watch events after the first.
nlohmann::json to_table(const ResourceType& t, const std::vector<nlohmann::json>& objects,
                        const std::string& resource_version, bool with_columns);

}  // namespace rollout::sandbox
