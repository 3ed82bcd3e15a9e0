#include "sandbox/pod_knobs.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace rollout::sandbox {

using nlohmann::json;

namespace {

// vLLM's envs.py: os.environ.get("VLLM_ALLOW_RUNTIME_LORA_UPDATING", "0").strip().lower() in ("1", "true").
bool runtime_lora_allowed(const json& container) {
  for (const auto& e : container.value("env", json::array())) {
    if (!e.is_object() || e.value("name", "") != "VLLM_ALLOW_RUNTIME_LORA_UPDATING") continue;
    std::string v = e.value("value", "");
    const auto first = v.find_first_not_of(" \t\r\n"), last = v.find_last_not_of(" \t\r\n");
    v = first == std::string::npos ? "" : v.substr(first, last - first + 1);
    for (auto& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return v == "1" || v == "true";
  }
  return false;
}

// "a=0.5,b=0.1" -> {a: 0.5, b: 0.1}; malformed entries are ignored.
std::map<std::string, double> adapter_rates(const std::string& text) {
  std::map<std::string, double> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, end - start);
    if (auto eq = item.find('='); eq != std::string::npos && eq > 0)
      out[item.substr(0, eq)] = std::strtod(item.c_str() + eq + 1, nullptr);
    start = end + 1;
  }
  return out;
}

// vLLM's --lora-modules (nargs="+"): "name=path" or JSON {"name", "path", "base_model_name"?}.
std::vector<std::pair<std::string, std::string>> lora_modules(const json& args) {
  std::vector<std::pair<std::string, std::string>> out;
  bool in = false;
  for (const auto& a : args) {
    if (!a.is_string()) continue;
    const std::string s = a.get<std::string>();
    if (s.rfind("--", 0) == 0) {
      in = s == "--lora-modules";
      continue;
    }
    if (!in) continue;
    if (const json j = json::parse(s, nullptr, false); j.is_object()) {
      if (j.value("name", "") != "" && j.value("path", "") != "") out.emplace_back(j["name"], j["path"]);
    } else if (auto eq = s.find('='); eq != std::string::npos && eq > 0) {
      out.emplace_back(s.substr(0, eq), s.substr(eq + 1));
    }
  }
  return out;
}

}  // namespace

PodKnobs knobs_of(const json& pod) {
  PodKnobs k;
  const json spec = pod.value("spec", json::object());
  const json containers = spec.value("containers", json::array());
  if (!containers.empty()) {
    const json& c = containers[0];
    std::string image = c.value("image", "");
    if (auto colon = image.rfind(':'); colon != std::string::npos && image.find('/', colon) == std::string::npos)
    {
      k.version = image.substr(colon + 1);
      if (k.version.size() > 1 && k.version[0] == 'v' && std::isdigit(static_cast<unsigned char>(k.version[1])))
        k.server_version = k.version.substr(1);
    }
    const json args = c.value("args", json::array());
    for (size_t i = 0; i + 1 < args.size(); ++i)
      if (args[i] == "--model" && args[i + 1].is_string()) k.model = args[i + 1];
    k.lora_modules = lora_modules(args);
    k.runtime_lora = runtime_lora_allowed(c);
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
  if (auto v = get("version"); !v.empty()) k.version = v, k.server_version.clear();
  if (auto v = get("adapter-error-rate"); !v.empty()) k.adapter_error_rate = adapter_rates(v);
  return k;
}

}  // namespace rollout::sandbox
