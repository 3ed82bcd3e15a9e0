// What the engine reports while it works. The library never prints: the CLI renders these as
// text, coloured diffs or JSON lines (`-o json`, one event per line).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace rollout::engine {

struct Event {
  std::string type;     // run_started, step_started, object_patched, object_unchanged, object_diff, verified,
                        // gate_measured, paused, resumed, promoted, drift, rolling_back, rolled_back, finished, info
  std::string message;  // one line for humans
  nlohmann::json data = nlohmann::json::object();  // machine-readable fields
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void emit(const Event& event) = 0;
};

}  // namespace rollout::engine
