// An apply interrupted (the CLI's SIGINT/SIGTERM) stops between writes: the rollout stays where
// its state records it, unlocked, and the next apply resumes it; its reports say Interrupted.
#include "engine/report.hpp"
#include "engine/run_fixture.hpp"

namespace rollout::engine {

using namespace testing;

TEST_CASE("Run: interrupted during an analysis, it stops there unlocked and a new apply finishes", "[run][interrupt]") {
  RunFixture f;
  Interrupt interrupt;
  ApplySettings settings;
  settings.interrupt = &interrupt;
  f.clock.at(Duration(5000), [&] { interrupt.request("SIGTERM"); });
  const RunResult r = f.apply_ok(settings);
  CHECK(r.outcome == Outcome::interrupted);
  CHECK_THAT(r.message, Catch::Contains("interrupted by SIGTERM at step 2/7 (analysis"));
  CHECK_THAT(r.message, Catch::Contains("`rollout abort bg` rolls it back"));
  CHECK(f.weights() == split(10));  // nothing undone, nothing more written
  const RolloutState s = f.state();
  CHECK(s.phase == Phase::Progressing);
  CHECK(s.step == 1);
  CHECK_THAT(s.message, Catch::Contains("no apply drives it"));
  CHECK_FALSE(f.terminal.driven(*f.terminal.read()));  // the lock is released
  CHECK(f.history().empty());                          // the run is not over
  CHECK(f.commands.empty());                           // nor finalized
  REQUIRE(f.events.of(EventType::interrupted).size() == 1);
  CHECK(f.events.of(EventType::finished).empty());
  CHECK(outcome_status(r, "bg").error().kind == ErrorKind::aborted);

  // The next apply (no interrupt) resumes at the analysis and finishes.
  f.promote_at_pause_steps();
  CHECK(f.apply_ok().outcome == Outcome::succeeded);
  CHECK(f.weights() == kFinished);
  REQUIRE(f.history().size() == 1);
  CHECK(f.history()[0].outcome == "Succeeded");
  CHECK(f.events.of(EventType::run_resumed).size() == 1);
}

TEST_CASE("Run: interrupted at a manual pause, it stays paused for promote and a new apply", "[run][interrupt]") {
  RunFixture f;
  Interrupt interrupt;
  ApplySettings settings;
  settings.interrupt = &interrupt;
  f.events.on_event = [&](const Event& e) {
    if (e.type == EventType::paused) interrupt.request("SIGINT");
  };
  const RunResult r = f.apply_ok(settings);
  CHECK(r.outcome == Outcome::interrupted);
  CHECK_THAT(r.message, Catch::Contains("interrupted by SIGINT at step 3/7"));
  const RolloutState s = f.state();
  CHECK(s.phase == Phase::Paused);  // what a second terminal sees is still true
  CHECK(s.pause_reason == PauseReason::pause_step);
  CHECK(s.waiting.empty());
  CHECK_FALSE(f.terminal.driven(*f.terminal.read()));
}

TEST_CASE("Run: an interrupt during a rollback lets the rollback finish", "[run][interrupt]") {
  RunFixture f;
  Interrupt interrupt;
  ApplySettings settings;
  settings.interrupt = &interrupt;
  f.script.queue("error-rate", {gates::Verdict::failed, gates::Verdict::failed});  // failureLimit 1
  f.events.on_event = [&](const Event& e) {
    if (e.type == EventType::rolling_back) interrupt.request("SIGTERM");
  };
  const RunResult r = f.apply_ok(settings);
  CHECK(r.outcome == Outcome::failed);
  CHECK(f.weights() == kOriginal);
  CHECK(f.state().phase == Phase::Failed);
  CHECK(f.events.of(EventType::interrupted).empty());
}

TEST_CASE("Run: an interrupted apply's reports say Interrupted, the step an error, not a failure", "[run][interrupt][report]") {
  RunFixture f;
  Interrupt interrupt;
  ApplySettings settings;
  settings.interrupt = &interrupt;
  f.clock.at(Duration(5000), [&] { interrupt.request("SIGTERM"); });
  RunRecorder recorder(f.clock);
  recorder.set_plan(f.plan, "plan-1");
  f.events.on_event = [&](const Event& e) { recorder.emit(e); };
  const RunResult r = f.apply_ok(settings);
  REQUIRE(r.outcome == Outcome::interrupted);
  const RunReport report = recorder.report(outcome_status(r, "bg"), "plan.yaml");
  CHECK(report.outcome == ReportOutcome::interrupted);
  CHECK_FALSE(report.rolled_back);
  REQUIRE(report.steps.size() == 7);
  CHECK(report.steps[0].result == "passed");
  CHECK(report.steps[1].result == "interrupted");
  CHECK(report.steps[2].result == "not run");
  const std::string xml = junit_xml(report);
  CHECK_THAT(xml, Catch::Contains("type=\"Interrupted\""));
  CHECK_THAT(xml, Catch::Contains("interrupted by SIGTERM"));
  CHECK_THAT(summary_markdown(report), Catch::Contains("INTERRUPTED"));
}

TEST_CASE("Interrupt: the first request counts and a late waker is called at once", "[interrupt]") {
  Interrupt i;
  CHECK_FALSE(i.requested());
  int woken = 0;
  i.on_request([&] { ++woken; });
  i.request("SIGINT");
  i.request("SIGTERM");
  CHECK(i.requested() == std::optional<std::string>("SIGINT"));
  CHECK(woken == 1);
  i.on_request(nullptr);
  int late = 0;
  i.on_request([&] { ++late; });
  CHECK(late == 1);
}

}  // namespace rollout::engine
