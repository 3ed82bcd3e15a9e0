// A LoRA canary whose adapters rollout loads through vLLM's runtime API, driven by a Run on a
// FakeClock against the sandbox's pods: a pod replaced while the run is under way is given the
// adapter before the next gate measurement judges it, and a rollback unloads it everywhere.
#include <nlohmann/json.hpp>

#include "engine/run_adapters_fixture.hpp"

using namespace rollout;
using namespace rollout::engine;
using namespace rollout::engine::testing;
using nlohmann::json;

TEST_CASE("Run: a pod replaced mid-rollout gets the runtime-loaded adapter before a gate judges it",
          "[run][vllm-lora]") {
  LoraRun f;
  std::string replaced, replacement;
  f.events.on_event = [&](const Event& e) {
    // Like `kubectl delete pod` in a second terminal as the analysis starts; the run goes on once
    // the replacement is Ready.
    if (e.type != EventType::step_started || e.data.value("step", -1) != 2)
      return;  // 0 load adapters, 1 setWeight 10, 2 analysis
    const auto before = ready_pods(f.cluster);
    replaced = before[0];
    auto api = f.cluster.client->resource("v1", "Pod");
    REQUIRE(f.cluster.client->remove(*api, f.cluster.ns, replaced).ok());
    REQUIRE(actuators::testing::eventually(
        [&] {
          auto now = ready_pods(f.cluster);
          if (now.size() != 2 || std::find(now.begin(), now.end(), replaced) != now.end()) return false;
          replacement = now[0] == before[1] ? now[1] : now[0];
          return true;
        },
        std::chrono::seconds(20)));
  };
  auto r = f.apply_ok();
  CHECK(r.outcome == Outcome::succeeded);
  REQUIRE_FALSE(replacement.empty());
  CHECK_THAT(models(f.cluster, replacement), Catch::Contains("\"food-review-2\""));
  bool announced = false;
  for (const auto& e : f.events.of(EventType::info))
    announced |= e.message == "loaded food-review-2 on new pod " + replacement;
  CHECK(announced);
}

TEST_CASE("Run: a failed gate unloads the runtime-loaded canary adapter from every pod", "[run][vllm-lora]") {
  LoraRun f;
  f.seams.make_provider = [&](const plan::Gate& g) -> Result<std::unique_ptr<gates::MetricProvider>> {
    return std::unique_ptr<gates::MetricProvider>(std::make_unique<ScriptedProvider>(g.name, f.script));
  };
  f.script.queue("listed", {gates::Verdict::failed});
  auto r = f.apply_ok();
  CHECK(r.outcome == Outcome::failed);
  for (const auto& pod : ready_pods(f.cluster)) CHECK_THAT(models(f.cluster, pod), !Catch::Contains("food-review-2"));
  CHECK(f.events.of(EventType::info).size() >= 2);
}
