// InferenceModelRewrite desired states from the llm-d LoRA seed's starting object
// (examples/sandbox/inferencemodelrewrite-food-review.yaml): weight 0 is invalid there, so a target
// at 0% is removed; finished keeps only the canary.
#include "actuators/inference_model_rewrite.hpp"

#include "actuators/sandbox_fixture.hpp"

using namespace rollout;
using namespace rollout::actuators;
using nlohmann::json;

namespace {

plan::InferenceModelRewriteTarget seed_target() {
  plan::InferenceModelRewriteTarget t;
  t.name = "food-review-rewrite";
  t.model = "food-review";
  t.stable = "food-review-1";
  t.canary = "food-review-2";
  return t;
}

json seed_rewrite() {
  return testing::example("inferencemodelrewrite-food-review.yaml").at(0);
}

Position at(int weight) {
  Position p;
  p.weight = weight;
  return p;
}

json targets_at(const json& original, const Position& p, size_t rule = 0) {
  auto d = InferenceModelRewriteActuator(seed_target()).desired(original, p);
  INFO((d.ok() ? "" : d.error().message));
  REQUIRE(d.ok());
  return (*d)["spec"]["rules"][rule]["targets"];
}

}  // namespace

TEST_CASE("InferenceModelRewrite: every position of the llm-d LoRA rollout", "[actuators][rewrite]") {
  const json original = seed_rewrite();
  CHECK(targets_at(original, at(0)) == original["spec"]["rules"][0]["targets"]);
  CHECK(targets_at(original, at(10)) == json::parse(R"([{"modelRewrite":"food-review-1","weight":90},
                                                         {"modelRewrite":"food-review-2","weight":10}])"));
  CHECK(targets_at(original, at(50)) == json::parse(R"([{"modelRewrite":"food-review-1","weight":50},
                                                         {"modelRewrite":"food-review-2","weight":50}])"));
  const json finish = json::parse(R"([{"modelRewrite":"food-review-2","weight":100}])");
  CHECK(targets_at(original, at(100)) == finish);
  Position finished = at(100);
  finished.finished = true;
  CHECK(targets_at(original, finished) == finish);
  auto d = InferenceModelRewriteActuator(seed_target()).desired(original, finished);
  CHECK((*d)["spec"]["rules"][0]["matches"] == original["spec"]["rules"][0]["matches"]);
  CHECK((*d)["spec"]["poolRef"] == original["spec"]["poolRef"]);
}

TEST_CASE("InferenceModelRewrite: the rule of the target's model; others untouched", "[actuators][rewrite]") {
  json original = seed_rewrite();
  json other = json::parse(R"({"matches":[{"model":{"type":"Exact","value":"chat"}}],
                               "targets":[{"modelRewrite":"chat-1","weight":100}]})");
  original["spec"]["rules"].insert(original["spec"]["rules"].begin(), other);
  InferenceModelRewriteActuator a(seed_target());
  CHECK(*a.managed_rule(original) == 1);
  auto d = a.desired(original, at(20));
  REQUIRE(d.ok());
  CHECK((*d)["spec"]["rules"][0] == other);
  CHECK((*d)["spec"]["rules"][1]["targets"][1] == json{{"modelRewrite", "food-review-2"}, {"weight", 20}});
  // 0%: a canary target already there is removed, never written with weight 0
  json both = seed_rewrite();
  both["spec"]["rules"][0]["targets"].push_back({{"modelRewrite", "food-review-2"}, {"weight", 5}});
  CHECK(targets_at(both, at(0)) == json::parse(R"([{"modelRewrite":"food-review-1","weight":100}])"));

  auto t = seed_target();
  t.model = "summaries";
  auto missing = InferenceModelRewriteActuator(t).desired(seed_rewrite(), at(10));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::invalid);
  CHECK(missing.error().message ==
        "InferenceModelRewrite food-review-rewrite: spec.rules: no rule matches model summaries "
        "(matches[].model.value)");
}

TEST_CASE("InferenceModelRewrite: check() and backend()", "[actuators][rewrite]") {
  auto client = testing::offline_client();
  InferenceModelRewriteActuator a(seed_target());
  json live = seed_rewrite();
  CHECK(a.check(*client, live).ok());
  live["spec"]["rules"][0]["targets"][0]["modelRewrite"] = "food-review-0";
  CHECK(a.check(*client, live).error().message ==
        "InferenceModelRewrite food-review-rewrite: spec.rules[0].targets: no entry with modelRewrite food-review-1 "
        "(the stable)");
  auto pool = a.backend(seed_rewrite(), Role::canary);
  REQUIRE(pool);
  CHECK(pool->name == "vllm-llama3-8b-instruct");
  CHECK(pool->group == "inference.networking.k8s.io");
  json legacy = seed_rewrite();
  legacy["apiVersion"] = "inference.networking.x-k8s.io/v1alpha2";
  legacy["spec"]["poolRef"] = {{"name", "vllm-llama3-8b-instruct"}};
  auto t = seed_target();
  t.api_version = "inference.networking.x-k8s.io/v1alpha2";
  CHECK(InferenceModelRewriteActuator(t).backend(legacy, Role::stable)->group == "inference.networking.x-k8s.io");
  CHECK(a.managed_fields() == std::vector<std::string>{"/spec/rules"});
}

TEST_CASE("InferenceModelRewrite in a sandbox: resolve in either group", "[actuators][rewrite]") {
  testing::SandboxCluster c;
  c.apply_example("inferencemodelrewrite-food-review.yaml");
  auto refs = InferenceModelRewriteActuator(seed_target()).resolve(*c.client, c.ns);
  REQUIRE(refs.ok());
  CHECK(*refs ==
        std::vector<ObjectRef>{{"llm-d.ai/v1alpha2", "InferenceModelRewrite", "default", "food-review-rewrite"}});
  auto t = seed_target();
  t.api_version = "inference.networking.x-k8s.io/v1alpha2";
  auto legacy = InferenceModelRewriteActuator(t).resolve(*c.client, c.ns);
  REQUIRE_FALSE(legacy.ok());
  CHECK(legacy.error().message == "InferenceModelRewrite food-review-rewrite not found in namespace default");
  json obj = seed_rewrite();
  obj["apiVersion"] = t.api_version;
  c.create(obj);
  CHECK(InferenceModelRewriteActuator(t).resolve(*c.client, c.ns).ok());
}
