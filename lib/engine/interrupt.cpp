// Interrupt (the CLI's SIGINT, SIGTERM and SIGHUP) and what a Run does when asked to stop:
// nothing undone, nothing more written, the lock released with the Run.
#include <fmt/format.h>

#include "engine/run.hpp"

namespace rollout::engine {

void Interrupt::request(const std::string& why) {
  std::lock_guard lock(mu_);
  if (why_) return;
  why_ = why;
  if (wake_) wake_();
}

std::optional<std::string> Interrupt::requested() const {
  std::lock_guard lock(mu_);
  return why_;
}

void Interrupt::on_request(std::function<void()> wake) {
  std::lock_guard lock(mu_);
  wake_ = std::move(wake);
  if (why_ && wake_) wake_();
}

// Stops driving where the rollout is: its state already records every write; the lock goes with
// this Run. A pause, a hold or a step half-way through are all resumed by the next apply.
Result<RunResult> Run::interrupted(const std::string& why) {
  note_waiting("");
  const int n = static_cast<int>(steps_.size());
  const std::string where = state_.step < n ? fmt::format("step {}/{} ({})", state_.step + 1, n,
                                                            steps_[static_cast<size_t>(state_.step)].title)
                                            : "its last step";
  if (state_.phase == Phase::Progressing) {
    state_.message = "interrupted by " + why + " at " + where + "; no apply drives it";
    if (auto s = save(); !s.ok()) return s.error();
  }
  const std::string message = fmt::format(
      "interrupted by {} at {}: it stays there, unlocked; `rollout plan apply` resumes it, `rollout abort {}` rolls it back",
      why, where, plan_.name);
  emit(EventType::interrupted, "rollout " + plan_.name + " " + message, {{"signal", why}, {"step", state_.step}});
  return RunResult{Outcome::interrupted, message};
}

}  // namespace rollout::engine
