// What the engine reports while it works. The library never prints: the CLI renders these as
// text, coloured diffs or JSON lines (`-o json`, one event per line, "event": to_string(type)).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace rollout::engine {

enum class EventType {
  run_started,
  run_resumed,
  step_started,
  object_patched,
  object_unchanged,
  object_diff,
  verified,
  gate_measured,
  paused,
  resumed,
  promoted,
  drift,
  rolling_back,
  rolled_back,
  finished,
  interrupted,  // SIGINT/SIGTERM: stopped where it was, not finished
  info,
};
const char* to_string(EventType t);

struct Event {
  EventType type = EventType::info;
  std::string message;  // one line for humans
  nlohmann::json data = nlohmann::json::object();  // machine-readable fields
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void emit(const Event& event) = 0;
};

// Why a rollout holds. Saved as its name (PauseStep, User, Drift, GateFailed, Inconclusive).
enum class PauseReason { none, pause_step, user, drift, gate_failed, inconclusive };
const char* to_string(PauseReason r);  // "" for none
std::optional<PauseReason> pause_reason_from_string(const std::string& s);

}  // namespace rollout::engine
