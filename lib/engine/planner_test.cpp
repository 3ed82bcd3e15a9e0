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

namespace rollout::engine {

namespace {

std::string rolling(const std::string& steps, const std::string& background = "") {
  return std::string(R"(apiVersion: rollout/v1alpha1
kind: RolloutPlan
metadata: {name: ms}
spec:
  strategy: rolling
  target: {modelServing: {name: llama}}
)") + steps + background + R"(  gates:
    - name: h
      http: {path: /health}
)";
}

}  // namespace

TEST_CASE("updateReplicas percentages round up and are never 0", "[engine][planner]") {
  CHECK(replicas_at({25, true}, 6) == 2);
  CHECK(replicas_at({1, true}, 6) == 1);
  CHECK(replicas_at({50, true}, 6) == 3);
  CHECK(replicas_at({100, true}, 6) == 6);
  CHECK(replicas_at({34, true}, 3) == 2);
  CHECK(replicas_at({4, false}, 6) == 4);
  CHECK(replicas_at({9, false}, 6) == 6);
}

TEST_CASE("a rolling plan freezes with the new template, then releases as its steps say", "[engine][planner]") {
  const auto steps = plan_steps(load(rolling("  steps:\n    - updateReplicas: 1\n    - pause: {}\n    - updateReplicas: 50%\n")), 6);
  REQUIRE(steps.size() == 5);
  CHECK(steps[0].kind == StepKind::replicas);
  CHECK(steps[0].position.template_in_place);
  CHECK(steps[0].position.updated == 0);
  CHECK(steps[1].title == "updateReplicas 1 of 6");
  CHECK(steps[1].position.updated == 1);
  CHECK(steps[2].kind == StepKind::pause);
  CHECK(steps[2].position.updated == 1);
  CHECK(steps[3].title == "updateReplicas 50% (3 of 6)");
  CHECK(steps[3].position.updated == 3);
  CHECK(steps[4].kind == StepKind::finish);
  CHECK(steps[4].position.updated == 6);
  CHECK(steps[4].position.finished);
}

TEST_CASE("a rolling plan with no steps goes one replica at a time, background gates after each", "[engine][planner]") {
  const auto steps = plan_steps(load(rolling("", "  background: [h]\n")), 3);
  // freeze, 1, check, 2, check, finish (3 of 3)
  REQUIRE(steps.size() == 6);
  CHECK(steps[1].position.updated == 1);
  CHECK(steps[2].kind == StepKind::analysis);
  CHECK(steps[2].analysis->gates == std::vector<std::string>{"h"});
  CHECK(steps[3].position.updated == 2);
  CHECK(steps[5].kind == StepKind::finish);
  CHECK(steps[5].position.updated == 3);
  const auto quiet = plan_steps(load(rolling("")), 3);
  CHECK(quiet.size() == 4);  // freeze, 1, 2, finish
}

}  // namespace rollout::engine
