#include "gates/evaluation.hpp"

#include <fmt/format.h>

namespace rollout::gates {

void GateTracker::start(Clock::time_point now, bool windowed) {
  next_due_ = now + gate_->initial_delay.value_or(Duration(0)) + (windowed ? gate_->interval : Duration(0));
  measured_ = failed_ = inconclusive_ = consecutive_errors_ = 0;
}

GateStatus GateTracker::record(const Measurement& m, Clock::time_point now) {
  next_due_ = now + gate_->interval;
  ++measured_;
  switch (m.verdict) {
    case Verdict::successful: consecutive_errors_ = 0; break;
    case Verdict::failed:
      consecutive_errors_ = 0;
      ++failed_;
      break;
    case Verdict::inconclusive:
      consecutive_errors_ = 0;
      ++inconclusive_;
      break;
    case Verdict::error: ++consecutive_errors_; break;
  }
  if (gate_->dry_run) return GateStatus::running;
  if (failed_ > gate_->failure_limit) return GateStatus::failed;
  if (consecutive_errors_ > gate_->consecutive_error_limit) return GateStatus::failed;
  if (inconclusive_ > gate_->inconclusive_limit) return GateStatus::inconclusive;
  return GateStatus::running;
}

std::string GateTracker::summary() const {
  return fmt::format("{} failed (limit {}), {} inconclusive (limit {}) of {} measurements", failed_,
                     gate_->failure_limit, inconclusive_, gate_->inconclusive_limit, measured_);
}

}  // namespace rollout::gates
