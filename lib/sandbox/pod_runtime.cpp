#include "sandbox/pod_runtime.hpp"

#include "sandbox/pod_knobs.hpp"

namespace rollout::sandbox {

std::shared_ptr<ModelServerSim> PodRuntimes::ensure(const nlohmann::json& pod) {
  const std::string uid = pod["metadata"].value("uid", "");
  std::lock_guard lock(mu_);
  auto it = servers_.find(uid);
  if (it != servers_.end()) return it->second;
  const PodKnobs k = knobs_of(pod);
  ModelKnobs m;
  m.model = k.model;
  m.version = k.version;
  m.error_rate = k.error_rate;
  m.ttft = k.ttft;
  m.itl = k.itl;
  m.startup = k.startup;
  m.crash_on_start = k.crash_on_start;
  auto sim = std::make_shared<ModelServerSim>(m);
  servers_[uid] = sim;
  return sim;
}

std::shared_ptr<ModelServerSim> PodRuntimes::find(const std::string& uid) const {
  std::lock_guard lock(mu_);
  auto it = servers_.find(uid);
  return it == servers_.end() ? nullptr : it->second;
}

void PodRuntimes::retain(const std::set<std::string>& uids) {
  std::vector<std::shared_ptr<ModelServerSim>> stopped;
  {
    std::lock_guard lock(mu_);
    for (auto it = servers_.begin(); it != servers_.end();) {
      if (uids.count(it->first)) {
        ++it;
      } else {
        stopped.push_back(it->second);
        it = servers_.erase(it);
      }
    }
  }
  for (auto& s : stopped) s->begin_shutdown(false);  // a deleted pod's process is gone: abort
}

}  // namespace rollout::sandbox
