// Golden tests of the pure views at 80 and 140 columns: tests/tui/golden/unit-*.txt.
// ROLLOUT_UPDATE_GOLDEN=1 rewrites the files instead of comparing.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "cli/live_view.hpp"
#include "cli/status_tree.hpp"
#include "cli/table.hpp"
#include "cli/text_width.hpp"
#include "util/timestamp.hpp"

namespace rollout::cli {
namespace {

const WallTime kNow = *parse_rfc3339("2026-01-01T12:10:00Z");

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

void check_golden(const std::string& name, const std::string& got) {
  const std::string path = std::string(ROLLOUT_SOURCE_DIR) + "/tests/tui/golden/" + name;
  const char* update = std::getenv("ROLLOUT_UPDATE_GOLDEN");
  if (update && *update) {
    std::ofstream(path) << got;
    return;
  }
  std::ifstream in(path);
  REQUIRE(in.good());
  std::stringstream want;
  want << in.rdbuf();
  CHECK(got == want.str());
}

View canary_view() {
  View v;
  v.name = "food-review-adapter";
  v.phase = "Paused";
  v.reason = "PauseStep";
  v.message = "waiting for `rollout promote food-review-adapter`";
  v.steps = {"load adapters food-review-2", "setWeight 10", "analysis error-rate for 1m",
             "pause until promoted",        "setWeight 50", "finish"};
  v.step = 3;
  v.position.weight = 10;
  v.position.adapters_loaded = true;
  v.gates = {GateView{"error-rate", "success: result < 0.01", {}}, GateView{"ttft-p99", "canary/stable <= 1.2", {}}};
  for (double x : {0.002, 0.001, 0.004, 0.0, 0.003, 0.002, 0.001, 0.002, 0.0015})
    v.gates[0].history.push_back({"Successful", x});
  if (v.gates[0].history.size() > GateView::kHistory) v.gates[0].history.erase(v.gates[0].history.begin());
  v.gates[1].history = {{"Successful", 1.05}, {"Inconclusive", std::nullopt}, {"Successful", 1.1}};
  v.started = kNow - std::chrono::seconds(125);
  v.step_started = kNow - std::chrono::seconds(12);
  v.recent = {"step 4/6: pause until promoted", "waiting for `rollout promote food-review-adapter`"};
  v.keys = true;
  return v;
}

View rolling_view(int replicas) {
  View v;
  v.name = "llama-upgrade";
  v.phase = "Progressing";
  v.layout = ReplicaLayout::groups_from_highest;
  v.replicas = replicas;
  v.steps = {"freeze 4 replicas and put the new template in place",
             "updateReplicas 1 of 4",
             "pause 30s",
             "updateReplicas 2 of 4",
             "updateReplicas 4 of 4",
             "analysis error-rate",
             "finish"};
  v.step = 3;
  v.position.template_in_place = true;
  v.position.updated = 2;
  v.gates = {GateView{"error-rate", "failure: result > 0.05", {{"Successful", 0.01}}}};
  v.started = kNow - std::chrono::seconds(3725);
  v.step_started = kNow - std::chrono::seconds(40);
  v.waiting = "ModelServing/default/llama: group 2: 0/2 pods Ready on the new revision";
  v.waiting_since = kNow - std::chrono::seconds(40);
  return v;
}

}  // namespace

TEST_CASE("the live view of a paused canary, at 80 and 140 columns", "[tui]") {
  for (int width : {80, 140}) {
    const auto lines = render(canary_view(), width, kNow);
    for (const auto& l : lines) CHECK(display_width(l) <= static_cast<size_t>(width));
    check_golden("unit-canary-" + std::to_string(width) + ".txt", joined(lines));
  }
}

TEST_CASE("the live view of a rolling upgrade: groups from the highest ordinal down", "[tui]") {
  for (int width : {80, 140}) {
    check_golden("unit-rolling-" + std::to_string(width) + ".txt", joined(render(rolling_view(4), width, kNow)));
    // Too many groups for labelled cells: one block per group.
    const auto many = render(rolling_view(40), width, kNow);
    for (const auto& l : many) CHECK(display_width(l) <= static_cast<size_t>(width));
  }
  View v = rolling_view(4);
  const auto lines = render(v, 80, kNow);
  CHECK(joined(lines).find("old   old   new   new") != std::string::npos);  // released first
  v.updating = 3;                                                           // the batch to 3 rolls: R-1 is next
  CHECK(joined(render(v, 80, kNow)).find("old   →new  new   new") != std::string::npos);
  v.updating = 0;
  v.layout = ReplicaLayout::batches;
  CHECK(joined(render(v, 80, kNow)).find("new   new   old   old") != std::string::npos);
}

TEST_CASE("the live view is built the same from a state snapshot", "[tui]") {
  engine::RolloutState s;
  s.name = "food-review-adapter";
  s.phase = engine::Phase::Paused;
  s.pause_reason = engine::PauseReason::pause_step;
  s.outline = {"setWeight 10", "pause until promoted", "finish"};
  s.step = 1;
  s.position.weight = 10;
  s.gates = {{"error-rate", "success: result < 0.01"}};
  s.measurements = {{"error-rate", "spec.steps[0]", "2026-01-01T12:09:30Z", "Successful", 0.002, "0.002"}};
  s.started_at = "2026-01-01T12:08:00Z";
  const View v = view_from_state(s);
  CHECK(v.steps.size() == 3);
  CHECK(v.gates.at(0).history.size() == 1);
  check_golden("unit-state-80.txt", joined(render(v, 80, kNow)));
  s.objects.push_back(engine::ManagedObject{});
  s.objects.back().ref = actuators::ObjectRef{"gateway.networking.k8s.io/v1", "HTTPRoute", "default", "llm-route"};
  const StatusContext c{"namespace default", "none (no apply is running)",
                        "ConfigMap default/rollout-food-review-adapter"};
  check_golden("unit-status-tree.txt", joined(render_tree(s, c, kNow)));
}

TEST_CASE("long lines are cut at the width, counting code points", "[tui]") {
  CHECK(fit_width("ab█cd", 4) == "ab█…");
  CHECK(display_width("\x1b[31mred\x1b[0m") == 3);
  CHECK(fit_width("short", 10) == "short");
}

TEST_CASE("tables size their columns to the content", "[tui]") {
  CHECK(
      format_table({{"NAME", "PHASE", "WHERE"}, {"a-very-long-name", "Paused", "namespace default"}, {"b", "", "x"}}) ==
      "NAME              PHASE   WHERE\n"
      "a-very-long-name  Paused  namespace default\n"
      "b                         x\n");
}

}  // namespace rollout::cli
