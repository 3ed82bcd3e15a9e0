// Run (`rollout plan apply`) as a reconcile loop, on a FakeClock against the in-process sandbox:
// the happy path, the lock, resuming from every phase and after a stop at every write, drift,
// and the control requests (promote, pause, resume, abort) a second terminal sends.
#include <atomic>
#include <fstream>
#include <thread>

#include "engine/run_fixture.hpp"
#include "util/timestamp.hpp"

namespace rollout::engine {

using namespace testing;
using nlohmann::json;

TEST_CASE("Run: a blue-green plan moves the route step by step, finalizes and succeeds", "[run]") {
  RunFixture f;
  f.promote_at_pause_steps();
  const RunResult r = f.apply_ok();
  CHECK(r.outcome == Outcome::succeeded);
  CHECK(f.weights() == kFinished);
  const RolloutState s = f.state();
  CHECK(s.phase == Phase::Succeeded);
  CHECK(s.step == 7);
  CHECK(s.steps == 7);
  REQUIRE(f.history().size() == 1);
  CHECK(f.history()[0].outcome == "Succeeded");
  CHECK(f.commands == std::vector<std::vector<std::string>>{{"echo", "finalized"}});
  CHECK(f.events.of(EventType::object_patched).size() == 3);  // 10%, 50%, finish
  CHECK(f.events.of(EventType::promoted).size() == 1);
  CHECK(f.script.count("error-rate") == 4);  // at 0, 10, 20 and 30 s of the 30 s analysis
  CHECK(f.script.count("health") >= 3);      // background, every 15 s
  CHECK(f.clock.elapsed() >= Duration(50000));
  CHECK(f.clock.elapsed() < Duration(60000));

  // The same plan again: nothing to do.
  CHECK(f.apply_ok().outcome == Outcome::already_succeeded);
}

TEST_CASE("Run: the state carries the steps' titles and the gates' conditions for views without the plan",
          "[run]") {
  RunFixture f;
  ApplySettings hand_over;
  hand_over.until_pause = true;
  CHECK(f.apply_ok(hand_over).outcome == Outcome::handed_over);
  const RolloutState s = f.state();
  REQUIRE(s.outline.size() == static_cast<size_t>(s.steps));
  CHECK(s.outline[static_cast<size_t>(s.step)] == s.step_title);
  REQUIRE_FALSE(s.gates.empty());
  for (const auto& g : s.gates) CHECK_FALSE(g.condition.empty());
  CHECK(s.waiting.empty());  // no wait is going on at a pause
}

TEST_CASE("Run: asked to leave a manual pause paused (the live view's q), it hands over as --until-pause",
          "[run]") {
  RunFixture f;
  ApplySettings settings;
  std::atomic<bool> leave{false};
  settings.leave_paused = [&leave] { return leave.load(); };
  // Asked only once the run waits at the pause: it must notice while waiting, not only on arrival.
  f.events.on_event = [&](const Event& e) {
    if (e.type == EventType::paused) leave = true;
  };
  const RunResult r = f.apply_ok(settings);
  CHECK(r.outcome == Outcome::handed_over);
  CHECK(f.state().phase == Phase::Paused);
  CHECK(f.state().pause_reason == PauseReason::pause_step);
  CHECK_FALSE(f.terminal.driven(*f.terminal.read()));  // the lock is released
  const auto paused = f.events.of(EventType::paused);
  REQUIRE_FALSE(paused.empty());
  CHECK_THAT(paused.back().message, Catch::Contains("(left paused)"));
}

TEST_CASE("Run: a preview from a later step (the live view's d) shows only the steps still to come", "[run]") {
  RunFixture f;
  ApplySettings preview;
  preview.mode = ExecMode::dry_run_client;
  preview.preview_from = 2;  // the manual pause, the route at 90/10 by then
  f.set_weights(90, 10);
  CHECK(f.apply_ok(preview).outcome == Outcome::previewed);
  const auto started = f.events.of(EventType::step_started);
  REQUIRE_FALSE(started.empty());
  CHECK(started.front().data.value("step", -1) == 2);
  CHECK(f.events.of(EventType::object_diff).size() == 2);  // 50%, finish; not 10% again
  CHECK(f.weights() == std::map<std::string, int>{{kStable, 90}, {kCanary, 10}});
}

// ---- the lock -------------------------------------------------------------------------------

TEST_CASE("Run: a lock held by a live apply is refused, naming its holder; nothing changes", "[run]") {
  RunFixture f;
  FileStore other(f.dir.path, kName, f.clock);
  LockHolder holder{"other", "host-b", 4242, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"};
  REQUIRE(other.acquire(holder).ok());
  auto r = f.apply();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::locked);
  CHECK_THAT(r.error().message, Catch::Contains("pid 4242 on host-b since 2026-01-01T00:00:00Z"));
  CHECK(f.weights() == kOriginal);
  CHECK_FALSE(f.terminal.read()->state);
  CHECK(f.events.of(EventType::run_started).empty());
}

TEST_CASE("Run: the lock of an apply that is gone is taken over and the run goes on", "[run]") {
  RunFixture f;
  f.promote_at_pause_steps();
  // Killed at the pause step: its state Paused, its lock file naming it, but nobody holds the flock.
  ApplySettings hand_over;
  hand_over.until_pause = true;
  CHECK(f.apply_ok(hand_over).outcome == Outcome::handed_over);
  std::ofstream(f.dir.path + "/bg.lock")
      << R"({"id":"dead","host":"host-b","pid":4242,"since":"2026-01-01T00:00:00Z","renewed":"2026-01-01T00:00:00Z"})";
  CHECK_FALSE(f.terminal.driven(*f.terminal.read()));
  CHECK(f.apply_ok().outcome == Outcome::succeeded);
  CHECK(f.weights() == kFinished);
}

TEST_CASE("Run: in a ConfigMap store, a live lease is refused and an expired one taken over", "[run]") {
  RunFixture f;
  f.seams.store = nullptr;  // the engine's own ConfigMapStore on the sandbox, on the fake clock
  ConfigMapStore cm(*f.cluster.client, f.cluster.ns, kName, f.clock);
  LockHolder holder{"other", "host-b", 4242, "2026-01-01T00:00:00Z", format_rfc3339(f.clock.wall())};
  REQUIRE(cm.acquire(holder).ok());
  auto refused = f.apply();
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == ErrorKind::locked);
  CHECK_THAT(refused.error().message,
             Catch::Contains("pid 4242 on host-b since 2026-01-01T00:00:00Z") && Catch::Contains("rollout-bg"));
  CHECK(f.weights() == kOriginal);

  f.clock.advance(Duration(21000));  // the lease (20 s) ran out without a renewal
  f.events.on_event = [&](const Event& e) {
    if (e.type == EventType::paused && e.data.value("reason", "") == "PauseStep")
      REQUIRE(promote_rollout(cm, kName, false).ok());
  };
  CHECK(f.apply_ok().outcome == Outcome::succeeded);
  CHECK(f.weights() == kFinished);
  auto snap = cm.read();
  REQUIRE(snap.ok());
  CHECK(snap->state->phase == Phase::Succeeded);
  CHECK_FALSE(snap->lock);  // released at the end
}

TEST_CASE("Run: a run whose expired lease was taken over stops at its next renewal", "[run]") {
  RunFixture f;
  f.seams.store = nullptr;
  ConfigMapStore cm(*f.cluster.client, f.cluster.ns, kName, f.clock);
  bool taken = false;
  f.events.on_event = [&](const Event& e) {
    if (taken || e.type != EventType::paused || e.data.value("reason", "") != "PauseStep") return;
    // The run stalled past its lease (20 s) and another apply took the rollout over.
    f.clock.advance(Duration(21000));
    LockHolder other{"other", "host-b", 4242, "2026-01-01T00:00:00Z", format_rfc3339(f.clock.wall())};
    REQUIRE(cm.acquire(other).ok());
    taken = true;
  };
  auto stopped = f.apply();
  REQUIRE(taken);
  REQUIRE_FALSE(stopped.ok());
  CHECK(stopped.error().kind == ErrorKind::locked);
  CHECK_THAT(stopped.error().message, Catch::Contains("no longer this apply's") && Catch::Contains("pid 4242"));
  CHECK(f.weights() == std::map<std::string, int>{{kStable, 90}, {kCanary, 10}});  // nothing more was written
  auto snap = cm.read();
  REQUIRE(snap.ok());
  REQUIRE(snap->lock);
  CHECK(snap->lock->id == "other");  // the new holder's lock stands
}

// ---- resuming -------------------------------------------------------------------------------

TEST_CASE("Run: resumed from Paused at a pause step, with a promote sent while no apply ran", "[run]") {
  RunFixture f;
  ApplySettings hand_over;
  hand_over.until_pause = true;
  CHECK(f.apply_ok(hand_over).outcome == Outcome::handed_over);
  RolloutState s = f.state();
  CHECK(s.phase == Phase::Paused);
  CHECK(s.pause_reason == PauseReason::pause_step);
  CHECK(s.step == 2);
  CHECK(f.weights() == split(10));
  auto promoted = promote_rollout(f.terminal, kName, false);
  REQUIRE(promoted.ok());
  CHECK_FALSE(promoted->driven);
  f.events.clear();
  CHECK(f.apply_ok().outcome == Outcome::succeeded);
  CHECK(f.events.of(EventType::run_resumed).size() == 1);
  CHECK(f.events.of(EventType::object_patched).size() == 2);  // 50% and the finish; 10% is not written again
  CHECK(f.weights() == kFinished);
}

TEST_CASE("Run: resumed from Progressing in the middle of an analysis", "[run]") {
  RunFixture f;
  f.promote_at_pause_steps();
  f.clock.at(Duration(15000), [&] { f.faults.stop(); });  // the process dies at 15 s
  REQUIRE_FALSE(f.apply().ok());
  RolloutState s = f.state();
  CHECK(s.phase == Phase::Progressing);
  CHECK(s.step == 1);
  CHECK(f.weights() == split(10));
  f.faults.allow(std::numeric_limits<long>::max());
  CHECK(f.apply_ok().outcome == Outcome::succeeded);
  CHECK(f.weights() == kFinished);
  CHECK(f.history().size() == 1);
}

TEST_CASE("Run: resumed from a user's pause, it stays paused until resumed", "[run]") {
  RunFixture f;
  f.promote_at_pause_steps();
  f.clock.at(Duration(5000), [&] { REQUIRE(pause_rollout(f.terminal, kName).ok()); });
  f.clock.at(Duration(10000), [&] { f.faults.stop(); });
  REQUIRE_FALSE(f.apply().ok());
  CHECK(f.state().phase == Phase::Paused);
  CHECK(f.state().pause_reason == PauseReason::user);
  f.faults.allow(std::numeric_limits<long>::max());
  const auto resumed_at = f.clock.elapsed() + Duration(60000);
  f.clock.at(Duration(30000), [&] {
    CHECK(f.state().phase == Phase::Paused);
    CHECK(f.state().pause_reason == PauseReason::user);
    CHECK(f.weights() == split(10));
  });
  f.clock.at(Duration(60000), [&] { REQUIRE(resume_rollout(f.terminal, kName).ok()); });
  CHECK(f.apply_ok().outcome == Outcome::succeeded);
  CHECK(f.clock.elapsed() >= resumed_at);
  CHECK(f.weights() == kFinished);
}

TEST_CASE("Run: resumed from RollingBack, it rolls back again and ends Failed", "[run]") {
  RunFixture f;
  f.script.queue("error-rate", {gates::Verdict::failed, gates::Verdict::failed});
  f.events.on_event = [&](const Event& e) {
    if (e.type == EventType::rolling_back) f.faults.stop();  // dies before restoring anything
  };
  REQUIRE_FALSE(f.apply().ok());
  CHECK(f.state().phase == Phase::RollingBack);
  CHECK(f.weights() == split(10));
  f.events.on_event = nullptr;
  f.faults.allow(std::numeric_limits<long>::max());
  const RunResult r = f.apply_ok();
  CHECK(r.outcome == Outcome::failed);
  CHECK_THAT(r.message, Catch::Contains("gate error-rate failed"));
  CHECK(f.weights() == kOriginal);
  CHECK(f.state().phase == Phase::Failed);
  REQUIRE(f.history().size() == 1);
  CHECK(f.history()[0].outcome == "Failed");
}

// Stopped after any write and resumed: run_crash_test.cpp ([crash]), for every strategy.

// ---- drift ----------------------------------------------------------------------------------

TEST_CASE("Run: weights edited out of band pause the run until resume, which keeps the edit", "[run]") {
  RunFixture f;
  f.promote_at_pause_steps();
  f.clock.at(Duration(5000), [&] { f.set_weights(70, 30); });
  f.clock.at(Duration(12000), [&] {
    const RolloutState s = f.state();
    CHECK(s.phase == Phase::Paused);
    CHECK(s.pause_reason == PauseReason::drift);
    CHECK_THAT(s.message, Catch::Contains("HTTPRoute llm-route: spec.rules[0].backendRefs[0].weight was changed by "
                                          "someone else (90 -> 70)"));
    CHECK(f.weights() == split(30));  // not overwritten
  });
  f.clock.at(Duration(20000), [&] { REQUIRE(resume_rollout(f.terminal, kName).ok()); });
  CHECK(f.apply_ok().outcome == Outcome::succeeded);
  CHECK(f.events.of(EventType::drift).size() == 1);
  CHECK(f.weights() == kFinished);
}

// ---- control requests -----------------------------------------------------------------------

TEST_CASE("Run: promote ends an analysis and a pause step", "[run]") {
  RunFixture f;
  f.clock.at(Duration(5000), [&] { REQUIRE(promote_rollout(f.terminal, kName, false).ok()); });
  f.clock.at(Duration(8000), [&] {
    CHECK(f.state().step == 2);
    CHECK(f.state().pause_reason == PauseReason::pause_step);
  });
  f.clock.at(Duration(10000), [&] { REQUIRE(promote_rollout(f.terminal, kName, false).ok()); });
  CHECK(f.apply_ok().outcome == Outcome::succeeded);
  CHECK(f.script.count("error-rate") == 1);  // the analysis ended at 5 s
  CHECK(f.events.of(EventType::promoted).size() == 2);
  CHECK(f.events.of(EventType::object_patched).size() == 3);
  CHECK(f.clock.elapsed() < Duration(35000));  // 10 s, then the 20 s pause
  CHECK(f.weights() == kFinished);
}

TEST_CASE("Run: promote --full skips to the finish", "[run]") {
  RunFixture f;
  f.events.on_event = [&](const Event& e) {
    if (e.type == EventType::paused && e.data.value("reason", "") == "PauseStep")
      REQUIRE(promote_rollout(f.terminal, kName, true).ok());
  };
  CHECK(f.apply_ok().outcome == Outcome::succeeded);
  const auto patched = f.events.of(EventType::object_patched);
  CHECK(patched.size() == 2);  // 10%, then the finish: no 50%, no 20 s pause
  CHECK(f.clock.elapsed() < Duration(35000));
  CHECK(f.weights() == kFinished);
  CHECK(f.commands.size() == 1);  // finalize still runs
}

TEST_CASE("Run: a user's pause holds the run and its gates until resume", "[run]") {
  RunFixture f;
  f.promote_at_pause_steps();
  f.clock.at(Duration(5000), [&] { REQUIRE(pause_rollout(f.terminal, kName).ok()); });
  f.clock.at(Duration(12000), [&] {
    CHECK(f.state().phase == Phase::Paused);
    CHECK(f.state().pause_reason == PauseReason::user);
    CHECK_THAT(f.state().message, Catch::StartsWith("paused by "));
  });
  f.clock.at(Duration(40000), [&] { REQUIRE(resume_rollout(f.terminal, kName).ok()); });
  CHECK(f.apply_ok().outcome == Outcome::succeeded);
  for (const char* gate : {"error-rate", "health"})
    for (Duration t : f.script.measured_at[gate]) {
      INFO(gate << " measured at " << t.count() << " ms");
      CHECK((t <= Duration(5000) || t >= Duration(40000)));
    }
  CHECK(f.weights() == kFinished);
}

// A resume that ended a user's pause is spent: it must not release a later drift hold.
TEST_CASE("Run: drift after a user's pause and resume still holds the run", "[run]") {
  RunFixture f;
  f.promote_at_pause_steps();
  f.clock.at(Duration(2000), [&] { REQUIRE(pause_rollout(f.terminal, kName).ok()); });
  f.clock.at(Duration(4000), [&] { REQUIRE(resume_rollout(f.terminal, kName).ok()); });
  f.clock.at(Duration(6000), [&] { f.set_weights(70, 30); });
  f.clock.at(Duration(15000), [&] {
    CHECK(f.state().pause_reason == PauseReason::drift);
    CHECK(f.weights() == split(30));
  });
  f.clock.at(Duration(20000), [&] { REQUIRE(resume_rollout(f.terminal, kName).ok()); });
  CHECK(f.apply_ok().outcome == Outcome::succeeded);
  CHECK(f.weights() == kFinished);
}

TEST_CASE("Run: abort from another thread while the run waits rolls back and restores the route", "[run]") {
  RunFixture f;
  Result<ControlResult> aborted = make_error(ErrorKind::internal, "not yet");
  std::atomic<bool> host_asked{false};
  std::thread second_terminal([&] {
    FileStore store(f.dir.path, kName);
    RecordingSink sink;
    for (int i = 0; i < 2000; ++i) {  // until the run waits at the pause step
      auto snap = store.read();
      if (snap.ok() && snap->state && snap->state->pause_reason == PauseReason::pause_step) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    // The running apply rolls back: this process needs neither the cluster nor the plan.
    aborted = abort_rollout(
        store, kName,
        [&]() -> Result<actuators::ObjectHost*> {
          host_asked = true;
          return make_error(ErrorKind::internal, "no host for a driven abort");
        },
        sink);
  });
  auto r = f.apply();
  second_terminal.join();
  REQUIRE(r.ok());
  CHECK(r->outcome == Outcome::aborted);
  REQUIRE(aborted.ok());
  CHECK(aborted->driven);
  CHECK_FALSE(host_asked);
  CHECK(f.weights() == kOriginal);
  CHECK(f.state().phase == Phase::Aborted);
  REQUIRE(f.history().size() == 1);
  CHECK(f.history()[0].outcome == "Aborted");
}

TEST_CASE("Run: abort with no apply running rolls back from the recorded values", "[run]") {
  RunFixture f;
  ApplySettings hand_over;
  hand_over.until_pause = true;
  CHECK(f.apply_ok(hand_over).outcome == Outcome::handed_over);
  CHECK(f.weights() == split(10));
  actuators::ClusterHost cluster(*f.cluster.client);
  auto aborted = abort_rollout(
      f.terminal, kName, [&]() -> Result<actuators::ObjectHost*> { return &cluster; }, f.events, f.clock);
  REQUIRE(aborted.ok());
  CHECK_FALSE(aborted->driven);
  CHECK(f.weights() == kOriginal);
  CHECK(f.state().phase == Phase::Aborted);
  // The next apply of the plan is a new run.
  f.promote_at_pause_steps();
  CHECK(f.apply_ok().outcome == Outcome::succeeded);
  CHECK(f.history().size() == 2);
}

}  // namespace rollout::engine
