// ModelRoute desired states from the sandbox's starting object (examples/sandbox/modelroute-llama.yaml),
// the rule choice, pre-flight checks and the ModelServers' pods as gates see them.
#include "actuators/model_route.hpp"

#include "actuators/endpoints.hpp"
#include "actuators/sandbox_fixture.hpp"

using namespace rollout;
using namespace rollout::actuators;
using nlohmann::json;

namespace {

plan::ModelRouteTarget seed_target() {
  plan::ModelRouteTarget t;
  t.name = "llama";
  t.stable = "llama-v085";
  t.canary = "llama-v092";
  return t;
}

json seed_route() {
  for (const auto& obj : testing::example("modelroute-llama.yaml"))
    if (obj.value("kind", "") == "ModelRoute") return obj;
  FAIL("no ModelRoute in examples/sandbox/modelroute-llama.yaml");
  return {};
}

Position at(int weight) {
  Position p;
  p.weight = weight;
  return p;
}

json targets_at(const plan::ModelRouteTarget& t, const json& original, const Position& p, size_t rule = 0) {
  auto d = ModelRouteActuator(t).desired(original, p);
  INFO((d.ok() ? "" : d.error().message));
  REQUIRE(d.ok());
  return (*d)["spec"]["rules"][rule]["targetModels"];
}

}  // namespace

TEST_CASE("ModelRoute: every position of a blue-green between two ModelServers", "[actuators][modelroute]") {
  const json original = seed_route();
  const auto t = seed_target();
  CHECK(targets_at(t, original, at(0)) == original["spec"]["rules"][0]["targetModels"]);
  CHECK(targets_at(t, original, at(10)) == json::parse(R"([{"modelServerName":"llama-v085","weight":90},
                                                            {"modelServerName":"llama-v092","weight":10}])"));
  // weight 0 is valid in a ModelRoute: the stable stays listed until the finish
  CHECK(targets_at(t, original, at(100)) == json::parse(R"([{"modelServerName":"llama-v085","weight":0},
                                                             {"modelServerName":"llama-v092","weight":100}])"));
  Position finished = at(100);
  finished.finished = true;
  CHECK(targets_at(t, original, finished) == json::parse(R"([{"modelServerName":"llama-v092","weight":100}])"));
  auto d = ModelRouteActuator(t).desired(original, finished);
  CHECK((*d)["spec"]["modelName"] == original["spec"]["modelName"]);
  CHECK((*d)["spec"]["rules"][0]["name"] == "default");

  // a canary already listed (at 0) keeps its entry; other targets keep their weights
  json listed = original;
  listed["spec"]["rules"][0]["targetModels"].push_back({{"modelServerName", "llama-v092"}, {"weight", 0}});
  listed["spec"]["rules"][0]["targetModels"].push_back({{"modelServerName", "other"}, {"weight", 5}});
  CHECK(targets_at(t, listed, at(0)) == listed["spec"]["rules"][0]["targetModels"]);
  CHECK(targets_at(t, listed, at(30)) == json::parse(R"([{"modelServerName":"llama-v085","weight":70},
                                                          {"modelServerName":"llama-v092","weight":30},
                                                          {"modelServerName":"other","weight":5}])"));
  CHECK(ModelRouteActuator(t).backend(original, Role::canary)->kind == "ModelServer");
  CHECK(ModelRouteActuator(t).backend(original, Role::stable)->name == "llama-v085");
}

TEST_CASE("ModelRoute: the rule by name, by index, or the only one", "[actuators][modelroute]") {
  json route = seed_route();
  json beta = json::parse(R"({"name":"beta","modelMatch":{"headers":{"x-beta":{"exact":"true"}}},
                               "targetModels":[{"modelServerName":"llama-v085","weight":100}]})");
  route["spec"]["rules"].insert(route["spec"]["rules"].begin(), beta);
  auto t = seed_target();
  auto several = ModelRouteActuator(t).managed_rule(route);
  REQUIRE_FALSE(several.ok());
  CHECK(several.error().message ==
        "ModelRoute llama: spec.rules: the route has 2 rules: set target.modelRoute.rule to a rule name or index "
        "(\"beta\", \"default\")");
  t.rule_name = "default";
  CHECK(*ModelRouteActuator(t).managed_rule(route) == 1);
  auto d = ModelRouteActuator(t).desired(route, at(20));
  REQUIRE(d.ok());
  CHECK((*d)["spec"]["rules"][0] == beta);  // the other rule untouched
  t.rule_name = "nope";
  CHECK(ModelRouteActuator(t).managed_rule(route).error().message ==
        "ModelRoute llama: spec.rules: no rule named \"nope\" (rules: \"beta\", \"default\")");
  t.rule_name.reset();
  t.rule_index = 0;
  CHECK(*ModelRouteActuator(t).managed_rule(route) == 0);
  t.rule_index = 5;
  CHECK(ModelRouteActuator(t).managed_rule(route).error().message ==
        "ModelRoute llama: spec.rules[5] does not exist (the route has 2 rules)");
}

TEST_CASE("ModelRoute: pre-flight against the sandbox, and the ModelServers' pods for gates",
          "[actuators][modelroute]") {
  testing::SandboxCluster cluster;
  cluster.apply_example("modelserving-llama.yaml");
  cluster.apply_example("modelserving-llama3-8b-instruct.yaml");
  cluster.apply_example("modelroute-llama.yaml");
  auto& client = *cluster.client;
  const json live = cluster.get(kModelRouteApi, "ModelRoute", "llama");
  const ModelRouteActuator a(seed_target());
  auto refs = a.resolve(client, "default");
  REQUIRE(refs.ok());
  CHECK(refs->at(0).kind == "ModelRoute");
  CHECK(a.check(client, live).ok());

  auto t = seed_target();
  t.canary = "llama-v100";
  auto missing = ModelRouteActuator(t).check(client, live);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::not_found);
  CHECK(missing.error().message == "canary ModelServer llama-v100 does not exist in namespace default (ModelRoute "
                                   "llama would send traffic to it)");
  t = seed_target();
  t.stable = "llama-v092";
  t.canary = "llama-v085";
  auto not_listed = ModelRouteActuator(t).check(client, live);
  REQUIRE_FALSE(not_listed.ok());
  CHECK(not_listed.error().message ==
        "ModelRoute llama: spec.rules[0] (default).targetModels: no entry with modelServerName llama-v092 (the stable)");

  // the written weights are what the API server keeps (0..100)
  auto desired = a.desired(live, at(50));
  REQUIRE(desired.ok());
  const json written = cluster.update(*desired);
  CHECK(written["spec"]["rules"][0]["targetModels"][1] == json{{"modelServerName", "llama-v092"}, {"weight", 50}});

  // gates: the pods each ModelServer's workloadSelector picks, on its workloadPort
  std::vector<Endpoint> canary, stable;
  REQUIRE(testing::eventually(
      [&] {
        auto c = a.endpoints(client, "default", live, Role::canary);
        auto s = a.endpoints(client, "default", live, Role::stable);
        if (!c.ok() || !s.ok()) return false;
        canary = *c, stable = *s;
        return canary.size() == 4 && stable.size() == 4;
      },
      std::chrono::seconds(10)));
  for (const auto& e : canary) {
    CHECK(e.pod.rfind("llama3-8b-instruct-", 0) == 0);
    CHECK(e.port == 8000);
  }
  for (const auto& e : stable) CHECK(e.pod.rfind("llama-", 0) == 0);
}
