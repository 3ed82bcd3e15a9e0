// Server-side apply, simplified: the applied configuration is merged into the live object, and
// the fields this manager applied last time but no longer applies are removed. Ownership is
// recorded in metadata.managedFields (FieldsV1) per manager; lists are owned as a whole.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace rollout::sandbox {

// The FieldsV1 set of an applied configuration ({"f:spec":{"f:replicas":{}}}).
nlohmann::json field_set(const nlohmann::json& applied);

// `live` after `manager` applies `applied`. `strategic`: merge lists by key for built-in kinds.
nlohmann::json server_side_apply(const nlohmann::json& live, const nlohmann::json& applied, const std::string& manager,
                                 bool strategic);

}  // namespace rollout::sandbox
