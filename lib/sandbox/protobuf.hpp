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

}  // namespace rollout::sandbox
