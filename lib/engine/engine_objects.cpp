// Writing the objects to a position (a fleet of them with bounded concurrency, verified
// together), noticing drift, rolling back to the recorded originals, what gates see. Finalize:
// finalize.cpp.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "actuators/endpoints.hpp"
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

// Runs work(i) for i in [0, n) on up to `width` threads.
void for_each_bounded(size_t n, int width, const std::function<void(size_t)>& work) {
  const size_t threads = std::min(n, static_cast<size_t>(std::max(1, width)));
  if (threads <= 1) {
    for (size_t i = 0; i < n; ++i) work(i);
    return;
  }
  std::atomic<size_t> next{0};
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (size_t i = next++; i < n; i = next++) work(i);
    });
  for (auto& th : pool) th.join();
}

}  // namespace

// As many restores at once as a step writes by default (Settings::concurrency).
constexpr int kRestoreConcurrency = 16;

Result<Duration> restore_originals(ObjectExecutor& exec, RolloutState& state) {
  const auto started = std::chrono::steady_clock::now();
  // Traffic first, adapters last: no request may reach an adapter that is being unloaded. So the
  // objects go back in reverse order, a run of objects of one kind (a fleet of HTTPRoutes) at a
  // time, up to kRestoreConcurrency of them at once (one by one, 1000 routes took ~2000 sequential
  // requests: tests/bench/bench_latency.sh).
  std::vector<ManagedObject*> order;
  for (auto it = state.objects.rbegin(); it != state.objects.rend(); ++it) order.push_back(&*it);
  for (size_t begin = 0; begin < order.size();) {
    size_t end = begin + 1;
    while (end < order.size() && order[end]->ref.kind == order[begin]->ref.kind &&
           order[end]->ref.api_version == order[begin]->ref.api_version)
      ++end;
    std::vector<std::optional<Error>> errors(end - begin);
    for_each_bounded(end - begin, kRestoreConcurrency, [&](size_t k) {
      ManagedObject& o = *order[begin + k];
      auto restored = exec.restore(o.ref, o.original);
      if (!restored.ok()) {
        errors[k] = restored.error();
        return;
      }
      std::vector<std::string> fields;
      for (const auto& [pointer, value] : o.original) fields.push_back(pointer);
      o.written = read_fields(*restored, fields);
      if (o.written != o.original)
        errors[k] = make_error(ErrorKind::internal, o.ref.key() + ": the restored fields differ from the recorded ones");
    });
    for (const auto& e : errors)
      if (e) return *e;
    begin = end;
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

// A resumed run's objects as first read, for the planner: the state keeps only the original
// values of the owned fields, so each is the live object with those values put back (one LIST per
// kind). Actuators derive desired objects from their owned fields alone, so they see no difference.
Status Run::recall_original_objects() {
  std::vector<size_t> missing;
  std::vector<actuators::ObjectRef> refs;
  for (size_t i = 0; i < state_.objects.size(); ++i)
    if (state_.objects[i].original_object.is_null()) {
      missing.push_back(i);
      refs.push_back(state_.objects[i].ref);
    }
  if (refs.empty()) return ok_status();
  auto lives = exec_->read_all(refs);
  if (!lives.ok()) return lives.error();
  for (size_t k = 0; k < missing.size(); ++k) {
    ManagedObject& o = state_.objects[missing[k]];
    const json& live = (*lives)[k];
    try {
      o.original_object = live.patch(restore_patch(live, o.original));
    } catch (const json::exception& e) {
      return make_error(ErrorKind::invalid, o.ref.key() + ": cannot put the recorded values back: " + e.what());
    }
  }
  return ok_status();
}

actuators::Wait Run::verify_wait() {
  actuators::Wait wait;
  wait.timeout = Duration(120000);
  // Waiting for the cluster to act happens in real time, whatever the run's clock.
  wait.cancelled = [this] {
    auto c = read_control();
    return (c.ok() && c->abort) || deadline_passed().has_value() ||
           (settings_.interrupt && settings_.interrupt->requested().has_value());
  };
  wait.note = [this](const std::string& what) {
    note_waiting(what);
    emit(EventType::info, what, {{"waiting", true}});
  };
  return wait;
}

// What the step waits for, in the state for `rollout status`: saved when it changes (the notes
// come only when the answer changes), cleared once the wait is over.
void Run::note_waiting(const std::string& what) {
  if (what == state_.waiting) return;
  if (what.empty() || state_.waiting.empty()) state_.waiting_since = what.empty() ? "" : now_text();
  state_.waiting = what;
  (void)save();  // a failed save is retried at the next transition or renewal
}

// Reads every object once, writes those whose owned fields differ from the position (up to
// settings.concurrency at a time, each guarded by its resourceVersion), saves the state once,
// then verifies them together per actuator. Drift in any object stops before writing any.
Result<WriteEnd> Run::write_position(const actuators::Position& p, std::string* message) {
  std::vector<actuators::ObjectRef> refs;
  for (const auto& o : state_.objects) refs.push_back(o.ref);
  auto lives = exec_->read_all(refs);
  if (!lives.ok()) return lives.error();
  const size_t n = state_.objects.size();
  std::vector<json> desired(n);
  std::vector<size_t> to_write;
  for (size_t i = 0; i < n; ++i) {
    ManagedObject& o = state_.objects[i];
    const auto& act = *actuators_[static_cast<size_t>(o.actuator)];
    auto d = act.desired(o.original_object, p);
    if (!d.ok()) return d.error();
    desired[i] = std::move(*d);
    const FieldValues now = read_fields((*lives)[i], act.managed_fields());
    const FieldValues want = read_fields(desired[i], act.managed_fields());
    if (exec_->mutates())
      if (auto drift = drift_of(o, now, want)) {
        *message = *drift;
        return WriteEnd::drift;
      }
    if (now == want) {
      o.written = now;
      emit(EventType::object_unchanged, o.ref.key() + " unchanged", {{"object", actuators::to_json(o.ref)}});
    } else {
      to_write.push_back(i);
    }
  }
  std::vector<Result<json>> written(to_write.size(), make_error(ErrorKind::internal, "not written"));
  for_each_bounded(to_write.size(), settings_.concurrency, [&](size_t k) {
    const size_t i = to_write[k];
    const ManagedObject& o = state_.objects[i];
    const auto fields = actuators_[static_cast<size_t>(o.actuator)]->managed_fields();
    json live = (*lives)[i];
    for (int attempt = 0;; ++attempt) {
      written[k] = exec_->write(o.ref, live, desired[i], fields);
      if (written[k].ok() || written[k].error().kind != ErrorKind::conflict || attempt >= 3) return;
      auto again = exec_->read(o.ref);  // someone wrote elsewhere in the object: our fields are checked below
      if (!again.ok()) return;
      live = *again;
    }
  });
  // A step that moves the position is verified over all its objects, also those already as
  // desired: a resumed run finds its writes done but not their effect, and a Deployment's batch
  // lives in its ReplicaSets, not in the object.
  const bool moves = p != state_.position;
  std::map<int, std::vector<json>> verify, originals;  // actuator -> objects as written, their originals
  if (moves)
    for (size_t i = 0; i < n; ++i)
      if (std::find(to_write.begin(), to_write.end(), i) == to_write.end()) {
        verify[state_.objects[i].actuator].push_back((*lives)[i]);
        originals[state_.objects[i].actuator].push_back(state_.objects[i].original_object);
      }
  for (size_t k = 0; k < to_write.size(); ++k) {
    const size_t i = to_write[k];
    ManagedObject& o = state_.objects[i];
    if (!written[k].ok()) return written[k].error();
    const auto fields = actuators_[static_cast<size_t>(o.actuator)]->managed_fields();
    o.written = read_fields(*written[k], fields);
    json data = {{"object", actuators::to_json(o.ref)}, {"patch", field_patch((*lives)[i], desired[i], fields)}};
    if (!exec_->mutates()) data["before"] = (*lives)[i], data["after"] = *written[k];
    emit(exec_->mutates() ? EventType::object_patched : EventType::object_diff,
         o.ref.key() + (exec_->mutates() ? " patched" : ""), data);
    verify[o.actuator].push_back(std::move(*written[k]));
    originals[o.actuator].push_back(o.original_object);
  }
  if (!exec_->mutates()) {
    if (moves)
      if (auto s = converge_servers(p, true, state_.position); !s.ok()) return s.error();
    return WriteEnd::done;
  }
  if (verify.empty()) return WriteEnd::done;
  if (!to_write.empty())
    if (auto s = save(); !s.ok()) return s.error();
  // Verified per actuator; the end of a failed or interrupted wait, or none when all are verified.
  auto unverified = [&]() -> std::optional<Result<WriteEnd>> {
    for (const auto& [index, objects] : verify) {
      // Servers that keep the position in memory (runtime-loaded adapters) are brought to it first.
      auto v = actuators_[static_cast<size_t>(index)]->converge(seams_.client, originals[index], p, converge_how(false));
      if (v.ok())
        v = actuators_[static_cast<size_t>(index)]->verify_all(seams_.client, objects, originals[index], p, verify_wait());
      if (!v.ok()) {
        if (v.error().kind == ErrorKind::aborted) return WriteEnd::done;  // the next tick sees the abort, deadline or interrupt
        if (v.error().kind != ErrorKind::timeout && v.error().kind != ErrorKind::gate_failed) return v.error();
        *message = v.error().message;
        return WriteEnd::failed;
      }
    }
    return std::nullopt;
  }();
  // The wait is over however it ended. Not in a destructor: it saves the state, and a process
  // that dies at that write must not die of std::terminate instead (the crash tests' ProcessGone).
  note_waiting("");
  if (unverified) return *unverified;
  for (size_t i = 0; i < n; ++i)
    if (moves || std::find(to_write.begin(), to_write.end(), i) != to_write.end())
      emit(EventType::verified, state_.objects[i].ref.key() + " verified",
           {{"object", actuators::to_json(state_.objects[i].ref)}});
  return WriteEnd::done;
}

actuators::Converge Run::converge_how(bool dry) {
  actuators::Converge how;
  how.dry = dry;
  how.note = [this](const std::string& what) { emit(EventType::info, what, {{"servers", true}}); };
  return how;
}

// Every actuator's servers brought to `p` (see Actuator::converge), over the recorded originals.
Status Run::converge_servers(const actuators::Position& p, bool dry, std::optional<actuators::Position> from) {
  std::map<int, std::vector<json>> originals;
  for (const auto& o : state_.objects) {
    json original = o.original_object;
    if (original.is_null())  // a rollback resumed without the objects: their identity is enough
      original = {{"apiVersion", o.ref.api_version},
                  {"kind", o.ref.kind},
                  {"metadata", {{"name", o.ref.name}, {"namespace", o.ref.namespace_}}}};
    originals[o.actuator].push_back(std::move(original));
  }
  actuators::Converge how = converge_how(dry);
  how.from = from;
  for (const auto& [index, objects] : originals)
    if (auto s = actuators_[static_cast<size_t>(index)]->converge(seams_.client, objects, p, how); !s.ok()) return s;
  return ok_status();
}

Result<std::string> Run::check_drift() {
  std::vector<actuators::ObjectRef> refs;
  for (const auto& o : state_.objects) refs.push_back(o.ref);
  auto lives = exec_->read_all(refs);
  if (!lives.ok()) return lives.error();
  for (size_t i = 0; i < state_.objects.size(); ++i) {
    const ManagedObject& o = state_.objects[i];
    const auto& act = *actuators_[static_cast<size_t>(o.actuator)];
    const FieldValues now = read_fields((*lives)[i], act.managed_fields());
    if (now == o.written) continue;
    auto desired = act.desired(o.original_object, state_.position);
    if (!desired.ok()) return desired.error();
    if (auto drift = drift_of(o, now, read_fields(*desired, act.managed_fields()))) return *drift;
  }
  return std::string();
}

Result<RunResult> Run::roll_back(Phase end, const std::string& message) {
  if (!live_) return make_error(ErrorKind::internal, "a preview cannot roll back: " + message);
  RunEnd ctx{*store_, me_, *exec_, seams_.events, clock_};
  ctx.await_restored = [this] { return await_restored(); };
  return roll_back_run(ctx, state_, end, message);
}

// Rolling targets after a restore: their controllers bring the pods back to the recorded version,
// which the rollback waits for (abort and deadline no longer cancel it: this is the way out).
Status Run::await_restored() {
  // Servers first (traffic is back on the stable already): the canary's runtime-loaded adapters go.
  if (auto s = converge_servers(actuators::Position{}, false); !s.ok()) return s;
  std::map<int, std::vector<json>> restored, originals;
  for (const auto& o : state_.objects) {
    auto live = exec_->read(o.ref);
    if (!live.ok()) return live.error();
    if (!actuators_[static_cast<size_t>(o.actuator)]->replicas(*live)) continue;
    restored[o.actuator].push_back(std::move(*live));
    originals[o.actuator].push_back(o.original_object);
  }
  for (const auto& [index, objects] : restored) {
    actuators::Wait wait = verify_wait();
    wait.cancelled = [] { return false; };
    if (auto s = actuators_[static_cast<size_t>(index)]->verify_all(seams_.client, objects, originals[index],
                                                                    actuators::Position{}, wait);
        !s.ok())
      return s;
  }
  return ok_status();
}

Result<RunResult> Run::finish(Phase phase, const std::string& message) {
  RunEnd ctx{*store_, me_, *exec_, seams_.events, clock_};
  return finish_run(ctx, state_, phase, message);
}

// What gates see: the names and the servers of both sides, from the actuators that route traffic.
gates::GateTargets Run::gate_targets() {
  gates::GateTargets t;
  t.ns = ns_;
  t.rollout = plan_.name;
  const ManagedObject* routing = nullptr;
  for (const auto& o : state_.objects) {
    const auto& act = *actuators_[static_cast<size_t>(o.actuator)];
    if (t.canary.empty()) t.canary = act.side_name(actuators::Role::canary);
    if (t.stable.empty()) t.stable = act.side_name(actuators::Role::stable);
    // The object whose servers the gates judge: a traffic target's backends, a rolling target's pods.
    if (!routing && (act.backend(o.original_object, actuators::Role::canary) || act.replicas(o.original_object)))
      routing = &o;
  }
  if (!routing) return t;
  const auto& act = *actuators_[static_cast<size_t>(routing->actuator)];
  auto canary = act.backend(routing->original_object, actuators::Role::canary);
  auto stable = act.backend(routing->original_object, actuators::Role::stable);
  t.same_servers = canary && stable && canary->name == stable->name && canary->kind == stable->kind &&
                   canary->group == stable->group;
  const json original = routing->original_object;
  const actuators::Actuator* a = &act;
  k8s::Client* client = &seams_.client;
  const std::string ns = ns_;
  t.endpoints = [a, client, ns, original](gates::Side side) -> Result<std::vector<gates::Endpoint>> {
    auto found = a->endpoints(*client, ns, original,
                              side == gates::Side::canary ? actuators::Role::canary : actuators::Role::stable);
    if (!found.ok()) return found.error();
    std::vector<gates::Endpoint> out;
    for (const auto& e : *found) out.push_back({e.pod, e.base, e.ready});
    return out;
  };
  return t;
}

}  // namespace rollout::engine
