#include "actuators/inference_model.hpp"

#include <algorithm>

#include "actuators/live.hpp"

namespace rollout::actuators {

using nlohmann::json;

namespace {

const char* kApi = "inference.networking.x-k8s.io/v1alpha2";
const char* kKind = "InferenceModel";
constexpr size_t kMaxTargetModels = 10;

json entry_for(const json& entries, const std::string& key, const std::string& name) {
  if (entries.is_array())
    for (const auto& e : entries)
      if (e.is_object() && e.value(key, "") == name) return e;
  return {{key, name}};
}

json spec_of(const json& obj) {
  return obj.is_object() ? obj.value("spec", json::object()) : json::object();
}

}  // namespace

std::string inference_model_gone() {
  return "this cluster does not serve InferenceModel (inference.networking.x-k8s.io/v1alpha2): GIE v1.0 "
         "replaced it (InferenceObjective has no weights); weighted LoRA splits are now llm-d's "
         "InferenceModelRewrite (llm-d.ai/v1alpha2). Migrate the plan: target.inferenceModel {name, stable, "
         "canary} becomes target.inferenceModelRewrite {name: the InferenceModelRewrite, model: the "
         "InferenceModel's spec.modelName (the rule whose matches[].model.value it is), stable, canary}; "
         "spec.targetModels[].name are the rule's targets[].modelRewrite, spec.poolRef stays spec.poolRef, "
         "strategy stays loraCanary";
}

Result<json> split_targets(const json& entries, const WeightedTargets& t, const Position& position,
                           const std::string& where) {
  if (position.finished || position.weight >= 100) {
    json canary = entry_for(entries, t.name_key, t.canary);
    canary["weight"] = 100;
    return json::array({canary});
  }
  const int w = std::max(position.weight, 0);
  json out = json::array();
  bool has_canary = false;
  for (size_t i = 0; i < entries.size(); ++i) {
    json e = entries[i];
    const std::string name = e.is_object() ? e.value(t.name_key, "") : "";
    if (name == t.stable) {
      e["weight"] = 100 - w;
    } else if (name == t.canary) {
      has_canary = true;
      e["weight"] = w;
    } else if (!e.is_object() || !e.contains("weight")) {
      return make_error(ErrorKind::invalid, where + "[" + std::to_string(i) + "] (" + name +
                                                ") has no weight: weights must be all set or none");
    }
    if (e["weight"] != 0) out.push_back(e);  // weight 0 is invalid here: the entry is dropped
  }
  if (!has_canary && w > 0) out.push_back({{t.name_key, t.canary}, {"weight", w}});
  return out;
}

Status check_targets(const json& entries, const WeightedTargets& t, const std::string& where, size_t max_entries) {
  if (!entries.is_array() || entries.empty())
    return make_error(ErrorKind::invalid, where + " is empty: the stable " + t.stable + " must be listed");
  bool stable = false, canary = false;
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string name = entries[i].is_object() ? entries[i].value(t.name_key, "") : "";
    stable = stable || name == t.stable;
    canary = canary || name == t.canary;
    if (name != t.stable && name != t.canary && !entries[i].contains("weight"))
      return make_error(ErrorKind::invalid, where + "[" + std::to_string(i) + "] (" + name +
                                                ") has no weight: weights must be all set or none");
  }
  if (!stable)
    return make_error(ErrorKind::invalid, where + ": no entry with " + t.name_key + " " + t.stable + " (the stable)");
  const size_t count = entries.size() + (canary ? 0 : 1);
  if (max_entries && count > max_entries)
    return make_error(ErrorKind::invalid, where + ": " + std::to_string(count) + " entries with the canary, more " +
                                              "than the limit of " + std::to_string(max_entries));
  return ok_status();
}

Result<std::vector<ObjectRef>> InferenceModelActuator::resolve(k8s::Client& client, const std::string& ns) const {
  auto served = client.serves(kApi, kKind);
  if (!served.ok()) return served.error();
  if (!*served) return make_error(ErrorKind::not_found, inference_model_gone());
  auto obj = get_object(client, kApi, kKind, ns, target_.name);
  if (!obj.ok()) return obj.error();
  return std::vector<ObjectRef>{{kApi, kKind, ns, target_.name}};
}

Status InferenceModelActuator::check(k8s::Client&, const json& live) const {
  return check_targets(spec_of(live).value("targetModels", json::array()), targets(),
                       describe(live) + ": spec.targetModels", kMaxTargetModels);
}

Result<json> InferenceModelActuator::desired(const json& original, const Position& position) const {
  auto models = split_targets(spec_of(original).value("targetModels", json::array()), targets(), position,
                              describe(original) + ": spec.targetModels");
  if (!models.ok()) return models.error();
  json out = original;
  out["spec"]["targetModels"] = *models;
  return out;
}

Status InferenceModelActuator::verify(k8s::Client&, const json&, const Position&, const Wait&) const {
  return ok_status();
}

std::optional<BackendPool> InferenceModelActuator::backend(const json& original, Role) const {
  const json ref = spec_of(original).value("poolRef", json::object());
  if (!ref.contains("name")) return std::nullopt;
  return BackendPool{ref.value("name", ""), ref.value("kind", "InferencePool"),
                     ref.value("group", "inference.networking.x-k8s.io")};
}

}  // namespace rollout::actuators
