// The table from a plan's target kind to its actuators, and ObjectRef as JSON.
#include "actuators/actuator.hpp"

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

TEST_CASE("actuators_for: targets without an actuator yet are unimplemented", "[actuators]") {
  plan::Plan p;
  const std::vector<std::pair<plan::Target, std::string>> cases = {
      {plan::LocalTarget{}, "local"},
  };
  for (const auto& [target, key] : cases) {
    p.target = target;
    auto list = actuators_for(p);
    REQUIRE_FALSE(list.ok());
    CHECK(list.error().kind == ErrorKind::unimplemented);
    CHECK(list.error().message == "the " + key + " target is not supported by plan apply yet");
  }
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
