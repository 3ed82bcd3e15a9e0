#include "sandbox/pod_runtime.hpp"

#include "sandbox/pod_knobs.hpp"

namespace rollout::sandbox {

std::shared_ptr<ModelServerSim> PodRuntimes::ensure(const nlohmann::json& pod) {
  const std::string uid = pod["metadata"].value("uid", "");
  std::lock_guard lock(mu_);
  auto it = servers_.find(uid);
  if (it != servers_.end()) return it->second.sim;
  const PodKnobs k = knobs_of(pod);
  ModelKnobs m;
  m.model = k.model;
  m.version = k.version;
  m.server_version = k.server_version;
  m.error_rate = k.error_rate;
  m.ttft = k.ttft;
  m.itl = k.itl;
  m.startup = k.startup;
  m.crash_on_start = k.crash_on_start;
  m.runtime_lora = k.runtime_lora;
  m.adapter_error_rate = k.adapter_error_rate;
  m.lora_modules = k.lora_modules;
  Runtime r;
  r.sim = std::make_shared<ModelServerSim>(m);
  if (serve_http_) {
    r.http = std::make_unique<ModelHttpServer>(*r.sim, 16);
    if (!r.http->start("127.0.0.1", 0).ok()) r.http.reset();
  }
  auto sim = r.sim;
  servers_[uid] = std::move(r);
  return sim;
}

PodRuntimes::~PodRuntimes() {
  retain({});
}

std::optional<int> PodRuntimes::port(const std::string& uid) const {
  std::lock_guard lock(mu_);
  auto it = servers_.find(uid);
  if (it == servers_.end() || !it->second.http) return std::nullopt;
  return it->second.http->port();
}

std::shared_ptr<ModelServerSim> PodRuntimes::find(const std::string& uid) const {
  std::lock_guard lock(mu_);
  auto it = servers_.find(uid);
  return it == servers_.end() ? nullptr : it->second.sim;
}

void PodRuntimes::retain(const std::set<std::string>& uids) {
  std::vector<Runtime> stopped;
  {
    std::lock_guard lock(mu_);
    for (auto it = servers_.begin(); it != servers_.end();) {
      if (uids.count(it->first)) {
        ++it;
      } else {
        stopped.push_back(std::move(it->second));
        it = servers_.erase(it);
      }
    }
  }
  for (auto& r : stopped) {
    r.sim->begin_shutdown(false);  // a deleted pod's process is gone: abort its requests
    if (r.http) r.http->stop();
  }
}

}  // namespace rollout::sandbox
