// The end of a run, written once for the engine and for `rollout abort` with no apply running:
// the phase saved, the run recorded in the history, and the same events either way.
#pragma once

#include <functional>

#include "engine/engine.hpp"
#include "engine/state_store.hpp"

namespace rollout::engine {

struct RunEnd {
  StateStore& store;
  const LockHolder& me;
  ObjectExecutor& exec;
  EventSink& events;
  Clock& clock;
  // After the restore: waits until the targets run the recorded version again (a rolling
  // target's controller brings the pods back); empty: the restore is the end of it.
  std::function<Status()> await_restored = {};
};

// RollingBack saved, every object restored to its recorded values (traffic before adapters),
// then finish_run(end). Resumable: a run killed while rolling back rolls back again.
Result<RunResult> roll_back_run(RunEnd& ctx, RolloutState& state, Phase end, const std::string& message);

// The terminal phase saved and recorded in the history; the `finished` event.
Result<RunResult> finish_run(RunEnd& ctx, RolloutState& state, Phase phase, const std::string& message);

}  // namespace rollout::engine
