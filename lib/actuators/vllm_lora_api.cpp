#include "actuators/vllm_lora_api.hpp"

namespace rollout::actuators {

using nlohmann::json;

namespace {

const Duration kTimeout{10000};

// vLLM's error body, current {"error": {message, ...}} or older flat {message, ...}, or FastAPI's
// {"detail": ...}; the raw text otherwise.
std::string error_message(const std::string& body) {
  const json j = json::parse(body, nullptr, false);
  if (j.is_object()) {
    if (j.contains("error") && j["error"].is_object() && j["error"].contains("message"))
      return j["error"]["message"].is_string() ? j["error"]["message"].get<std::string>()
                                               : j["error"]["message"].dump();
    if (j.contains("message") && j["message"].is_string()) return j["message"].get<std::string>();
    if (j.contains("detail")) return j["detail"].is_string() ? j["detail"].get<std::string>() : j["detail"].dump();
  }
  return body.size() > 200 ? body.substr(0, 200) + "..." : body;
}

Error refused(const Endpoint& ep, const std::string& what, const k8s::HttpResult& r) {
  const ErrorKind kind = r.status == 502 || r.status == 503 ? ErrorKind::unavailable : ErrorKind::gate_failed;
  return make_error(
      kind, "pod " + ep.pod + ": " + what + " answered " + std::to_string(r.status) + ": " + error_message(r.body));
}

Error unreachable(const Endpoint& ep, const std::string& what, const Error& e) {
  return make_error(ErrorKind::unavailable, "pod " + ep.pod + ": " + what + ": " + e.message);
}

}  // namespace

Result<std::map<std::string, std::string>> listed_models(k8s::Client& client, const std::string& ns,
                                                         const Endpoint& ep) {
  auto answer = proxy_get(client, ns, ep, "/v1/models", kTimeout);
  if (!answer.ok()) return unreachable(ep, "GET /v1/models", answer.error());
  if (answer->status != 200)
    return make_error(ErrorKind::unavailable,
                      "pod " + ep.pod + ": GET /v1/models answered " + std::to_string(answer->status));
  const json body = json::parse(answer->body, nullptr, false);
  std::map<std::string, std::string> ids;
  if (body.is_object() && body.contains("data") && body["data"].is_array())
    for (const auto& m : body["data"])
      if (m.is_object() && m.contains("id") && m["id"].is_string())
        ids[m["id"].get<std::string>()] = m.value("root", json("")).is_string() ? m.value("root", "") : "";
  return ids;
}

Result<bool> runtime_lora_api(k8s::Client& client, const std::string& ns, const Endpoint& ep) {
  auto answer = proxy_get(client, ns, ep, "/v1/load_lora_adapter", kTimeout);
  if (!answer.ok()) return unreachable(ep, "GET /v1/load_lora_adapter", answer.error());
  if (answer->status == 405) return true;   // registered, POST only
  if (answer->status == 404) return false;  // not registered
  return make_error(ErrorKind::unavailable, "pod " + ep.pod + ": GET /v1/load_lora_adapter answered " +
                                                std::to_string(answer->status) + ": " + error_message(answer->body));
}

Status load_adapter(k8s::Client& client, const std::string& ns, const Endpoint& ep, const std::string& name,
                    const std::string& path) {
  auto answer =
      proxy_post(client, ns, ep, "/v1/load_lora_adapter", {{"lora_name", name}, {"lora_path", path}}, kTimeout);
  if (!answer.ok()) return unreachable(ep, "POST /v1/load_lora_adapter " + name, answer.error());
  if (answer->status == 200) return ok_status();
  // 400 "The lora adapter 'NAME' has already been loaded. ...": loaded, by us earlier or by someone.
  if (answer->status == 400 && error_message(answer->body).find("has already been loaded") != std::string::npos)
    return ok_status();
  return refused(ep, "POST /v1/load_lora_adapter " + name, *answer);
}

Result<bool> unload_adapter(k8s::Client& client, const std::string& ns, const Endpoint& ep, const std::string& name) {
  auto answer = proxy_post(client, ns, ep, "/v1/unload_lora_adapter", {{"lora_name", name}}, kTimeout);
  if (!answer.ok()) return unreachable(ep, "POST /v1/unload_lora_adapter " + name, answer.error());
  if (answer->status == 200) return true;
  // 404 "The lora adapter 'NAME' cannot be found.": not loaded, which is what we want. (A 404
  // because the route is missing says {"detail": "Not Found"}: the pre-flight rules that out.)
  if (answer->status == 404 && error_message(answer->body).find("cannot be found") != std::string::npos) return false;
  return refused(ep, "POST /v1/unload_lora_adapter " + name, *answer);
}

}  // namespace rollout::actuators
