#include "engine/control.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <cstdlib>
#include <random>
#include <thread>

#include "engine/executor.hpp"
#include "util/timestamp.hpp"

namespace rollout::engine {

namespace {

std::string new_id() {
  static std::mt19937_64 rng{std::random_device{}()};
  return format_rfc3339(std::chrono::system_clock::now()) + "-" + std::to_string(rng() % 1000000);
}

Result<StateSnapshot> active(StateStore& store, const std::string& name, const char* verb) {
  auto snap = store.read();
  if (!snap.ok()) return snap.error();
  if (!snap->exists || !snap->state)
    return make_error(ErrorKind::not_found, fmt::format("no rollout {} in namespace {} (ConfigMap {} not found)", name,
                                                        store.namespace_(), store.config_map_name()));
  if (is_terminal(snap->state->phase))
    return make_error(ErrorKind::invalid, fmt::format("cannot {} rollout {}: its last run already ended ({})", verb,
                                                      name, to_string(snap->state->phase)));
  return snap;
}

std::string hand_over_note(bool driven, const std::string& name) {
  return driven ? "" : "; no apply is running for " + name + ": it takes effect when `rollout plan apply` continues it";
}

}  // namespace

std::string requester() {
  const char* user = std::getenv("USER");
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return std::string(user ? user : "unknown") + "@" + host;
}

Result<StateSnapshot> read_rollout(k8s::Client& client, const std::string& ns, const std::string& name) {
  StateStore store(client, ns, name);
  auto snap = store.read();
  if (!snap.ok()) return snap.error();
  if (!snap->exists)
    return make_error(ErrorKind::not_found,
                      fmt::format("no rollout {} in namespace {} (ConfigMap rollout-{} not found)", name, ns, name));
  return snap;
}

Result<ControlResult> promote_rollout(k8s::Client& client, const std::string& ns, const std::string& name, bool full) {
  StateStore store(client, ns, name);
  auto snap = active(store, name, "promote");
  if (!snap.ok()) return snap.error();
  auto s = store.update_control([&](ControlRequests& c) {
    c.promote_id = new_id();
    c.promote_full = full;
  });
  if (!s.ok()) return s.error();
  const bool driven = store.driven(*snap);
  return ControlResult{driven, "rollout " + name + (full ? " promoted to the end" : " promoted") +
                                   hand_over_note(driven, name)};
}

Result<ControlResult> pause_rollout(k8s::Client& client, const std::string& ns, const std::string& name) {
  StateStore store(client, ns, name);
  auto snap = active(store, name, "pause");
  if (!snap.ok()) return snap.error();
  auto s = store.update_control([](ControlRequests& c) {
    c.paused = true;
    c.paused_by = requester();
  });
  if (!s.ok()) return s.error();
  const bool driven = store.driven(*snap);
  return ControlResult{driven, "rollout " + name + " paused" + hand_over_note(driven, name)};
}

Result<ControlResult> resume_rollout(k8s::Client& client, const std::string& ns, const std::string& name) {
  StateStore store(client, ns, name);
  auto snap = active(store, name, "resume");
  if (!snap.ok()) return snap.error();
  auto s = store.update_control([](ControlRequests& c) {
    c.paused = false;
    c.resume_id = new_id();
  });
  if (!s.ok()) return s.error();
  const bool driven = store.driven(*snap);
  return ControlResult{driven, "rollout " + name + " resumed" + hand_over_note(driven, name)};
}

Result<ControlResult> abort_rollout(k8s::Client& client, const std::string& ns, const std::string& name,
                                    EventSink& events) {
  StateStore store(client, ns, name);
  auto snap = active(store, name, "abort");
  if (!snap.ok()) return snap.error();
  const std::string by = requester();
  if (store.driven(*snap)) {
    auto s = store.update_control([&](ControlRequests& c) {
      c.abort = true;
      c.abort_by = by;
    });
    if (!s.ok()) return s.error();
    // Wait (a little) for the running apply to report the rollback, so the user sees it done.
    for (int i = 0; i < 300; ++i) {
      auto now = store.read();
      if (now.ok() && now->state && is_terminal(now->state->phase))
        return ControlResult{true, "rollout " + name + " aborted: the running apply rolled it back (" +
                                       to_string(now->state->phase) + ")"};
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return ControlResult{true, "rollout " + name + ": abort requested; the running apply rolls it back"};
  }
  // Nobody drives it: take the lock and roll back from the recorded originals here.
  const LockHolder me = this_process_holder();
  if (auto s = store.acquire(me); !s.ok()) return s.error();
  auto fresh = store.read();
  if (!fresh.ok() || !fresh->state) {
    (void)store.release(me);
    return fresh.ok() ? Result<ControlResult>(make_error(ErrorKind::internal, "the state vanished")) : fresh.error();
  }
  RolloutState state = *fresh->state;
  state.phase = Phase::RollingBack;
  state.rollback_to = "Aborted";
  state.message = "aborted by " + by;
  auto exec = make_executor(ExecMode::apply, client);
  Status saved = store.save(state, me);
  auto took = saved.ok() ? restore_originals(*exec, state) : Result<Duration>(saved.error());
  if (!took.ok()) {
    (void)store.release(me);
    return took.error();
  }
  events.emit(Event{"rolled_back",
                    fmt::format("restored {} object(s) to their recorded values in {}ms", state.objects.size(),
                                took->count()),
                    {{"rollout", name}, {"objects", state.objects.size()}, {"apiMillis", took->count()}}});
  state.phase = Phase::Aborted;
  state.position = actuators::Position{};
  state.finished_at = format_rfc3339(std::chrono::system_clock::now());
  Status s = store.save(state, me);
  if (s.ok())
    s = store.append_history(RunRecord{state.run_id, state.plan_hash, state.started_at, state.finished_at, "Aborted",
                                       state.message});
  (void)store.release(me);
  if (!s.ok()) return s.error();
  return ControlResult{false, "rollout " + name + " aborted and rolled back"};
}

}  // namespace rollout::engine
