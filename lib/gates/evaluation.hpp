// Turning measurements into a decision, the same for every provider: failureLimit,
// inconclusiveLimit, consecutiveErrorLimit, initialDelay, interval, count and dryRun gates that
// are reported but never decide.
#pragma once

#include <chrono>
#include <string>

#include "gates/gate.hpp"

namespace rollout::gates {

enum class GateStatus { running, failed, inconclusive };

class GateTracker {
 public:
  using Clock = std::chrono::steady_clock;
  explicit GateTracker(const plan::Gate& gate) : gate_(&gate) {}

  const plan::Gate& gate() const { return *gate_; }
  // Starts (or restarts) measuring: the first measurement is due after initialDelay, and for a
  // windowed gate (its baseline taken at the start) one interval later still, so that it judges a
  // whole window.
  void start(Clock::time_point now, bool windowed = false);
  bool due(Clock::time_point now) const { return now >= next_due_; }
  Clock::time_point next_due() const { return next_due_; }
  // Counts one measurement and schedules the next one. A dryRun gate never fails.
  GateStatus record(const Measurement& m, Clock::time_point now);
  // `count` measurements have been taken (a gate without count: at least one).
  bool enough() const { return measured_ >= (gate_->count ? *gate_->count : 1); }
  std::string summary() const;  // "2 failed, 0 inconclusive of 5"

 private:
  const plan::Gate* gate_;
  Clock::time_point next_due_{};
  int measured_ = 0;
  int failed_ = 0;
  int inconclusive_ = 0;
  int consecutive_errors_ = 0;
};

}  // namespace rollout::gates
