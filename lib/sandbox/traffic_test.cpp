// The split observed in the pods' own metrics follows the HTTPRoute weights, and moves when they do.
#include "sandbox/traffic.hpp"

#include <catch2/catch.hpp>
#include <sstream>

#include "sandbox/controller.hpp"
#include "sandbox/deployment_controller.hpp"
#include "sandbox/gateway_controller.hpp"
#include "sandbox/replicaset_controller.hpp"
#include "sandbox/workload_controllers.hpp"

using namespace rollout;
using namespace rollout::sandbox;
using nlohmann::json;

namespace {

json deployment(const std::string& name) {
  return json::parse(R"({"metadata":{"name":")" + name + R"("},"spec":{"replicas":2,
    "selector":{"matchLabels":{"app":")" +
                     name + R"("}},
    "template":{"metadata":{"labels":{"app":")" +
                     name + R"("},
      "annotations":{"sandbox.rollout.dev/startup":"0s","sandbox.rollout.dev/ttft":"0ms","sandbox.rollout.dev/itl":"0ms"}},
      "spec":{"containers":[{"name":"vllm","image":"vllm:v1","args":["--model","m"]}]}}}})");
}

json pool(const std::string& name) {
  return {{"metadata", {{"name", name}}},
          {"spec", {{"selector", {{"matchLabels", {{"app", name}}}}}, {"targetPorts", {{{"number", 8000}}}}}}};
}

json route(int stable, int canary) {
  return {{"metadata", {{"name", "llm-route"}}},
          {"spec",
           {{"parentRefs", {{{"name", "inference-gateway"}}}},
            {"rules",
             {{{"backendRefs",
                {{{"group", "inference.networking.k8s.io"},
                  {"kind", "InferencePool"},
                  {"name", "blue"},
                  {"weight", stable}},
                 {{"group", "inference.networking.k8s.io"},
                  {"kind", "InferencePool"},
                  {"name", "green"},
                  {"weight", canary}}}}}}}}}};
}

// Requests served by a pool's pods, from their vllm:request_success_total counters.
double served_by(ObjectStore& store, TypeRegistry& types, PodRuntimes& pods, const std::string& app) {
  ListOptions lo;
  lo.labels = LabelSelector::from_map({{"app", app}});
  double total = 0;
  const auto list = store.list(*types.find("", "v1", "pods"), "default", lo);
  for (const auto& p : (*list)["items"]) {
    std::istringstream metrics(pods.find(p["metadata"]["uid"])->metrics_text());
    for (std::string line; std::getline(metrics, line);)
      if (line.rfind("vllm:request_success_total{", 0) == 0) total += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return total;
}

}  // namespace

TEST_CASE("traffic through the gateway splits by HTTPRoute weight, as the pods' metrics show", "[sandbox][traffic]") {
  TypeRegistry types;
  ObjectStore store(types);
  auto pods = std::make_shared<PodRuntimes>();
  ControllerManager controllers(store, types);
  controllers.add(make_gateway_controller());
  controllers.add(make_deployment_controller());
  controllers.add(make_replica_set_controller());
  controllers.add(make_pod_controller(pods));
  auto deploy = *types.find("apps", "v1", "deployments");
  auto pools = *types.find("inference.networking.k8s.io", "v1", "inferencepools");
  auto routes = *types.find("gateway.networking.k8s.io", "v1", "httproutes");
  for (const char* name : {"blue", "green"}) {
    REQUIRE(store.create(deploy, "default", deployment(name), {}).ok());
    REQUIRE(store.create(pools, "default", pool(name), {}).ok());
  }
  REQUIRE(store.create(routes, "default", route(80, 20), {}).ok());
  for (int i = 0; i < 4; ++i) controllers.run_once();

  TrafficOptions o;
  o.seed = 7;
  o.max_tokens = 1;
  TrafficGenerator traffic(store, types, *pods, o);
  const int n = 2000;
  for (int i = 0; i < n; ++i) traffic.send_one(*store.get(routes, "default", "llm-route"));
  CHECK(traffic.stats().unroutable == 0);
  CHECK(traffic.stats().succeeded == n);
  double green = served_by(store, types, *pods, "green"), blue = served_by(store, types, *pods, "blue");
  CHECK(blue + green == n);
  // 20% expected; the binomial standard deviation at n=2000 is 0.9%: 4 sd of tolerance.
  CHECK(green / n == Approx(0.20).margin(0.036));

  REQUIRE(store
              .patch(routes, "default", "llm-route", PatchType::json,
                     json::parse(R"([{"op":"replace","path":"/spec/rules/0/backendRefs/0/weight","value":50},
                                      {"op":"replace","path":"/spec/rules/0/backendRefs/1/weight","value":50}])"),
                     {})
              .ok());
  for (int i = 0; i < n; ++i) traffic.send_one(*store.get(routes, "default", "llm-route"));
  double green2 = served_by(store, types, *pods, "green") - green;
  CHECK(green2 / n == Approx(0.50).margin(0.045));

  REQUIRE(store
              .patch(routes, "default", "llm-route", PatchType::json,
                     json::parse(R"([{"op":"replace","path":"/spec/rules/0/backendRefs/0/weight","value":0},
                                      {"op":"replace","path":"/spec/rules/0/backendRefs/1/weight","value":100}])"),
                     {})
              .ok());
  double blue_before = served_by(store, types, *pods, "blue");
  for (int i = 0; i < 200; ++i) traffic.send_one(*store.get(routes, "default", "llm-route"));
  CHECK(served_by(store, types, *pods, "blue") == blue_before);  // weight 0: no traffic at all

  // A RequestMirror filter copies a share of the requests to another pool.
  REQUIRE(store
              .patch(routes, "default", "llm-route", PatchType::json,
                     json::parse(R"([{"op":"add","path":"/spec/rules/0/filters","value":[{"type":"RequestMirror",
                        "requestMirror":{"backendRef":{"group":"inference.networking.k8s.io","kind":"InferencePool",
                        "name":"blue"},"percent":25}}]}])"),
                     {})
              .ok());
  for (int i = 0; i < 1000; ++i) traffic.send_one(*store.get(routes, "default", "llm-route"));
  double mirrored = served_by(store, types, *pods, "blue") - blue_before;
  CHECK(mirrored / 1000 == Approx(0.25).margin(0.06));
  CHECK(traffic.stats().mirrored == static_cast<uint64_t>(mirrored));
}
