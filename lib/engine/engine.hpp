// `rollout plan apply`: drives a plan step by step, as a reconcile loop: each tick reads the
// control requests, the deadline, drift and the gates that are due, then advances. Every
// transition is recorded in the rollout's state store (ConfigMap or state dir); requests from
// other processes wake the loop at once (a watch on that store); a failed gate, the deadline or an
// abort rolls back by restoring the recorded values. --dry-run and `plan diff` go through the
// same loop with a non-mutating executor and nothing to wait for.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/events.hpp"
#include "engine/executor.hpp"
#include "k8s/client.hpp"
#include "plan/plan.hpp"
#include "util/clock.hpp"
#include "util/subprocess.hpp"

namespace rollout::gates {
class MetricProvider;
}

namespace rollout::engine {

// A request to stop driving between writes (the CLI's SIGINT and SIGTERM: a CI job cancelled, a
// Ctrl-C): the rollout stays where its state records it, its lock is released, and the next apply
// resumes it or `rollout abort` rolls it back. A rollback under way is finished first. Thread-safe;
// not for use inside a signal handler.
class Interrupt {
 public:
  void request(const std::string& why);  // "SIGTERM"; the first request counts
  std::optional<std::string> requested() const;
  // Called when a request arrives (at once if one has): the run's wake-up. Null clears it.
  void on_request(std::function<void()> wake);

 private:
  mutable std::mutex mu_;
  std::optional<std::string> why_;
  std::function<void()> wake_;
};

struct ApplySettings {
  ExecMode mode = ExecMode::apply;
  bool until_pause = false;         // hand over (exit 0) at a pause step that waits for promote
  std::optional<Duration> timeout;  // --timeout: this invocation's deadline
  std::string plan_hash;            // identifies the plan text: a run resumes only with the same plan
  int concurrency = 16;             // object writes in flight during one step (fleets of routes)
  // Asked at a pause step that waits for promote: true hands over as until_pause does (the live
  // view's [q]uit). Null: never.
  std::function<bool()> leave_paused = nullptr;
  // Previews only: start at this planned step, the objects taken to be where the step before
  // left them (the live view's [d]iff of the steps still to come).
  int preview_from = 0;
  // Stops the run between writes when requested. Null: only the process's death stops it.
  Interrupt* interrupt = nullptr;
};

enum class Outcome {
  succeeded,
  failed,             // a gate failed and the rollout was rolled back (exit 3)
  paused_on_failure,  // a gate failed with onFailure: pause (exit 3)
  aborted,            // exit 4
  timed_out,          // rolled back after the deadline (exit 5)
  handed_over,        // --until-pause reached a manual pause (exit 0)
  previewed,          // dry run / diff
  already_succeeded,  // this plan's run had already finished
  interrupted,        // Interrupt: stopped where it was, for a later apply or abort (the CLI re-raises the signal)
};

struct RunResult {
  Outcome outcome = Outcome::succeeded;
  std::string message;
};

class StateStore;

// The seams the engine works through (STYLE.md rule 4).
struct Seams {
  k8s::Client& client;
  EventSink& events;
  // Runs finalize commands; default run_process.
  std::function<Result<ProcessResult>(const std::vector<std::string>&)> run_command;
  Clock& clock = system_clock();
  // Where the state lives; null: the ConfigMap rollout-<name> in the plan's namespace.
  StateStore* store = nullptr;
  // Makes the provider that measures a gate; null: gates::make_provider. Tests script measurements.
  std::function<Result<std::unique_ptr<gates::MetricProvider>>(const plan::Gate&)> make_provider = nullptr;
  // Where targets outside the cluster keep their own state (local replicas: pid and log files);
  // empty: default_state_dir().
  std::string state_dir = "";
  // Asked before each change a target outside the cluster makes to the machine (local replicas:
  // their state file, a load-balancer change, a process stop or start); an error refuses the
  // change. Null in the product; the crash tests stop a run at its k-th write here, as they do
  // at the API server's and the state store's.
  std::function<Status()> host_write = nullptr;
};

Result<RunResult> apply_plan(const plan::Plan& plan, const std::string& ns, const ApplySettings& settings, Seams& seams);

// The exit status of a finished run: ok, or an error of the kind the SPEC's exit code needs.
Status outcome_status(const RunResult& result, const std::string& rollout_name);

}  // namespace rollout::engine
