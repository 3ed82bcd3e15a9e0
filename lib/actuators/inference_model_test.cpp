// InferenceModel desired states against the LoRA rollout seed (examples/sandbox/ and
// /work/shared/seeds/gie-rollout-lora-node-basemodel.md), the shared weighted-list rules, and checks.
#include "actuators/inference_model.hpp"

#include "actuators/sandbox_fixture.hpp"

using namespace rollout;
using namespace rollout::actuators;
using nlohmann::json;

namespace {

plan::InferenceModelTarget seed_target() {
  return {"food-review", "food-review-1", "food-review-2"};
}

json seed_model() {
  return testing::example("inferencemodel-food-review.yaml").at(0);
}

// The seed's "Direct traffic to the new adapter version" (90/10) and "Finish the rollout".
const char* kSeedTenPercent = R"(
targetModels:
- name: food-review-1
  weight: 90
- name: food-review-2
  weight: 10
)";
const char* kSeedFinish = R"(
targetModels:
- name: food-review-2
  weight: 100
)";

Position at(int weight) {
  Position p;
  p.weight = weight;
  return p;
}

json models_at(const json& original, const Position& p) {
  auto d = InferenceModelActuator(seed_target()).desired(original, p);
  INFO((d.ok() ? "" : d.error().message));
  REQUIRE(d.ok());
  return (*d)["spec"]["targetModels"];
}

}  // namespace

TEST_CASE("InferenceModel: 10% and finished are the seed's YAML", "[actuators][inferencemodel]") {
  const json original = seed_model();
  CHECK(models_at(original, at(10)) == testing::yaml(kSeedTenPercent)["targetModels"]);
  Position finished = at(100);
  finished.finished = true;
  CHECK(models_at(original, finished) == testing::yaml(kSeedFinish)["targetModels"]);
  CHECK(models_at(original, at(100)) == testing::yaml(kSeedFinish)["targetModels"]);
  auto d = InferenceModelActuator(seed_target()).desired(original, at(10));
  json rest = *d;
  rest["spec"].erase("targetModels");
  json orig_rest = original;
  orig_rest["spec"].erase("targetModels");
  CHECK(rest == orig_rest);
}

TEST_CASE("InferenceModel: 50%, and a target at 0% is removed", "[actuators][inferencemodel]") {
  const json original = seed_model();
  CHECK(models_at(original, at(50)) == json::parse(R"([{"name":"food-review-1","weight":50},
                                                        {"name":"food-review-2","weight":50}])"));
  CHECK(models_at(original, at(0)) == original["spec"]["targetModels"]);
  // a canary already listed (e.g. by hand) is dropped at 0%, never written with weight 0
  json both = original;
  both["spec"]["targetModels"] = testing::yaml(kSeedTenPercent)["targetModels"];
  CHECK(models_at(both, at(0)) == json::parse(R"([{"name":"food-review-1","weight":100}])"));
  CHECK(models_at(both, at(30)) == json::parse(R"([{"name":"food-review-1","weight":70},
                                                    {"name":"food-review-2","weight":30}])"));
}

TEST_CASE("InferenceModel: a single entry without weight, and other entries kept", "[actuators][inferencemodel]") {
  json original = seed_model();
  original["spec"]["targetModels"] = json::parse(R"([{"name":"food-review-1"}])");
  CHECK(models_at(original, at(10)) == json::parse(R"([{"name":"food-review-1","weight":90},
                                                        {"name":"food-review-2","weight":10}])"));
  original["spec"]["targetModels"] = json::parse(R"([{"name":"food-review-0","weight":20},
                                                     {"name":"food-review-1","weight":80}])");
  CHECK(models_at(original, at(10)) == json::parse(R"([{"name":"food-review-0","weight":20},
      {"name":"food-review-1","weight":90},{"name":"food-review-2","weight":10}])"));
  original["spec"]["targetModels"] = json::parse(R"([{"name":"food-review-0"},{"name":"food-review-1"}])");
  auto mixed = InferenceModelActuator(seed_target()).desired(original, at(10));
  REQUIRE_FALSE(mixed.ok());
  CHECK(mixed.error().message ==
        "InferenceModel food-review: spec.targetModels[0] (food-review-0) has no weight: weights must be all set or "
        "none");
}

TEST_CASE("InferenceModel: check() errors name the object and field", "[actuators][inferencemodel]") {
  auto client = testing::offline_client();  // check() reads only the live object
  InferenceModelActuator a(seed_target());
  json live = seed_model();
  CHECK(a.check(*client, live).ok());
  live["spec"]["targetModels"] = json::parse(R"([{"name":"food-review-0","weight":100}])");
  auto missing = a.check(*client, live);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::invalid);
  CHECK(missing.error().message ==
        "InferenceModel food-review: spec.targetModels: no entry with name food-review-1 (the stable)");
  live["spec"].erase("targetModels");
  CHECK(a.check(*client, live).error().message ==
        "InferenceModel food-review: spec.targetModels is empty: the stable food-review-1 must be listed");
  live["spec"]["targetModels"] = json::array();
  for (int i = 0; i < 10; ++i)
    live["spec"]["targetModels"].push_back({{"name", "m" + std::to_string(i)}, {"weight", 1}});
  live["spec"]["targetModels"][0]["name"] = "food-review-1";
  CHECK(a.check(*client, live).error().message ==
        "InferenceModel food-review: spec.targetModels: 11 entries with the canary, more than the limit of 10");
}

TEST_CASE("InferenceModel in a sandbox: resolve and backend()", "[actuators][inferencemodel]") {
  testing::SandboxCluster c;
  InferenceModelActuator a(seed_target());
  auto missing = a.resolve(*c.client, c.ns);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::not_found);
  CHECK(missing.error().message == "InferenceModel food-review not found in namespace default");
  c.apply_example("inferencemodel-food-review.yaml");
  auto refs = a.resolve(*c.client, c.ns);
  REQUIRE(refs.ok());
  CHECK(*refs ==
        std::vector<ObjectRef>{{"inference.networking.x-k8s.io/v1alpha2", "InferenceModel", "default", "food-review"}});
  const json live = c.get("inference.networking.x-k8s.io/v1alpha2", "InferenceModel", "food-review");
  auto d = a.desired(live, at(10));
  REQUIRE(d.ok());
  c.update(*d);
  CHECK(a.verify(*c.client, *d, at(10), Wait{}).ok());
  auto pool = a.backend(live, Role::canary);
  REQUIRE(pool);
  CHECK(pool->name == "vllm-llama3-8b-instruct");
  CHECK(pool->kind == "InferencePool");
  CHECK(pool->group == "inference.networking.x-k8s.io");
  CHECK(a.backend(live, Role::stable)->name == "vllm-llama3-8b-instruct");
  CHECK(a.managed_fields() == std::vector<std::string>{"/spec/targetModels"});
}
