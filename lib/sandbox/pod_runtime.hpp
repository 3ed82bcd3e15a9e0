// The simulated processes behind sandbox pods: one ModelServerSim per pod (keyed by uid), built
// from the pod's knob annotations when the pod controller first sees it. The API server's pod
// proxy and the LoRA syncer reach a pod's model server through here.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "sandbox/model_server.hpp"

namespace rollout::sandbox {

class PodRuntimes {
 public:
  // The model server of `pod`, started on first sight.
  std::shared_ptr<ModelServerSim> ensure(const nlohmann::json& pod);
  std::shared_ptr<ModelServerSim> find(const std::string& uid) const;
  // Stops the servers of pods that no longer exist.
  void retain(const std::set<std::string>& uids);

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<ModelServerSim>> servers_;
};

}  // namespace rollout::sandbox
