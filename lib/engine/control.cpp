#include "engine/control.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <cstdlib>
#include <random>
#include <thread>

#include "engine/executor.hpp"
#include "engine/rollback.hpp"
#include "util/timestamp.hpp"

namespace rollout::engine {

namespace {

std::string new_id() {
  static std::mt19937_64 rng{std::random_device{}()};
  return format_rfc3339(std::chrono::system_clock::now()) + "-" + std::to_string(rng() % 1000000);
}

Error ended(const std::string& name, const char* verb, Phase phase) {
  return make_error(ErrorKind::invalid,
                    fmt::format("cannot {} rollout {}: its last run already ended ({})", verb, name, to_string(phase)));
}

Result<StateSnapshot> active(StateStore& store, const std::string& name, const char* verb) {
  auto snap = store.read();
  if (!snap.ok()) return snap.error();
  if (!snap->exists || !snap->state)
    return make_error(ErrorKind::not_found, fmt::format("no rollout {} ({} not found)", name, store.where()));
  if (is_terminal(snap->state->phase)) return ended(name, verb, snap->state->phase);
  return snap;
}

// Writes a request only while the run is live, judged on the same read as the write: a request
// that races the run's end is refused (and says so), never acknowledged and then ignored.
template <typename Change>
Status request(StateStore& store, const std::string& name, const char* verb, Change change) {
  return store.update_control([&](const std::optional<RolloutState>& state, ControlRequests& c) -> Status {
    if (state && is_terminal(state->phase)) return ended(name, verb, state->phase);
    change(c);
    return ok_status();
  });
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

Result<StateSnapshot> read_rollout(StateStore& store, const std::string& name) {
  auto snap = store.read();
  if (!snap.ok()) return snap.error();
  if (!snap->exists) return make_error(ErrorKind::not_found, fmt::format("no rollout {} ({} not found)", name, store.where()));
  return snap;
}

Result<ControlResult> promote_rollout(StateStore& store, const std::string& name, bool full) {
  auto snap = active(store, name, "promote");
  if (!snap.ok()) return snap.error();
  auto s = request(store, name, "promote", [&](ControlRequests& c) {
    c.promote_id = new_id();
    // The step its sender saw, not the step as of the write: a promote that crossed another one
    // ends the pause it was meant for, not the next one (run_control_test.cpp).
    c.promote_step = snap->state ? snap->state->step : -1;
    c.promote_full = full;
  });
  if (!s.ok()) return s.error();
  const bool driven = store.driven(*snap);
  return ControlResult{driven, "rollout " + name + (full ? " promoted to the end" : " promoted") +
                                   hand_over_note(driven, name)};
}

Result<ControlResult> pause_rollout(StateStore& store, const std::string& name) {
  auto snap = active(store, name, "pause");
  if (!snap.ok()) return snap.error();
  auto s = request(store, name, "pause", [](ControlRequests& c) {
    c.paused = true;
    c.paused_by = requester();
  });
  if (!s.ok()) return s.error();
  const bool driven = store.driven(*snap);
  return ControlResult{driven, "rollout " + name + " paused" + hand_over_note(driven, name)};
}

Result<ControlResult> resume_rollout(StateStore& store, const std::string& name) {
  auto snap = active(store, name, "resume");
  if (!snap.ok()) return snap.error();
  auto s = request(store, name, "resume", [](ControlRequests& c) {
    c.paused = false;
    c.resume_id = new_id();
  });
  if (!s.ok()) return s.error();
  const bool driven = store.driven(*snap);
  return ControlResult{driven, "rollout " + name + " resumed" + hand_over_note(driven, name)};
}

Result<ControlResult> abort_rollout(StateStore& store, const std::string& name, const HostSource& hosts,
                                    EventSink& events, Clock& clock) {
  auto snap = active(store, name, "abort");
  if (!snap.ok()) return snap.error();
  const std::string by = requester();
  if (store.driven(*snap)) {
    auto s = request(store, name, "abort", [&](ControlRequests& c) {
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
      clock.sleep_for(Duration(100));
    }
    return ControlResult{true, "rollout " + name + ": abort requested; the running apply rolls it back"};
  }
  // Nobody drives it: take the lock and roll back from the recorded originals here, as the engine does.
  auto host = hosts();
  if (!host.ok()) return host.error();
  const LockHolder me = this_process_holder(clock);
  if (auto s = store.acquire(me); !s.ok()) return s.error();
  auto fresh = store.read();
  if (!fresh.ok() || !fresh->state) {
    (void)store.release(me);
    return fresh.ok() ? Result<ControlResult>(make_error(ErrorKind::internal, "the state vanished")) : fresh.error();
  }
  // It may have ended since the first read (its apply finished, or another abort won the lock).
  if (is_terminal(fresh->state->phase)) {
    (void)store.release(me);
    return ended(name, "abort", fresh->state->phase);
  }
  RolloutState state = *fresh->state;
  auto exec = make_executor(ExecMode::apply, **host);
  RunEnd ctx{store, me, *exec, events, clock};
  auto done = roll_back_run(ctx, state, Phase::Aborted, "aborted by " + by);
  (void)store.release(me);
  if (!done.ok()) return done.error();
  return ControlResult{false, "rollout " + name + " aborted and rolled back"};
}

}  // namespace rollout::engine
