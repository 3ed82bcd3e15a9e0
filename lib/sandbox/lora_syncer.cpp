#include "sandbox/lora_syncer.hpp"

#include <set>

#include "util/yaml_json.hpp"

namespace rollout::sandbox {

using nlohmann::json;

namespace {

bool mounts(const json& pod, const std::string& config_map) {
  for (const auto& v : pod.value("spec", json::object()).value("volumes", json::array()))
    if (v.value("configMap", json::object()).value("name", "") == config_map) return true;
  return false;
}

std::set<std::string> ids(const json& section) {
  std::set<std::string> out;
  for (const auto& m : section.value("models", json::array()))
    if (m.is_object()) out.insert(m.value("id", ""));
  return out;
}

HttpRequest post(const std::string& path, const json& body) {
  HttpRequest r;
  r.method = "POST";
  r.path = path;
  r.headers["content-type"] = "application/json";
  r.body = body.dump();
  return r;
}

class LoraSyncer : public Controller {
 public:
  LoraSyncer(std::shared_ptr<PodRuntimes> runtimes, std::chrono::milliseconds period)
      : runtimes_(std::move(runtimes)), period_(period) {}
  const char* name() const override { return "lora-syncer"; }

  void reconcile(ControllerContext& ctx) override {
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < period_) return;
    last_ = now;
    auto pods = ctx.all("v1", "Pod");
    for (const auto& cm : ctx.all("v1", "ConfigMap")) {
      const json data = cm.value("data", json::object());
      if (!data.contains("configmap.yaml") || !data["configmap.yaml"].is_string()) continue;
      auto parsed = parse_yaml_as_json(data["configmap.yaml"].get<std::string>());
      if (!parsed.ok() || !parsed->is_object() || !parsed->contains("vLLMLoRAConfig")) continue;
      const json config = (*parsed)["vLLMLoRAConfig"];
      for (const auto& pod : pods)
        if (pod["metadata"].value("namespace", "") == cm["metadata"].value("namespace", "") &&
            mounts(pod, cm["metadata"].value("name", "")))
          sync(pod, config);
    }
  }

 private:
  void sync(const json& pod, const json& config) {
    auto server = runtimes_->find(pod["metadata"].value("uid", ""));
    if (!server || !server->ready()) return;
    std::set<std::string> loaded;
    for (const auto& a : server->adapters()) loaded.insert(a.name);
    const json exist = config.value("ensureExist", json::object());
    const json gone = config.value("ensureNotExist", json::object());
    const std::set<std::string> remove = ids(gone), keep = ids(exist);
    const std::string base = config.value("defaultBaseModel", "");
    for (const auto& m : exist.value("models", json::array())) {
      const std::string id = m.value("id", "");
      if (id.empty() || loaded.count(id) || remove.count(id)) continue;  // an id in both lists is skipped
      (void)server->handle(post(
          "/v1/load_lora_adapter",
          {{"lora_name", id}, {"lora_path", m.value("source", "")}, {"base_model_name", m.value("base-model", base)}}));
    }
    for (const auto& id : remove)
      if (loaded.count(id) && !keep.count(id))
        (void)server->handle(post("/v1/unload_lora_adapter", {{"lora_name", id}}));
  }

  std::shared_ptr<PodRuntimes> runtimes_;
  std::chrono::milliseconds period_;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace

std::unique_ptr<Controller> make_lora_syncer(std::shared_ptr<PodRuntimes> runtimes, std::chrono::milliseconds period) {
  return std::make_unique<LoraSyncer>(std::move(runtimes), period);
}

}  // namespace rollout::sandbox
