// The live view of a rollout on a terminal: what `plan apply` and `status -w` draw in place.
// One view model, filled from the engine's events (apply) or from a state snapshot (status -w),
// and one pure function from it to lines, so that both commands draw the same thing and golden
// tests can check it at any width.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "engine/events.hpp"
#include "engine/state.hpp"
#include "plan/plan.hpp"

namespace rollout::cli {

using WallTime = std::chrono::system_clock::time_point;

// How a rolling target's replicas are shown: Kthena ModelServing/ModelInfer and LeaderWorkerSet
// release groups from the highest ordinal down (partition), a Deployment runs batches of pods,
// local replicas are replaced in order. Traffic targets show a bar instead.
enum class ReplicaLayout { none, groups_from_highest, batches, in_order };
ReplicaLayout layout_for_kind(const std::string& kind, const std::string& api_version);
ReplicaLayout layout_for_plan(const plan::Plan& plan);

struct GateView {
  std::string name;
  std::string condition;
  struct Mark {
    std::string verdict;  // Successful | Failed | Inconclusive | Error
    std::optional<double> value;
  };
  std::vector<Mark> history;  // oldest first, the last kHistory kept
  static constexpr size_t kHistory = 8;
};

struct View {
  std::string name;
  std::string phase;   // Progressing, Paused, ...
  std::string reason;  // pause reason, "" for none
  std::string message;
  std::vector<std::string> steps;  // titles in order
  int step = 0;                    // the current one (== steps.size(): all done)
  ReplicaLayout layout = ReplicaLayout::none;
  actuators::Position position;
  int replicas = 0;
  int updating = 0;  // a batch being rolled: how many run the new version once it is done (0: none)
  std::vector<GateView> gates;
  std::optional<WallTime> started;
  std::optional<WallTime> step_started;
  std::string waiting;  // what the step waits for
  std::optional<WallTime> waiting_since;
  std::vector<std::string> recent;  // the last few event lines, oldest first
  bool keys = false;                // the keys line is shown (a manual pause on a TTY)
  std::string outcome;              // set once the run finished
};

// The view as lines of at most `width` columns (UTF-8, no escapes), times relative to `now`.
std::vector<std::string> render(const View& view, int width, WallTime now);

// A state snapshot as a view (status -w): the outline, gates and waiting the engine keeps.
View view_from_state(const engine::RolloutState& state);

// One engine event folded into the view (apply). The caller, which has the plan, sets the steps'
// titles and positions (run_started / run_resumed say how many replicas the plan lays out).
void fold_event(View& view, const engine::Event& event, WallTime now);

// The keys a manual pause takes on a TTY.
inline constexpr const char* kPauseKeys = "[p]romote  [a]bort  [d]iff  [q]uit (leave paused)";

// "1m05s", "42s", "2h03m": elapsed times, short.
std::string short_duration(std::chrono::seconds d);

}  // namespace rollout::cli
