// Decoding of the Kubernetes protobuf wire format for the few built-in kinds that kubectl's
// generator commands send as protobuf (`kubectl create configmap|secret|namespace`), so that
// they work against the sandbox. Other kinds are refused with 415.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "sandbox/resource_types.hpp"
#include "util/result.hpp"

namespace rollout::sandbox {

// `body` is "k8s\0" + runtime.Unknown{typeMeta, raw}; the object comes back as JSON.
Result<nlohmann::json> decode_k8s_protobuf(std::string_view body, const ResourceType& t);

// An OpenAPI v2 document (JSON) in the protobuf form `/openapi/v2` answers to
// `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf` (kubectl before 1.27 asks
// for nothing else): gnostic's openapi_v2.Document (github.com/google/gnostic, OpenAPIv2.proto).
// Encoded: swagger, info, definitions; of a schema $ref, format, description, required, enum,
// additionalProperties, type, items, properties and the x- extensions (as YAML, as gnostic keeps them).
std::string encode_openapi_v2(const nlohmann::json& doc);

}  // namespace rollout::sandbox
