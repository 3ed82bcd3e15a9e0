// Run (`rollout plan apply`) on a FakeClock with scripted gate measurements: deadlines, the
// failure, inconclusive and consecutive-error limits, background gates and onFailure: pause.
#include "engine/run_fixture.hpp"

namespace rollout::engine {

using namespace testing;
using gates::Verdict;

namespace {

void check_rolled_back(RunFixture& f, Phase phase) {
  CHECK(f.weights() == kOriginal);
  CHECK(f.state().phase == phase);
  REQUIRE(f.history().size() == 1);
  CHECK(f.history()[0].outcome == to_string(phase));
  CHECK(f.events.of(EventType::rolled_back).size() == 1);
}

}  // namespace

// ---- deadlines ------------------------------------------------------------------------------

TEST_CASE("Run: --timeout rolls back and ends TimedOut", "[run]") {
  RunFixture f;
  ApplySettings s;
  s.timeout = Duration(25000);
  const RunResult r = f.apply_ok(s);
  CHECK(r.outcome == Outcome::timed_out);
  CHECK(r.message == "--timeout 25s exceeded");
  CHECK(f.clock.elapsed() == Duration(25000));  // in the analysis, woken for the deadline itself
  check_rolled_back(f, Phase::TimedOut);
  CHECK(outcome_status(r, kName).error().kind == ErrorKind::timeout);
}

TEST_CASE("Run: progressDeadline counts from the run's start, across invocations", "[run]") {
  RunFixture f;
  f.plan.progress_deadline = Duration(40000);
  ApplySettings hand_over;
  hand_over.until_pause = true;
  CHECK(f.apply_ok(hand_over).outcome == Outcome::handed_over);  // at 30 s
  f.clock.advance(Duration(5000));
  // Nobody promotes: the resumed run waits at the pause step until 40 s after the start.
  const RunResult r = f.apply_ok();
  CHECK(r.outcome == Outcome::timed_out);
  CHECK(r.message == "progressDeadline 40s exceeded");
  CHECK(f.clock.elapsed() >= Duration(40000));
  CHECK(f.clock.elapsed() <= Duration(41000));
  check_rolled_back(f, Phase::TimedOut);
}

// ---- gate limits ----------------------------------------------------------------------------

TEST_CASE("Run: failures within failureLimit pass, one more rolls back", "[run]") {
  SECTION("within the limit") {
    RunFixture f;
    f.promote_at_pause_steps();
    f.script.queue("error-rate", {Verdict::failed, Verdict::successful, Verdict::successful});
    CHECK(f.apply_ok().outcome == Outcome::succeeded);
    CHECK(f.weights() == kFinished);
  }
  SECTION("over the limit") {
    RunFixture f;
    f.script.queue("error-rate", {Verdict::failed, Verdict::failed});
    const RunResult r = f.apply_ok();
    CHECK(r.outcome == Outcome::failed);
    CHECK_THAT(r.message, Catch::StartsWith("gate error-rate failed: scripted Failed; 2 failed (limit 1)"));
    CHECK(f.clock.elapsed() == Duration(10000));
    check_rolled_back(f, Phase::Failed);
    const RolloutState s = f.state();
    int failed = 0;
    for (const auto& m : s.measurements)
      if (m.gate == "error-rate" && m.verdict == "Failed") {
        ++failed;
        CHECK(m.step == "spec.steps[1]");
      }
    CHECK(failed == 2);
    CHECK(outcome_status(r, kName).error().kind == ErrorKind::gate_failed);
  }
}

TEST_CASE("Run: over inconclusiveLimit the run holds until resumed, then measures afresh", "[run]") {
  RunFixture f;
  f.promote_at_pause_steps();
  f.script.queue("error-rate", {Verdict::inconclusive, Verdict::inconclusive});
  f.clock.at(Duration(15000), [&] {
    const RolloutState s = f.state();
    CHECK(s.phase == Phase::Paused);
    CHECK(s.pause_reason == PauseReason::inconclusive);
    CHECK_THAT(s.message, Catch::StartsWith("gate error-rate is inconclusive: 0 failed (limit 1), 2 inconclusive"));
    CHECK(f.script.count("error-rate") == 2);  // no measurements while held
  });
  f.clock.at(Duration(25000), [&] { REQUIRE(resume_rollout(f.terminal, kName).ok()); });
  CHECK(f.apply_ok().outcome == Outcome::succeeded);
  CHECK(f.script.measured_at["error-rate"].at(2) == Duration(25000));  // restarted at the resume
  CHECK(f.weights() == kFinished);
}

TEST_CASE("Run: consecutiveErrorLimit counts provider errors in a row", "[run]") {
  SECTION("broken by a success") {
    RunFixture f;
    f.promote_at_pause_steps();
    f.script.queue("error-rate", {Verdict::error, Verdict::error, Verdict::successful, Verdict::error});
    CHECK(f.apply_ok().outcome == Outcome::succeeded);
  }
  SECTION("one more than the limit in a row") {
    RunFixture f;
    f.script.queue("error-rate", {Verdict::error, Verdict::error, Verdict::error});
    const RunResult r = f.apply_ok();
    CHECK(r.outcome == Outcome::failed);
    CHECK_THAT(r.message, Catch::StartsWith("gate error-rate failed"));
    CHECK(f.clock.elapsed() == Duration(20000));
    check_rolled_back(f, Phase::Failed);
  }
}

TEST_CASE("Run: a background gate failing between analyses rolls back", "[run]") {
  RunFixture f;  // nobody promotes: the run waits at the pause step while health is measured
  f.script.queue("health", {Verdict::successful, Verdict::successful, Verdict::successful, Verdict::failed});
  const RunResult r = f.apply_ok();
  CHECK(r.outcome == Outcome::failed);
  CHECK_THAT(r.message, Catch::StartsWith("gate health failed"));
  CHECK(f.clock.elapsed() == Duration(45000));
  const RolloutState s = f.state();
  CHECK(s.step == 2);  // the pause step
  REQUIRE_FALSE(s.measurements.empty());
  CHECK(s.measurements.back().gate == "health");
  CHECK(s.measurements.back().step == "background");
  check_rolled_back(f, Phase::Failed);
}

TEST_CASE("Run: onFailure: pause keeps the weights and a fresh run continues", "[run]") {
  RunFixture f;
  f.plan.on_failure = plan::OnFailure::pause;
  f.script.queue("error-rate", {Verdict::failed, Verdict::failed});
  const RunResult r = f.apply_ok();
  CHECK(r.outcome == Outcome::paused_on_failure);
  CHECK(outcome_status(r, kName).error().kind == ErrorKind::gate_failed);
  RolloutState s = f.state();
  CHECK(s.phase == Phase::Paused);
  CHECK(s.pause_reason == PauseReason::gate_failed);
  CHECK(f.weights() == split(10));  // not rolled back
  CHECK(f.history().empty());
  CHECK(f.events.of(EventType::rolling_back).empty());

  REQUIRE(resume_rollout(f.terminal, kName).ok());
  f.promote_at_pause_steps();
  CHECK(f.apply_ok().outcome == Outcome::succeeded);
  CHECK(f.weights() == kFinished);
}

}  // namespace rollout::engine
