#include "sandbox/pod_knobs.hpp"

namespace rollout::sandbox {

using nlohmann::json;

PodKnobs knobs_of(const json& pod) {
  PodKnobs k;
  const json spec = pod.value("spec", json::object());
  const json containers = spec.value("containers", json::array());
  if (!containers.empty()) {
    const json& c = containers[0];
    std::string image = c.value("image", "");
    if (auto colon = image.rfind(':'); colon != std::string::npos && image.find('/', colon) == std::string::npos)
      k.version = image.substr(colon + 1);
    const json args = c.value("args", json::array());
    for (size_t i = 0; i + 1 < args.size(); ++i)
      if (args[i] == "--model" && args[i + 1].is_string()) k.model = args[i + 1];
  }
  const json ann = pod.value("metadata", json::object()).value("annotations", json::object());
  auto get = [&](const char* key) -> std::string {
    auto it = ann.find(std::string(kKnobPrefix) + key);
    return it != ann.end() && it->is_string() ? it->get<std::string>() : "";
  };
  if (auto v = parse_duration(get("startup"))) k.startup = *v;
  if (auto v = parse_duration(get("ttft"))) k.ttft = *v;
  if (auto v = parse_duration(get("itl"))) k.itl = *v;
  k.crash_on_start = get("crash-on-start") == "true";
  if (auto v = get("error-rate"); !v.empty()) k.error_rate = std::strtod(v.c_str(), nullptr);
  if (auto v = get("model"); !v.empty()) k.model = v;
  if (auto v = get("version"); !v.empty()) k.version = v;
  return k;
}

}  // namespace rollout::sandbox
