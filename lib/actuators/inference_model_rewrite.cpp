#include "actuators/inference_model_rewrite.hpp"

#include "actuators/inference_model.hpp"
#include "actuators/live.hpp"

namespace rollout::actuators {

using nlohmann::json;

namespace {

const char* kKind = "InferenceModelRewrite";
const char* kLlmd = "llm-d.ai/v1alpha2";
const char* kLegacy = "inference.networking.x-k8s.io/v1alpha2";

std::string other_api(const std::string& api_version) {
  return api_version == kLlmd ? kLegacy : kLlmd;
}

json rules_of(const json& obj) {
  if (!obj.is_object() || !obj.contains("spec")) return json::array();
  return obj["spec"].value("rules", json::array());
}

bool matches_model(const json& rule, const std::string& model) {
  for (const auto& m : rule.value("matches", json::array()))
    if (m.is_object() && m.value("model", json::object()).value("value", "") == model) return true;
  return false;
}

}  // namespace

Result<size_t> InferenceModelRewriteActuator::managed_rule(const json& rewrite) const {
  const json rules = rules_of(rewrite);
  for (size_t i = 0; i < rules.size(); ++i)
    if (rules[i].is_object() && matches_model(rules[i], target_.model)) return i;
  return make_error(ErrorKind::invalid, describe(rewrite) + ": spec.rules: no rule matches model " + target_.model +
                                            " (matches[].model.value)");
}

Result<std::string> InferenceModelRewriteActuator::served_api_version(k8s::Client& client) const {
  const std::string& asked = target_.api_version;
  const std::string other = other_api(asked);
  auto here = client.serves(asked, kKind);
  if (!here.ok()) return here.error();
  if (*here) return asked;
  auto there = client.serves(other, kKind);
  if (!there.ok()) return there.error();
  if (*there && !target_.api_version_given) return other;  // only the other generation is installed
  if (*there)
    return make_error(ErrorKind::invalid, "target.inferenceModelRewrite.apiVersion: the cluster does not serve "
                                          "InferenceModelRewrite in " + asked + ", only in " + other +
                                          ": set apiVersion: " + other + " (or leave it out to use what is installed)");
  return make_error(ErrorKind::not_found, "the cluster serves no InferenceModelRewrite (neither " + std::string(kLlmd) +
                                              " nor the legacy " + kLegacy + "): is llm-d's CRD installed?");
}

Result<std::vector<ObjectRef>> InferenceModelRewriteActuator::resolve(k8s::Client& client,
                                                                      const std::string& ns) const {
  auto api = served_api_version(client);
  if (!api.ok()) return api.error();
  auto obj = get_object(client, *api, kKind, ns, target_.name);
  if (!obj.ok()) return obj.error();
  return std::vector<ObjectRef>{{*api, kKind, ns, target_.name}};
}

std::vector<std::string> InferenceModelRewriteActuator::warnings(k8s::Client& client, const std::vector<json>& lives) const {
  std::vector<std::string> out;
  for (const auto& live : lives) {
    const std::string api = live.value("apiVersion", target_.api_version), other = other_api(api);
    const std::string ns = object_namespace(live, client), name = object_name(live);
    if (api != target_.api_version)
      out.push_back("InferenceModelRewrite " + name + ": the cluster serves it only in the legacy group " + api +
                    " (not the default " + target_.api_version + "); that one is changed");
    auto served = client.serves(other, kKind);
    if (!served.ok() || !*served) continue;
    if (get_object(client, other, kKind, ns, name).ok())
      out.push_back("InferenceModelRewrite " + name + " exists in both " + api + " and " + other + "; only the " +
                    api + " one is changed (the plan's apiVersion): check which one your endpoint picker reads");
  }
  return out;
}

Status InferenceModelRewriteActuator::check(k8s::Client&, const json& live) const {
  auto index = managed_rule(live);
  if (!index.ok()) return index.error();
  const std::string where = describe(live) + ": spec.rules[" + std::to_string(*index) + "].targets";
  return check_targets(rules_of(live)[*index].value("targets", json::array()),
                       {"modelRewrite", target_.stable, target_.canary}, where, 0);
}

Result<json> InferenceModelRewriteActuator::desired(const json& original, const Position& position) const {
  auto index = managed_rule(original);
  if (!index.ok()) return index.error();
  const std::string where = describe(original) + ": spec.rules[" + std::to_string(*index) + "].targets";
  auto targets = split_targets(rules_of(original)[*index].value("targets", json::array()),
                               {"modelRewrite", target_.stable, target_.canary}, position, where);
  if (!targets.ok()) return targets.error();
  json out = original;
  out["spec"]["rules"][*index]["targets"] = *targets;
  return out;
}

Status InferenceModelRewriteActuator::verify(k8s::Client&, const json&, const Position&, const Wait&) const {
  return ok_status();
}

std::optional<BackendPool> InferenceModelRewriteActuator::backend(const json& original, Role) const {
  const json ref =
      original.is_object() ? original.value("spec", json::object()).value("poolRef", json::object()) : json::object();
  if (!ref.contains("name")) return std::nullopt;
  const bool legacy = original.value("apiVersion", target_.api_version).rfind("inference.networking.x-k8s.io/", 0) == 0;
  return BackendPool{ref.value("name", ""), ref.value("kind", "InferencePool"),
                     ref.value("group", legacy ? "inference.networking.x-k8s.io" : "inference.networking.k8s.io")};
}

}  // namespace rollout::actuators
