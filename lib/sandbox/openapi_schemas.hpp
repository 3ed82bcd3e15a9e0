// The OpenAPI schemas the sandbox publishes, one table shared by /openapi/v3 (components.schemas)
// and /openapi/v2 (definitions), as a real API server derives both from the same models
// (k8s.io/kube-openapi/pkg/builder and builder3). Kinds defined by an applied CRD publish the CRD's
// openAPIV3Schema (apiextensions-apiserver/pkg/controller/openapi/builder); of the kinds built into
// the sandbox, those the seeds' objects use have a schema down to the fields rollout and users edit,
// deeper parts left open; the others publish none, which clients treat as "not validated".
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "sandbox/resource_types.hpp"

namespace rollout::sandbox {

// "io.k8s.api.core.v1.ConfigMap", "io.k8s.networking.gateway.v1.HTTPRoute" (the group reversed).
std::string definition_name(const ResourceType& t);
inline constexpr const char* kObjectMetaDefinition = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

// The kind's schema in OpenAPI v2 form (references as "#/definitions/NAME"), with its
// x-kubernetes-group-version-kind; nullopt when the sandbox publishes none for the kind.
std::optional<nlohmann::json> openapi_schema(const ResourceType& t);
// ObjectMeta, referenced by every kind's metadata.
nlohmann::json object_meta_schema();

// The same schema with its references rewritten for OpenAPI v3 ("#/components/schemas/NAME").
nlohmann::json to_openapi_v3(nlohmann::json schema);

}  // namespace rollout::sandbox
