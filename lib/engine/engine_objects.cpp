// Writing the objects to a position, noticing drift, and rolling back to the recorded originals.
#include <fmt/format.h>

#include "engine/run.hpp"
#include "util/timestamp.hpp"

namespace rollout::engine {

using nlohmann::json;

namespace {

std::string describe_value(const FieldValue& v) { return v.present ? v.value.dump() : "(absent)"; }

// The first field, below the owned ones, where `a` and `b` differ: "spec.rules[0].backendRefs[1].weight".
std::string first_difference(const std::string& pointer, const FieldValue& a, const FieldValue& b, std::string* was,
                             std::string* now) {
  if (!a.present || !b.present) {
    *was = describe_value(a);
    *now = describe_value(b);
    return field_path(pointer);
  }
  const json ops = json::diff(a.value, b.value);
  if (ops.empty()) return field_path(pointer);
  const std::string sub = ops[0].value("path", "");
  const json::json_pointer p(sub);
  *was = a.value.contains(p) ? a.value.at(p).dump() : "(absent)";
  *now = b.value.contains(p) ? b.value.at(p).dump() : "(absent)";
  return field_path(pointer + sub);
}

}  // namespace

Result<Duration> restore_originals(ObjectExecutor& exec, RolloutState& state) {
  const auto started = std::chrono::steady_clock::now();
  // Traffic first, adapters last: no request may reach an adapter that is being unloaded.
  for (auto it = state.objects.rbegin(); it != state.objects.rend(); ++it) {
    auto restored = exec.restore(it->ref, it->original);
    if (!restored.ok()) return restored.error();
    std::vector<std::string> fields;
    for (const auto& [pointer, value] : it->original) fields.push_back(pointer);
    it->written = read_fields(*restored, fields);
    if (it->written != it->original)
      return make_error(ErrorKind::internal, it->ref.key() + ": the restored fields differ from the recorded ones");
  }
  return std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - started);
}

std::optional<std::string> Run::drift_of(const ManagedObject& o, const FieldValues& live,
                                         const FieldValues& desired) const {
  if (live == o.written || live == desired) return std::nullopt;
  for (const auto& [pointer, value] : live) {
    auto w = o.written.find(pointer);
    if (w == o.written.end() || w->second == value) continue;
    std::string was, now;
    const std::string field = first_difference(pointer, w->second, value, &was, &now);
    return fmt::format("{} {}: {} was changed by someone else ({} -> {}); the rollout is paused: put it back or "
                       "`rollout resume {}` to overwrite it, or `rollout abort {}` to restore the recorded values",
                       o.ref.kind, o.ref.name, field, was, now, plan_.name, plan_.name);
  }
  return std::nullopt;
}

Result<StepEnd> Run::write_object(ManagedObject& o, const actuators::Position& p) {
  const auto& act = *actuators_[static_cast<size_t>(o.actuator)];
  const auto fields = act.managed_fields();
  for (int attempt = 0;; ++attempt) {
    auto live = exec_->read(o.ref);
    if (!live.ok()) return live.error();
    auto desired = act.desired(o.original_object, p);
    if (!desired.ok()) return desired.error();
    const FieldValues now = read_fields(*live, fields), want = read_fields(*desired, fields);
    if (exec_->mutates())
      if (auto drift = drift_of(o, now, want)) return StepEnd{Stop::drift, *drift};
    if (now == want) {
      o.written = now;
      emit("object_unchanged", o.ref.key() + " unchanged", {{"object", actuators::to_json(o.ref)}});
      return StepEnd{};
    }
    auto written = exec_->write(o.ref, *live, *desired, fields);
    if (!written.ok() && written.error().kind == ErrorKind::conflict && attempt < 3) continue;
    if (!written.ok()) return written.error();
    o.written = read_fields(*written, fields);
    json data = {{"object", actuators::to_json(o.ref)}, {"patch", field_patch(*live, *desired, fields)}};
    if (!exec_->mutates()) data["before"] = *live, data["after"] = *written;
    emit(exec_->mutates() ? "object_patched" : "object_diff", o.ref.key() + (exec_->mutates() ? " patched" : ""),
         data);
    if (!exec_->mutates()) return StepEnd{};
    if (auto s = save(); !s.ok()) return s.error();
    actuators::Wait wait;
    wait.timeout = Duration(120000);
    wait.cancelled = [this] {
      // Verification can take minutes (adapters loading): keep the lock's lease fresh meanwhile.
      if (std::chrono::steady_clock::now() - last_save_ > Duration(5000)) (void)save();
      return control().abort || deadline_passed().has_value();
    };
    if (auto v = act.verify(seams_.client, *written, p, wait); !v.ok()) {
      if (control().abort) return StepEnd{Stop::aborted, "aborted by " + control().abort_by};
      if (auto d = deadline_passed()) return *d;
      if (v.error().kind == ErrorKind::timeout) return StepEnd{Stop::gate_failed, v.error().message};
      return v.error();
    }
    emit("verified", o.ref.key() + " verified", {{"object", actuators::to_json(o.ref)}});
    return StepEnd{};
  }
}

Result<StepEnd> Run::write_position(const actuators::Position& p, const std::string&) {
  for (;;) {
    bool again = false;
    for (auto& o : state_.objects) {
      auto end = write_object(o, p);
      if (!end.ok() || end->stop == Stop::none) {
        if (!end.ok()) return end;
        continue;
      }
      if (end->stop != Stop::drift) return end;
      auto held = pause_for_human("Drift", end->message);
      if (!held.ok() || held->stop != Stop::none) return held;
      again = true;  // resumed: the live value is accepted as the starting point and overwritten
      break;
    }
    if (!again) return StepEnd{};
  }
}

Result<std::string> Run::check_drift() {
  for (auto& o : state_.objects) {
    const auto& act = *actuators_[static_cast<size_t>(o.actuator)];
    auto live = exec_->read(o.ref);
    if (!live.ok()) return live.error();
    const FieldValues now = read_fields(*live, act.managed_fields());
    if (now == o.written) continue;
    auto desired = act.desired(o.original_object, state_.position);
    if (!desired.ok()) return desired.error();
    if (auto drift = drift_of(o, now, read_fields(*desired, act.managed_fields()))) return *drift;
  }
  return std::string();
}

Result<RunResult> Run::roll_back(Phase end, const std::string& message) {
  state_.phase = Phase::RollingBack;
  state_.rollback_to = to_string(end);
  state_.message = message;
  if (auto s = save(); !s.ok()) return s.error();
  emit("rolling_back", "rolling back: " + message, {{"reason", message}});
  auto took = restore_originals(*exec_, state_);
  if (!took.ok()) return took.error();
  state_.position = actuators::Position{};
  emit("rolled_back", fmt::format("restored {} object(s) to their recorded values in {}ms", state_.objects.size(),
                                  took->count()),
       {{"objects", state_.objects.size()}, {"apiMillis", took->count()}});
  return finish(end, message);
}

gates::GateTargets Run::gate_targets() const {
  gates::GateTargets t;
  t.ns = ns_;
  t.rollout = plan_.name;
  std::visit(
      [&](const auto& target) {
        using T = std::decay_t<decltype(target)>;
        if constexpr (std::is_same_v<T, plan::HttpRouteTarget>) {
          t.canary = target.canary.name;
          t.stable = target.stable.name;
        } else if constexpr (std::is_same_v<T, plan::InferenceModelTarget> ||
                             std::is_same_v<T, plan::InferenceModelRewriteTarget>) {
          t.canary = target.canary;
          t.stable = target.stable;
        }
      },
      plan_.target);
  for (const auto& o : state_.objects) {
    const auto& act = *actuators_[static_cast<size_t>(o.actuator)];
    if (!t.canary_pool) t.canary_pool = act.backend(o.original_object, actuators::Role::canary);
    if (!t.stable_pool) t.stable_pool = act.backend(o.original_object, actuators::Role::stable);
  }
  return t;
}

Status run_finalize_commands(const plan::Finalize& f, Seams& seams, const std::function<void(const std::string&)>& log) {
  for (const auto& argv : f.run) {
    std::string line;
    for (const auto& a : argv) line += (line.empty() ? "" : " ") + a;
    log("finalize: running " + line);
    auto r = seams.run_command ? seams.run_command(argv) : run_process(argv, {}, "", Duration(10 * 60 * 1000));
    if (!r.ok()) return make_error(r.error().kind, "finalize: " + line + ": " + r.error().message);
    if (!r->succeeded())
      return make_error(ErrorKind::internal, fmt::format("finalize: {} exited with {}: {}", line, r->exit_code,
                                                         output_tail(r->stderr_data + r->stdout_data)));
  }
  return ok_status();
}

}  // namespace rollout::engine
