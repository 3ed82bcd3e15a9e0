// Discovery documents (/api, /apis, /api/v1, /apis/GROUP/VERSION) derived from the type registry.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "sandbox/resource_types.hpp"

namespace rollout::sandbox {

nlohmann::json api_versions_doc(const std::string& server_address);
nlohmann::json api_group_list_doc(const TypeRegistry& types);
std::optional<nlohmann::json> api_group_doc(const TypeRegistry& types, const std::string& group);
std::optional<nlohmann::json> api_resource_list_doc(const TypeRegistry& types, const std::string& group,
                                                    const std::string& version);

// OpenAPI v3: an index of group-versions, and per group-version a document declaring the patch
// operation of every resource with its `fieldValidation` parameter. That tells kubectl the server
// validates fields itself (it then sends fieldValidation=Strict instead of downloading schemas).
nlohmann::json openapi_v3_index(const TypeRegistry& types);
std::optional<nlohmann::json> openapi_v3_group_version(const TypeRegistry& types, const std::string& group,
                                                       const std::string& version);
// OpenAPI v2 (`/openapi/v2`): every published schema (openapi_schemas.hpp) as a definition, which
// kubectl before 1.27 downloads to validate objects client-side (`kubectl apply --validate`).
nlohmann::json openapi_v2_doc(const TypeRegistry& types);

}  // namespace rollout::sandbox
