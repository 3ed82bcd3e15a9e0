// The table from a plan's target kind to its actuators, and ObjectRef as JSON.
#include "actuators/actuator.hpp"
#include "actuators/local_replicas.hpp"

#include <catch2/catch.hpp>

using namespace rollout;
using namespace rollout::actuators;

namespace {

std::vector<std::string> names(const plan::Plan& p) {
  auto list = actuators_for(p);
  INFO((list.ok() ? "" : list.error().message));
  REQUIRE(list.ok());
  std::vector<std::string> out;
  for (const auto& a : *list) out.push_back(a->name());
  return out;
}

}  // namespace

TEST_CASE("actuators_for: one actuator per traffic target, the LoRA syncer first", "[actuators]") {
  plan::Plan p;
  p.target = plan::HttpRouteTarget{};
  CHECK(names(p) == std::vector<std::string>{"httpRoute"});
  p.target = plan::InferenceModelTarget{};
  CHECK(names(p) == std::vector<std::string>{"inferenceModel"});
  p.target = plan::InferenceModelRewriteTarget{};
  CHECK(names(p) == std::vector<std::string>{"inferenceModelRewrite"});
  p.adapters = plan::Adapters{};
  CHECK(names(p) == std::vector<std::string>{"loraSyncer", "inferenceModelRewrite"});
}

TEST_CASE("actuators_for: one actuator per rolling target in the cluster", "[actuators]") {
  plan::Plan p;
  p.target = plan::ModelServingTarget{};
  CHECK(names(p) == std::vector<std::string>{"modelServing"});
  p.target = plan::DeploymentTarget{};
  CHECK(names(p) == std::vector<std::string>{"deployment"});
  p.target = plan::LeaderWorkerSetTarget{};
  CHECK(names(p) == std::vector<std::string>{"leaderWorkerSet"});
}

TEST_CASE("ObjectRef round-trips through JSON", "[actuators]") {
  const ObjectRef r{"gateway.networking.k8s.io/v1", "HTTPRoute", "default", "llm-route"};
  const auto j = to_json(r);
  CHECK(j == nlohmann::json{{"apiVersion", "gateway.networking.k8s.io/v1"},
                            {"kind", "HTTPRoute"},
                            {"namespace", "default"},
                            {"name", "llm-route"}});
  CHECK(object_ref_from_json(j) == r);
  CHECK(r.key() == "HTTPRoute/llm-route");
  CHECK(object_ref_from_json(nlohmann::json::array()) == ObjectRef{});
}

TEST_CASE("local replicas: rolling puts the first N on the canary; blueGreen splits weights", "[actuators][local]") {
  plan::Plan p;
  plan::LocalTarget t;
  for (int i = 0; i < 2; ++i) t.replicas.push_back({"gpu" + std::to_string(i), i, 8001 + i});
  p.target = t;
  auto list = actuators_for(p);
  REQUIRE(list.ok());
  const auto& act = *list->back();
  const nlohmann::json original = {{"spec", {{"versions", {{"gpu0", "stable"}, {"gpu1", "stable"}}}}}};
  Position at;
  at.updated = 1;
  CHECK(act.desired(original, at)->at("spec")["versions"] == nlohmann::json{{"gpu0", "canary"}, {"gpu1", "stable"}});
  CHECK(act.replicas(original) == 2);
  t.canary_replicas = {{"gpu2", 2, 8003}, {"gpu3", 3, 8004}};
  LocalReplicasActuator bg(t);
  nlohmann::json o2 = {{"spec",
                        {{"versions", {{"gpu0", "stable"}, {"gpu1", "stable"}, {"gpu2", "none"}, {"gpu3", "none"}}},
                         {"weights", {{"gpu0", 1}, {"gpu1", 1}, {"gpu2", 0}, {"gpu3", 0}}}}}};
  Position w;
  w.weight = 10;
  auto d = bg.desired(o2, w);
  CHECK(d->at("spec")["weights"] == nlohmann::json{{"gpu0", 9}, {"gpu1", 9}, {"gpu2", 1}, {"gpu3", 1}});
  CHECK(d->at("spec")["versions"]["gpu2"] == "canary");
  w.finished = true;
  d = bg.desired(o2, w);
  CHECK(d->at("spec")["versions"]["gpu0"] == "none");
  CHECK(d->at("spec")["weights"]["gpu0"] == 0);
}
