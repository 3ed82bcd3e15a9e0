#include "engine/report.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/run_fixture.hpp"
#include "plan/loader.hpp"

namespace rollout::engine {

namespace {

using nlohmann::json;

const char* kPlanText = R"(apiVersion: rollout/v1alpha1
kind: RolloutPlan
metadata: {name: bg}
spec:
  strategy: blueGreen
  target:
    httpRoute:
      name: llm-route
      stable: {name: old}
      canary: {name: new}
  steps:
    - setWeight: 10
    - analysis: {gates: [error-rate], duration: 30s}
    - setWeight: 50
  gates:
    - name: error-rate
      scrape: {metric: error-rate}
      successCondition: "result < 0.01"
      failureCondition: "result > 0.5"
      compare: {baseline: stable, maxRatio: 1.25}
      interval: 10s
    - name: health
      http: {path: /health}
  background: [health]
)";

plan::Plan load() {
  auto f = plan::load_plan_text("report_test.yaml", kPlanText);
  for (const auto& m : f.messages()) INFO(m);
  REQUIRE(f.ok());
  return f.plans.at(0).plan;
}

// Feeds events a second apart on a fake clock.
struct Feed {
  FakeClock clock;
  RunRecorder rec{clock};
  plan::Plan plan = load();
  Feed() { rec.set_plan(plan, "hash-1"); }
  void operator()(EventType t, json data, const std::string& message = "") {
    clock.advance(Duration(1000));
    rec.emit(Event{t, message, std::move(data)});
  }
  void step(int i, const std::string& title) { (*this)(EventType::step_started, {{"step", i}, {"title", title}}); }
  void gate(const std::string& name, const std::string& verdict, std::optional<double> value, std::string where) {
    json d = {{"gate", name}, {"verdict", verdict}, {"where", where}, {"detail", "detail of " + name}};
    if (value) d["value"] = *value;
    (*this)(EventType::gate_measured, d);
  }
};

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("report: gate_condition says what a gate asks", "[report]") {
  const plan::Plan p = load();
  CHECK(gate_condition(*p.find_gate("error-rate")) ==
        "successCondition: result < 0.01; failureCondition: result > 0.5; canary <= 1.25 x stable");
  CHECK(gate_condition(*p.find_gate("health")) == "GET /health answers 200 on every ready canary pod");
}

TEST_CASE("report: a successful run lists every step and gate evaluation", "[report]") {
  Feed f;
  f(EventType::run_started, {{"runId", "run-1"}, {"steps", 4}, {"replicas", 0}});
  f.step(0, "setWeight 10");
  f.gate("health", "Successful", 1, "background");
  f.step(1, "analysis error-rate for 30s");
  f.gate("error-rate", "Successful", 0.001, "spec.steps[1]");
  f.gate("error-rate", "Inconclusive", std::nullopt, "spec.steps[1]");
  f.step(2, "setWeight 50");
  f.step(3, "finish: only the canary serves");
  f(EventType::finished, {{"outcome", "Succeeded"}, {"runId", "run-1"}}, "rollout bg succeeded");
  f.clock.advance(Duration(500));
  const RunReport r = f.rec.report(ok_status(), "bg.yaml");

  CHECK(r.outcome == ReportOutcome::succeeded);
  REQUIRE(r.steps.size() == 4);
  CHECK(r.steps[0].result == "passed");
  CHECK(r.steps[0].setting == "canary 10% / stable 90%");
  CHECK(r.steps[1].action == "analysis");
  CHECK(r.steps[1].seconds() == Approx(3.0));
  CHECK(r.steps[3].result == "passed");
  CHECK(r.steps[3].setting == "canary 100% (finished)");
  REQUIRE(r.gates.size() == 3);
  CHECK(r.gates[0].background);
  CHECK(r.gates[1].condition ==
        "successCondition: result < 0.01; failureCondition: result > 0.5; canary <= 1.25 x stable");

  const std::string xml = junit_xml(r);
  CHECK(count(xml, "<testcase ") == 7);
  CHECK(xml.find("<testsuite name=\"bg\" tests=\"7\" failures=\"0\" errors=\"0\" skipped=\"1\" time=\"8.500\"") !=
        std::string::npos);
  CHECK(xml.find("<testcase classname=\"bg/step 2\" name=\"analysis error-rate for 30s\" time=\"3.000\"/>") !=
        std::string::npos);
  CHECK(xml.find("classname=\"bg/step 1\" name=\"gate health (background) at ") != std::string::npos);
  CHECK(xml.find("<property name=\"plan.hash\" value=\"hash-1\"/>") != std::string::npos);
  CHECK(xml.find("<property name=\"run.id\" value=\"run-1\"/>") != std::string::npos);
  CHECK(xml.find("<property name=\"outcome\" value=\"Succeeded\"/>") != std::string::npos);
  CHECK(xml.find("<failure") == std::string::npos);

  const std::string md = summary_markdown(r);
  CHECK(md.find("## Rollout bg: SUCCEEDED\n") == 0);
  CHECK(md.find("| duration | 8s |") != std::string::npos);
  CHECK(md.find("| # | step | action | weights / replicas | result | duration |") != std::string::npos);
  CHECK(md.find("| 1 | setWeight 10 | setWeight | canary 10% / stable 90% | passed | 2s |") != std::string::npos);
  CHECK(md.find("| gate | step | verdict | value | condition |") != std::string::npos);
  CHECK(md.find("| error-rate | 2 | Inconclusive 1, Successful 1 | 0.001 | `successCondition: result < 0.01; "
                "failureCondition: result > "
                "0.5; canary <= 1.25 x stable` |") != std::string::npos);
  CHECK(md.find("| health | 1 (background) | Successful 1 | 1 |") != std::string::npos);
  CHECK(md.find("Rolled back") == std::string::npos);
}

TEST_CASE("report: a failed gate carries its value and condition; the rollback is reported", "[report]") {
  Feed f;
  f(EventType::run_started, {{"runId", "run-2"}, {"steps", 4}});
  f.step(0, "setWeight 10");
  f(EventType::object_patched, {{"object", {{"kind", "HTTPRoute"}, {"name", "llm-route"}, {"namespace", "ns"}}}});
  f.step(1, "analysis error-rate for 30s");
  f.gate("error-rate", "Failed", 0.5, "spec.steps[1]");
  const std::string why = "gate error-rate failed: result 0.5; 1 failed of 1";
  f(EventType::rolling_back, {{"reason", why}}, "rolling back: " + why);
  f(EventType::rolled_back, {{"objects", 1}});
  f(EventType::finished, {{"outcome", "Failed"}, {"runId", "run-2"}}, why);
  const RunReport r = f.rec.report(make_error(ErrorKind::gate_failed, "rolled back"), "bg.yaml");

  CHECK(r.outcome == ReportOutcome::rolled_back);
  CHECK(r.steps[1].result == "failed");
  CHECK(r.steps[2].result == "not run");
  CHECK(r.restored == std::vector<std::string>{"HTTPRoute/llm-route"});
  const std::string xml = junit_xml(r);
  CHECK(xml.find("failures=\"2\" errors=\"0\" skipped=\"2\"") != std::string::npos);
  CHECK(xml.find("<failure message=\"gate error-rate: Failed, value 0.5, condition: successCondition: result &lt; "
                 "0.01; failureCondition: result &gt; 0.5; canary &lt;= 1.25 x stable: detail of error-rate\" "
                 "type=\"GateFailed\">gate: error-rate\nstep: 2 (analysis error-rate for 30s)\nverdict: Failed\nvalue: "
                 "0.5\ncondition: successCondition: result &lt; 0.01") != std::string::npos);
  CHECK(xml.find("type=\"RolledBack\"") != std::string::npos);
  CHECK(xml.find("<skipped message=\"not run\"/>") != std::string::npos);
  CHECK(xml.find("<property name=\"outcome\" value=\"Failed\"/>") != std::string::npos);
  CHECK(xml.find("rolled back: restored HTTPRoute/llm-route") != std::string::npos);

  const std::string md = summary_markdown(r);
  CHECK(md.find("## Rollout bg: ROLLED BACK\n") == 0);
  CHECK(md.find("| error-rate | 2 | Failed 1 | 0.5 |") != std::string::npos);
  CHECK(md.find("| 2 | analysis error-rate for 30s | analysis | canary 10% / stable 90% | failed |") !=
        std::string::npos);
  CHECK(md.find("### Rolled back\n\nEvery object this rollout changed was restored to its recorded value: "
                "`HTTPRoute/llm-route`.\nReason: " +
                why) != std::string::npos);
}

TEST_CASE("report: an apply that ends by an error before any step is one error case", "[report]") {
  Feed f;
  const RunReport r = f.rec.report(make_error(ErrorKind::unavailable, "metrics backend unreachable"), "bg.yaml");
  CHECK(r.outcome == ReportOutcome::error);
  const std::string xml = junit_xml(r);
  CHECK(xml.find("<testcase classname=\"bg/run\" name=\"start the rollout\"") != std::string::npos);
  CHECK(xml.find("<error message=\"metrics backend unreachable\" type=\"unavailable\">") != std::string::npos);
  CHECK(xml.find("errors=\"1\" skipped=\"4\"") != std::string::npos);
  CHECK(summary_markdown(r).find("## Rollout bg: ERROR\n") == 0);

  RunRecorder no_plan(f.clock);  // the plan file did not load: named after the file
  const RunReport bad =
      no_plan.report(make_error(ErrorKind::invalid, "plans/x.yaml is not a valid plan"), "plans/x.yaml");
  CHECK(junit_xml(bad).find("<testsuite name=\"plans/x.yaml\" tests=\"1\" failures=\"0\" errors=\"1\"") !=
        std::string::npos);
}

TEST_CASE("report: an error during a step, an abort, a deadline and --until-pause say so", "[report]") {
  SECTION("infrastructure error mid-run") {
    Feed f;
    f(EventType::run_started, {{"runId", "r"}});
    f.step(0, "setWeight 10");
    const RunReport r = f.rec.report(make_error(ErrorKind::unavailable, "connection refused"), "bg.yaml");
    CHECK(r.steps[0].result == "error");
    CHECK(junit_xml(r).find("<error message=\"connection refused\" type=\"unavailable\">") != std::string::npos);
  }
  SECTION("aborted") {
    Feed f;
    f.step(0, "setWeight 10");
    f(EventType::rolling_back, {{"reason", "aborted by me"}});
    f(EventType::rolled_back, {});
    f(EventType::finished, {{"outcome", "Aborted"}}, "aborted by me");
    const RunReport r = f.rec.report(make_error(ErrorKind::aborted, "aborted"), "bg.yaml");
    CHECK(r.outcome == ReportOutcome::aborted);
    const std::string xml = junit_xml(r);
    CHECK(xml.find("<error message=\"aborted by me\" type=\"Aborted\">") != std::string::npos);
    CHECK(summary_markdown(r).find("## Rollout bg: ABORTED") == 0);
  }
  SECTION("deadline") {
    Feed f;
    f.step(0, "setWeight 10");
    f(EventType::finished, {{"outcome", "TimedOut"}}, "deadline exceeded");
    const RunReport r = f.rec.report(make_error(ErrorKind::timeout, "deadline"), "bg.yaml");
    CHECK(junit_xml(r).find("type=\"Timeout\"") != std::string::npos);
    CHECK(summary_markdown(r).find("## Rollout bg: TIMED OUT") == 0);
  }
  SECTION("--until-pause hands over at a pause") {
    Feed f;
    f.step(0, "setWeight 10");
    f(EventType::paused, {{"reason", "PauseStep"}}, "waiting for promote (handing over: --until-pause)");
    const RunReport r = f.rec.report(ok_status(), "bg.yaml");
    CHECK(r.outcome == ReportOutcome::handed_over);
    CHECK(r.steps[0].result == "paused");
    CHECK(summary_markdown(r).find("## Rollout bg: PAUSED") == 0);
  }
  SECTION("onFailure: pause") {
    Feed f;
    f.step(1, "analysis");
    f.gate("error-rate", "Failed", 1, "spec.steps[1]");
    f(EventType::paused, {{"reason", "GateFailed"}}, "gate error-rate failed (onFailure: pause)");
    const RunReport r = f.rec.report(make_error(ErrorKind::gate_failed, "paused"), "bg.yaml");
    CHECK(r.outcome == ReportOutcome::paused_on_failure);
    CHECK(r.steps[0].result == "skipped");
    CHECK(junit_xml(r).find("type=\"PausedOnFailure\"") != std::string::npos);
  }
}

TEST_CASE("report: a resumed run's earlier steps and steps skipped by promote --full", "[report]") {
  Feed f;
  f(EventType::run_resumed, {{"runId", "run-3"}, {"step", 1}, {"phase", "Progressing"}, {"replicas", 0}});
  f.step(1, "analysis error-rate for 30s");
  f(EventType::promoted, {{"full", true}});
  f.step(3, "finish: only the canary serves");
  f(EventType::finished, {{"outcome", "Succeeded"}, {"runId", "run-3"}}, "rollout bg succeeded");
  const RunReport r = f.rec.report(ok_status(), "bg.yaml");
  CHECK(r.run_id == "run-3");
  CHECK(r.steps[0].result == "done earlier");
  CHECK(r.steps[1].result == "promoted");
  CHECK(r.steps[2].result == "skipped");
  CHECK(r.steps[3].result == "passed");
  const std::string xml = junit_xml(r);
  CHECK(xml.find("failures=\"0\" errors=\"0\" skipped=\"2\"") != std::string::npos);
  CHECK(xml.find("<skipped message=\"done earlier\"/>") != std::string::npos);
}

TEST_CASE("report: special and control characters are escaped or removed", "[report]") {
  Feed f;
  f.step(0, "setWeight 10");
  f.gate("error-rate", "Failed", 2, "spec.steps[0]");
  f(EventType::finished, {{"outcome", "Failed"}},
    std::string("bad <tag> & \"quote\" 'x' |pipe| \x01\x1b[31mred\x7f\nnext"));
  const RunReport r = f.rec.report(make_error(ErrorKind::gate_failed, "x"), "bg.yaml");
  const std::string xml = junit_xml(r);
  CHECK(xml.find("bad &lt;tag&gt; &amp; &quot;quote&quot; &apos;x&apos; |pipe| [31mred&#10;next") != std::string::npos);
  CHECK(std::count_if(xml.begin(), xml.end(),
                      [](char c) { return static_cast<unsigned char>(c) < 0x20 && c != '\n'; }) == 0);
  const std::string md = summary_markdown(r);
  // Bytes that are not UTF-8 (a server's answer quoted in a measurement) become U+FFFD; UTF-8 stays.
  Feed g;
  g.step(0, "setWeight 10");
  g(EventType::finished, {{"outcome", "Failed"}}, std::string("caf\xc3\xa9 \xff\xfe end \xed\xa0\x80 \xe2\x9c\x93"));
  const std::string bytes = junit_xml(g.rec.report(make_error(ErrorKind::gate_failed, "x"), "bg.yaml"));
  CHECK(bytes.find(
            "value=\"caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd end \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xe2\x9c\x93\"") !=
        std::string::npos);
  CHECK(md.find("bad &lt;tag&gt; & \"quote\" 'x' \\|pipe\\| [31mred next") != std::string::npos);
}

TEST_CASE("report: files: JUnit replaced atomically, the summary appended, bad paths refused", "[report]") {
  testing::TempDir dir;
  Feed f;
  f.step(0, "setWeight 10");
  const RunReport r = f.rec.report(ok_status(), "bg.yaml");
  const std::string junit = dir.path + "/junit.xml", summary = dir.path + "/summary.md";
  REQUIRE(check_report_paths(junit, summary).ok());
  REQUIRE(write_reports(r, junit, summary).ok());
  REQUIRE(write_reports(r, junit, summary).ok());
  std::stringstream xml, md;
  xml << std::ifstream(junit).rdbuf();
  md << std::ifstream(summary).rdbuf();
  CHECK(xml.str() == junit_xml(r));
  CHECK(md.str() == summary_markdown(r) + summary_markdown(r));
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path)) files += e.is_regular_file();
  CHECK(files == 2);  // no temporary file left behind

  auto s = check_report_paths(dir.path + "/no/such/junit.xml", "");
  REQUIRE(!s.ok());
  CHECK(s.error().kind == ErrorKind::usage);
  CHECK(s.error().message ==
        "--junit " + dir.path + "/no/such/junit.xml: directory " + dir.path + "/no/such does not exist");
  s = check_report_paths("", dir.path);
  REQUIRE(!s.ok());
  CHECK(s.error().message == "--summary " + dir.path + ": is a directory");
}

TEST_CASE("report: the engine's own events of a rolled-back run", "[report]") {
  testing::RunFixture f;
  f.script.queue("error-rate", {gates::Verdict::failed, gates::Verdict::failed});
  auto result = f.apply();
  REQUIRE(result.ok());
  REQUIRE(result->outcome == Outcome::failed);
  RunRecorder rec(f.clock);
  rec.set_plan(f.plan, "plan-1");
  for (const auto& e : f.events.events) rec.emit(e);
  const RunReport r = rec.report(outcome_status(*result, testing::kName), "x.yaml");
  CHECK(r.outcome == ReportOutcome::rolled_back);
  CHECK(r.rolled_back);
  CHECK(r.restored == std::vector<std::string>{"HTTPRoute/llm-route"});
  CHECK(!r.run_id.empty());
  REQUIRE(r.steps.size() == 7);
  CHECK(r.steps[0].result == "passed");
  CHECK(r.steps[1].result == "failed");
  bool failed_gate = false;
  for (const auto& g : r.gates)
    if (g.gate == "error-rate" && g.verdict == "Failed") {
      failed_gate = true;
      CHECK(g.condition == "GET /health answers 200 on every ready canary pod");  // from the event
      CHECK(g.step == 1);
    }
  CHECK(failed_gate);
  CHECK(junit_xml(r).find("type=\"GateFailed\"") != std::string::npos);
}

}  // namespace rollout::engine
