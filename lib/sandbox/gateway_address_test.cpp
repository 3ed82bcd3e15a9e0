// Gateway addresses: 127.0.0.N from 2 up, kept when recorded, skipping what other Gateways hold
// and what another process serves; --gateway-port values.
#include "sandbox/gateway_address.hpp"

#include <catch2/catch.hpp>

using namespace rollout::sandbox;
using nlohmann::json;

TEST_CASE("loopback addresses the sandbox hands out", "[sandbox][gateway]") {
  CHECK(loopback_address(2) == "127.0.0.2");
  CHECK(loopback_index("127.0.0.2") == 2);
  CHECK(loopback_index("127.0.0.254") == 254);
  CHECK(loopback_index("127.0.0.1") == std::nullopt);  // the API server's
  CHECK(loopback_index("127.0.0.255") == std::nullopt);
  CHECK(loopback_index("127.0.0.02") == std::nullopt);
  CHECK(loopback_index("10.0.0.2") == std::nullopt);
  CHECK(loopback_index("127.0.0.") == std::nullopt);
  CHECK(recorded_address(json{{"status", {{"addresses", {{{"type", "IPAddress"}, {"value", "127.0.0.7"}}}}}}}) == 7);
  CHECK(recorded_address(json{{"status", json::object()}}) == std::nullopt);
}

TEST_CASE("a Gateway's address: recorded, else the lowest free and usable", "[sandbox][gateway]") {
  auto always = [](int) { return true; };
  CHECK(allocate_address(std::nullopt, {}, always) == 2);
  CHECK(allocate_address(std::nullopt, {2, 3, 5}, always) == 4);
  CHECK(allocate_address(9, {2, 3}, always) == 9);  // kept across restarts
  CHECK(allocate_address(2, {2}, always) == 3);     // an older Gateway holds it
  // Another process serves the ports on .2 and .3 (a second sandbox): the next one.
  std::vector<int> tried;
  CHECK(allocate_address(std::nullopt, {}, [&](int n) {
          tried.push_back(n);
          return n > 3;
        }) == 4);
  CHECK(tried == std::vector<int>{2, 3, 4});
  // A recorded address is kept even when its ports are taken now: it must stay stable.
  CHECK(allocate_address(2, {}, [](int) { return false; }) == 2);
  // Nothing usable: the lowest free address (status says why it is not programmed).
  CHECK(allocate_address(std::nullopt, {2}, [](int) { return false; }) == 3);
  std::set<int> all;
  for (int n = kFirstGatewayAddress; n <= kLastGatewayAddress; ++n) all.insert(n);
  CHECK(allocate_address(std::nullopt, all, always) == std::nullopt);
}

TEST_CASE("sandbox up --gateway-port FROM=TO", "[sandbox][gateway]") {
  auto ok = parse_gateway_ports({"80=8080", "443=8443"});
  REQUIRE(ok.ok());
  CHECK(*ok == std::map<int, int>{{80, 8080}, {443, 8443}});
  for (const char* bad : {"80", "80=", "=8080", "80=x", "0=8080", "80=70000", "80=8080=1"}) {
    auto r = parse_gateway_ports({bad});
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("--gateway-port") && Catch::Contains(bad));
  }
  auto twice = parse_gateway_ports({"80=8080", "80=9090"});
  REQUIRE_FALSE(twice.ok());
  CHECK_THAT(twice.error().message, Catch::Contains("mapped twice"));
  CHECK(suggested_port(80) == 8080);
  CHECK(suggested_port(8080) == 8081);
}
