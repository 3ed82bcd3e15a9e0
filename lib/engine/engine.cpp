#include "engine/engine.hpp"

#include <fmt/format.h>

#include <random>

#include "engine/file_store.hpp"
#include "engine/report.hpp"
#include "engine/run.hpp"
#include "util/timestamp.hpp"

namespace rollout::engine {

using nlohmann::json;

namespace {

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
      clock_(seams.clock),
      live_(settings_.mode == ExecMode::apply),
      me_(this_process_holder(seams.clock)) {
  if (seams.store) {
    store_ = seams.store;
  } else {
    own_store_ = std::make_unique<ConfigMapStore>(seams.client, ns_, plan.name, seams.clock);
    store_ = own_store_.get();
  }
  if (settings_.timeout) timeout_at_ = clock_.now() + *settings_.timeout;
}

Run::~Run() {
  stop_watch();
  if (locked_) (void)store_->release(me_);
}

void Run::emit(EventType type, const std::string& message, json data) {
  data["rollout"] = plan_.name;
  seams_.events.emit(Event{type, message, std::move(data)});
}

std::string Run::now_text() const { return format_rfc3339(clock_.wall()); }

Status Run::save() {
  if (!live_) return ok_status();
  last_save_ = clock_.now();
  return store_->save(state_, me_);
}

// Everything that can be found wrong before anything changes.
Status Run::prepare() {
  auto acts = actuators::actuators_for(plan_);
  if (!acts.ok()) return acts.error();
  actuators_ = std::move(*acts);
  for (const auto& gate : plan_.gates) {
    auto provider = seams_.make_provider ? seams_.make_provider(gate) : gates::make_provider(gate);
    if (!provider.ok() && settings_.mode == ExecMode::dry_run_client) {
      // A diff shows object changes; gates are measured only by apply (and checked by server dry runs).
      emit(EventType::info, "gate " + gate.name + " is not checked by a client dry run: " + provider.error().message);
      continue;
    }
    if (!provider.ok()) return provider.error();
    providers_[gate.name] = std::move(*provider);
  }
  for (const auto& name : plan_.background)
    if (const auto* gate = plan_.find_gate(name)) background_.emplace_back(*gate);
  const actuators::HostContext context{seams_.state_dir.empty() ? default_state_dir() : seams_.state_dir,
                                       [this](const std::string& m) { emit(EventType::info, m); }, seams_.host_write};
  hosts_ = actuators::hosts_for(plan_, seams_.client, context);
  exec_ = make_executor(settings_.mode, *hosts_);
  return ok_status();
}

Result<RunResult> Run::execute() {
  if (auto s = prepare(); !s.ok()) return s.error();
  if (!live_) {
    state_.name = plan_.name;
    if (auto s = record_originals(); !s.ok()) return s.error();
    steps_ = plan_steps(plan_, state_.replicas);
    state_.steps = static_cast<int>(steps_.size());
    if (settings_.preview_from > 0 && settings_.preview_from <= state_.steps) {
      state_.step = settings_.preview_from;
      state_.position = steps_[static_cast<size_t>(state_.step - 1)].position;
    }
    if (settings_.mode == ExecMode::dry_run_server)
      if (auto s = preflight_gates(); !s.ok()) return s.error();
    return drive();
  }
  // A new run is checked before the lock too: bad objects or a metrics backend that cannot
  // answer leave nothing behind, not even the state object.
  if (auto s = probe_new_run(); !s.ok()) return s.error();
  if (auto s = store_->acquire(me_); !s.ok()) return s.error();
  locked_ = true;
  auto started = start_or_resume();
  if (!started.ok()) return started.error();
  if (!*started) {
    emit(EventType::finished, "rollout " + plan_.name + " already succeeded with this plan; nothing to do",
         {{"outcome", "Succeeded"}});
    return RunResult{Outcome::already_succeeded, "already succeeded"};
  }
  start_gates(background_);
  next_drift_check_ = clock_.now();
  start_watch();
  if (settings_.interrupt)  // cleared by stop_watch, before this Run goes away
    settings_.interrupt->on_request([this] {
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++changes_;
      }
      cv_.notify_all();
    });
  return drive();
}

Result<bool> Run::start_or_resume() {
  auto snap = store_->read();
  if (!snap.ok()) return snap.error();
  if (snap->state && !is_terminal(snap->state->phase)) {
    if (snap->state->plan_hash != settings_.plan_hash)
      return make_error(ErrorKind::invalid,
                        fmt::format("rollout {} is in progress with a different plan (phase {}, step {}/{}); apply "
                                    "the same plan to continue it, or `rollout abort {}` first",
                                    plan_.name, to_string(snap->state->phase), snap->state->step + 1,
                                    snap->state->steps, plan_.name));
    state_ = *snap->state;
    if (state_.phase != Phase::RollingBack)  // a rollback needs only the recorded values
      if (auto s = recall_original_objects(); !s.ok()) return s.error();
    steps_ = plan_steps(plan_, state_.replicas);
    outline_state();  // states written before the outline get one
    // A hold only a human releases outlives the process: a resume sent meanwhile releases it.
    if (state_.phase == Phase::Paused &&
        (state_.pause_reason == PauseReason::drift || state_.pause_reason == PauseReason::inconclusive))
      hold_ = Hold{state_.pause_reason, state_.message};
    emit(EventType::run_resumed,
         fmt::format("resuming rollout {} at step {}/{} ({})", plan_.name, state_.step + 1, state_.steps,
                     to_string(state_.phase)),
         {{"runId", state_.run_id},
          {"step", state_.step},
          {"phase", to_string(state_.phase)},
          {"replicas", state_.replicas}});
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
  state_.started_at = now_text();
  if (auto s = record_originals(); !s.ok()) return s.error();
  steps_ = plan_steps(plan_, state_.replicas);
  state_.steps = static_cast<int>(steps_.size());
  outline_state();
  if (auto s = preflight_gates(); !s.ok()) return s.error();
  // Requests meant for an earlier run must not steer this one.
  if (auto s = store_->update_control([](const auto&, ControlRequests& c) {
        c = ControlRequests{};
        return ok_status();
      }); !s.ok()) return s.error();
  state_.phase = Phase::Progressing;
  if (auto s = save(); !s.ok()) return s.error();
  emit(EventType::run_started, fmt::format("rollout {}: {} steps, run {}", plan_.name, steps_.size(), state_.run_id),
       {{"runId", state_.run_id}, {"steps", steps_.size()}, {"replicas", state_.replicas}});
  return true;
}

// What `rollout status -w` shows without the plan: the steps' titles and the gates' conditions.
void Run::outline_state() {
  state_.outline.clear();
  for (const auto& step : steps_) state_.outline.push_back(step.title);
  state_.gates.clear();
  for (const auto& gate : plan_.gates) state_.gates.push_back(GateOutline{gate.name, gate_condition(gate)});
}

Status Run::probe_new_run() {
  auto snap = store_->read();
  if (!snap.ok()) return snap.error();
  if (snap->state && !is_terminal(snap->state->phase)) return ok_status();  // resumed: checked when it began
  if (snap->state && snap->state->phase == Phase::Succeeded && snap->state->plan_hash == settings_.plan_hash)
    return ok_status();  // start_or_resume decides whether it runs again, and checks then
  auto s = record_originals();
  if (s.ok()) s = preflight_gates();
  state_.objects.clear();
  return s;
}

// Every gate's backend answers and its question parses, before the first change. A rolling plan
// has no canary before its first batch: its stable servers (the same server program, the same
// metrics and paths) answer the canary's questions then, as they will once the first batch runs.
Status Run::preflight_gates() {
  gates::GateTargets targets = gate_targets();
  if (plan_.strategy == plan::Strategy::rolling && state_.position.updated == 0 && !state_.position.finished &&
      targets.endpoints)
    targets.endpoints = [all = targets.endpoints](gates::Side) { return all(gates::Side::stable); };
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

// Reads and checks every object (one LIST per kind where that is fewer requests), and keeps what
// it holds in the owned fields; a rolling target says how many replicas the plan lays out.
Status Run::record_originals() {
  state_.objects.clear();
  for (size_t i = 0; i < actuators_.size(); ++i) {
    auto& act = *actuators_[i];
    auto refs = act.resolve(seams_.client, ns_);
    if (!refs.ok()) return refs.error();
    auto lives = exec_->read_all(*refs);
    if (!lives.ok()) return lives.error();
    if (auto s = act.check_all(seams_.client, *lives); !s.ok()) return s;
    for (const auto& w : act.warnings(seams_.client, *lives)) emit(EventType::info, "warning: " + w, {{"warning", true}});
    for (size_t k = 0; k < refs->size(); ++k) {
      const json& live = (*lives)[k];
      ManagedObject o;
      o.ref = (*refs)[k];
      o.actuator = static_cast<int>(i);
      o.original = read_fields(live, act.managed_fields());
      o.written = o.original;
      o.original_object = live;
      if (auto n = act.replicas(live)) state_.replicas = *n;
      state_.objects.push_back(std::move(o));
    }
  }
  return ok_status();
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
    case Outcome::interrupted:  // the CLI ends by the signal itself; a caller without one is told as an abort
      return make_error(ErrorKind::aborted, "rollout " + name + " " + r.message);
  }
  return ok_status();
}

}  // namespace rollout::engine
