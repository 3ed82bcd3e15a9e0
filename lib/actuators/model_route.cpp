#include "actuators/model_route.hpp"

#include <algorithm>

#include "actuators/live.hpp"

namespace rollout::actuators {

using nlohmann::json;

namespace {

const char* kKind = "ModelRoute";
constexpr size_t kMaxTargetModels = 16;  // Rule.TargetModels: +kubebuilder:validation:MaxItems=16

json rules_of(const json& route) {
  if (!route.is_object() || !route.contains("spec")) return json::array();
  return route["spec"].value("rules", json::array());
}

bool serves(const json& target, const std::string& server) {
  return target.is_object() && target.value("modelServerName", "") == server;
}

std::string rule_label(const json& rules, size_t i) {
  const std::string name = rules[i].is_object() ? rules[i].value("name", "") : "";
  return "spec.rules[" + std::to_string(i) + "]" + (name.empty() ? "" : " (" + name + ")");
}

std::string rule_names(const json& rules) {
  std::string out;
  for (size_t i = 0; i < rules.size(); ++i) {
    const std::string name = rules[i].is_object() ? rules[i].value("name", "") : "";
    out += (i ? ", " : "") + (name.empty() ? std::to_string(i) : "\"" + name + "\"");
  }
  return out;
}

}  // namespace

Result<size_t> ModelRouteActuator::managed_rule(const json& route) const {
  const json rules = rules_of(route);
  const std::string where = describe(route) + ": spec.rules";
  if (target_.rule_name) {
    for (size_t i = 0; i < rules.size(); ++i)
      if (rules[i].is_object() && rules[i].value("name", "") == *target_.rule_name) return i;
    return make_error(ErrorKind::invalid, where + ": no rule named \"" + *target_.rule_name + "\" (rules: " +
                                              rule_names(rules) + ")");
  }
  if (target_.rule_index) {
    const size_t i = static_cast<size_t>(*target_.rule_index);
    if (i >= rules.size())
      return make_error(ErrorKind::invalid, where + "[" + std::to_string(i) + "] does not exist (the route has " +
                                                std::to_string(rules.size()) + " rules)");
    return i;
  }
  if (rules.size() == 1) return size_t{0};
  if (rules.empty()) return make_error(ErrorKind::invalid, where + " is empty");
  return make_error(ErrorKind::invalid, where + ": the route has " + std::to_string(rules.size()) +
                                            " rules: set target.modelRoute.rule to a rule name or index (" +
                                            rule_names(rules) + ")");
}

Result<std::vector<ObjectRef>> ModelRouteActuator::resolve(k8s::Client& client, const std::string& ns) const {
  auto obj = get_object(client, kModelRouteApi, kKind, ns, target_.name);
  if (!obj.ok()) return obj.error();
  return std::vector<ObjectRef>{{kModelRouteApi, kKind, ns, target_.name}};
}

Status ModelRouteActuator::check_rule(const json& live) const {
  auto index = managed_rule(live);
  if (!index.ok()) return index.error();
  const json rules = rules_of(live);
  const json targets = rules[*index].value("targetModels", json::array());
  const std::string where = describe(live) + ": " + rule_label(rules, *index) + ".targetModels";
  const bool stable = std::any_of(targets.begin(), targets.end(), [&](const json& t) { return serves(t, target_.stable); });
  const bool canary = std::any_of(targets.begin(), targets.end(), [&](const json& t) { return serves(t, target_.canary); });
  if (!stable)
    return make_error(ErrorKind::invalid,
                      where + ": no entry with modelServerName " + target_.stable + " (the stable)");
  const size_t count = targets.size() + (canary ? 0 : 1);
  if (count > kMaxTargetModels)
    return make_error(ErrorKind::invalid, where + ": " + std::to_string(count) + " entries with the canary, more " +
                                              "than ModelRoute's limit of " + std::to_string(kMaxTargetModels));
  return ok_status();
}

Status ModelRouteActuator::check(k8s::Client& client, const json& live) const {
  if (auto s = check_rule(live); !s.ok()) return s;
  const std::string ns = object_namespace(live, client);
  for (const auto& [role, server] : {std::pair{"stable", target_.stable}, std::pair{"canary", target_.canary}}) {
    auto obj = get_object(client, kModelRouteApi, "ModelServer", ns, server);
    if (!obj.ok() && obj.error().kind == ErrorKind::not_found)
      return make_error(ErrorKind::not_found, std::string(role) + " ModelServer " + server +
                                                  " does not exist in namespace " + ns + " (" + describe(live) +
                                                  " would send traffic to it)");
    if (!obj.ok()) return obj.error();
  }
  return ok_status();
}

Result<json> ModelRouteActuator::desired(const json& original, const Position& position) const {
  auto index = managed_rule(original);
  if (!index.ok()) return index.error();
  json out = original;
  json& rule = out["spec"]["rules"][*index];
  const json targets = rule.value("targetModels", json::array());
  if (position.finished) {
    json canary = {{"modelServerName", target_.canary}};
    for (const auto& t : targets)
      if (serves(t, target_.canary)) canary = t;
    canary["weight"] = 100;
    rule["targetModels"] = json::array({canary});
    return out;
  }
  const int w = std::clamp(position.weight, 0, 100);
  json moved = json::array();
  bool has_canary = false;
  for (json t : targets) {
    if (serves(t, target_.stable)) t["weight"] = 100 - w;  // 0 is valid: stays listed until the finish
    if (serves(t, target_.canary)) {
      t["weight"] = w;
      has_canary = true;
    }
    moved.push_back(t);
  }
  if (!has_canary && w > 0) moved.push_back({{"modelServerName", target_.canary}, {"weight", w}});
  rule["targetModels"] = moved;
  return out;
}

Status ModelRouteActuator::verify(k8s::Client&, const json&, const Position&, const Wait&) const {
  return ok_status();
}

std::optional<BackendPool> ModelRouteActuator::backend(const json&, Role role) const {
  return BackendPool{role == Role::stable ? target_.stable : target_.canary, "ModelServer",
                     "networking.serving.volcano.sh"};
}

}  // namespace rollout::actuators
