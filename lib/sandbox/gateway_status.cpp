#include "sandbox/gateway_status.hpp"

#include "sandbox/gateway_address.hpp"

namespace rollout::sandbox {

using nlohmann::json;

namespace {

const char* kGroup = "gateway.networking.k8s.io";

int64_t generation(const json& obj) {
  return obj["metadata"].value("generation", int64_t{1});
}

std::string listener_name(const json& l) {
  return l.value("name", "");
}

json listener_status(const json& l, const GatewayFacts& facts, int64_t gen, const std::string& now) {
  const std::string protocol = l.value("protocol", "");
  const int port = l.value("port", 0);
  json kinds = json::array();
  json accepted, programmed;
  if (protocol != "HTTP") {
    accepted = condition("Accepted", false, "UnsupportedProtocol",
                         "protocol " + protocol + " is not supported by the sandbox gateway (HTTP only)", gen, now);
    programmed = condition("Programmed", false, "Invalid", "the listener is not accepted", gen, now);
  } else {
    kinds.push_back({{"group", kGroup}, {"kind", "HTTPRoute"}});
    auto b = facts.binds.find(port);
    const bool bound = facts.address && b != facts.binds.end() && b->second.outcome == BindOutcome::bound;
    if (bound) {
      const std::string where = loopback_address(*facts.address) + ":" + std::to_string(b->second.port);
      accepted = condition("Accepted", true, "Accepted", "listener accepted", gen, now);
      programmed = condition("Programmed", true, "Programmed", "serving on " + where, gen, now);
    } else {
      const std::string why = !facts.address          ? "no loopback address left to assign"
                              : b == facts.binds.end() ? "port " + std::to_string(port) + " is not served"
                                                       : b->second.error;
      accepted = condition("Accepted", false, "PortUnavailable", why, gen, now);
      programmed = condition("Programmed", false, "Invalid", why, gen, now);
    }
  }
  auto attached = facts.attached.find(listener_name(l));
  return {{"name", listener_name(l)},
          {"supportedKinds", kinds},
          {"attachedRoutes", attached == facts.attached.end() ? 0 : attached->second},
          {"conditions",
           {accepted, programmed, condition("ResolvedRefs", true, "ResolvedRefs", "references resolved", gen, now),
            condition("Conflicted", false, "NoConflicts", "no conflicts", gen, now)}}};
}

}  // namespace

std::vector<ListenerRef> http_listeners(const json& gateway) {
  std::vector<ListenerRef> out;
  const std::string ns = gateway["metadata"].value("namespace", "default");
  for (const auto& l : gateway.value("spec", json::object()).value("listeners", json::array())) {
    if (l.value("protocol", "") != "HTTP") continue;
    const json allowed = l.value("allowedRoutes", json::object()).value("namespaces", json::object());
    out.push_back({ns, gateway["metadata"].value("name", ""), listener_name(l), l.value("port", 0),
                   allowed.value("from", "Same")});
  }
  return out;
}

bool all_bound(const json& gateway, const GatewayFacts& facts) {
  const auto listeners = http_listeners(gateway);
  if (!facts.address || listeners.empty()) return false;
  for (const auto& l : listeners) {
    auto b = facts.binds.find(l.port);
    if (b == facts.binds.end() || b->second.outcome != BindOutcome::bound) return false;
  }
  return true;
}

json gateway_status(const json& gateway, const GatewayFacts& facts, const std::string& now) {
  const int64_t gen = generation(gateway);
  const json listeners = gateway.value("spec", json::object()).value("listeners", json::array());
  json statuses = json::array();
  size_t valid = 0;
  std::string problems;
  for (const auto& l : listeners) {
    json s = listener_status(l, facts, gen, now);
    if (s["conditions"][0]["status"] == "True")
      ++valid;
    else
      problems += (problems.empty() ? "" : "; ") + ("listener " + listener_name(l) + ": " +
                                                    s["conditions"][0]["message"].get<std::string>());
    statuses.push_back(std::move(s));
  }
  json accepted =
      valid == listeners.size()
          ? condition("Accepted", true, "Accepted", "accepted by the sandbox gateway", gen, now)
          : condition("Accepted", valid > 0, "ListenersNotValid", problems, gen, now);
  json programmed =
      !facts.address ? condition("Programmed", false, "AddressNotAssigned",
                                 "every loopback address 127.0.0.2-127.0.0.254 is taken by another Gateway", gen, now)
      : all_bound(gateway, facts)
          ? condition("Programmed", true, "Programmed", "programmed in the sandbox gateway", gen, now)
          : condition("Programmed", false, "Invalid",
                      problems.empty() ? "the Gateway has no HTTP listener" : problems, gen, now);
  json status = {{"conditions", {accepted, programmed}}, {"listeners", statuses}};
  if (facts.address) status["addresses"] = {{{"type", "IPAddress"}, {"value", loopback_address(*facts.address)}}};
  return status;
}

}  // namespace rollout::sandbox
