// Control requests from several processes at once: a promote ends the step its sender saw, once.
#include "engine/run_fixture.hpp"

using namespace rollout;
using namespace rollout::engine;
using namespace rollout::engine::testing;

// Two people promote the same pause step; the second request lands just after the run acted on
// the first (it read the state at the same pause). Before, it carried a new id and ended the
// next pause step as well, which nobody had looked at (concurrency_e2e found it with three
// concurrent `rollout promote`s).
TEST_CASE("Run: a promote that crossed another at the same pause does not end the next pause", "[run][concurrency]") {
  RunFixture f;
  f.plan.steps = {f.plan.steps[0], f.plan.steps[2], f.plan.steps[3], f.plan.steps[2]};  // 10%, pause, 50%, pause
  int pauses = 0, promoted = 0;
  std::vector<int> paused_at;
  f.events.on_event = [&](const Event& e) {
    if (e.type == EventType::paused && e.data.value("reason", "") == to_string(PauseReason::pause_step)) {
      ++pauses;
      paused_at.push_back(f.state().step);
      REQUIRE(promote_rollout(f.terminal, kName, false).ok());
    }
    if (e.type == EventType::promoted && ++promoted == 1)
      REQUIRE(promote_rollout(f.terminal, kName, false).ok());  // the second person, a moment late
  };
  const RunResult r = f.apply_ok();
  CHECK(r.outcome == Outcome::succeeded);
  CHECK(pauses == 2);  // the second pause step waited for its own promote
  CHECK(paused_at == std::vector<int>{1, 3});
  CHECK(f.events.of(EventType::promoted).size() == 2);
  CHECK(f.weights() == kFinished);
}

TEST_CASE("Run: promote --full sent at an earlier step still skips to the end", "[run][concurrency]") {
  RunFixture f;
  f.plan.steps = {f.plan.steps[0], f.plan.steps[2], f.plan.steps[3], f.plan.steps[2]};
  bool sent = false;
  f.events.on_event = [&](const Event& e) {
    if (e.type == EventType::paused && !sent) {
      sent = true;
      REQUIRE(promote_rollout(f.terminal, kName, false).ok());
    }
    if (e.type == EventType::promoted && e.data.value("full", false) == false)
      REQUIRE(promote_rollout(f.terminal, kName, true).ok());  // read the state at step 1 too
  };
  CHECK(f.apply_ok().outcome == Outcome::succeeded);
  CHECK(f.events.of(EventType::promoted).size() == 2);
  CHECK(f.events.of(EventType::paused).size() == 1);  // the second pause step ended by the --full
  CHECK(f.events.of(EventType::object_patched).size() == 3);  // 10%, 50%, the finish
  CHECK(f.weights() == kFinished);
}

namespace {

// A second terminal whose read is the one it made while the run was paused; by the time it
// writes its request, the run has ended (the race concurrency_e2e met: an abort and two
// promotes at once, the second promote started after the abort had ended the run).
struct ReadBeforeTheEnd : StateStore {
  StateStore& inner;
  StateSnapshot seen;
  ReadBeforeTheEnd(StateStore& s, StateSnapshot snap) : inner(s), seen(std::move(snap)) {}
  std::string where() const override { return inner.where(); }
  bool first = true;
  // The first read is the one from before the end; any later one (abort's, once it holds the
  // lock) sees the store as it is.
  Result<StateSnapshot> read() override {
    if (!std::exchange(first, false)) return inner.read();
    return seen;
  }
  Status acquire(const LockHolder& me) override { return inner.acquire(me); }
  bool driven(const StateSnapshot& s) const override { return inner.driven(s); }
  Status release(const LockHolder& me) override { return inner.release(me); }
  Status save(RolloutState& state, const LockHolder& me) override { return inner.save(state, me); }
  Status append_history(const RunRecord& r) override { return inner.append_history(r); }
  Status update_control(const ControlChange& change) override { return inner.update_control(change); }
  Status watch(const std::function<bool()>& should_stop,
               const std::function<void(const StateSnapshot&)>& on_change) override {
    return inner.watch(should_stop, on_change);
  }
};

}  // namespace

// Before, such a request was written to the ended run's store and the command said "promoted"
// (exit 0) although nothing would ever act on it. Both stores judge the phase on the read their
// write is guarded by (the ConfigMap by its resourceVersion).
TEST_CASE("Run: a promote, pause, resume or abort that races the run's end is refused, not acknowledged",
          "[run][concurrency]") {
  for (const bool in_cluster : {false, true}) {
    INFO((in_cluster ? "ConfigMap store" : "file store"));
    RunFixture f;
    std::unique_ptr<ConfigMapStore> cm;
    if (in_cluster) {
      f.seams.store = nullptr;  // the engine's own ConfigMapStore on the sandbox
      cm = std::make_unique<ConfigMapStore>(*f.cluster.client, f.cluster.ns, kName, f.clock);
    }
    StateStore& terminal = in_cluster ? static_cast<StateStore&>(*cm) : f.terminal;
    std::optional<StateSnapshot> seen;
    f.events.on_event = [&](const Event& e) {
      if (e.type != EventType::paused || e.data.value("reason", "") != to_string(PauseReason::pause_step)) return;
      auto snap = terminal.read();
      REQUIRE(snap.ok());
      if (!seen) seen = *snap;
      REQUIRE(promote_rollout(terminal, kName, false).ok());
    };
    CHECK(f.apply_ok().outcome == Outcome::succeeded);
    REQUIRE(seen);
    REQUIRE(seen->state->phase == Phase::Paused);
    REQUIRE(terminal.driven(*seen));  // the late requester saw an apply running

    auto before = terminal.read();
    REQUIRE(before.ok());
    RecordingSink events;
    auto no_host = []() -> Result<actuators::ObjectHost*> {
      return make_error(ErrorKind::internal, "an abort of a driven run needs no host");
    };
    // Each request from a terminal of its own, whose first read is the one from before the end.
    ReadBeforeTheEnd late_promote(terminal, *seen), late_pause(terminal, *seen), late_resume(terminal, *seen),
        late_abort(terminal, *seen);
    const std::vector<std::pair<std::string, Result<ControlResult>>> requests = {
        {"promote", promote_rollout(late_promote, kName, false)},
        {"pause", pause_rollout(late_pause, kName)},
        {"resume", resume_rollout(late_resume, kName)},
        {"abort", abort_rollout(late_abort, kName, no_host, events, f.clock)},
    };
    for (const auto& [verb, r] : requests) {
      INFO(verb);
      // The message of the write's own check, not of the first read's (which saw the run paused).
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().kind == ErrorKind::invalid);
      CHECK_THAT(r.error().message, Catch::Contains("cannot " + verb + " rollout " + std::string(kName)) &&
                                        Catch::Contains("already ended (Succeeded)"));
    }
    // An abort that saw no apply running takes the lock and rolls back by itself: the run it
    // read has ended by the time it holds the lock, so it leaves the finished route alone.
    StateSnapshot undriven = *seen;
    undriven.lock.reset();
    ReadBeforeTheEnd late_alone(terminal, undriven);
    REQUIRE_FALSE(terminal.driven(undriven));
    actuators::ClusterHost cluster(*f.cluster.client);
    auto alone = abort_rollout(
        late_alone, kName, [&]() -> Result<actuators::ObjectHost*> { return &cluster; }, events, f.clock);
    REQUIRE_FALSE(alone.ok());
    CHECK_THAT(alone.error().message, Catch::Contains("cannot abort") && Catch::Contains("already ended (Succeeded)"));
    auto after = terminal.read();
    REQUIRE(after.ok());
    CHECK(to_json(after->control) == to_json(before->control));  // nothing was written
    CHECK(after->state->phase == Phase::Succeeded);
    CHECK_FALSE(after->lock);
    CHECK(f.weights() == kFinished);
  }
}
