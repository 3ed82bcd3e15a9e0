// A request to a Gateway's listener goes where the synthetic clients' go: the HTTPRoute rule that
// matches, a backend by weight, a Ready pod, the InferenceModel's target model; the answer names
// the pod, its version and pool; nothing to serve it is a 503 with an OpenAI error body.
#include "sandbox/gateway_listeners.hpp"

#include <catch2/catch.hpp>

#include "sandbox/deployment_controller.hpp"
#include "sandbox/gateway_address.hpp"
#include "sandbox/replicaset_controller.hpp"
#include "sandbox/workload_controllers.hpp"

using namespace rollout;
using namespace rollout::sandbox;
using nlohmann::json;

namespace {

json deployment(const std::string& name, const std::string& version) {
  json d = json::parse(R"({"spec":{"replicas":2,"template":{"metadata":{"annotations":{
      "sandbox.rollout.dev/startup":"0s","sandbox.rollout.dev/ttft":"0ms","sandbox.rollout.dev/itl":"0ms"}},
      "spec":{"containers":[{"name":"vllm","image":"vllm:v1","args":["--model","m"]}]}}}})");
  d["metadata"]["name"] = name;
  d["spec"]["selector"]["matchLabels"]["app"] = name;
  d["spec"]["template"]["metadata"]["labels"]["app"] = name;
  d["spec"]["template"]["metadata"]["annotations"]["sandbox.rollout.dev/version"] = version;
  return d;
}

json backend(const std::string& pool, int weight) {
  return {{"group", "inference.networking.k8s.io"}, {"kind", "InferencePool"}, {"name", pool}, {"weight", weight}};
}

// A port nothing listens on, for the listener (port 80 maps to it).
int free_port() {
  for (int p = 38000; p < 39000; ++p)
    if (bind_error("127.0.0.1", p) == 0 && bind_error(loopback_address(2), p) == 0) return p;
  return 0;
}

struct World {
  TypeRegistry types;
  ObjectStore store{types};
  std::shared_ptr<PodRuntimes> pods = std::make_shared<PodRuntimes>();
  TrafficGenerator router{store, types, *pods, TrafficOptions{}};
  std::vector<std::string> notices;
  std::shared_ptr<GatewayListeners> gateway = std::make_shared<GatewayListeners>(
      store, types, router, std::map<int, int>{{80, free_port()}},
      [this](const std::string& line) { notices.push_back(line); });
  ControllerManager controllers{store, types};
  ResourceType routes = *types.find("gateway.networking.k8s.io", "v1", "httproutes");

  World() {
    controllers.add(make_gateway_controller(gateway));
    controllers.add(make_deployment_controller());
    controllers.add(make_replica_set_controller());
    controllers.add(make_pod_controller(pods));
    auto deploy = *types.find("apps", "v1", "deployments");
    auto pools = *types.find("inference.networking.k8s.io", "v1", "inferencepools");
    for (auto [name, version] : {std::pair{"blue", "v1"}, std::pair{"green", "v2"}}) {
      REQUIRE(store.create(deploy, "default", deployment(name, version), {}).ok());
      REQUIRE(store
                  .create(pools, "default",
                          {{"metadata", {{"name", name}}},
                           {"spec", {{"selector", {{"matchLabels", {{"app", name}}}}}, {"targetPorts", {{{"number", 8000}}}}}}},
                          {})
                  .ok());
    }
    const json gw = json::parse(R"({"metadata":{"name":"inference-gateway"},
        "spec":{"listeners":[{"name":"http","protocol":"HTTP","port":80}]}})");
    REQUIRE(store.create(*types.find("gateway.networking.k8s.io", "v1", "gateways"), "default", gw, {}).ok());
    route(50, 50);
  }
  ~World() {
    controllers.stop();
    gateway->stop_all();
  }
  void route(int blue, int green) {
    json r = {{"metadata", {{"name", "llm-route"}}},
              {"spec",
               {{"parentRefs", {{{"name", "inference-gateway"}}}},
                {"rules",
                 {{{"matches", {{{"path", {{"type", "PathPrefix"}, {"value", "/v1"}}}}}},
                   {"backendRefs", {backend("blue", blue), backend("green", green)}}}}}}}};
    auto live = store.get(routes, "default", "llm-route");
    if (live.ok()) {
      json updated = *live;
      updated["spec"] = r["spec"];
      REQUIRE(store.update(routes, "default", "llm-route", updated, {}).ok());
    } else {
      REQUIRE(store.create(routes, "default", r, {}).ok());
    }
    for (int i = 0; i < 4; ++i) controllers.run_once();
  }
  HttpResponse post(const std::string& path, const std::string& model = "m") {
    HttpRequest req;
    req.method = "POST";
    req.path = path;
    req.headers["content-type"] = "application/json";
    req.body = json{{"model", model}, {"prompt", "hi"}, {"max_tokens", 1}}.dump();
    return gateway->serve("default/inference-gateway", 80, req);
  }
};

}  // namespace

TEST_CASE("the gateway's listener routes by HTTPRoute weight and names who answered", "[sandbox][gateway]") {
  World w;
  std::map<std::string, int> by_version, by_pool;
  const int n = 400;
  for (int i = 0; i < n; ++i) {
    HttpResponse r = w.post("/v1/completions");
    REQUIRE(r.status == 200);
    ++by_version[r.headers[kVersionHeader]];
    ++by_pool[r.headers[kPoolHeader]];
    CHECK(r.headers[kPodHeader].rfind(r.headers[kPoolHeader].substr(8), 0) == 0);  // "default/blue" -> blue-...
  }
  // 50% each; the binomial standard deviation at n=400 is 2.5%: 4 sd of tolerance.
  CHECK(by_version["v2"] / double(n) == Approx(0.5).margin(0.1));
  CHECK(by_version["v1"] + by_version["v2"] == n);
  CHECK(by_pool["default/green"] == by_version["v2"]);

  w.route(0, 100);
  for (int i = 0; i < 50; ++i) CHECK(w.post("/v1/completions").headers[kVersionHeader] == "v2");

  SECTION("no ready backend: 503 with an OpenAI error body") {
    w.route(0, 0);
    HttpResponse r = w.post("/v1/completions");
    CHECK(r.status == 503);
    CHECK(json::parse(r.body)["error"]["code"] == 503);
  }
  SECTION("a path no rule matches: 404") {
    CHECK(w.post("/health").status == 404);
  }
  SECTION("the InferenceModel's target model is what the pod is asked for") {
    auto im = *w.types.find("inference.networking.x-k8s.io", "v1alpha2", "inferencemodels");
    REQUIRE(w.store
                .create(im, "default",
                        {{"metadata", {{"name", "food-review"}}},
                         {"spec",
                          {{"modelName", "food-review"},
                           {"poolRef", {{"name", "green"}}},
                           {"targetModels", {{{"name", "m"}, {"weight", 100}}}}}}},
                        {})
                .ok());
    HttpResponse r = w.post("/v1/completions", "food-review");
    CHECK(r.status == 200);
    CHECK(json::parse(r.body)["model"] == "m");
    CHECK(w.post("/v1/completions", "unknown").status == 404);  // passed on as asked: the pod has no such model
  }
  SECTION("the listener is served on the Gateway's address and its mapped port") {
    REQUIRE_FALSE(w.notices.empty());
    CHECK_THAT(w.notices.back(), Catch::Contains("serving on http://127.0.0.2:"));
  }
}
