#include "sandbox/kthena_networking.hpp"

#include <regex>

namespace rollout::sandbox {

using nlohmann::json;

namespace {

std::string at(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string quoted(const std::string& s) {
  return "\"" + s + "\"";
}

bool nonempty_string(const json& obj, const char* key) {
  return obj.is_object() && obj.contains(key) && obj[key].is_string() && !obj[key].get<std::string>().empty();
}

// TargetModel.weight: +kubebuilder:default=100, Minimum=0, Maximum=100 (uint32).
std::optional<std::string> admit_target(json& target, const std::string& path, bool lora) {
  if (!target.is_object()) return path + ": Invalid value: \"null\": target model must not be nil";
  const bool server = nonempty_string(target, "modelServerName");
  const bool external = nonempty_string(target, "externalModelProviderName");
  if (server == external)
    return path + ": Invalid value: \"object\": exactly one of modelServerName or externalModelProviderName must be set";
  if (external && lora)
    return path + ".externalModelProviderName: Invalid value: " + quoted(target["externalModelProviderName"].get<std::string>()) +
           ": lora routes must target modelServerName";
  if (!target.contains("weight") || target["weight"].is_null()) target["weight"] = 100;
  const json& w = target["weight"];
  if (!w.is_number_integer())
    return path + ".weight: Invalid value: " + quoted(w.type_name()) + ": " + path +
           ".weight in body must be of type integer: " + quoted(w.type_name());
  const int64_t v = w.get<int64_t>();
  if (v < 0)
    return path + ".weight: Invalid value: " + std::to_string(v) + ": " + path +
           ".weight in body should be greater than or equal to 0";
  if (v > 100)
    return path + ".weight: Invalid value: " + std::to_string(v) + ": " + path +
           ".weight in body should be less than or equal to 100";
  return std::nullopt;
}

std::optional<std::string> admit_model_route(json& obj, const json* old) {
  json& spec = obj["spec"];
  if (!spec.is_object()) return "spec: Required value";
  const std::string model = spec.value("modelName", "");
  const json lora = spec.value("loraAdapters", json::array());
  if (model.empty() && (!lora.is_array() || lora.empty()))
    return "spec: Invalid value: \"object\": ModelName and LoraAdapters cannot both be empty";
  if (lora.is_array() && lora.size() > 10)
    return "spec.loraAdapters: Too many: " + std::to_string(lora.size()) + ": must have at most 10 items";
  for (size_t i = 0; lora.is_array() && i < lora.size(); ++i)
    if (!lora[i].is_string() || lora[i].get<std::string>().empty())
      return at("spec.loraAdapters", i) + ": Invalid value: \"\": lora adapter name cannot be an empty string";
  if (old && (*old).value("spec", json::object()).value("modelName", "") != model)
    return "spec.modelName: Invalid value: \"string\": modelName is immutable";
  if (!spec.contains("rules") || !spec["rules"].is_array()) return "spec.rules: Required value";
  json& rules = spec["rules"];
  if (rules.size() > 16) return "spec.rules: Too many: " + std::to_string(rules.size()) + ": must have at most 16 items";
  for (size_t i = 0; i < rules.size(); ++i) {
    const std::string path = at("spec.rules", i);
    json& rule = rules[i];
    if (!rule.is_object()) return path + ": Invalid value: \"null\": rule must not be nil";
    if (!rule.contains("targetModels") || !rule["targetModels"].is_array()) return path + ".targetModels: Required value";
    json& targets = rule["targetModels"];
    if (targets.empty()) return path + ".targetModels: Invalid value: 0: " + path + ".targetModels in body should have at least 1 items";
    if (targets.size() > 16)
      return path + ".targetModels: Too many: " + std::to_string(targets.size()) + ": must have at most 16 items";
    int64_t total = 0;
    for (size_t j = 0; j < targets.size(); ++j) {
      if (auto err = admit_target(targets[j], at(path + ".targetModels", j), lora.is_array() && !lora.empty()))
        return err;
      total += targets[j]["weight"].get<int64_t>();
    }
    // The router's webhook (validator.go validateModelRoute): all-zero weights route nothing.
    if (total == 0) return path + ".targetModels: Invalid value: 0: total weight must be greater than zero";
    const json match = rule.value("modelMatch", json());
    if (!match.is_object()) continue;
    const json headers = match.value("headers", json::object());
    for (const auto& [key, sm] : headers.items())
      if (sm.is_object() && sm.contains("regex")) try {
          std::regex re(sm.value("regex", ""));
        } catch (const std::regex_error& e) {
          return path + ".modelMatch.headers[" + key + "].regex: Invalid value: " + quoted(sm.value("regex", "")) +
                 ": " + e.what();
        }
  }
  return std::nullopt;
}

std::optional<std::string> admit_model_server(json& obj) {
  json& spec = obj["spec"];
  if (!spec.is_object()) spec = json::object();
  const json engine = spec.value("inferenceEngine", json());
  if (!engine.is_string()) return "spec.inferenceEngine: Required value";
  if (engine != "vLLM" && engine != "SGLang")
    return "spec.inferenceEngine: Unsupported value: " + quoted(engine.get<std::string>()) + ": supported values: \"vLLM\", \"SGLang\"";
  const json selector = spec.value("workloadSelector", json());
  if (!selector.is_object()) return "spec.workloadSelector: Required value";
  if (selector.value("matchLabels", json::object()).empty())
    return "spec.workloadSelector.matchLabels: Required value: labels must contain at least one label";
  json& port = spec["workloadPort"];
  if (!port.is_object() || !port.contains("port")) return "spec.workloadPort.port: Required value";
  if (!port["port"].is_number_integer() || port["port"].get<int64_t>() < 1 || port["port"].get<int64_t>() > 65535)
    return "spec.workloadPort.port: Invalid value: " + port["port"].dump() +
           ": spec.workloadPort.port in body should be between 1 and 65535";
  if (!port.contains("protocol")) port["protocol"] = "http";  // +kubebuilder:default="http"
  if (port["protocol"] != "http" && port["protocol"] != "https")
    return "spec.workloadPort.protocol: Unsupported value: " + port["protocol"].dump() +
           ": supported values: \"http\", \"https\"";
  return std::nullopt;
}

// store.matchString: exact, prefix or regex; no condition matches anything.
bool match_string(const json& sm, const std::string& value) {
  if (!sm.is_object()) return true;
  if (sm.contains("exact")) return value == sm.value("exact", "");
  if (sm.contains("prefix")) return value.rfind(sm.value("prefix", ""), 0) == 0;
  if (sm.contains("regex")) try {
      return std::regex_search(value, std::regex(sm.value("regex", "")));
    } catch (const std::regex_error&) {
      return false;  // "invalid regex ... treating as no match"
    }
  return true;
}

}  // namespace

std::optional<std::string> admit_kthena_networking(const ResourceType& t, json& obj, const json* old) {
  if (t.group != kKthenaNetworkingGroup) return std::nullopt;
  if (t.kind == "ModelRoute") return admit_model_route(obj, old);
  if (t.kind == "ModelServer") return admit_model_server(obj);
  return std::nullopt;
}

std::optional<size_t> select_model_route_rule(const json& route, const RouterRequest& request) {
  const json rules = route.value("spec", json::object()).value("rules", json::array());
  for (size_t i = 0; i < rules.size(); ++i) {
    const json match = rules[i].value("modelMatch", json());
    if (!match.is_object()) return i;
    const json body = match.value("body", json::object());
    if (body.contains("model") && body["model"].is_string() && body["model"] != request.model) continue;
    bool headers = true;
    const json wanted = match.value("headers", json::object());
    for (const auto& [key, sm] : wanted.items()) {
      std::string name = key;
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      auto it = request.headers.find(name);
      headers = headers && match_string(sm, it == request.headers.end() ? "" : it->second);
    }
    if (!headers) continue;
    if (match.contains("uri") && !match_string(match["uri"], request.path)) continue;
    return i;
  }
  return std::nullopt;
}

std::optional<size_t> select_target_model(const json& targets, std::mt19937_64& rng) {
  if (!targets.is_array() || targets.empty()) return std::nullopt;
  const bool weighted = targets[0].is_object() && targets[0].contains("weight");
  std::vector<int64_t> weights;
  for (const auto& t : targets) {
    if (!t.is_object() || t.contains("weight") != weighted) return std::nullopt;  // "fully specified or not"
    weights.push_back(weighted ? t.value("weight", int64_t{0}) : 1);
  }
  int64_t total = 0;
  for (auto w : weights) total += w;
  if (total <= 0) return std::nullopt;
  int64_t r = std::uniform_int_distribution<int64_t>(0, total - 1)(rng);
  for (size_t i = 0; i < weights.size(); ++i) {
    r -= weights[i];
    if (r < 0) return i;
  }
  return std::nullopt;
}

bool model_route_serves(const json& route, const std::string& model) {
  const json spec = route.value("spec", json::object());
  if (!model.empty() && spec.value("modelName", "") == model) return true;
  for (const auto& a : spec.value("loraAdapters", json::array()))
    if (a.is_string() && a == model) return true;
  return false;
}

}  // namespace rollout::sandbox
