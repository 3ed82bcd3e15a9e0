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
#include "sandbox/model_server_process.hpp"

namespace rollout::sandbox {

class PodRuntimes {
 public:
  // `serve_http`: also serve each pod's model server on its own loopback port (for Prometheus).
  explicit PodRuntimes(bool serve_http = false) : serve_http_(serve_http) {}
  ~PodRuntimes();

  // The model server of `pod`, started on first sight.
  std::shared_ptr<ModelServerSim> ensure(const nlohmann::json& pod);
  std::shared_ptr<ModelServerSim> find(const std::string& uid) const;
  // The loopback port serving the pod's model server, if any.
  std::optional<int> port(const std::string& uid) const;
  // Stops the servers of pods that no longer exist.
  void retain(const std::set<std::string>& uids);

 private:
  struct Runtime {
    std::shared_ptr<ModelServerSim> sim;
    std::unique_ptr<ModelHttpServer> http;
  };
  bool serve_http_;
  mutable std::mutex mu_;
  std::map<std::string, Runtime> servers_;
};

}  // namespace rollout::sandbox
