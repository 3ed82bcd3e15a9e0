// The end of a run, written once for the engine and for `rollout abort` with no apply running:
// the phase saved, the run recorded in the history, and the same events either way.
#pragma once

#include "engine/engine.hpp"
#include "engine/state_store.hpp"

namespace rollout::engine {

struct RunEnd {
  StateStore& store;
  const LockHolder& me;
  ObjectExecutor& exec;
  EventSink& events;
  Clock& clock;
};

// RollingBack saved, every object restored to its recorded values (traffic before adapters),
// then finish_run(end). Resumable: a run killed while rolling back rolls back again.
Result<RunResult> roll_back_run(RunEnd& ctx, RolloutState& state, Phase end, const std::string& message);

// The terminal phase saved and recorded in the history; the `finished` event.
Result<RunResult> finish_run(RunEnd& ctx, RolloutState& state, Phase phase, const std::string& message);

}  // namespace rollout::engine
