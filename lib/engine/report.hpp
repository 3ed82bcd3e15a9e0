// What CI keeps of one `rollout plan apply`: `--junit FILE` (JUnit XML, as Jenkins, GitLab and
// GitHub test reporters read it) and `--summary FILE` (Markdown appended to the file, as
// $GITHUB_STEP_SUMMARY expects). A RunRecorder sits in front of the CLI's renderer, records the
// events it needs and passes every event on; at the end, whatever ended the apply (an outcome
// or an error), it turns them into a RunReport that the two writers render. Events never carry
// credentials, so neither does a report.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/events.hpp"
#include "plan/plan.hpp"
#include "util/clock.hpp"
#include "util/result.hpp"

namespace rollout::engine {

// How the apply ended, as a report says it.
enum class ReportOutcome {
  succeeded,
  rolled_back,        // a gate (or a failed step) failed: rolled back, exit 3
  paused_on_failure,  // a gate failed with onFailure: pause, exit 3
  aborted,            // exit 4
  timed_out,          // exit 5
  handed_over,        // --until-pause reached a manual pause, exit 0
  previewed,          // --dry-run
  interrupted,        // SIGINT/SIGTERM stopped the apply; the rollout stays where it was
  error,              // the apply ended by an error (infrastructure, lock, invalid input, ...)
};
const char* to_string(ReportOutcome o);    // "Succeeded", "Failed", "PausedOnFailure", ...
const char* status_word(ReportOutcome o);  // "SUCCEEDED", "ROLLED BACK", ... (no emoji)

struct StepReport {
  int index = 0;
  std::string title;    // "setWeight 10"
  std::string action;   // "setWeight", "analysis", "pause", "updateReplicas", "finish", ...
  std::string setting;  // "canary 10% / stable 90%" or "2 of 6 updated"
  std::string result;   // passed, promoted, failed, aborted, timed out, error, paused, previewed,
                        // skipped (promote --full), done earlier (a resumed run), not run
  std::optional<std::chrono::system_clock::time_point> started, ended;
  std::string message;  // why it did not pass
  double seconds() const;
};

struct GateReport {
  std::string gate;
  int step = -1;  // the step the run was at
  bool background = false;
  bool dry_run = false;
  std::string verdict;  // Successful, Failed, Inconclusive, Error
  std::optional<double> value;
  std::string condition;  // what the gate asks, e.g. "successCondition: result < 0.01"
  std::string detail;     // the measurement's message
  std::chrono::system_clock::time_point at;
};

struct RunReport {
  std::string rollout, strategy, target, run_id, plan_hash;
  ReportOutcome outcome = ReportOutcome::error;
  std::string message;     // the run's last word: why it failed, or "rollout X succeeded"
  std::string error_kind;  // with outcome error: ErrorKind's name ("unavailable", "locked", ...)
  std::chrono::system_clock::time_point started, finished;
  std::vector<StepReport> steps;
  std::vector<GateReport> gates;
  bool rolled_back = false;
  std::vector<std::string> restored;  // "HTTPRoute/llm-route": objects this run had changed
  std::string rollback_reason;
  double seconds() const;
};

// What a gate asks, in one line: its conditions, compare and sequential settings, or the probe.
std::string gate_condition(const plan::Gate& gate);

// An event as the recorder saw it, with the wall-clock time it arrived.
struct SeenEvent {
  Event event;
  std::chrono::system_clock::time_point at;
};

// The tee: records, then forwards every event to `next`. Safe to emit from several threads.
class RunRecorder : public EventSink {
 public:
  RunRecorder(Clock& clock, EventSink* next = nullptr);
  void forward_to(EventSink* next) { next_ = next; }
  // The plan the apply runs (unknown while the file is loaded: a report without it names the file).
  void set_plan(const plan::Plan& plan, const std::string& plan_hash);
  void emit(const Event& event) override;
  // The report of the apply that ended with `end` (ok, or the error it returned).
  RunReport report(const Status& end, const std::string& fallback_name) const;

 private:
  Clock& clock_;
  EventSink* next_;
  std::optional<plan::Plan> plan_;
  std::string plan_hash_;
  std::chrono::system_clock::time_point created_;
  mutable std::mutex mu_;
  std::vector<SeenEvent> seen_;
};

std::string junit_xml(const RunReport& report);
std::string summary_markdown(const RunReport& report);

// The files can be written: checked before the apply changes anything.
Status check_report_paths(const std::string& junit, const std::string& summary);
// JUnit replaced atomically (temp file + rename); the summary appended. Empty paths are skipped.
Status write_reports(const RunReport& report, const std::string& junit, const std::string& summary);

}  // namespace rollout::engine
