#include "actuators/vllm_adapters.hpp"

#include <algorithm>
#include <set>

#include "actuators/live.hpp"
#include "actuators/vllm_lora_api.hpp"

namespace rollout::actuators {

using nlohmann::json;

namespace {

const char* kGroups[] = {"inference.networking.k8s.io", "inference.networking.x-k8s.io"};

std::string join(const std::vector<std::string>& items, const std::string& sep = ", ") {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

std::string pod_key(const Endpoint& ep) {
  return ep.uid + "#" + std::to_string(ep.restarts);
}

std::string signature(const VllmAdaptersActuator::Wanted& w) {
  std::string s = "+";
  for (const auto& l : w.loaded) s += l.id + "=" + l.source + ",";
  s += "-";
  for (const auto& id : w.unloaded) s += id + ",";
  return s;
}

// The InferencePool NAME: inference.networking.k8s.io/v1, else the removed v1alpha2 group.
Result<ObjectRef> find_pool(k8s::Client& client, const std::string& ns, const std::string& name,
                            const std::string& field) {
  for (const char* group : kGroups) {
    const std::string api = backend_api_version("InferencePool", group);
    auto pool = get_object(client, api, "InferencePool", ns, name);
    if (pool.ok()) return ObjectRef{api, "InferencePool", ns, name};
    if (pool.error().kind != ErrorKind::not_found) return pool.error();
  }
  return make_error(ErrorKind::not_found,
                    "InferencePool " + name + " not found in namespace " + ns + " (" + field + ")");
}

bool has_id(const std::vector<plan::AdapterLoad>& loads, const std::string& id) {
  return std::any_of(loads.begin(), loads.end(), [&](const plan::AdapterLoad& l) { return l.id == id; });
}

}  // namespace

VllmAdaptersActuator::Wanted VllmAdaptersActuator::wanted(const Position& position) const {
  Wanted w;
  if (!position.adapters_loaded) {
    for (const auto& l : adapters_.load) w.unloaded.push_back(l.id);
    return w;
  }
  w.loaded = adapters_.load;
  if (position.finished) w.unloaded = adapters_.unload_on_success;
  return w;
}

BackendPool VllmAdaptersActuator::pool_of(const json& pool) const {
  const std::string api = pool.value("apiVersion", "");
  return BackendPool{object_name(pool), "InferencePool", api.substr(0, api.find('/'))};
}

Result<std::vector<ObjectRef>> VllmAdaptersActuator::resolve(k8s::Client& client, const std::string& ns) const {
  auto ref = find_pool(client, ns, adapters_.vllm_pool, "adapters.vllm.pool");
  if (!ref.ok()) return ref.error();
  return std::vector<ObjectRef>{*ref};
}

Status VllmAdaptersActuator::check(k8s::Client& client, const json& live) const {
  const std::string ns = object_namespace(live, client);
  const BackendPool pool = pool_of(live);
  auto endpoints = pool_endpoints(client, ns, pool);
  if (!endpoints.ok()) return endpoints.error();
  for (const auto& ep : *endpoints) {
    if (!ep.ready) continue;
    auto api = runtime_lora_api(client, ns, ep);
    if (!api.ok()) return api.error();
    if (!*api)
      return make_error(ErrorKind::invalid,
                        "InferencePool " + pool.name + " (adapters.vllm.pool): pod " + ep.pod +
                            " does not serve vLLM's runtime LoRA API (GET /v1/load_lora_adapter answered 404: the "
                            "route is not registered). Start vLLM with VLLM_ALLOW_RUNTIME_LORA_UPDATING=True in the "
                            "container's env, or use adapters.loraSyncer on clusters that run the LoRA syncer");
    auto listed = listed_models(client, ns, ep);
    if (!listed.ok()) return listed.error();
    for (const auto& load : adapters_.load) {
      auto it = listed->find(load.id);
      if (it != listed->end() && !it->second.empty() && it->second != load.source)
        return make_error(ErrorKind::invalid, "pod " + ep.pod + " of InferencePool " + pool.name + " already serves " +
                                                  load.id + " from " + it->second + ", but the plan loads it from " +
                                                  load.source + " (spec.adapters.load)");
    }
  }
  return ok_status();
}

// true: the pod holds what `want` says and /v1/models shows it; false: not yet (it was asked to).
Result<bool> VllmAdaptersActuator::converge_pod(k8s::Client& client, const std::string& ns, const Endpoint& ep,
                                                const Wanted& want, const std::string& joined,
                                                const Converge& how) const {
  auto listed = listed_models(client, ns, ep);
  if (!listed.ok()) return listed.error();
  bool changed = false;
  for (const auto& l : want.loaded) {
    if (listed->count(l.id)) continue;
    if (auto s = load_adapter(client, ns, ep, l.id, l.source); !s.ok()) return s.error();
    how.note("loaded " + l.id + " on " + joined + "pod " + ep.pod);
    changed = true;
  }
  for (const auto& id : want.unloaded) {
    if (!listed->count(id)) continue;
    auto unloaded = unload_adapter(client, ns, ep, id);
    if (!unloaded.ok()) return unloaded.error();
    if (*unloaded) how.note("unloaded " + id + " on pod " + ep.pod);
    changed = true;
  }
  if (!changed) return true;
  listed = listed_models(client, ns, ep);  // what the pod now says it serves
  if (!listed.ok()) return listed.error();
  for (const auto& l : want.loaded)
    if (!listed->count(l.id)) return false;
  for (const auto& id : want.unloaded)
    if (listed->count(id)) return false;
  return true;
}

Result<std::string> VllmAdaptersActuator::converge_once(k8s::Client& client, const std::string& ns,
                                                        const BackendPool& pool, const Position& position,
                                                        const Converge& how, bool strict) const {
  const Wanted want = wanted(position);
  const std::string sig = signature(want);
  auto endpoints = pool_endpoints(client, ns, pool);
  if (!endpoints.ok()) return endpoints.error();
  std::vector<std::string> pending;
  int ready = 0;
  std::lock_guard<std::mutex> lock(mu_);
  bool seen_before = false;  // some pod was brought to this state already: a pod not among them joined since
  std::set<std::string> seen_uids;
  for (const auto& [key, s] : converged_)
    if (s == sig) seen_before = true, seen_uids.insert(key.substr(0, key.find('#')));
  for (const auto& ep : *endpoints) {
    if (!ep.ready) continue;
    ++ready;
    auto it = converged_.find(pod_key(ep));
    if (it != converged_.end() && it->second == sig) continue;
    const std::string joined = !seen_before ? "" : seen_uids.count(ep.uid) ? "restarted " : "new ";
    auto done = converge_pod(client, ns, ep, want, joined, how);
    if (!done.ok()) {
      if (done.error().kind != ErrorKind::unavailable || strict) return done.error();
      pending.push_back(done.error().message);
      continue;
    }
    if (*done)
      converged_[pod_key(ep)] = sig;
    else
      pending.push_back("pod " + ep.pod + " does not list the adapters as wanted yet");
  }
  if (ready == 0 && !want.loaded.empty()) return "no ready pod in InferencePool " + pool.name + " yet";
  return join(pending, "; ");
}

Status VllmAdaptersActuator::verify(k8s::Client& client, const json& written, const Position& position,
                                    const Wait& wait) const {
  if (!position.adapters_loaded) return ok_status();
  const std::string ns = object_namespace(written, client);
  std::vector<BackendPool> pools{pool_of(written)};
  if (adapters_.verify_pool && *adapters_.verify_pool != pools[0].name) {
    auto ref = find_pool(client, ns, *adapters_.verify_pool, "adapters.verify.pool");
    if (!ref.ok()) return ref.error();
    const std::string api = ref->api_version;
    pools.push_back(BackendPool{*adapters_.verify_pool, "InferencePool", api.substr(0, api.find('/'))});
  }
  Wait bounded = wait;
  bounded.timeout = adapters_.verify_timeout;
  const Wanted want = wanted(position);
  std::vector<std::string> ids;
  for (const auto& l : want.loaded) ids.push_back(l.id);
  std::string what = "adapters " + join(ids) + " were not loaded";
  if (!want.unloaded.empty()) what += " (and " + join(want.unloaded) + " unloaded)";
  Converge how;
  how.note = wait.note;
  for (const auto& pool : pools)
    if (auto s = poll_until(bounded, what + " on every ready pod of InferencePool " + pool.name,
                            [&] { return converge_once(client, ns, pool, position, how, false); });
        !s.ok())
      return s;
  return ok_status();
}

Status VllmAdaptersActuator::converge(k8s::Client& client, const std::vector<json>& objects, const Position& position,
                                      const Converge& how) const {
  for (const auto& pool_object : objects) {
    const BackendPool pool = pool_of(pool_object);
    if (how.dry) {  // only what changes from the previous position, without asking the pods
      const Wanted want = wanted(position), was = wanted(how.from.value_or(Position{}));
      for (const auto& l : want.loaded)
        if (!has_id(was.loaded, l.id))
          how.note("would load adapter " + l.id + " (" + l.source + ") on every ready pod of InferencePool " +
                   pool.name + ": POST /v1/load_lora_adapter");
      for (const auto& id : want.unloaded)
        if (std::find(was.unloaded.begin(), was.unloaded.end(), id) == was.unloaded.end())
          how.note("would unload adapter " + id + " from every ready pod of InferencePool " + pool.name +
                   ": POST /v1/unload_lora_adapter");
      continue;
    }
    auto pending = converge_once(client, object_namespace(pool_object, client), pool, position, how, false);
    if (!pending.ok()) return pending.error();
    if (!pending->empty())
      how.note("InferencePool " + pool.name + ": " + *pending + "; trying again before the next measurement");
  }
  return ok_status();
}

}  // namespace rollout::actuators
