#include "sandbox/workload_defaults.hpp"

#include "sandbox/deployment_util.hpp"

namespace rollout::sandbox {

using nlohmann::json;

namespace {

bool is_apps(const ResourceType& t, const char* kind) {
  return t.group == "apps" && t.kind == kind;
}

// SetDefaults_Deployment (pkg/apis/apps/v1/defaults.go).
void default_deployment(json& spec) {
  if (!spec.contains("replicas") || spec["replicas"].is_null()) spec["replicas"] = 1;
  json& strategy = spec["strategy"];
  if (!strategy.is_object()) strategy = json::object();
  if (strategy.value("type", "").empty()) strategy["type"] = "RollingUpdate";
  if (strategy["type"] == "RollingUpdate") {
    json& ru = strategy["rollingUpdate"];
    if (!ru.is_object()) ru = json::object();
    if (!ru.contains("maxUnavailable") || ru["maxUnavailable"].is_null()) ru["maxUnavailable"] = "25%";
    if (!ru.contains("maxSurge") || ru["maxSurge"].is_null()) ru["maxSurge"] = "25%";
  }
  if (!spec.contains("revisionHistoryLimit") || spec["revisionHistoryLimit"].is_null())
    spec["revisionHistoryLimit"] = 10;
  if (!spec.contains("progressDeadlineSeconds") || spec["progressDeadlineSeconds"].is_null())
    spec["progressDeadlineSeconds"] = 600;
}

std::string dump_value(const json& v) {
  return v.is_string() ? "\"" + v.get<std::string>() + "\"" : v.dump();
}

// ValidateDeploymentStrategy / ValidateRollingUpdateDeployment.
std::optional<std::string> validate_strategy(const json& spec) {
  const json strategy = spec.value("strategy", json::object());
  const std::string type = strategy.value("type", "");
  if (type == "Recreate" && strategy.contains("rollingUpdate") && !strategy["rollingUpdate"].is_null())
    return "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'";
  if (type != "Recreate" && type != "RollingUpdate")
    return "spec.strategy.type: Unsupported value: \"" + type + "\": supported values: \"Recreate\", \"RollingUpdate\"";
  if (type == "RollingUpdate") {
    const json ru = strategy.value("rollingUpdate", json::object());
    const json surge = ru.value("maxSurge", json(0)), unavailable = ru.value("maxUnavailable", json(0));
    if (deploy::int_or_percent(surge, 100, true) == 0 && deploy::int_or_percent(unavailable, 100, false) == 0)
      return "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: " + dump_value(unavailable) +
             ": may not be 0 when `maxSurge` is 0";
  }
  return std::nullopt;
}

// The selector: required, matching the template's labels, immutable in apps/v1.
std::optional<std::string> validate_selector(const json& spec, const json* old) {
  const json selector = spec.value("selector", json());
  if (!selector.is_object()) return "spec.selector: Required value";
  if (selector.empty()) return "spec.selector: Invalid value: \"null\": empty selector is invalid for deployment";
  const json labels = spec.value("template", json::object()).value("metadata", json::object()).value("labels", json());
  if (!deploy::selector_matches(selector, labels))
    return "spec.template.metadata.labels: Invalid value: " + labels.dump() +
           ": `selector` does not match template `labels`";
  if (old && old->contains("spec") && (*old)["spec"].value("selector", json()) != selector)
    return "spec.selector: Invalid value: " + selector.dump() + ": field is immutable";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> admit_workload(const ResourceType& t, json& obj, const json* old) {
  const bool deployment = is_apps(t, "Deployment"), replica_set = is_apps(t, "ReplicaSet");
  if (!deployment && !replica_set) return std::nullopt;
  json& spec = obj["spec"];
  if (!spec.is_object()) spec = json::object();
  if (deployment) default_deployment(spec);
  if (replica_set && (!spec.contains("replicas") || spec["replicas"].is_null())) spec["replicas"] = 1;
  if (!spec["replicas"].is_number_integer() || spec["replicas"].get<int64_t>() < 0)
    return "spec.replicas: Invalid value: " + spec["replicas"].dump() + ": must be greater than or equal to 0";
  if (auto err = validate_selector(spec, old)) return err;
  if (deployment) return validate_strategy(spec);
  return std::nullopt;
}

std::optional<json> initial_status(const ResourceType& t) {
  if (t.custom) return std::nullopt;
  if (t.group.empty() && t.kind == "Pod") return json{{"phase", "Pending"}, {"qosClass", "BestEffort"}};
  if (t.group.empty() && t.kind == "Service") return json{{"loadBalancer", json::object()}};
  if (t.group.empty() || t.group == "apps") return json::object();
  return std::nullopt;  // gateway, inference, serving kinds: CRDs on a real cluster
}

}  // namespace rollout::sandbox
