// Waiting: timed and manual pauses, analysis windows and the background gates, while watching
// the state ConfigMap for promote/abort/pause/resume from other processes.
#include <fmt/format.h>

#include "engine/run.hpp"
#include "util/timestamp.hpp"

namespace rollout::engine {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr Duration kTick{200};
constexpr Duration kRenewEvery{5000};
constexpr Duration kDriftEvery{2000};

}  // namespace

ControlRequests Run::control() {
  std::lock_guard<std::mutex> lock(mu_);
  return control_;
}

void Run::start_watch() {
  auto snap = store_.read();
  if (snap.ok()) control_ = snap->control;
  watcher_ = std::thread([this] {
    while (!stopping_) {
      auto s = store_.watch([this] { return stopping_.load(); },
                            [this](const StateSnapshot& latest) {
                              {
                                std::lock_guard<std::mutex> lock(mu_);
                                control_ = latest.control;
                              }
                              cv_.notify_all();
                            });
      if (!s.ok() && !stopping_) std::this_thread::sleep_for(Duration(1000));
    }
  });
}

void Run::stop_watch() {
  stopping_ = true;
  cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

std::optional<StepEnd> Run::deadline_passed() const {
  if (timeout_at_ && Clock::now() >= *timeout_at_)
    return StepEnd{Stop::timed_out, "--timeout " + format_duration(*settings_.timeout) + " exceeded"};
  if (plan_.progress_deadline && !state_.started_at.empty()) {
    auto started = parse_rfc3339(state_.started_at);
    if (started.ok() && std::chrono::system_clock::now() - *started > *plan_.progress_deadline)
      return StepEnd{Stop::timed_out, "progressDeadline " + format_duration(*plan_.progress_deadline) + " exceeded"};
  }
  return std::nullopt;
}

Result<StepEnd> Run::measure_due(std::vector<gates::GateTracker>& trackers, const std::string& where) {
  const gates::GateTargets targets = gate_targets();
  for (auto& t : trackers) {
    if (!t.due(Clock::now())) continue;
    const auto& gate = t.gate();
    const gates::Measurement m = providers_.at(gate.name)->measure(seams_.client, targets);
    const gates::GateStatus status = t.record(m, Clock::now());
    GateMeasurement record{gate.name, where, format_rfc3339(std::chrono::system_clock::now()),
                           gates::to_string(m.verdict), m.value, m.message};
    state_.measurements.push_back(record);
    json data = {{"gate", gate.name}, {"verdict", record.verdict}, {"where", where}, {"detail", m.message}};
    if (m.value) data["value"] = *m.value;
    if (gate.dry_run) data["dryRun"] = true;
    emit("gate_measured", fmt::format("gate {}: {} ({})", gate.name, record.verdict, m.message), data);
    if (auto s = save(); !s.ok()) return s.error();
    if (status == gates::GateStatus::failed)
      return StepEnd{Stop::gate_failed, fmt::format("gate {} failed: {}; {}", gate.name, m.message, t.summary())};
    if (status == gates::GateStatus::inconclusive)
      return StepEnd{Stop::inconclusive, fmt::format("gate {} is inconclusive: {}", gate.name, t.summary())};
  }
  return StepEnd{};
}

// Holds until a human releases it: resume or promote (with the rollout Paused), or abort.
Result<StepEnd> Run::pause_for_human(const std::string& reason, const std::string& message) {
  state_.phase = Phase::Paused;
  state_.pause_reason = reason;
  state_.message = message;
  if (auto s = save(); !s.ok()) return s.error();
  emit(reason == "Drift" ? "drift" : "paused", message, {{"reason", reason}});
  for (;;) {
    const ControlRequests c = control();
    if (c.abort) return StepEnd{Stop::aborted, "aborted by " + (c.abort_by.empty() ? "a user" : c.abort_by)};
    if (auto d = deadline_passed()) return *d;
    const bool promoted = !c.promote_id.empty() && c.promote_id != state_.handled_promote;
    const bool resumed = !c.resume_id.empty() && c.resume_id != state_.handled_resume;
    if (promoted || resumed) {
      state_.handled_promote = c.promote_id;
      state_.handled_resume = c.resume_id;
      for (auto& o : state_.objects) {  // the live values become this run's starting point
        auto live = exec_->read(o.ref);
        if (live.ok()) o.written = read_fields(*live, actuators_[static_cast<size_t>(o.actuator)]->managed_fields());
      }
      state_.phase = Phase::Progressing;
      state_.pause_reason.clear();
      state_.message.clear();
      if (auto s = save(); !s.ok()) return s.error();
      emit("resumed", "resumed by " + std::string(promoted ? "promote" : "resume"), {{"reason", reason}});
      return StepEnd{};
    }
    if (Clock::now() - last_save_ > kRenewEvery)
      if (auto s = save(); !s.ok()) return s.error();
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, kTick);
  }
}

// After a drift or inconclusive pause was released inside a `pause: {}` step, it is that step's
// pause again.
Status Run::back_to_pause_step(bool manual_pause) {
  if (!manual_pause) return ok_status();
  state_.phase = Phase::Paused;
  state_.pause_reason = "PauseStep";
  state_.message = "waiting for `rollout promote " + plan_.name + "`";
  return save();
}

Result<StepEnd> Run::hold(std::optional<Clock::time_point> until, std::vector<gates::GateTracker>* step_gates,
                          bool manual_pause) {
  if (manual_pause) {
    const ControlRequests c = control();
    const bool promoted = !c.promote_id.empty() && c.promote_id != state_.handled_promote;
    if (!promoted && settings_.until_pause) {
      state_.phase = Phase::Paused;
      state_.pause_reason = "PauseStep";
      state_.message = "waiting for `rollout promote " + plan_.name + "`";
      if (auto s = save(); !s.ok()) return s.error();
      emit("paused", state_.message + " (handing over: --until-pause)", {{"reason", "PauseStep"}});
      return StepEnd{Stop::handed_over, state_.message};
    }
    state_.phase = Phase::Paused;
    state_.pause_reason = "PauseStep";
    state_.message = "waiting for `rollout promote " + plan_.name + "`";
    if (auto s = save(); !s.ok()) return s.error();
    if (!promoted) emit("paused", state_.message, {{"reason", "PauseStep"}});
  }
  auto last_drift_check = Clock::now();
  bool user_paused = false;
  // A promote ends pauses and analyses, not the instant check of background gates after a write.
  const bool promotable = manual_pause || step_gates || (until && *until > Clock::now());
  for (;;) {
    const ControlRequests c = control();
    if (c.abort) return StepEnd{Stop::aborted, "aborted by " + (c.abort_by.empty() ? "a user" : c.abort_by)};
    if (auto d = deadline_passed()) return *d;
    if (!c.promote_id.empty() && c.promote_id != state_.handled_promote && promotable) {
      state_.handled_promote = c.promote_id;
      state_.phase = Phase::Progressing;
      state_.pause_reason.clear();
      state_.message.clear();
      if (auto s = save(); !s.ok()) return s.error();
      emit("promoted", std::string("promoted") + (c.promote_full ? " (--full: skipping to the end)" : ""),
           {{"full", c.promote_full}});
      return StepEnd{Stop::promoted, "promoted"};
    }
    if (c.paused != user_paused) {
      user_paused = c.paused;
      state_.phase = user_paused ? Phase::Paused : (manual_pause ? Phase::Paused : Phase::Progressing);
      state_.pause_reason = user_paused ? "User" : (manual_pause ? "PauseStep" : "");
      if (auto s = save(); !s.ok()) return s.error();
      emit(user_paused ? "paused" : "resumed", user_paused ? "paused by " + c.paused_by : "resumed",
           {{"reason", "User"}});
    }
    for (auto* trackers : {step_gates, &background_}) {
      if (!trackers) continue;
      auto r = measure_due(*trackers, trackers == step_gates ? steps_[static_cast<size_t>(state_.step)].path
                                                              : std::string("background"));
      if (!r.ok() || (r->stop != Stop::none && r->stop != Stop::inconclusive)) return r;
      if (r->stop == Stop::inconclusive) {  // a human decides: resume measures on, abort rolls back
        auto held = pause_for_human("Inconclusive", r->message);
        if (!held.ok() || held->stop != Stop::none) return held;
        if (auto s = back_to_pause_step(manual_pause); !s.ok()) return s.error();
        for (auto& t : *trackers) t.start(Clock::now());
      }
    }
    if (Clock::now() - last_drift_check > kDriftEvery) {
      last_drift_check = Clock::now();
      auto drift = check_drift();
      if (!drift.ok()) return drift.error();
      if (!drift->empty()) {
        auto held = pause_for_human("Drift", *drift);
        if (!held.ok() || held->stop != Stop::none) return held;
        if (auto s = back_to_pause_step(manual_pause); !s.ok()) return s.error();
      }
    }
    const bool measured = !step_gates || std::all_of(step_gates->begin(), step_gates->end(),
                                                     [](const gates::GateTracker& t) { return t.enough(); });
    if (!user_paused && !manual_pause && measured && (!until || Clock::now() >= *until)) {
      if (state_.phase != Phase::Progressing) {
        state_.phase = Phase::Progressing;
        if (auto s = save(); !s.ok()) return s.error();
      }
      return StepEnd{};
    }
    if (Clock::now() - last_save_ > kRenewEvery)
      if (auto s = save(); !s.ok()) return s.error();
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, kTick);
  }
}

}  // namespace rollout::engine
