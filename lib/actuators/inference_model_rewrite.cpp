#include "actuators/inference_model_rewrite.hpp"

#include "actuators/inference_model.hpp"
#include "actuators/live.hpp"

namespace rollout::actuators {

using nlohmann::json;

namespace {

const char* kKind = "InferenceModelRewrite";

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

Result<std::vector<ObjectRef>> InferenceModelRewriteActuator::resolve(k8s::Client& client,
                                                                      const std::string& ns) const {
  auto obj = get_object(client, target_.api_version, kKind, ns, target_.name);
  if (!obj.ok()) return obj.error();
  return std::vector<ObjectRef>{{target_.api_version, kKind, ns, target_.name}};
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
  const bool legacy = target_.api_version.rfind("inference.networking.x-k8s.io/", 0) == 0;
  return BackendPool{ref.value("name", ""), ref.value("kind", "InferencePool"),
                     ref.value("group", legacy ? "inference.networking.x-k8s.io" : "inference.networking.k8s.io")};
}

}  // namespace rollout::actuators
