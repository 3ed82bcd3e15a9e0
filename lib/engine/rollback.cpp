#include "engine/rollback.hpp"

#include <fmt/format.h>

#include "util/timestamp.hpp"

namespace rollout::engine {

using nlohmann::json;

namespace {

void emit(RunEnd& ctx, const RolloutState& state, EventType type, const std::string& message, json data) {
  data["rollout"] = state.name;
  ctx.events.emit(Event{type, message, std::move(data)});
}

}  // namespace

Result<RunResult> roll_back_run(RunEnd& ctx, RolloutState& state, Phase end, const std::string& message) {
  state.phase = Phase::RollingBack;
  state.rollback_to = to_string(end);
  state.message = message;
  if (auto s = ctx.store.save(state, ctx.me); !s.ok()) return s.error();
  emit(ctx, state, EventType::rolling_back, "rolling back: " + message, {{"reason", message}});
  auto took = restore_originals(ctx.exec, state);
  if (!took.ok()) return took.error();
  if (ctx.await_restored)
    if (auto s = ctx.await_restored(); !s.ok())
      return make_error(s.error().kind, "rolled back the objects, but the recorded version is not serving again: " +
                                            s.error().message + "; `rollout plan apply` again waits for it anew");
  state.position = actuators::Position{};
  emit(ctx, state, EventType::rolled_back,
       fmt::format("restored {} object(s) to their recorded values in {}ms", state.objects.size(), took->count()),
       {{"objects", state.objects.size()}, {"apiMillis", took->count()}});
  return finish_run(ctx, state, end, message);
}

Result<RunResult> finish_run(RunEnd& ctx, RolloutState& state, Phase phase, const std::string& message) {
  state.phase = phase;
  state.pause_reason = PauseReason::none;
  state.message = message;
  state.finished_at = format_rfc3339(ctx.clock.wall());
  // The record first: a run stopped between the two ends again when resumed (the record is
  // replaced, not repeated), but one whose terminal state was saved is never resumed.
  RunRecord record{state.run_id, state.plan_hash, state.started_at, state.finished_at, to_string(phase), message};
  if (auto s = ctx.store.append_history(record); !s.ok()) return s.error();
  if (auto s = ctx.store.save(state, ctx.me); !s.ok()) return s.error();
  emit(ctx, state, EventType::finished, message, {{"outcome", to_string(phase)}, {"runId", state.run_id}});
  switch (phase) {
    case Phase::Succeeded: return RunResult{Outcome::succeeded, message};
    case Phase::Aborted: return RunResult{Outcome::aborted, message};
    case Phase::TimedOut: return RunResult{Outcome::timed_out, message};
    default: return RunResult{Outcome::failed, message};
  }
}

}  // namespace rollout::engine
