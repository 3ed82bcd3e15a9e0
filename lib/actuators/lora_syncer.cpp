#include "actuators/lora_syncer.hpp"

#include <set>

#include "actuators/endpoints.hpp"
#include "actuators/live.hpp"
#include "actuators/lora_config.hpp"
#include "actuators/vllm_lora_api.hpp"

namespace rollout::actuators {

using nlohmann::json;

namespace {

const char* kKey = "configmap.yaml";

Result<LoraConfig> config_of(const json& configmap) {
  const std::string where = describe(configmap) + ": data." + kKey;
  const json data = configmap.is_object() ? configmap.value("data", json::object()) : json::object();
  if (!data.contains(kKey) || !data[kKey].is_string())
    return make_error(ErrorKind::invalid, where + " is missing: the LoRA syncer reads its adapters from it");
  auto config = LoraConfig::parse(data[kKey].get<std::string>());
  if (!config.ok()) return make_error(ErrorKind::invalid, where + ": " + config.error().message);
  return config;
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

}  // namespace

Result<std::vector<ObjectRef>> LoraSyncerActuator::resolve(k8s::Client& client, const std::string& ns) const {
  auto obj = get_object(client, "v1", "ConfigMap", ns, adapters_.lora_syncer_config_map);
  if (!obj.ok()) return obj.error();
  return std::vector<ObjectRef>{{"v1", "ConfigMap", ns, adapters_.lora_syncer_config_map}};
}

Status LoraSyncerActuator::check(k8s::Client&, const json& live) const {
  auto config = config_of(live);
  if (!config.ok()) return config.error();
  const auto exist = config->ensure_exist();
  for (const auto& load : adapters_.load)
    for (const auto& m : exist)
      if (m.id == load.id && m.source != load.source)
        return make_error(ErrorKind::invalid, describe(live) + ": data." + kKey + ": adapter " + load.id +
                                                  " is already in ensureExist with source " + m.source +
                                                  ", but the plan loads it from " + load.source);
  return ok_status();
}

Result<json> LoraSyncerActuator::desired(const json& original, const Position& position) const {
  if (!position.adapters_loaded) return original;
  auto config = config_of(original);
  if (!config.ok()) return config.error();
  const std::string before = config->emit();
  for (const auto& load : adapters_.load) config->load({load.id, load.source, load.base_model});
  if (position.finished)
    for (const auto& id : adapters_.unload_on_success) config->unload(id);
  const std::string after = config->emit();
  if (after == before) return original;  // nothing to change: keep the text as it was written
  json out = original;
  out["data"][kKey] = after;
  return out;
}

Result<BackendPool> LoraSyncerActuator::verify_pool(k8s::Client& client, const std::string& ns) const {
  for (const char* group : {"inference.networking.k8s.io", "inference.networking.x-k8s.io"}) {
    auto pool =
        get_object(client, backend_api_version("InferencePool", group), "InferencePool", ns, *adapters_.verify_pool);
    if (pool.ok()) return BackendPool{*adapters_.verify_pool, "InferencePool", group};
    if (pool.error().kind != ErrorKind::not_found) return pool.error();
  }
  return make_error(ErrorKind::not_found, "InferencePool " + *adapters_.verify_pool + " not found in namespace " + ns +
                                              " (adapters.verify.pool)");
}

// "" when every ready pod lists every load id; else which pods do not, and why.
Result<std::string> LoraSyncerActuator::not_loaded(k8s::Client& client, const std::string& ns,
                                                   const BackendPool& pool) const {
  auto endpoints = pool_endpoints(client, ns, pool);
  if (!endpoints.ok()) return endpoints.error();
  std::vector<std::string> problems;
  int ready = 0;
  for (const auto& ep : *endpoints) {
    if (!ep.ready) continue;
    ++ready;
    auto ids = listed_models(client, ns, ep);
    if (!ids.ok()) {
      problems.push_back(ids.error().message);
      continue;
    }
    std::vector<std::string> missing;
    for (const auto& load : adapters_.load)
      if (!ids->count(load.id)) missing.push_back(load.id);
    if (!missing.empty()) problems.push_back("pod " + ep.pod + " does not list " + join(missing, ", "));
  }
  if (ready == 0) return "no ready pod in InferencePool " + pool.name + " yet";
  return join(problems, "; ");
}

Status LoraSyncerActuator::verify(k8s::Client& client, const json& written, const Position& position,
                                  const Wait& wait) const {
  if (!position.adapters_loaded || position.finished || !adapters_.verify_pool || adapters_.load.empty())
    return ok_status();
  const std::string ns = object_namespace(written, client);
  auto pool = verify_pool(client, ns);
  if (!pool.ok()) return pool.error();
  Wait bounded = wait;
  bounded.timeout = adapters_.verify_timeout;
  std::vector<std::string> ids;
  for (const auto& load : adapters_.load) ids.push_back(load.id);
  return poll_until(
      bounded, "adapters " + join(ids, ", ") + " were not loaded by every ready pod of InferencePool " + pool->name,
      [&] { return not_loaded(client, ns, *pool); });
}

}  // namespace rollout::actuators
