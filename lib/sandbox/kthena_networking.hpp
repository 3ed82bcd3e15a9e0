// Kthena's router objects (networking.serving.volcano.sh/v1alpha1) in the sandbox: ModelRoute and
// ModelServer admitted as their CRDs' schemas (kubebuilder markers: defaults, ranges, enums, CEL
// rules) and kthena-router's validating webhook admit them, and the router's choice for one
// request as pure functions (rule, then a target model by weight), which the synthetic traffic
// follows. Upstream: volcano-sh/kthena pkg/apis/networking/v1alpha1/{modelroute,modelserver}_types.go,
// pkg/kthena-router/webhook/validator.go, pkg/kthena-router/datastore/store.go.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>

#include "sandbox/resource_types.hpp"

namespace rollout::sandbox {

inline constexpr const char* kKthenaNetworkingGroup = "networking.serving.volcano.sh";

// Defaults and validation of a ModelRoute or ModelServer being created (old == nullptr) or
// updated; a field error ("spec.rules[0].targetModels[0].weight: Invalid value: 101: ...") if it
// is invalid. Other kinds: nullopt, unchanged.
std::optional<std::string> admit_kthena_networking(const ResourceType& t, nlohmann::json& obj,
                                                   const nlohmann::json* old);

// A request as the router sees it.
struct RouterRequest {
  std::string model;                           // "model" of the body
  std::string path = "/v1/completions";
  std::map<std::string, std::string> headers;  // lower-case names
};

// store.selectRule: the index of the first rule whose modelMatch fits (no modelMatch: any request;
// body.model exact; every header; the URI), or nullopt (the router answers 404).
std::optional<size_t> select_model_route_rule(const nlohmann::json& route, const RouterRequest& request);

// store.selectDestination: a targetModels index drawn by weight (weights all set or none, none
// counting 1 each); nullopt when the total is 0 or the weights are mixed.
std::optional<size_t> select_target_model(const nlohmann::json& target_models, std::mt19937_64& rng);

// Does the ModelRoute serve `model` (spec.modelName or one of spec.loraAdapters)?
bool model_route_serves(const nlohmann::json& route, const std::string& model);

}  // namespace rollout::sandbox
