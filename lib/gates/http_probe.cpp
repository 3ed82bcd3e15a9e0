#include "gates/http_probe.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace rollout::gates {

namespace {

bool lists_model(const std::string& body, const std::string& model) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("data") || !j["data"].is_array()) return false;
  for (const auto& m : j["data"])
    if (m.is_object() && m.value("id", "") == model) return true;
  return false;
}

// Why one pod's answer does not pass, or "" when it does.
std::string judge(const plan::HttpProbe& probe, const k8s::HttpResult& r) {
  if (probe.model_listed) {
    if (r.status != 200) return fmt::format("GET /v1/models answered {}", r.status);
    return lists_model(r.body, *probe.model_listed) ? "" : "/v1/models does not list " + *probe.model_listed;
  }
  if (r.status != probe.expect_status) return fmt::format("{} answered {}, expected {}", probe.path, r.status, probe.expect_status);
  if (probe.body_contains && r.body.find(*probe.body_contains) == std::string::npos)
    return probe.path + " body does not contain \"" + *probe.body_contains + "\"";
  return "";
}

}  // namespace

Status HttpProbeProvider::online(k8s::Client& client, const GateTargets& targets) {
  (void)client;
  if (!targets.endpoints) return ok_status();
  for (Side side : {Side::canary, Side::stable}) {
    auto endpoints = targets.endpoints(side);
    if (!endpoints.ok() && endpoints.error().kind != ErrorKind::not_found) return endpoints.error();
  }
  return ok_status();
}

Measurement HttpProbeProvider::measure(k8s::Client& client, const GateTargets& targets) {
  std::vector<std::pair<std::string, Side>> pools;
  if (targets.endpoints && (probe_.from == "canary" || probe_.from == "all")) pools.emplace_back("canary", Side::canary);
  if (targets.endpoints && (probe_.from == "stable" || probe_.from == "all") && !(probe_.from == "all" && targets.same_servers))
    pools.emplace_back("stable", Side::stable);
  if (pools.empty()) return {Verdict::error, std::nullopt, "no " + probe_.from + " pods to probe for this target"};
  const std::string path = probe_.model_listed ? "/v1/models" : probe_.path;
  const Duration timeout = probe_.timeout.value_or(Duration(5000));
  int probed = 0, passed = 0;
  std::string failures, unreachable;
  for (const auto& [role, side] : pools) {
    auto endpoints = targets.endpoints(side);
    if (!endpoints.ok()) return {Verdict::error, std::nullopt, endpoints.error().message};
    for (const auto& e : *endpoints) {
      if (!e.ready) continue;
      ++probed;
      auto r = get_endpoint(client, e, path, timeout);
      // The API server failing the proxied request (after its retries) says nothing about the pod:
      // the measurement is an error, as a metrics backend that does not answer.
      const bool via_api_server = e.base.rfind("http://", 0) != 0 && e.base.rfind("https://", 0) != 0;
      if (!r.ok() && via_api_server) {
        unreachable += (unreachable.empty() ? "" : "; ") + e.name + ": " + r.error().message;
        continue;
      }
      std::string why = r.ok() ? judge(probe_, *r) : r.error().message;
      if (why.empty())
        ++passed;
      else
        failures += (failures.empty() ? "" : "; ") + e.name + ": " + why;
    }
    if (probed == 0) failures += (failures.empty() ? "" : "; ") + role + " " + (side == Side::canary ? targets.canary : targets.stable) + " has no ready servers";
  }
  const double share = probed ? static_cast<double>(passed) / probed : 0.0;
  if (!failures.empty()) return {Verdict::failed, share, failures};
  if (!unreachable.empty()) return {Verdict::error, std::nullopt, unreachable};
  return {Verdict::successful, share, fmt::format("{}/{} pods answered {}", passed, probed, path)};
}

}  // namespace rollout::gates
