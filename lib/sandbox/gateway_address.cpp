#include "sandbox/gateway_address.hpp"

#include <charconv>

namespace rollout::sandbox {

using nlohmann::json;

namespace {

std::optional<int> parse_port(const std::string& text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1 || value > 65535) return std::nullopt;
  return value;
}

}  // namespace

std::string loopback_address(int n) {
  return "127.0.0." + std::to_string(n);
}

std::optional<int> loopback_index(const std::string& address) {
  const std::string prefix = "127.0.0.";
  if (address.rfind(prefix, 0) != 0) return std::nullopt;
  const std::string tail = address.substr(prefix.size());
  int n = 0;
  auto [end, ec] = std::from_chars(tail.data(), tail.data() + tail.size(), n);
  if (ec != std::errc() || end != tail.data() + tail.size() || tail.empty() || tail[0] == '0') return std::nullopt;
  if (n < kFirstGatewayAddress || n > kLastGatewayAddress) return std::nullopt;
  return n;
}

std::optional<int> recorded_address(const json& gateway) {
  const json status = gateway.value("status", json::object());
  for (const auto& a : status.value("addresses", json::array()))
    if (a.value("type", "IPAddress") == "IPAddress" && a.contains("value") && a["value"].is_string())
      return loopback_index(a["value"].get<std::string>());
  return std::nullopt;
}

std::optional<int> allocate_address(std::optional<int> recorded, const std::set<int>& held,
                                    const std::function<bool(int)>& usable) {
  if (recorded && !held.count(*recorded)) return recorded;
  std::optional<int> first_free;
  for (int n = kFirstGatewayAddress; n <= kLastGatewayAddress; ++n) {
    if (held.count(n)) continue;
    if (!first_free) first_free = n;
    if (usable(n)) return n;
  }
  return first_free;
}

Result<std::map<int, int>> parse_gateway_ports(const std::vector<std::string>& values) {
  std::map<int, int> out;
  for (const auto& v : values) {
    const auto eq = v.find('=');
    auto from = eq == std::string::npos ? std::nullopt : parse_port(v.substr(0, eq));
    auto to = eq == std::string::npos ? std::nullopt : parse_port(v.substr(eq + 1));
    if (!from || !to)
      return make_error(ErrorKind::usage,
                        "--gateway-port: expected LISTENER_PORT=PORT with ports 1..65535 (e.g. 80=8080), got \"" + v +
                            "\"");
    if (!out.emplace(*from, *to).second)
      return make_error(ErrorKind::usage, "--gateway-port: port " + std::to_string(*from) + " is mapped twice");
  }
  return out;
}

int suggested_port(int port) {
  if (port < 1024) return port + 8000;
  return port < 65535 ? port + 1 : port - 1;
}

}  // namespace rollout::sandbox
