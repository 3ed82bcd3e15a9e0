// `rollout status NAME` as a compact tree: the steps (done, current, to come), the objects,
// traffic or replicas, each gate's condition and its last measurements. Pure: golden-testable.
#pragma once

#include <string>
#include <vector>

#include "cli/live_view.hpp"
#include "engine/state.hpp"

namespace rollout::cli {

struct StatusContext {
  std::string where;   // "namespace default" or the state dir
  std::string driver;  // the apply driving it, or "none (no apply is running)"
  std::string store;   // where the state lives
};

std::vector<std::string> render_tree(const engine::RolloutState& state, const StatusContext& context, WallTime now);

}  // namespace rollout::cli
