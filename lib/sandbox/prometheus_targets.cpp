#include "sandbox/prometheus_targets.hpp"

#include <filesystem>
#include <fstream>

namespace rollout::sandbox {

using nlohmann::json;

namespace {

// Prometheus label names: [a-zA-Z_][a-zA-Z0-9_]*
std::string label_name(const std::string& k) {
  std::string out;
  for (char c : k) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "_" + out;
  return out;
}

class PrometheusTargets : public Controller {
 public:
  PrometheusTargets(std::shared_ptr<PodRuntimes> runtimes, std::string dir)
      : runtimes_(std::move(runtimes)), dir_(std::move(dir)) {}
  const char* name() const override { return "prometheus-targets"; }

  void reconcile(ControllerContext& ctx) override {
    json groups = json::array();
    for (const auto& pod : ctx.all("v1", "Pod")) {
      auto port = runtimes_->port(pod["metadata"].value("uid", ""));
      if (!port) continue;
      json labels = {{"namespace", pod["metadata"].value("namespace", "")}, {"pod", pod["metadata"].value("name", "")}};
      const json pod_labels = pod["metadata"].value("labels", json::object());
      for (auto it = pod_labels.begin(); it != pod_labels.end(); ++it)
        if (it->is_string()) labels[label_name(it.key())] = *it;
      groups.push_back({{"targets", {"127.0.0.1:" + std::to_string(*port)}}, {"labels", labels}});
    }
    const std::string text = groups.dump(2);
    if (text == last_) return;
    const std::string path = dir_ + "/prometheus-targets.json", tmp = path + ".tmp";
    std::ofstream(tmp, std::ios::trunc) << text << "\n";
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);  // atomically, as file_sd expects
    if (!ec) last_ = text;
  }

 private:
  std::shared_ptr<PodRuntimes> runtimes_;
  std::string dir_;
  std::string last_;
};

}  // namespace

std::string prometheus_config(const std::string& targets_file) {
  return "# Written by `rollout sandbox up`: scrapes every sandbox pod's simulated vLLM server.\n"
         "# prometheus --config.file=THIS --storage.tsdb.path=DIR --web.listen-address=127.0.0.1:9090\n"
         "global:\n  scrape_interval: 5s\n  evaluation_interval: 5s\n"
         "scrape_configs:\n"
         "  - job_name: sandbox-pods\n"
         "    scrape_interval: 5s\n"
         "    scrape_timeout: 4s\n"
         "    file_sd_configs:\n"
         "      - files: [\"" +
         targets_file +
         "\"]\n"
         "        refresh_interval: 5s\n";
}

std::unique_ptr<Controller> make_prometheus_targets(std::shared_ptr<PodRuntimes> runtimes, std::string dir) {
  return std::make_unique<PrometheusTargets>(std::move(runtimes), std::move(dir));
}

}  // namespace rollout::sandbox
