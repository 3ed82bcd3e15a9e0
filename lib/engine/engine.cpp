#include "engine/engine.hpp"

#include <fmt/format.h>

#include <random>

#include "engine/run.hpp"
#include "util/timestamp.hpp"

namespace rollout::engine {

using nlohmann::json;

namespace {

std::string now() {
  return format_rfc3339(std::chrono::system_clock::now());
}

std::string new_run_id() {
  static std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{:012x}", rng() & 0xffffffffffffULL);
}

}  // namespace

Run::Run(const plan::Plan& plan, std::string ns, ApplySettings settings, Seams& seams)
    : plan_(plan),
      ns_(std::move(ns)),
      settings_(std::move(settings)),
      seams_(seams),
      store_(seams.client, ns_, plan.name),
      me_(this_process_holder()) {
  if (settings_.timeout) timeout_at_ = std::chrono::steady_clock::now() + *settings_.timeout;
}

Run::~Run() {
  stop_watch();
  if (locked_) (void)store_.release(me_);
}

void Run::emit(const std::string& type, const std::string& message, json data) {
  data["rollout"] = plan_.name;
  seams_.events.emit(Event{type, message, std::move(data)});
}

Status Run::save() {
  last_save_ = std::chrono::steady_clock::now();
  return store_.save(state_, me_);
}

// Everything that can be found wrong before anything changes.
Status Run::prepare() {
  auto acts = actuators::actuators_for(plan_);
  if (!acts.ok()) return acts.error();
  actuators_ = std::move(*acts);
  steps_ = plan_steps(plan_);
  for (const auto& gate : plan_.gates) {
    auto provider = gates::make_provider(gate);
    if (!provider.ok() && settings_.mode == ExecMode::dry_run_client) {
      // A diff shows object changes; gates are measured only by apply (and checked by server dry runs).
      emit("info", "gate " + gate.name + " is not checked by a client dry run: " + provider.error().message);
      continue;
    }
    if (!provider.ok()) return provider.error();
    providers_[gate.name] = std::move(*provider);
  }
  for (const auto& name : plan_.background)
    if (const auto* gate = plan_.find_gate(name)) background_.emplace_back(*gate);
  exec_ = make_executor(settings_.mode, seams_.client);
  return ok_status();
}

Result<RunResult> Run::execute() {
  if (auto s = prepare(); !s.ok()) return s.error();
  if (settings_.mode != ExecMode::apply) return preview();
  // A new run is checked before the lock too: bad objects or a metrics backend that cannot
  // answer leave nothing behind, not even the state ConfigMap.
  if (auto s = probe_new_run(); !s.ok()) return s.error();
  if (auto s = store_.acquire(me_); !s.ok()) return s.error();
  locked_ = true;
  auto started = start_or_resume();
  if (!started.ok()) return started.error();
  if (!*started) {
    emit("finished", "rollout " + plan_.name + " already succeeded with this plan; nothing to do",
         {{"outcome", "Succeeded"}});
    return RunResult{Outcome::already_succeeded, "already succeeded"};
  }
  for (auto& t : background_) t.start(std::chrono::steady_clock::now());
  start_watch();
  return drive();
}

Result<bool> Run::start_or_resume() {
  auto snap = store_.read();
  if (!snap.ok()) return snap.error();
  if (snap->state && !is_terminal(snap->state->phase)) {
    if (snap->state->plan_hash != settings_.plan_hash)
      return make_error(ErrorKind::invalid,
                        fmt::format("rollout {} is in progress with a different plan (phase {}, step {}/{}); apply "
                                    "the same plan to continue it, or `rollout abort {}` first",
                                    plan_.name, to_string(snap->state->phase), snap->state->step + 1,
                                    snap->state->steps, plan_.name));
    state_ = *snap->state;
    emit("run_resumed",
         fmt::format("resuming rollout {} at step {}/{} ({})", plan_.name, state_.step + 1, state_.steps,
                     to_string(state_.phase)),
         {{"runId", state_.run_id}, {"step", state_.step}, {"phase", to_string(state_.phase)}});
    return true;
  }
  if (snap->state && snap->state->phase == Phase::Succeeded && snap->state->plan_hash == settings_.plan_hash) {
    auto finished = still_finished(*snap->state);
    if (!finished.ok()) return finished.error();
    if (*finished) return false;  // e.g. killed after the last write: nothing left to do
  }
  state_ = RolloutState{};
  state_.name = plan_.name;
  state_.plan_hash = settings_.plan_hash;
  state_.run_id = new_run_id();
  state_.steps = static_cast<int>(steps_.size());
  state_.started_at = now();
  if (auto s = record_originals(); !s.ok()) return s.error();
  if (auto s = preflight_gates(); !s.ok()) return s.error();
  // Requests meant for an earlier run must not steer this one.
  if (auto s = store_.update_control([](ControlRequests& c) { c = ControlRequests{}; }); !s.ok()) return s.error();
  state_.phase = Phase::Progressing;
  if (auto s = save(); !s.ok()) return s.error();
  emit("run_started", fmt::format("rollout {}: {} steps, run {}", plan_.name, steps_.size(), state_.run_id),
       {{"runId", state_.run_id}, {"steps", steps_.size()}});
  return true;
}

Status Run::probe_new_run() {
  auto snap = store_.read();
  if (!snap.ok()) return snap.error();
  if (snap->state && !is_terminal(snap->state->phase)) return ok_status();  // resumed: checked when it began
  if (snap->state && snap->state->phase == Phase::Succeeded && snap->state->plan_hash == settings_.plan_hash)
    return ok_status();  // start_or_resume decides whether it runs again, and checks then
  auto s = record_originals();
  if (s.ok()) s = preflight_gates();
  state_.objects.clear();
  return s;
}

// Every gate's backend answers and its question parses, before the first change.
Status Run::preflight_gates() {
  const gates::GateTargets targets = gate_targets();
  for (const auto& [name, provider] : providers_)
    if (auto s = provider->online(seams_.client, targets); !s.ok()) return s;
  return ok_status();
}

// The objects still hold what the last (successful) run of this plan left in them.
Result<bool> Run::still_finished(const RolloutState& done) {
  for (const auto& o : done.objects) {
    auto live = exec_->read(o.ref);
    if (!live.ok()) return live.error().kind == ErrorKind::not_found ? Result<bool>(false) : live.error();
    std::vector<std::string> fields;
    for (const auto& [pointer, value] : o.written) fields.push_back(pointer);
    if (read_fields(*live, fields) != o.written) return false;
  }
  return true;
}

// Reads and checks every object, and keeps what it holds in the owned fields.
Status Run::record_originals() {
  for (size_t i = 0; i < actuators_.size(); ++i) {
    auto& act = *actuators_[i];
    auto refs = act.resolve(seams_.client, ns_);
    if (!refs.ok()) return refs.error();
    for (const auto& ref : *refs) {
      auto live = exec_->read(ref);
      if (!live.ok()) return live.error();
      if (auto s = act.check(seams_.client, *live); !s.ok()) return s;
      ManagedObject o;
      o.ref = ref;
      o.actuator = static_cast<int>(i);
      o.original = read_fields(*live, act.managed_fields());
      o.written = o.original;
      o.original_object = *live;
      state_.objects.push_back(std::move(o));
    }
  }
  return ok_status();
}

Result<RunResult> Run::drive() {
  if (state_.phase == Phase::RollingBack) {
    auto end = phase_from_string(state_.rollback_to).value_or(Phase::Failed);
    return roll_back(end, state_.message);
  }
  while (state_.step < static_cast<int>(steps_.size())) {
    auto end = run_step(state_.step);
    if (!end.ok()) return end.error();
    switch (end->stop) {
      case Stop::none:
      case Stop::promoted: break;
      case Stop::aborted: return roll_back(Phase::Aborted, end->message);
      case Stop::timed_out: return roll_back(Phase::TimedOut, end->message);
      case Stop::handed_over: return RunResult{Outcome::handed_over, end->message};
      case Stop::gate_failed:
        if (plan_.on_failure == plan::OnFailure::pause) {
          state_.phase = Phase::Paused;
          state_.pause_reason = "GateFailed";
          state_.message = end->message;
          if (auto s = save(); !s.ok()) return s.error();
          emit("paused", end->message + " (onFailure: pause)", {{"reason", "GateFailed"}});
          return RunResult{Outcome::paused_on_failure, end->message};
        }
        return roll_back(Phase::Failed, end->message);
      default: return make_error(ErrorKind::internal, "unexpected end of step: " + end->message);
    }
    if (end->stop == Stop::promoted && control().promote_full) {
      state_.step = std::max(state_.step + 1, finish_step_index(steps_));
    } else {
      ++state_.step;
    }
    state_.step_started_at.clear();
    if (auto s = save(); !s.ok()) return s.error();
  }
  return finish(Phase::Succeeded, "rollout " + plan_.name + " succeeded");
}

Result<RunResult> Run::finish(Phase phase, const std::string& message) {
  state_.phase = phase;
  state_.message = message;
  state_.finished_at = now();
  if (auto s = save(); !s.ok()) return s.error();
  RunRecord record{state_.run_id, state_.plan_hash, state_.started_at, state_.finished_at, to_string(phase), message};
  if (auto s = store_.append_history(record); !s.ok()) return s.error();
  emit("finished", message, {{"outcome", to_string(phase)}, {"runId", state_.run_id}});
  switch (phase) {
    case Phase::Succeeded: return RunResult{Outcome::succeeded, message};
    case Phase::Aborted: return RunResult{Outcome::aborted, message};
    case Phase::TimedOut: return RunResult{Outcome::timed_out, message};
    default: return RunResult{Outcome::failed, message};
  }
}

Status run_finalize_commands(const plan::Finalize& f, Seams& seams, const std::function<void(const std::string&)>& log);

Result<StepEnd> Run::run_step(int index) {
  const PlannedStep& step = steps_[static_cast<size_t>(index)];
  if (state_.step_started_at.empty()) {
    state_.step_started_at = now();
    state_.step_title = step.title;
    if (auto s = save(); !s.ok()) return s.error();
  }
  emit("step_started", fmt::format("step {}/{}: {}", index + 1, steps_.size(), step.title),
       {{"step", index}, {"title", step.title}, {"path", step.path}});
  if (auto d = deadline_passed()) return *d;
  switch (step.kind) {
    case StepKind::load_adapters:
    case StepKind::traffic:
    case StepKind::finish: {
      auto end = write_position(step.position, step.title);
      if (!end.ok() || end->stop != Stop::none) return end;
      state_.position = step.position;
      auto bg = hold(std::chrono::steady_clock::now(), nullptr, false);  // background gates that are due
      return bg;
    }
    case StepKind::pause: {
      std::optional<std::chrono::steady_clock::time_point> until;
      if (step.pause->duration) {
        auto begun = parse_rfc3339(state_.step_started_at);
        auto elapsed =
            begun.ok() ? std::chrono::duration_cast<Duration>(std::chrono::system_clock::now() - *begun) : Duration(0);
        until = std::chrono::steady_clock::now() + std::max(Duration(0), *step.pause->duration - elapsed);
      }
      return hold(until, nullptr, !step.pause->duration);
    }
    case StepKind::analysis: {
      std::vector<gates::GateTracker> trackers;
      for (const auto& name : step.analysis->gates)
        if (const auto* g = plan_.find_gate(name)) trackers.emplace_back(*g);
      for (auto& t : trackers) t.start(std::chrono::steady_clock::now());
      std::optional<std::chrono::steady_clock::time_point> until;
      if (step.analysis->duration) until = std::chrono::steady_clock::now() + *step.analysis->duration;
      return hold(until, &trackers, false);
    }
    case StepKind::finalize: {
      auto s = run_finalize_commands(*plan_.finalize, seams_, [&](const std::string& m) { emit("info", m); });
      if (!s.ok()) return s.error();  // the run stays at this step: a re-run retries the commands
      return StepEnd{};
    }
  }
  return StepEnd{};
}

Result<RunResult> apply_plan(const plan::Plan& plan, const std::string& ns, const ApplySettings& settings,
                             Seams& seams) {
  Run run(plan, ns, settings, seams);
  return run.execute();
}

Status outcome_status(const RunResult& r, const std::string& name) {
  switch (r.outcome) {
    case Outcome::succeeded:
    case Outcome::handed_over:
    case Outcome::previewed:
    case Outcome::already_succeeded: return ok_status();
    case Outcome::failed: return make_error(ErrorKind::gate_failed, "rollout " + name + " rolled back: " + r.message);
    case Outcome::paused_on_failure:
      return make_error(ErrorKind::gate_failed, "rollout " + name + " paused: " + r.message + "; `rollout abort " +
                                                    name + "` rolls it back, `rollout resume " + name +
                                                    "` and a new apply continue it");
    case Outcome::aborted: return make_error(ErrorKind::aborted, "rollout " + name + " aborted: " + r.message);
    case Outcome::timed_out: return make_error(ErrorKind::timeout, "rollout " + name + " rolled back: " + r.message);
  }
  return ok_status();
}

}  // namespace rollout::engine
