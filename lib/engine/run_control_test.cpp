// Control requests from several processes at once: a promote ends the step its sender saw, once.
#include "engine/run_fixture.hpp"

using namespace rollout;
using namespace rollout::engine;
using namespace rollout::engine::testing;

// Two people promote the same pause step; the second request lands just after the run acted on
// the first (it read the state at the same pause). Before, it carried a new id and ended the
// next pause step as well, which nobody had looked at (concurrency_e2e found it with three
// concurrent `rollout promote`s).
TEST_CASE("Run: a promote that crossed another at the same pause does not end the next pause", "[run][concurrency]") {
  RunFixture f;
  f.plan.steps = {f.plan.steps[0], f.plan.steps[2], f.plan.steps[3], f.plan.steps[2]};  // 10%, pause, 50%, pause
  int pauses = 0, promoted = 0;
  std::vector<int> paused_at;
  f.events.on_event = [&](const Event& e) {
    if (e.type == EventType::paused && e.data.value("reason", "") == to_string(PauseReason::pause_step)) {
      ++pauses;
      paused_at.push_back(f.state().step);
      REQUIRE(promote_rollout(f.terminal, kName, false).ok());
    }
    if (e.type == EventType::promoted && ++promoted == 1)
      REQUIRE(promote_rollout(f.terminal, kName, false).ok());  // the second person, a moment late
  };
  const RunResult r = f.apply_ok();
  CHECK(r.outcome == Outcome::succeeded);
  CHECK(pauses == 2);  // the second pause step waited for its own promote
  CHECK(paused_at == std::vector<int>{1, 3});
  CHECK(f.events.of(EventType::promoted).size() == 2);
  CHECK(f.weights() == kFinished);
}

TEST_CASE("Run: promote --full sent at an earlier step still skips to the end", "[run][concurrency]") {
  RunFixture f;
  f.plan.steps = {f.plan.steps[0], f.plan.steps[2], f.plan.steps[3], f.plan.steps[2]};
  bool sent = false;
  f.events.on_event = [&](const Event& e) {
    if (e.type == EventType::paused && !sent) {
      sent = true;
      REQUIRE(promote_rollout(f.terminal, kName, false).ok());
    }
    if (e.type == EventType::promoted && e.data.value("full", false) == false)
      REQUIRE(promote_rollout(f.terminal, kName, true).ok());  // read the state at step 1 too
  };
  CHECK(f.apply_ok().outcome == Outcome::succeeded);
  CHECK(f.events.of(EventType::promoted).size() == 2);
  CHECK(f.events.of(EventType::paused).size() == 1);  // the second pause step ended by the --full
  CHECK(f.events.of(EventType::object_patched).size() == 3);  // 10%, 50%, the finish
  CHECK(f.weights() == kFinished);
}
