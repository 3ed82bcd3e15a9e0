// A Gateway's status as the sandbox reports it (pure): status.addresses, the Gateway's Accepted
// and Programmed conditions and one ListenerStatus per listener, with the condition types and
// reasons of gateway-api apis/v1/gateway_types.go (HTTP listeners only: others are Accepted=False,
// UnsupportedProtocol; a port that cannot be bound is Accepted=False, PortUnavailable).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sandbox/gateway_controller.hpp"

namespace rollout::sandbox {

// The listeners of `gateway` the sandbox serves (protocol HTTP), as routes attach to them.
std::vector<ListenerRef> http_listeners(const nlohmann::json& gateway);

struct GatewayFacts {
  std::optional<int> address;              // 127.0.0.N; nullopt: none left to assign
  std::map<int, ListenerBind> binds;       // by listener port
  std::map<std::string, int> attached;     // routes attached, by listener name
};

nlohmann::json gateway_status(const nlohmann::json& gateway, const GatewayFacts& facts, const std::string& now);

// True when every HTTP listener is bound (and there is one): Programmed.
bool all_bound(const nlohmann::json& gateway, const GatewayFacts& facts);

}  // namespace rollout::sandbox
