#include "engine/events.hpp"

namespace rollout::engine {

const char* to_string(EventType t) {
  switch (t) {
    case EventType::run_started: return "run_started";
    case EventType::run_resumed: return "run_resumed";
    case EventType::step_started: return "step_started";
    case EventType::object_patched: return "object_patched";
    case EventType::object_unchanged: return "object_unchanged";
    case EventType::object_diff: return "object_diff";
    case EventType::verified: return "verified";
    case EventType::gate_measured: return "gate_measured";
    case EventType::paused: return "paused";
    case EventType::resumed: return "resumed";
    case EventType::promoted: return "promoted";
    case EventType::drift: return "drift";
    case EventType::rolling_back: return "rolling_back";
    case EventType::interrupted: return "interrupted";
    case EventType::rolled_back: return "rolled_back";
    case EventType::finished: return "finished";
    case EventType::info: return "info";
  }
  return "info";
}

namespace {
constexpr std::pair<PauseReason, const char*> kReasons[] = {
    {PauseReason::none, ""},           {PauseReason::pause_step, "PauseStep"},
    {PauseReason::user, "User"},       {PauseReason::drift, "Drift"},
    {PauseReason::gate_failed, "GateFailed"}, {PauseReason::inconclusive, "Inconclusive"},
};
}  // namespace

const char* to_string(PauseReason r) {
  for (const auto& [reason, name] : kReasons)
    if (reason == r) return name;
  return "";
}

std::optional<PauseReason> pause_reason_from_string(const std::string& s) {
  for (const auto& [reason, name] : kReasons)
    if (s == name) return reason;
  return std::nullopt;
}

}  // namespace rollout::engine
