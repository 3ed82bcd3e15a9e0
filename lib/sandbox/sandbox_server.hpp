// `rollout sandbox up`: the sandbox API server on loopback (HTTPS with its own CA and an admin
// client certificate, or plain HTTP), and the kubeconfig that rollout and kubectl use unchanged.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sandbox/api_handler.hpp"
#include "sandbox/traffic.hpp"
#include "util/result.hpp"

namespace rollout::sandbox {

struct SandboxOptions {
  std::string address = "127.0.0.1";
  int port = 6443;  // 0: any free port
  bool tls = true;
  std::string data_dir;        // objects, PKI and token persist here; empty: memory and a temp dir
  std::string kubeconfig_out;  // default: DATA_DIR/kubeconfig
  FaultConfig faults;
  std::string audit_log_path;  // JSON lines of audit.k8s.io/v1 Events (see audit_log.hpp); empty: none
  size_t event_window = 10000;
  // API groups ("llm-d.ai") or group versions ("inference.networking.x-k8s.io/v1alpha2") of the
  // built-in kinds not to serve: a cluster without those CRDs (discovery does not list them).
  std::vector<std::string> disabled_apis;
  TrafficOptions traffic;  // synthetic clients through the gateway (rate 0: none)  // watch events kept for resuming;
                           // older resourceVersions get 410 Gone
  std::map<int, int> gateway_ports;  // Gateway listener port -> port served (--gateway-port 80=8080)
  std::function<void(const std::string&)> notice;  // lines for the person running it (e.g. a port not bound)
};

class SandboxServer {
 public:
  explicit SandboxServer(SandboxOptions options);
  ~SandboxServer();
  SandboxServer(const SandboxServer&) = delete;
  SandboxServer& operator=(const SandboxServer&) = delete;

  // Binds, writes the kubeconfig and serves on a background thread.
  Status start();
  void stop();

  int port() const;
  std::string url() const;
  const std::string& kubeconfig_path() const;
  const std::string& token() const;            // a bearer token the server accepts (user "sandbox-token")
  std::string prometheus_config_path() const;  // a prometheus.yml that scrapes every pod
  ApiHandler& api();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rollout::sandbox
