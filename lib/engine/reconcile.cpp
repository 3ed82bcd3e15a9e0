// The run as a reconcile loop (Argo Rollouts' reconcile of one rollout): each tick reads the
// control requests, the deadline, the human holds, the step's writes, the gates that are due and
// drift, and either acts or sleeps until the next thing is due. A store change (promote, abort,
// pause, resume from another process) wakes it at once. Phase, pause reason and message are
// decided in settle(), the one place that saves them; previews take the same path and never wait.
#include <fmt/format.h>

#include <algorithm>

#include "engine/report.hpp"
#include "engine/run.hpp"
#include "util/timestamp.hpp"

namespace rollout::engine {

using nlohmann::json;

namespace {

constexpr Duration kRenewEvery{5000};
constexpr Duration kDriftEvery{2000};
constexpr Duration kIdle{1000};  // an upper bound on a sleep, so a missed wake-up costs at most this

// A run that ends in this tick.
Result<std::optional<RunResult>> ended(Result<RunResult> r) {
  if (!r.ok()) return r.error();
  return std::optional<RunResult>(std::move(*r));
}

}  // namespace

Result<ControlRequests> Run::read_control() {
  if (!live_) return ControlRequests{};
  auto snap = store_->read();
  if (!snap.ok()) return snap.error();
  return snap->control;
}

void Run::start_watch() {
  watcher_ = std::thread([this] {
    while (!stopping_) {
      auto s = store_->watch([this] { return stopping_.load(); },
                             [this](const StateSnapshot&) {
                               {
                                 std::lock_guard<std::mutex> lock(mu_);
                                 ++changes_;
                               }
                               cv_.notify_all();
                             });
      if (!s.ok() && !stopping_) std::this_thread::sleep_for(Duration(1000));
    }
  });
}

void Run::stop_watch() {
  if (settings_.interrupt) settings_.interrupt->on_request(nullptr);
  stopping_ = true;
  cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

std::optional<std::string> Run::deadline_passed() const {
  if (timeout_at_ && clock_.now() >= *timeout_at_) return "--timeout " + format_duration(*settings_.timeout) + " exceeded";
  if (plan_.progress_deadline && !state_.started_at.empty()) {
    auto started = parse_rfc3339(state_.started_at);
    if (started.ok() && clock_.wall() - *started > *plan_.progress_deadline)
      return "progressDeadline " + format_duration(*plan_.progress_deadline) + " exceeded";
  }
  return std::nullopt;
}

// A promote sent for a step the run has left is spent: --full goes to the end from anywhere.
bool Run::new_promote(const ControlRequests& c) const {
  if (c.promote_id.empty() || c.promote_id == state_.handled_promote) return false;
  return c.promote_full || c.promote_step < 0 || c.promote_step >= state_.step;
}

Result<RunResult> Run::drive() {
  if (live_ && state_.phase == Phase::RollingBack) {
    auto end = phase_from_string(state_.rollback_to).value_or(Phase::Failed);
    return roll_back(end, state_.message);
  }
  for (;;) {
    auto t = tick();
    if (!t.ok()) return t.error();
    if (*t) return **t;
  }
}

Run::Tick Run::tick() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    seen_changes_ = changes_;
  }
  auto control = read_control();
  if (!control.ok()) return control.error();
  const ControlRequests& c = *control;
  if (auto why = live_ && settings_.interrupt ? settings_.interrupt->requested() : std::nullopt)
    return ended(interrupted(*why));
  if (c.abort) return ended(roll_back(Phase::Aborted, "aborted by " + (c.abort_by.empty() ? "a user" : c.abort_by)));
  if (auto d = deadline_passed()) return ended(roll_back(Phase::TimedOut, *d));
  if (state_.step >= static_cast<int>(steps_.size())) {
    if (!live_) return ended(RunResult{Outcome::previewed, "dry run"});
    return ended(finish(Phase::Succeeded, "rollout " + plan_.name + " succeeded"));
  }
  const PlannedStep& step = steps_[static_cast<size_t>(state_.step)];
  if (!progress_.entered) enter_step(step);
  if (hold_) {
    if (auto s = release_hold(c); !s.ok()) return s.error();
    if (hold_) {
      if (auto s = settle(); !s.ok()) return s.error();
      if (auto s = wait(next_wake()); !s.ok()) return s.error();
      return std::optional<RunResult>{};
    }
  }
  // A resume with no hold left to release (it ended a user's pause) is spent: a later hold waits for a new one.
  if (!c.resume_id.empty()) state_.handled_resume = c.resume_id;
  if (c.paused != user_paused_) {
    user_paused_ = c.paused;
    paused_by_ = c.paused_by;
    emit(user_paused_ ? EventType::paused : EventType::resumed, user_paused_ ? "paused by " + c.paused_by : "resumed",
         {{"reason", to_string(PauseReason::user)}});
  }
  return step_action(step, c);
}

void Run::enter_step(const PlannedStep& step) {
  progress_ = StepProgress{};
  progress_.entered = true;
  const auto now = clock_.now();
  if (state_.step_started_at.empty()) {
    state_.step_started_at = now_text();
    state_.step_title = step.title;
    (void)save();
  }
  emit(EventType::step_started, fmt::format("step {}/{}: {}", state_.step + 1, steps_.size(), step.title),
       live_ ? json{{"step", state_.step}, {"title", step.title}, {"path", step.path}}
             : json{{"step", state_.step}, {"title", step.title}, {"path", step.path}, {"dryRun", true}});
  if (step.kind == StepKind::pause && step.pause->duration) {
    // A resumed timed pause waits only for what is left of it.
    auto begun = parse_rfc3339(state_.step_started_at);
    auto elapsed = begun.ok() ? std::chrono::duration_cast<Duration>(clock_.wall() - *begun) : Duration(0);
    progress_.until = now + std::max(Duration(0), *step.pause->duration - elapsed);
  }
  if (step.kind == StepKind::analysis) {
    for (const auto& name : step.analysis->gates)
      if (const auto* g = plan_.find_gate(name)) progress_.gates.emplace_back(*g);
    if (live_) start_gates(progress_.gates);
    if (step.analysis->duration) progress_.until = now + *step.analysis->duration;
  }
}

// What one step does in this tick: write, hand over, measure, check drift, complete or wait.
Run::Tick Run::step_action(const PlannedStep& step, const ControlRequests& c) {
  const bool manual = step.kind == StepKind::pause && !step.pause->duration;
  const bool promotable = manual || step.kind == StepKind::analysis || step.kind == StepKind::pause;
  if (promotable && new_promote(c)) {
    state_.handled_promote = c.promote_id;
    emit(EventType::promoted, std::string("promoted") + (c.promote_full ? " (--full: skipping to the end)" : ""),
         {{"full", c.promote_full}});
    if (auto s = advance(c.promote_full); !s.ok()) return s.error();
    return std::optional<RunResult>{};
  }
  if (!live_) {  // a preview describes what apply would wait for, and moves on
    if (step.kind == StepKind::pause)
      emit(EventType::info, step.pause->duration ? "would wait " + format_duration(*step.pause->duration)
                                                 : "would wait for `rollout promote " + plan_.name + "`");
    if (step.kind == StepKind::analysis) emit(EventType::info, "would measure the gates " + step.title.substr(9));
  }
  if (user_paused_) {
    if (auto s = settle(); !s.ok()) return s.error();
    if (auto s = wait(next_wake()); !s.ok()) return s.error();
    return std::optional<RunResult>{};
  }
  if (step.writes() && !progress_.written) {
    std::string message;
    auto end = write_position(step.position, &message);
    if (!end.ok()) return end.error();
    if (*end == WriteEnd::failed) return fail(message);
    if (*end == WriteEnd::drift) {
      hold_ = Hold{PauseReason::drift, message};
      emit(EventType::drift, message, {{"reason", to_string(PauseReason::drift)}});
      return std::optional<RunResult>{};
    }
    progress_.written = true;
    state_.position = step.position;
    if (auto s = save(); !s.ok()) return s.error();
  }
  if (step.kind == StepKind::finalize)
    if (auto s = run_finalize(); !s.ok()) return s.error();  // the run stays at this step: a re-run retries
  if (manual && live_) {
    if (settings_.until_pause || (settings_.leave_paused && settings_.leave_paused())) {
      if (auto s = settle(); !s.ok()) return s.error();
      emit(EventType::paused,
           state_.message + (settings_.until_pause ? " (handing over: --until-pause)" : " (left paused)"),
           {{"reason", to_string(PauseReason::pause_step)}});
      return ended(RunResult{Outcome::handed_over, state_.message});
    }
    if (!progress_.announced) {
      progress_.announced = true;
      if (auto s = settle(); !s.ok()) return s.error();
      emit(EventType::paused, state_.message, {{"reason", to_string(PauseReason::pause_step)}});
    }
  }
  if (live_) {
    auto gated = gates_due();
    if (!gated.ok() || *gated) return gated;
    if (hold_) return std::optional<RunResult>{};
    if (clock_.now() >= next_drift_check_) {
      next_drift_check_ = clock_.now() + kDriftEvery;
      auto drift = check_drift();
      if (!drift.ok()) return drift.error();
      if (!drift->empty()) {
        hold_ = Hold{PauseReason::drift, *drift};
        emit(EventType::drift, *drift, {{"reason", to_string(PauseReason::drift)}});
        return std::optional<RunResult>{};
      }
    }
  }
  if (!live_ || (!manual && step_complete(step))) {
    if (auto s = advance(false); !s.ok()) return s.error();
    return std::optional<RunResult>{};
  }
  if (auto s = settle(); !s.ok()) return s.error();
  if (auto s = wait(next_wake()); !s.ok()) return s.error();
  return std::optional<RunResult>{};
}

bool Run::step_complete(const PlannedStep& step) const {
  const bool measured = std::all_of(progress_.gates.begin(), progress_.gates.end(),
                                    [](const gates::GateTracker& t) { return t.enough(); });
  return measured && (!progress_.until || clock_.now() >= *progress_.until) && (!step.writes() || progress_.written);
}

// The gates that are due, the step's and the background ones: a failure fails the run, an
// inconclusive gate holds it for a human.
Run::Tick Run::gates_due() {
  // Servers that joined since (a replacement pod, a scale-up) get what the others hold before any
  // gate judges them: runtime-loaded adapters do not survive a restart.
  const auto due = [this](const std::vector<gates::GateTracker>& ts) {
    return std::any_of(ts.begin(), ts.end(), [this](const gates::GateTracker& t) { return t.due(clock_.now()); });
  };
  if (due(progress_.gates) || due(background_)) {
    if (auto s = converge_servers(state_.position, false); !s.ok()) {
      if (s.error().kind == ErrorKind::gate_failed || s.error().kind == ErrorKind::timeout)
        return fail(s.error().message);
      return s.error();
    }
  }
  const gates::GateTargets targets = gate_targets();
  const std::string step_path = steps_[static_cast<size_t>(state_.step)].path;
  // A rolling plan has no canary before its first batch: background gates start afresh then.
  const bool no_canary_yet =
      plan_.strategy == plan::Strategy::rolling && state_.position.updated == 0 && !state_.position.finished;
  for (auto* trackers : {&progress_.gates, &background_}) {
    for (auto& t : *trackers) {
      if (!t.due(clock_.now())) continue;
      const auto& gate = t.gate();
      if (trackers == &background_ && no_canary_yet) {
        const auto provider = providers_.find(gate.name);
        if (provider != providers_.end()) provider->second->begin(seams_.client, targets);
        t.start(clock_.now(), provider != providers_.end() && provider->second->windowed());
        continue;
      }
      const std::string where = trackers == &background_ ? std::string("background") : step_path;
      const gates::Measurement m = providers_.at(gate.name)->measure(seams_.client, targets);
      const gates::GateStatus status = t.record(m, clock_.now());
      GateMeasurement record{gate.name, where, now_text(), gates::to_string(m.verdict), m.value, m.message};
      state_.measurements.push_back(record);
      json data = {{"gate", gate.name}, {"verdict", record.verdict}, {"where", where}, {"detail", m.message}};
      data["condition"] = gate_condition(gate);  // what CI reports show beside the value
      if (m.value) data["value"] = *m.value;
      if (gate.dry_run) data["dryRun"] = true;
      // A gate that is both a background gate and the step's is measured by both trackers: say which.
      emit(EventType::gate_measured,
           fmt::format("gate {}{}: {} ({})", gate.name, trackers == &background_ ? " (background)" : "", record.verdict,
                       m.message),
           data);
      if (auto s = save(); !s.ok()) return s.error();
      if (status == gates::GateStatus::failed)
        return fail(fmt::format("gate {} failed: {}; {}", gate.name, m.message, t.summary()));
      if (status == gates::GateStatus::inconclusive) {
        hold_ = Hold{PauseReason::inconclusive, fmt::format("gate {} is inconclusive: {}", gate.name, t.summary())};
        emit(EventType::paused, hold_->message, {{"reason", to_string(PauseReason::inconclusive)}});
        return std::optional<RunResult>{};
      }
    }
  }
  return std::optional<RunResult>{};
}

void Run::start_gates(std::vector<gates::GateTracker>& trackers) {
  if (trackers.empty()) return;
  const gates::GateTargets targets = gate_targets();
  for (auto& t : trackers) {
    auto it = providers_.find(t.gate().name);
    if (it == providers_.end()) continue;
    it->second->begin(seams_.client, targets);
    t.start(clock_.now(), it->second->windowed());
  }
}

// A human released the hold: resume or promote. After drift the live values become this run's
// starting point; after an inconclusive gate the gates measure afresh.
Status Run::release_hold(const ControlRequests& c) {
  const bool promoted = new_promote(c);
  const bool resumed = !c.resume_id.empty() && c.resume_id != state_.handled_resume;
  if (!promoted && !resumed) return ok_status();
  state_.handled_promote = c.promote_id;
  state_.handled_resume = c.resume_id;
  const PauseReason reason = hold_->reason;
  if (reason == PauseReason::drift) {
    for (auto& o : state_.objects) {
      auto live = exec_->read(o.ref);
      if (live.ok()) o.written = read_fields(*live, actuators_[static_cast<size_t>(o.actuator)]->managed_fields());
    }
    progress_.written = false;  // written again over the accepted values
  }
  if (reason == PauseReason::inconclusive) {
    start_gates(progress_.gates);
    start_gates(background_);
  }
  hold_.reset();
  emit(EventType::resumed, "resumed by " + std::string(promoted ? "promote" : "resume"), {{"reason", to_string(reason)}});
  return settle();
}

// The one place that decides phase, pause reason and message while the run goes on, and saves
// them once when they change.
Status Run::settle() {
  Phase phase = Phase::Progressing;
  PauseReason reason = PauseReason::none;
  std::string message;
  const PlannedStep* step = state_.step < static_cast<int>(steps_.size()) ? &steps_[static_cast<size_t>(state_.step)] : nullptr;
  if (hold_) {
    phase = Phase::Paused, reason = hold_->reason, message = hold_->message;
  } else if (user_paused_) {
    phase = Phase::Paused, reason = PauseReason::user, message = "paused by " + paused_by_;
  } else if (step && step->kind == StepKind::pause && !step->pause->duration) {
    phase = Phase::Paused, reason = PauseReason::pause_step, message = "waiting for `rollout promote " + plan_.name + "`";
  }
  if (phase == state_.phase && reason == state_.pause_reason && message == state_.message) return ok_status();
  state_.phase = phase;
  state_.pause_reason = reason;
  state_.message = message;
  return save();
}

Status Run::advance(bool to_finish) {
  state_.step = to_finish ? std::max(state_.step + 1, finish_step_index(steps_)) : state_.step + 1;
  state_.step_started_at.clear();
  progress_ = StepProgress{};
  if (!live_) return ok_status();
  if (state_.pause_reason == PauseReason::pause_step) state_.pause_reason = PauseReason::none;
  if (auto s = settle(); !s.ok()) return s;
  return save();
}

Run::Tick Run::fail(const std::string& message) {
  if (plan_.on_failure == plan::OnFailure::pause) {
    state_.phase = Phase::Paused;
    state_.pause_reason = PauseReason::gate_failed;
    state_.message = message;
    if (auto s = save(); !s.ok()) return s.error();
    emit(EventType::paused, message + " (onFailure: pause)", {{"reason", to_string(PauseReason::gate_failed)}});
    return ended(RunResult{Outcome::paused_on_failure, message});
  }
  return ended(roll_back(Phase::Failed, message));
}

Run::TimePoint Run::next_wake() const {
  TimePoint at = clock_.now() + kIdle;
  auto sooner = [&](std::optional<TimePoint> t) {
    if (t && *t < at) at = *t;
  };
  sooner(timeout_at_);
  // Held or paused, the step's end and its gates wait for the human: a past due time would spin.
  if (!hold_ && !user_paused_) {
    sooner(progress_.until);
    for (const auto& t : progress_.gates) sooner(t.next_due());
    for (const auto& t : background_) sooner(t.next_due());
    sooner(next_drift_check_);
  }
  sooner(last_save_ + kRenewEvery);
  return at;
}

// Sleeps until `until` or a change in the state store, whichever comes first; renews the lease.
Status Run::wait(TimePoint until) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    // A change that arrived since this tick read the store is not slept through.
    if (changes_ == seen_changes_ && clock_.now() < until) clock_.wait_until(lock, cv_, until);
  }
  if (clock_.now() - last_save_ >= kRenewEvery) {
    // A lost lock ends the run (another apply drives it now); any other failure is tried again at
    // the next renewal.
    if (auto s = save(); !s.ok() && s.error().kind == ErrorKind::locked) return s.error();
  }
  return ok_status();
}

}  // namespace rollout::engine
