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
