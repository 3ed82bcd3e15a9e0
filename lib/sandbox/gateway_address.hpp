// Where the sandbox serves each Gateway (pure): its own loopback address 127.0.0.N, N from 2 up
// (127.0.0.1 is the API server's), recorded in status.addresses so that a restart with --data-dir
// keeps it, and the listener ports mapped by `sandbox up --gateway-port FROM=TO` (a port this
// user may not bind, e.g. 80 without root, served on another).
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace rollout::sandbox {

inline constexpr int kFirstGatewayAddress = 2, kLastGatewayAddress = 254;

std::string loopback_address(int n);  // "127.0.0.N"
// N of a "127.0.0.N" the sandbox hands out (2..254); nullopt for any other text.
std::optional<int> loopback_index(const std::string& address);
// The address a Gateway's status records: its first IPAddress entry, if the sandbox handed it out.
std::optional<int> recorded_address(const nlohmann::json& gateway);

// The Gateway's address: the one its status records when no other Gateway holds it (kept even
// when its ports cannot be bound now: it must stay stable), else the lowest N not held for which
// `usable(N)` is true (false: a port there is in use by another process), else the lowest N not
// held. nullopt when every address is held.
std::optional<int> allocate_address(std::optional<int> recorded, const std::set<int>& held,
                                    const std::function<bool(int)>& usable);

// `--gateway-port FROM=TO` values: listener port FROM served on TO (both 1..65535, each FROM once).
Result<std::map<int, int>> parse_gateway_ports(const std::vector<std::string>& values);

// The port to suggest for a listener port that cannot be bound: 80 -> 8080, 443 -> 8443, else +1.
int suggested_port(int port);

}  // namespace rollout::sandbox
