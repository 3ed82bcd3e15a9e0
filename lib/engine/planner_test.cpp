#include "engine/planner.hpp"

#include <catch2/catch.hpp>

#include "plan/loader.hpp"

namespace rollout::engine {

namespace {

plan::Plan load(const std::string& text) {
  auto f = plan::load_plan_text("test.yaml", text);
  REQUIRE(f.messages() == std::vector<std::string>{});
  return f.plans.at(0).plan;
}

const char* kLora = R"(apiVersion: rollout/v1alpha1
kind: RolloutPlan
metadata: {name: food}
spec:
  strategy: loraCanary
  target: {inferenceModel: {name: food-review, stable: a, canary: b}}
  adapters:
    loraSyncer: {configMap: cm}
    load: [{id: b, source: hf/b}]
    unloadOnSuccess: [a]
  steps:
    - setWeight: 10
    - pause: {}
    - analysis: {gates: [h], duration: 1m}
    - setWeight: 50
  gates:
    - name: h
      http: {path: /health}
)";

}  // namespace

TEST_CASE("the planner folds steps into positions, adapters first, finish last", "[engine]") {
  const auto steps = plan_steps(load(kLora));
  REQUIRE(steps.size() == 6);
  CHECK(steps[0].kind == StepKind::load_adapters);
  CHECK(steps[0].position.adapters_loaded);
  CHECK(steps[0].position.weight == 0);
  CHECK(steps[1].title == "setWeight 10");
  CHECK(steps[1].position.weight == 10);
  CHECK(steps[1].path == "spec.steps[0]");
  CHECK(steps[2].kind == StepKind::pause);
  CHECK(steps[2].title == "pause until promoted");
  CHECK(steps[2].position.weight == 10);
  CHECK(steps[3].title == "analysis h for 1m");
  CHECK(steps[4].position.weight == 50);
  CHECK(steps[5].kind == StepKind::finish);
  CHECK(steps[5].position.finished);
  CHECK(steps[5].position.weight == 100);
  CHECK(finish_step_index(steps) == 5);
}

TEST_CASE("header routes and mirrors stay until the finish removes them", "[engine]") {
  std::string text = kLora;
  text.replace(text.find("strategy: loraCanary"), 20, "strategy: blueGreen");
  text.replace(text.find("{inferenceModel: {name: food-review, stable: a, canary: b}}"),
               std::string("{inferenceModel: {name: food-review, stable: a, canary: b}}").size(),
               "{httpRoute: {name: r, stable: {name: a}, canary: {name: b}}}");
  text.erase(text.find("  adapters:"), text.find("  steps:") - text.find("  adapters:"));
  text.replace(text.find("    - pause: {}"), 15, "    - setHeaderRoute: {name: x-beta, value: \"true\"}\n    - setMirror: {percent: 5}");
  const auto steps = plan_steps(load(text));
  REQUIRE(steps.size() == 6);
  CHECK(steps[0].kind == StepKind::traffic);
  REQUIRE(steps[2].position.mirror);
  CHECK(*steps[2].position.mirror == 5);
  REQUIRE(steps[4].position.header);
  CHECK(steps[4].position.header->name == "x-beta");
  CHECK(!steps[5].position.header);
  CHECK(!steps[5].position.mirror);
}

}  // namespace rollout::engine
