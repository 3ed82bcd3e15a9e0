// One `apply` invocation: the per-run context the steps share (Argo Rollouts' rolloutContext).
// Internal to lib/engine; the public entry point is engine.hpp.
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
#include "engine/state_store.hpp"
#include "gates/evaluation.hpp"

namespace rollout::engine {

// Why a step or a wait ended early.
enum class Stop { none, promoted, aborted, timed_out, gate_failed, inconclusive, drift, handed_over };

struct StepEnd {
  Stop stop = Stop::none;
  std::string message;
};

class Run {
 public:
  Run(const plan::Plan& plan, std::string ns, ApplySettings settings, Seams& seams);
  ~Run();
  Result<RunResult> execute();

 private:
  // engine.cpp: the run as a whole
  Status prepare();
  Result<RunResult> preview();
  Result<bool> start_or_resume();  // false: this plan already succeeded
  Status record_originals();
  Status preflight_gates();
  Status probe_new_run();
  Result<bool> still_finished(const RolloutState& done);
  Result<RunResult> drive();
  Result<RunResult> finish(Phase phase, const std::string& message);
  Result<StepEnd> run_step(int index);
  Status run_finalize();
  void emit(const std::string& type, const std::string& message, nlohmann::json data = nlohmann::json::object());
  Status save();

  // engine_objects.cpp: writing positions, drift, rollback
  Result<StepEnd> write_position(const actuators::Position& p, const std::string& title);
  Result<StepEnd> write_object(ManagedObject& o, const actuators::Position& p);
  std::optional<std::string> drift_of(const ManagedObject& o, const FieldValues& live,
                                      const FieldValues& desired) const;
  Result<std::string> check_drift();
  Result<RunResult> roll_back(Phase end, const std::string& message);
  gates::GateTargets gate_targets() const;

  // engine_hold.cpp: waiting with gates and control
  Result<StepEnd> hold(std::optional<std::chrono::steady_clock::time_point> until,
                       std::vector<gates::GateTracker>* step_gates, bool manual_pause);
  Status back_to_pause_step(bool manual_pause);
  Result<StepEnd> pause_for_human(const std::string& reason, const std::string& message);
  Result<StepEnd> measure_due(std::vector<gates::GateTracker>& trackers, const std::string& where);
  std::optional<StepEnd> deadline_passed() const;
  void start_watch();
  void stop_watch();
  ControlRequests control();

  const plan::Plan& plan_;
  std::string ns_;
  ApplySettings settings_;
  Seams& seams_;
  std::vector<PlannedStep> steps_;
  std::vector<std::unique_ptr<actuators::Actuator>> actuators_;
  std::map<std::string, std::unique_ptr<gates::MetricProvider>> providers_;
  std::unique_ptr<ObjectExecutor> exec_;
  StateStore store_;
  LockHolder me_;
  bool locked_ = false;
  RolloutState state_;
  std::vector<gates::GateTracker> background_;
  std::optional<std::chrono::steady_clock::time_point> timeout_at_;
  std::chrono::steady_clock::time_point last_save_{};

  std::mutex mu_;
  std::condition_variable cv_;
  ControlRequests control_;
  std::atomic<bool> stopping_{false};
  std::thread watcher_;
};

}  // namespace rollout::engine
