#include "plan/loader.hpp"

#include <catch2/catch.hpp>

using namespace rollout;
using namespace rollout::plan;

namespace {

const char* kLoraPlan = R"(apiVersion: rollout/v1alpha1
kind: RolloutPlan
metadata:
  name: food-review-adapter
spec:
  strategy: loraCanary
  target:
    inferenceModel: {name: food-review, stable: food-review-1, canary: food-review-2}
  adapters:
    loraSyncer: {configMap: vllm-llama3-8b-instruct-adapters}
    load: [{id: food-review-2, source: Kawon/llama3.1-food-finetune_v14_r8}]
    unloadOnSuccess: [food-review-1]
    verify: {pool: vllm-llama3-8b-instruct, timeout: 2m}
  steps:
    - setWeight: 10
    - pause: {}
    - analysis: {gates: [health], duration: 1m}
    - setWeight: 50
    - pause: {duration: 5m}
  gates:
    - name: health
      http: {path: /health}
  background: [health]
)";

std::vector<std::string> errors_of(const std::string& text) {
  return load_plan_text("p.yaml", text).messages();
}

}  // namespace

TEST_CASE("a LoRA canary plan loads into typed values", "[plan]") {
  PlanFile f = load_plan_text("p.yaml", kLoraPlan);
  REQUIRE(f.messages() == std::vector<std::string>{});
  REQUIRE(f.plans.size() == 1);
  const Plan& p = f.plans[0].plan;
  CHECK(p.name == "food-review-adapter");
  CHECK(p.strategy == Strategy::loraCanary);
  const auto& t = std::get<InferenceModelTarget>(p.target);
  CHECK(t.canary == "food-review-2");
  REQUIRE(p.adapters);
  CHECK(p.adapters->load.at(0).source == "Kawon/llama3.1-food-finetune_v14_r8");
  CHECK(p.adapters->verify_timeout == std::chrono::minutes(2));
  REQUIRE(p.steps.size() == 5);
  CHECK(std::get<SetWeight>(p.steps[0].action).percent == 10);
  CHECK_FALSE(std::get<Pause>(p.steps[1].action).duration);
  CHECK(std::get<Pause>(p.steps[4].action).duration == std::chrono::minutes(5));
  CHECK(p.gates.at(0).interval == std::chrono::seconds(30));
  CHECK(f.plans[0].positions.at("spec.steps[3]").line == 18);
}

TEST_CASE("every problem is reported and not only the first", "[plan]") {
  std::string text = kLoraPlan;
  text.replace(text.find("setWeight: 50"), 13, "setWeight: 5");
  text.replace(text.find("gates: [health]"), 15, "gates: [helth]");
  auto errs = errors_of(text);
  REQUIRE(errs.size() == 2);
  CHECK(errs[0] == "p.yaml:17:26: spec.steps[2].analysis.gates[0]: unknown gate \"helth\" (did you mean \"health\"?)");
  CHECK(errs[1] ==
        "p.yaml:18:18: spec.steps[3].setWeight: setWeight 5 does not increase on the previous setWeight 10: weights "
        "must go up step by step");
}

TEST_CASE("quoted numbers are strings and strings are not numbers", "[plan]") {
  std::string text = kLoraPlan;
  text.replace(text.find("setWeight: 10"), 13, "setWeight: \"10\"");
  auto errs = errors_of(text);
  REQUIRE(errs.size() == 1);
  CHECK(errs[0] == "p.yaml:15:18: spec.steps[0].setWeight: expected a whole number, got the string \"10\"");
}

TEST_CASE("an empty file is an error at 1:1", "[plan]") {
  CHECK(errors_of("") == std::vector<std::string>{"p.yaml:1:1: empty file: expected a RolloutPlan document"});
  CHECK(errors_of("# only a comment\n") ==
        std::vector<std::string>{"p.yaml:1:1: empty file: expected a RolloutPlan document"});
}

TEST_CASE("several documents are validated each", "[plan]") {
  std::string two = std::string(kLoraPlan) + "---\n" + kLoraPlan;
  PlanFile f = load_plan_text("p.yaml", two);
  CHECK(f.ok());
  CHECK(f.plans.size() == 2);
  CHECK(f.plans[1].start.line > 20);
}
