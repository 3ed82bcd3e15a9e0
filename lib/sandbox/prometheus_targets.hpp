// Makes the sandbox's pods scrapable by a real Prometheus: writes DIR/prometheus.yml (file-based
// service discovery, 5 s interval) and keeps DIR/prometheus-targets.json listing every pod's
// loopback port with its namespace, pod name and labels.
#pragma once

#include <memory>
#include <string>

#include "sandbox/controller.hpp"
#include "sandbox/pod_runtime.hpp"

namespace rollout::sandbox {

// The prometheus.yml text for targets kept in `targets_file`.
std::string prometheus_config(const std::string& targets_file);

std::unique_ptr<Controller> make_prometheus_targets(std::shared_ptr<PodRuntimes> runtimes, std::string dir);

}  // namespace rollout::sandbox
