// The gateway reconciles what changed: a route's status follows its generation and its backends'
// existence, a pool is accepted while a route uses it, and untouched routes are left alone.
#include "sandbox/gateway_controller.hpp"

#include <catch2/catch.hpp>

using namespace rollout;
using namespace rollout::sandbox;
using nlohmann::json;

namespace {

struct Gateway {
  TypeRegistry types;
  ObjectStore store{types};
  ControllerManager controllers{store, types};
  ResourceType routes = *types.find("gateway.networking.k8s.io", "v1", "httproutes");
  ResourceType pools = *types.find("inference.networking.k8s.io", "v1", "inferencepools");
  Gateway() { controllers.add(make_gateway_controller()); }

  void pool(const std::string& name) {
    REQUIRE(store.create(pools, "default", {{"metadata", {{"name", name}}}, {"spec", json::object()}}, {}).ok());
  }
  void route(const std::string& name, const std::string& stable, const std::string& canary) {
    auto ref = [](const std::string& pool, int weight) {
      return json{
          {"group", "inference.networking.k8s.io"}, {"kind", "InferencePool"}, {"name", pool}, {"weight", weight}};
    };
    json r = {{"metadata", {{"name", name}}},
              {"spec",
               {{"parentRefs", {{{"name", "inference-gateway"}}}},
                {"rules", {{{"backendRefs", {ref(stable, 100), ref(canary, 0)}}}}}}}};
    REQUIRE(store.create(routes, "default", r, {}).ok());
  }
  json get_route(const std::string& name) { return *store.get(routes, "default", name); }
  json condition(const std::string& name, const std::string& type) {
    const json route = get_route(name);  // named: a range over a temporary's member dangles
    for (const auto& c : route["status"]["parents"][0]["conditions"])
      if (c["type"] == type) return c;
    return json();
  }
  bool pool_accepted(const std::string& name) {
    return !(*store.get(pools, "default", name))["status"].value("parents", json::array()).empty();
  }
};

}  // namespace

TEST_CASE("the gateway reconciles only changed routes, and routes whose backends came or went", "[sandbox][gateway]") {
  Gateway g;
  g.pool("blue");
  g.pool("green");
  for (int i = 0; i < 200; ++i) g.route("r" + std::to_string(i), "blue", i < 100 ? "green" : "purple");
  g.controllers.run_once();
  g.controllers.run_once();
  CHECK(g.condition("r0", "ResolvedRefs")["status"] == "True");
  CHECK(g.condition("r150", "ResolvedRefs")["reason"] == "BackendNotFound");
  CHECK(g.pool_accepted("blue"));
  CHECK(g.pool_accepted("green"));

  std::map<std::string, json> rv;
  for (int i = 0; i < 200; ++i)
    rv["r" + std::to_string(i)] = g.get_route("r" + std::to_string(i))["metadata"]["resourceVersion"];
  json ops = {{{"op", "replace"}, {"path", "/spec/rules/0/backendRefs/0/weight"}, {"value", 90}},
              {{"op", "replace"}, {"path", "/spec/rules/0/backendRefs/1/weight"}, {"value", 10}}};
  REQUIRE(g.store.patch(g.routes, "default", "r5", PatchType::json, ops, {}).ok());
  g.controllers.run_once();
  CHECK(g.condition("r5", "Accepted")["observedGeneration"] == 2);
  for (int i = 0; i < 200; ++i)
    if (i != 5)
      CHECK(g.get_route("r" + std::to_string(i))["metadata"]["resourceVersion"] == rv["r" + std::to_string(i)]);

  g.pool("purple");  // the routes that named it now resolve
  g.controllers.run_once();
  CHECK(g.condition("r150", "ResolvedRefs")["status"] == "True");
  CHECK(g.pool_accepted("purple"));

  REQUIRE(g.store.remove(g.pools, "default", "green", {}).ok());
  g.controllers.run_once();
  CHECK(g.condition("r50", "ResolvedRefs")["reason"] == "BackendNotFound");
  CHECK(g.condition("r150", "ResolvedRefs")["status"] == "True");

  for (int i = 100; i < 200; ++i) REQUIRE(g.store.remove(g.routes, "default", "r" + std::to_string(i), {}).ok());
  g.controllers.run_once();
  CHECK_FALSE(g.pool_accepted("purple"));  // no route uses it any more
  CHECK(g.pool_accepted("blue"));
}

namespace {

// A data plane whose ports bind or not as the test says, recording what it serves.
struct FakePlane : GatewayDataPlane {
  std::map<std::string, BindOutcome> outcome;  // "address:port" -> outcome (default: bound)
  std::map<std::string, std::string> served;   // gateway -> address
  std::map<int, ListenerBind> program(const std::string& key, const std::string& address,
                                      const std::vector<ListenerRef>& listeners) override {
    served[key] = address;
    std::map<int, ListenerBind> out;
    for (const auto& l : listeners) {
      auto it = outcome.find(address + ":" + std::to_string(l.port));
      const BindOutcome o = it == outcome.end() ? BindOutcome::bound : it->second;
      out[l.port] = {o, l.port, o == BindOutcome::bound ? "" : "cannot listen; --gateway-port"};
    }
    return out;
  }
  void remove(const std::string& key) override { served.erase(key); }
};

struct Gateways {
  TypeRegistry types;
  ObjectStore store{types};
  std::shared_ptr<FakePlane> plane = std::make_shared<FakePlane>();
  std::unique_ptr<ControllerManager> controllers;
  ResourceType gateways = *types.find("gateway.networking.k8s.io", "v1", "gateways");
  Gateways() { restart(); }
  void restart() {  // a new controller on the same store, as `sandbox up --data-dir` after a stop
    controllers = std::make_unique<ControllerManager>(store, types);
    controllers->add(make_gateway_controller(plane));
  }
  void create(const std::string& name, json listeners = nullptr) {
    if (listeners.is_null()) listeners = json::array({{{"name", "http"}, {"protocol", "HTTP"}, {"port", 80}}});
    json gw = {{"metadata", {{"name", name}}}, {"spec", {{"gatewayClassName", "sandbox"}, {"listeners", listeners}}}};
    REQUIRE(store.create(gateways, "default", gw, {}).ok());
  }
  json get(const std::string& name) { return *store.get(gateways, "default", name); }
  std::string address(const std::string& name) {
    const json gw = get(name);
    return gw["status"].value("addresses", json::array({{{"value", ""}}}))[0]["value"];
  }
  json condition(const json& conditions, const std::string& type) {
    for (const auto& c : conditions)
      if (c["type"] == type) return c;
    return json();
  }
};

}  // namespace

TEST_CASE("each Gateway gets its own loopback address, kept across restarts", "[sandbox][gateway]") {
  Gateways g;
  g.create("a");
  g.create("b");
  g.controllers->run_once();
  CHECK(g.address("a") == "127.0.0.2");
  CHECK(g.address("b") == "127.0.0.3");
  CHECK(g.plane->served["default/a"] == "127.0.0.2");
  const json a = g.get("a");
  CHECK(g.condition(a["status"]["conditions"], "Programmed")["status"] == "True");
  CHECK(g.condition(a["status"]["conditions"], "Programmed")["observedGeneration"] == 1);
  CHECK(a["status"]["listeners"][0]["supportedKinds"][0]["kind"] == "HTTPRoute");

  REQUIRE(g.store.remove(g.gateways, "default", "a", {}).ok());
  g.controllers->run_once();
  CHECK_FALSE(g.plane->served.count("default/a"));  // its listeners stop
  g.create("c");  // takes the address a left
  g.controllers->run_once();
  CHECK(g.address("c") == "127.0.0.2");

  g.restart();
  g.controllers->run_once();
  CHECK(g.address("b") == "127.0.0.3");
  CHECK(g.address("c") == "127.0.0.2");
}

TEST_CASE("a Gateway is Programmed only when its HTTP listeners are bound", "[sandbox][gateway]") {
  Gateways g;
  SECTION("a port another process holds: the next address") {
    g.plane->outcome["127.0.0.2:80"] = BindOutcome::in_use;
    g.create("a");
    g.controllers->run_once();
    CHECK(g.address("a") == "127.0.0.3");
    CHECK(g.condition(g.get("a")["status"]["conditions"], "Programmed")["status"] == "True");
  }
  SECTION("a privileged port: not programmed, the listener says why") {
    g.plane->outcome["127.0.0.2:80"] = BindOutcome::denied;
    g.create("a");
    g.controllers->run_once();
    const json gw = g.get("a");
    CHECK(g.address("a") == "127.0.0.2");
    const json programmed = g.condition(gw["status"]["conditions"], "Programmed");
    CHECK(programmed["status"] == "False");
    CHECK(programmed["reason"] == "Invalid");
    const json accepted = g.condition(gw["status"]["listeners"][0]["conditions"], "Accepted");
    CHECK(accepted["reason"] == "PortUnavailable");
    CHECK_THAT(accepted["message"].get<std::string>(), Catch::Contains("--gateway-port"));
    // Once the port can be bound (here: the plane says so), a later pass programs it.
    g.plane->outcome.clear();
    REQUIRE(g.store.patch(g.gateways, "default", "a", PatchType::merge, {{"metadata", {{"labels", {{"x", "y"}}}}}}, {}).ok());
    g.controllers->run_once();
    CHECK(g.condition(g.get("a")["status"]["conditions"], "Programmed")["status"] == "True");
  }
  SECTION("listeners of other protocols are not supported") {
    g.create("a", {{{"name", "http"}, {"protocol", "HTTP"}, {"port", 80}},
                   {{"name", "https"}, {"protocol", "HTTPS"}, {"port", 443}}});
    g.controllers->run_once();
    const json gw = g.get("a");
    CHECK(g.condition(gw["status"]["conditions"], "Accepted")["reason"] == "ListenersNotValid");
    CHECK(g.condition(gw["status"]["conditions"], "Accepted")["status"] == "True");
    CHECK(g.condition(gw["status"]["conditions"], "Programmed")["status"] == "True");  // its HTTP listener is
    const json https = gw["status"]["listeners"][1];
    CHECK(https["name"] == "https");
    CHECK(g.condition(https["conditions"], "Accepted")["reason"] == "UnsupportedProtocol");
    CHECK(g.condition(https["conditions"], "Programmed")["status"] == "False");
    CHECK(https["supportedKinds"].empty());
  }
  SECTION("attachedRoutes counts the routes naming the Gateway") {
    g.create("inference-gateway");
    auto routes = *g.types.find("gateway.networking.k8s.io", "v1", "httproutes");
    REQUIRE(g.store
                .create(routes, "default",
                        {{"metadata", {{"name", "r"}}},
                         {"spec", {{"parentRefs", {{{"name", "inference-gateway"}}}}, {"rules", json::array()}}}},
                        {})
                .ok());
    g.controllers->run_once();
    CHECK(g.get("inference-gateway")["status"]["listeners"][0]["attachedRoutes"] == 1);
  }
}
