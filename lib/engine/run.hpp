// One `apply` invocation: the per-run context the steps share (Argo Rollouts' rolloutContext),
// driven as a reconcile loop (reconcile.cpp). Internal to lib/engine; the entry point is engine.hpp.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "actuators/actuator.hpp"
#include "engine/engine.hpp"
#include "engine/planner.hpp"
#include "engine/rollback.hpp"
#include "engine/state_store.hpp"
#include "gates/evaluation.hpp"

namespace rollout::engine {

// What happened to a step's writes.
enum class WriteEnd { done, drift, failed };

class Run {
 public:
  Run(const plan::Plan& plan, std::string ns, ApplySettings settings, Seams& seams);
  ~Run();
  Result<RunResult> execute();

 private:
  using TimePoint = Clock::time_point;
  using Tick = Result<std::optional<RunResult>>;  // a result ends the run; nullopt: tick again

  // engine.cpp: preparing, starting or resuming
  Status prepare();
  Result<bool> start_or_resume();  // false: this plan already succeeded
  Status record_originals();
  Status preflight_gates();
  Status probe_new_run();
  Result<bool> still_finished(const RolloutState& done);
  void outline_state();
  void emit(EventType type, const std::string& message, nlohmann::json data = nlohmann::json::object());
  Status save();
  std::string now_text() const;

  // reconcile.cpp: the loop
  Result<RunResult> drive();
  Tick tick();
  void enter_step(const PlannedStep& step);
  Tick step_action(const PlannedStep& step, const ControlRequests& c);
  Status settle();
  Status advance(bool to_finish);
  Tick fail(const std::string& message);
  Result<RunResult> interrupted(const std::string& why);
  Tick gates_due();
  void start_gates(std::vector<gates::GateTracker>& trackers);
  Status release_hold(const ControlRequests& c);
  bool new_promote(const ControlRequests& c) const;
  bool step_complete(const PlannedStep& step) const;
  std::optional<std::string> deadline_passed() const;
  Status wait(TimePoint until);  // error: the lock was lost
  TimePoint next_wake() const;
  Result<ControlRequests> read_control();
  void start_watch();
  void stop_watch();

  // engine_objects.cpp: writing positions, drift, rollback, what gates see, finalize
  Status recall_original_objects();
  Result<WriteEnd> write_position(const actuators::Position& p, std::string* message);
  Status converge_servers(const actuators::Position& p, bool dry, std::optional<actuators::Position> from = {});
  actuators::Converge converge_how(bool dry);
  std::optional<std::string> drift_of(const ManagedObject& o, const FieldValues& live,
                                      const FieldValues& desired) const;
  Result<std::string> check_drift();
  Result<RunResult> roll_back(Phase end, const std::string& message);
  Status await_restored();
  Result<RunResult> finish(Phase phase, const std::string& message);
  gates::GateTargets gate_targets();
  Status run_finalize();
  actuators::Wait verify_wait();
  void note_waiting(const std::string& what);  // "" once the wait is over

  const plan::Plan& plan_;
  std::string ns_;
  ApplySettings settings_;
  Seams& seams_;
  Clock& clock_;
  bool live_;  // apply: waits, measures and saves; previews (dry runs, diff) do neither
  std::vector<PlannedStep> steps_;
  std::vector<std::unique_ptr<actuators::Actuator>> actuators_;
  std::map<std::string, std::unique_ptr<gates::MetricProvider>> providers_;
  std::unique_ptr<actuators::Hosts> hosts_;  // where the target's objects live
  std::unique_ptr<ObjectExecutor> exec_;
  std::unique_ptr<StateStore> own_store_;
  StateStore* store_ = nullptr;
  LockHolder me_;
  bool locked_ = false;
  RolloutState state_;
  std::vector<gates::GateTracker> background_;
  std::optional<TimePoint> timeout_at_;
  TimePoint last_save_{};
  TimePoint next_drift_check_{};

  // The step being run (not saved: a resumed run enters its step afresh).
  struct StepProgress {
    bool entered = false;
    bool written = false;
    bool announced = false;  // a manual pause said it waits
    std::optional<TimePoint> until;
    std::vector<gates::GateTracker> gates;
  };
  StepProgress progress_;
  // A hold only a human releases (resume or promote): drift, an inconclusive gate.
  struct Hold {
    PauseReason reason = PauseReason::none;
    std::string message;
  };
  std::optional<Hold> hold_;
  bool user_paused_ = false;
  std::string paused_by_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> stopping_{false};
  int changes_ = 0;       // store changes seen by the watch (under mu_), to wake the loop
  int seen_changes_ = 0;  // changes_ when the current tick read the store
  std::thread watcher_;
};

}  // namespace rollout::engine
