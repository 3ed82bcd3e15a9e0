// Kthena's ModelRoute and ModelServer in the sandbox: admission as the CRDs and the router's
// webhook (defaults, ranges), the router's rule and weighted choice, and synthetic traffic that
// follows a ModelRoute's weights to the ModelServers' pods.
#include "sandbox/kthena_networking.hpp"

#include <catch2/catch.hpp>
#include <sstream>

#include "sandbox/controller.hpp"
#include "sandbox/deployment_controller.hpp"
#include "sandbox/replicaset_controller.hpp"
#include "sandbox/store.hpp"
#include "sandbox/traffic.hpp"
#include "sandbox/workload_controllers.hpp"

using namespace rollout;
using namespace rollout::sandbox;
using nlohmann::json;

namespace {

ResourceType type_of(TypeRegistry& types, const char* plural) {
  auto t = types.find(kKthenaNetworkingGroup, "v1alpha1", plural);
  REQUIRE(t);
  return *t;
}

json model_route(const json& targets) {
  return {{"metadata", {{"name", "llama"}}},
          {"spec", {{"modelName", "llama-3.1-8b"}, {"rules", {{{"name", "default"}, {"targetModels", targets}}}}}}};
}

json model_server(const std::string& name, const std::string& app) {
  return {{"metadata", {{"name", name}}},
          {"spec",
           {{"model", "m"},
            {"inferenceEngine", "vLLM"},
            {"workloadSelector", {{"matchLabels", {{"app", app}}}}},
            {"workloadPort", {{"port", 8000}}}}}};
}

json deployment(const std::string& name) {
  return json::parse(R"({"metadata":{"name":")" + name + R"("},"spec":{"replicas":2,
    "selector":{"matchLabels":{"app":")" + name + R"("}},
    "template":{"metadata":{"labels":{"app":")" + name + R"("},
      "annotations":{"sandbox.rollout.dev/startup":"0s","sandbox.rollout.dev/ttft":"0ms","sandbox.rollout.dev/itl":"0ms"}},
      "spec":{"containers":[{"name":"vllm","image":"vllm:v1","args":["--model","m"]}]}}}})");
}

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

TEST_CASE("ModelRoute admission: weight defaults to 100, 0..100, one backend per target", "[sandbox][kthena]") {
  TypeRegistry types;
  ObjectStore store(types);
  const auto routes = type_of(types, "modelroutes");
  auto created = store.create(routes, "default", model_route(json::parse(R"([{"modelServerName":"a"}])")), {});
  REQUIRE(created.ok());
  CHECK((*created)["spec"]["rules"][0]["targetModels"][0]["weight"] == 100);
  CHECK((*created)["metadata"]["generation"] == 1);

  auto over = model_route(json::parse(R"([{"modelServerName":"a","weight":101}])"));
  over["metadata"]["name"] = "over";
  auto r = store.create(routes, "default", over, {});
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("spec.rules[0].targetModels[0].weight: Invalid value: 101: "
                                                "spec.rules[0].targetModels[0].weight in body should be less "
                                                "than or equal to 100"));
  auto negative = model_route(json::parse(R"([{"modelServerName":"a","weight":-1}])"));
  negative["metadata"]["name"] = "negative";
  CHECK_FALSE(store.create(routes, "default", negative, {}).ok());
  auto both = model_route(json::parse(R"([{"modelServerName":"a","externalModelProviderName":"b"}])"));
  both["metadata"]["name"] = "both";
  r = store.create(routes, "default", both, {});
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("exactly one of modelServerName or externalModelProviderName"));
  auto zero = model_route(json::parse(R"([{"modelServerName":"a","weight":0},{"modelServerName":"b","weight":0}])"));
  zero["metadata"]["name"] = "zero";
  r = store.create(routes, "default", zero, {});
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("total weight must be greater than zero"));
  // weight 0 for one target is valid (unlike InferenceModelRewrite)
  auto canary0 = model_route(json::parse(R"([{"modelServerName":"a","weight":100},{"modelServerName":"b","weight":0}])"));
  canary0["metadata"]["name"] = "canary0";
  CHECK(store.create(routes, "default", canary0, {}).ok());

  // modelName is immutable (x-kubernetes-validations self == oldSelf)
  json changed = *created;
  changed["spec"]["modelName"] = "other";
  r = store.update(routes, "default", "llama", changed, {});
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("modelName is immutable"));
  // a weight removed on update is defaulted again
  json unweighted = *created;
  unweighted["spec"]["rules"][0]["targetModels"][0].erase("weight");
  unweighted["spec"]["rules"][0]["targetModels"].push_back({{"modelServerName", "b"}, {"weight", 0}});
  auto updated = store.update(routes, "default", "llama", unweighted, {});
  REQUIRE(updated.ok());
  CHECK((*updated)["spec"]["rules"][0]["targetModels"][0]["weight"] == 100);
}

TEST_CASE("ModelServer admission: engine, selector and port required, protocol defaults to http",
          "[sandbox][kthena]") {
  TypeRegistry types;
  ObjectStore store(types);
  const auto servers = type_of(types, "modelservers");
  auto created = store.create(servers, "default", model_server("a", "a"), {});
  REQUIRE(created.ok());
  CHECK((*created)["spec"]["workloadPort"]["protocol"] == "http");
  auto bad = model_server("b", "b");
  bad["spec"]["inferenceEngine"] = "TGI";
  auto r = store.create(servers, "default", bad, {});
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("spec.inferenceEngine: Unsupported value: \"TGI\""));
  bad = model_server("c", "c");
  bad["spec"]["workloadSelector"]["matchLabels"] = json::object();
  CHECK_FALSE(store.create(servers, "default", bad, {}).ok());
  bad = model_server("d", "d");
  bad["spec"]["workloadPort"]["port"] = 0;
  CHECK_FALSE(store.create(servers, "default", bad, {}).ok());
}

TEST_CASE("the router's choice: first matching rule, then a target model by weight", "[sandbox][kthena]") {
  const json route = json::parse(R"({"spec":{"modelName":"llama","rules":[
    {"name":"beta","modelMatch":{"headers":{"x-beta":{"exact":"true"}}},"targetModels":[{"modelServerName":"new","weight":100}]},
    {"name":"chat","modelMatch":{"uri":{"prefix":"/v1/chat"}},"targetModels":[{"modelServerName":"chat","weight":100}]},
    {"name":"other-model","modelMatch":{"body":{"model":"other"}},"targetModels":[{"modelServerName":"x","weight":100}]},
    {"name":"default","targetModels":[{"modelServerName":"old","weight":100}]}]}})");
  RouterRequest req;
  req.model = "llama";
  CHECK(select_model_route_rule(route, req) == 3u);
  req.headers["x-beta"] = "true";
  CHECK(select_model_route_rule(route, req) == 0u);
  req.headers.clear();
  req.path = "/v1/chat/completions";
  CHECK(select_model_route_rule(route, req) == 1u);
  json only = route;
  only["spec"]["rules"].erase(3);
  req.path = "/v1/completions";
  CHECK_FALSE(select_model_route_rule(only, req));
  req.model = "other";
  CHECK(select_model_route_rule(only, req) == 2u);

  std::mt19937_64 rng(3);
  const json targets = json::parse(R"([{"modelServerName":"a","weight":90},{"modelServerName":"b","weight":10},
                                       {"modelServerName":"c","weight":0}])");
  int counts[3] = {0, 0, 0};
  for (int i = 0; i < 5000; ++i) ++counts[*select_target_model(targets, rng)];
  CHECK(counts[2] == 0);
  CHECK(counts[1] / 5000.0 == Approx(0.10).margin(0.02));
  CHECK_FALSE(select_target_model(json::parse(R"([{"modelServerName":"a","weight":0}])"), rng));
  // weights all set or none (toWeightedSlice)
  CHECK_FALSE(select_target_model(json::parse(R"([{"modelServerName":"a","weight":5},{"modelServerName":"b"}])"), rng));
  CHECK(select_target_model(json::parse(R"([{"modelServerName":"a"}])"), rng) == 0u);
}

TEST_CASE("traffic through a ModelRoute follows its weights to the ModelServers' Ready pods", "[sandbox][kthena][traffic]") {
  TypeRegistry types;
  ObjectStore store(types);
  auto pods = std::make_shared<PodRuntimes>();
  ControllerManager controllers(store, types);
  controllers.add(make_deployment_controller());
  controllers.add(make_replica_set_controller());
  controllers.add(make_pod_controller(pods));
  const auto deploy = *types.find("apps", "v1", "deployments");
  for (const char* name : {"blue", "green"}) {
    REQUIRE(store.create(deploy, "default", deployment(name), {}).ok());
    REQUIRE(store.create(type_of(types, "modelservers"), "default", model_server(name, name), {}).ok());
  }
  const auto routes = type_of(types, "modelroutes");
  REQUIRE(store.create(routes, "default",
                       model_route(json::parse(R"([{"modelServerName":"blue","weight":80},
                                                   {"modelServerName":"green","weight":20}])")),
                       {})
              .ok());
  for (int i = 0; i < 4; ++i) controllers.run_once();

  TrafficOptions o;
  o.seed = 11;
  o.max_tokens = 1;
  TrafficGenerator traffic(store, types, *pods, o);
  const int n = 2000;
  for (int i = 0; i < n; ++i) traffic.send_model_route(*store.get(routes, "default", "llama"));
  CHECK(traffic.stats().unroutable == 0);
  CHECK(traffic.stats().succeeded == n);
  CHECK(traffic.stats().per_pool.at("default/green") == served_by(store, types, *pods, "green"));
  const double green = served_by(store, types, *pods, "green");
  CHECK(green / n == Approx(0.20).margin(0.036));

  REQUIRE(store
              .patch(routes, "default", "llama", PatchType::json,
                     json::parse(R"([{"op":"replace","path":"/spec/rules/0/targetModels/0/weight","value":0},
                                      {"op":"replace","path":"/spec/rules/0/targetModels/1/weight","value":100}])"),
                     {})
              .ok());
  const double blue = served_by(store, types, *pods, "blue");
  for (int i = 0; i < 200; ++i) traffic.send_model_route(*store.get(routes, "default", "llama"));
  CHECK(served_by(store, types, *pods, "blue") == blue);  // weight 0: nothing
  CHECK(served_by(store, types, *pods, "green") == green + 200);

  // A ModelServer that is gone: unroutable, never sent elsewhere.
  REQUIRE(store.remove(type_of(types, "modelservers"), "default", "green", {}).ok());
  traffic.send_model_route(*store.get(routes, "default", "llama"));
  CHECK(traffic.stats().unroutable == 1);
}

TEST_CASE("disabled API groups are not served, as on a cluster without those CRDs", "[sandbox][kthena]") {
  TypeRegistry types;
  REQUIRE_FALSE(types.disable({"inference.networking.x-k8s.io/v1alpha2", "llm-d.ai"}));
  CHECK_FALSE(types.find_kind("inference.networking.x-k8s.io/v1alpha2", "InferenceModel"));
  CHECK_FALSE(types.find_kind("inference.networking.x-k8s.io/v1alpha2", "InferencePool"));
  CHECK_FALSE(types.find_kind("llm-d.ai/v1alpha2", "InferenceModelRewrite"));
  CHECK(types.find_kind("inference.networking.k8s.io/v1", "InferencePool"));
  auto err = types.disable({"nosuch.example.com"});
  REQUIRE(err);
  CHECK(*err == "\"nosuch.example.com\" is not an API group or GROUP/VERSION the sandbox serves");
}
