// For the engine's tests only: the crash harness of run_crash_test.cpp and
// run_crash_local_test.cpp. A Run stopped after its k-th write (WriteFaults), as if the process had
// been killed there, then a fresh Run on the same state; for every k from 0 to past the last
// write. Each GENERATE value of a case runs one chunk of k, so that a case stays quick.
#pragma once

#include <functional>
#include <limits>

#include "engine/run_fixture.hpp"
#include "plan/plan.hpp"

namespace rollout::engine::testing {

using Check = std::function<void(RunFixture&)>;

// The history and state every finished run must show.
inline void check_finished(RunFixture& f, const RunResult& r) {
  CHECK((r.outcome == Outcome::succeeded || r.outcome == Outcome::already_succeeded));
  CHECK(f.state().phase == Phase::Succeeded);
  REQUIRE(f.history().size() == 1);
  CHECK(f.history()[0].outcome == "Succeeded");
}

// k in [first, last): stop after k writes, check the state parses, run again, check the end. False
// once a run with k writes allowed was not stopped (k is past the last write).
template <class Fixture>
bool stopped_and_resumed(int first, int last, const Check& finished) {
  for (int k = first; k < last; ++k) {
    INFO("stopped after write " << k);
    Fixture f;
    f.promote_at_pause_steps();
    f.faults.allow(k);
    auto stopped = f.apply();
    if (stopped.ok()) {
      CHECK(stopped->outcome == Outcome::succeeded);
      return false;
    }
    auto snap = f.terminal.read();  // what `rollout status` reads after the kill
    REQUIRE(snap.ok());
    f.faults.allow(std::numeric_limits<long>::max());
    const RunResult r = f.apply_ok();
    check_finished(f, r);
    finished(f);
  }
  return true;
}

// Every k from 0 to `chunks` * `width`: chunk `first` of them; the first also checks that a clean
// run writes fewer times than the chunks cover, the last that it reached a k the run completes in.
template <class Fixture>
void crash_at_every_write(int first, int width, int chunks, const Check& finished) {
  const int end = width * chunks;
  if (first == 0) {
    Fixture f;
    f.promote_at_pause_steps();
    check_finished(f, f.apply_ok());
    finished(f);
    INFO("a clean run's writes: " << f.faults.done.load());
    CHECK(f.faults.done < end);
  }
  const bool all_stopped = stopped_and_resumed<Fixture>(first, first + width, finished);
  if (first + width == end) CHECK_FALSE(all_stopped);
}

// A rolling update of `target` (a target block as JSON or YAML flow): one replica, a pause until
// promoted, the second.
inline plan::Plan rolling_plan(const std::string& target) {
  auto file = plan::load_plan_text("rolling.yaml", R"(apiVersion: rollout/v1alpha1
kind: RolloutPlan
metadata: {name: bg}
spec:
  strategy: rolling
  target: )" + target + R"(
  steps:
    - updateReplicas: 1
    - pause: {}
    - updateReplicas: 2
)");
  for (const auto& m : file.messages()) INFO(m);
  REQUIRE(file.ok());
  return file.plans[0].plan;
}

}  // namespace rollout::engine::testing
