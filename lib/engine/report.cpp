// The report model: the recorder's events turned into steps, gate evaluations and an outcome.
#include "engine/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "engine/planner.hpp"

namespace rollout::engine {

using nlohmann::json;
using WallTime = std::chrono::system_clock::time_point;

namespace {

double seconds_between(WallTime from, WallTime to) {
  return std::max(0.0, std::chrono::duration<double>(to - from).count());
}

std::string number(double v) {
  return fmt::format("{:g}", v);
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

std::string action_of(const PlannedStep& s) {
  switch (s.kind) {
    case StepKind::load_adapters: return "loadAdapters";
    case StepKind::traffic: return s.title.substr(0, s.title.find(' '));  // setWeight, setHeaderRoute, setMirror
    case StepKind::replicas: return s.position.updated == 0 ? "freeze" : "updateReplicas";
    case StepKind::pause: return "pause";
    case StepKind::analysis: return "analysis";
    case StepKind::finish: return "finish";
    case StepKind::finalize: return "finalize";
  }
  return "step";
}

// Where the objects are once the step has run: traffic weights, or replicas for a rolling plan.
std::string setting_of(const PlannedStep& s, const plan::Plan& p, int replicas) {
  const auto& at = s.position;
  if (p.strategy == plan::Strategy::rolling) {
    if (at.finished) return replicas ? fmt::format("all {} updated", replicas) : "all updated";
    if (!at.template_in_place) return "-";
    return replicas ? fmt::format("{} of {} updated", at.updated, replicas) : fmt::format("{} updated", at.updated);
  }
  if (at.finished) return "canary 100% (finished)";
  std::string out = fmt::format("canary {}% / stable {}%", at.weight, 100 - at.weight);
  if (at.header) out += fmt::format(", header {}: {} to canary", at.header->name, at.header->value);
  if (at.mirror) out += fmt::format(", mirror {}%", *at.mirror);
  if (at.adapters_loaded && s.kind == StepKind::load_adapters) out = "adapters loaded";
  return out;
}

std::optional<ReportOutcome> outcome_of_phase(const std::string& phase) {
  if (phase == "Succeeded") return ReportOutcome::succeeded;
  if (phase == "Failed") return ReportOutcome::rolled_back;
  if (phase == "Aborted") return ReportOutcome::aborted;
  if (phase == "TimedOut") return ReportOutcome::timed_out;
  return std::nullopt;
}

// What happened to the step the run ended at.
std::string last_step_result(ReportOutcome o) {
  switch (o) {
    case ReportOutcome::succeeded: return "passed";
    case ReportOutcome::rolled_back: return "failed";
    case ReportOutcome::paused_on_failure: return "failed";
    case ReportOutcome::aborted: return "aborted";
    case ReportOutcome::timed_out: return "timed out";
    case ReportOutcome::handed_over: return "paused";
    case ReportOutcome::previewed: return "previewed";
    case ReportOutcome::interrupted: return "interrupted";
    case ReportOutcome::error: return "error";
  }
  return "error";
}

}  // namespace

const char* to_string(ReportOutcome o) {
  switch (o) {
    case ReportOutcome::succeeded: return "Succeeded";
    case ReportOutcome::rolled_back: return "Failed";
    case ReportOutcome::paused_on_failure: return "PausedOnFailure";
    case ReportOutcome::aborted: return "Aborted";
    case ReportOutcome::timed_out: return "TimedOut";
    case ReportOutcome::handed_over: return "Paused";
    case ReportOutcome::previewed: return "Previewed";
    case ReportOutcome::interrupted: return "Interrupted";
    case ReportOutcome::error: return "Error";
  }
  return "Error";
}

const char* status_word(ReportOutcome o) {
  switch (o) {
    case ReportOutcome::succeeded: return "SUCCEEDED";
    case ReportOutcome::rolled_back: return "ROLLED BACK";
    case ReportOutcome::paused_on_failure: return "FAILED (PAUSED)";
    case ReportOutcome::aborted: return "ABORTED";
    case ReportOutcome::timed_out: return "TIMED OUT";
    case ReportOutcome::handed_over: return "PAUSED";
    case ReportOutcome::previewed: return "DRY RUN";
    case ReportOutcome::interrupted: return "INTERRUPTED";
    case ReportOutcome::error: return "ERROR";
  }
  return "ERROR";
}

double StepReport::seconds() const {
  return started && ended ? seconds_between(*started, *ended) : 0.0;
}
double RunReport::seconds() const {
  return seconds_between(started, finished);
}

std::string gate_condition(const plan::Gate& g) {
  std::vector<std::string> parts;
  if (g.success_condition) parts.push_back("successCondition: " + *g.success_condition);
  if (g.failure_condition) parts.push_back("failureCondition: " + *g.failure_condition);
  if (const auto& c = g.compare) {
    if (c->max_ratio) parts.push_back(fmt::format("canary <= {} x {}", number(*c->max_ratio), c->baseline));
    if (c->max_increase) parts.push_back(fmt::format("canary <= {} + {}", c->baseline, number(*c->max_increase)));
    if (c->min_ratio) parts.push_back(fmt::format("canary >= {} x {}", number(*c->min_ratio), c->baseline));
  }
  if (const auto& s = g.sequential)
    parts.push_back(fmt::format("sequential: canary error rate not credibly above {} x {} (alpha {})",
                                number(s->max_ratio), s->baseline, number(s->alpha)));
  if (const auto* h = std::get_if<plan::HttpProbe>(&g.provider)) {
    std::string probe = h->model_listed ? "GET /v1/models lists " + *h->model_listed
                                        : fmt::format("GET {} answers {}", h->path, h->expect_status);
    if (h->body_contains) probe += " containing \"" + *h->body_contains + "\"";
    parts.push_back(probe + " on every ready " + h->from + " pod");
  }
  if (parts.empty()) parts.push_back("the query returns data");
  return join(parts, "; ");
}

RunRecorder::RunRecorder(Clock& clock, EventSink* next) : clock_(clock), next_(next), created_(clock.wall()) {}

void RunRecorder::set_plan(const plan::Plan& plan, const std::string& plan_hash) {
  std::lock_guard lock(mu_);
  plan_ = plan;
  plan_hash_ = plan_hash;
}

void RunRecorder::emit(const Event& event) {
  {
    std::lock_guard lock(mu_);
    seen_.push_back({event, clock_.wall()});
  }
  if (next_) next_->emit(event);
}

namespace {

// What the events of one apply say, before the outcome is known.
struct Tally {
  int replicas = 0, current = -1, resumed_at = -1;
  std::optional<ReportOutcome> finished;
  std::optional<WallTime> ended;  // the run stopped progressing: rollback, end or hold on failure
  bool handed_over = false, paused_on_failure = false, dry = false, interrupted = false;
  std::map<int, std::string> titles;
  std::map<int, WallTime> step_start;
  std::map<int, bool> promoted;
  std::vector<std::string> changed;  // "Kind/name" of every object written, in order
};

GateReport gate_of(const json& d, int step, WallTime at, const std::optional<plan::Plan>& plan) {
  GateReport g;
  g.gate = d.value("gate", ""), g.step = step, g.at = at;
  g.background = d.value("where", "") == "background";
  g.dry_run = d.value("dryRun", false);
  g.verdict = d.value("verdict", "");
  g.condition = d.value("condition", "");
  g.detail = d.value("detail", "");
  if (d.contains("value") && d["value"].is_number()) g.value = d["value"].get<double>();
  if (g.condition.empty() && plan)
    if (const auto* gate = plan->find_gate(g.gate)) g.condition = gate_condition(*gate);
  return g;
}

void count(const SeenEvent& seen, Tally& t, RunReport& r, const std::optional<plan::Plan>& plan) {
  const auto& [e, at] = seen;
  const json& d = e.data;
  switch (e.type) {
    case EventType::run_started:
    case EventType::run_resumed:
      r.started = at;
      r.run_id = d.value("runId", "");
      t.replicas = d.value("replicas", 0);
      if (e.type == EventType::run_resumed) t.resumed_at = d.value("step", -1);
      break;
    case EventType::step_started:
      t.current = d.value("step", t.current);
      t.titles[t.current] = d.value("title", "");
      t.step_start[t.current] = at;
      t.dry = t.dry || d.value("dryRun", false);
      break;
    case EventType::promoted: t.promoted[t.current] = true; break;
    case EventType::gate_measured: r.gates.push_back(gate_of(d, t.current, at, plan)); break;
    case EventType::object_patched: {
      const json o = d.value("object", json::object());
      const std::string key = o.value("kind", "") + "/" + o.value("name", "");
      if (std::find(t.changed.begin(), t.changed.end(), key) == t.changed.end()) t.changed.push_back(key);
      break;
    }
    case EventType::paused:
      if (e.message.find("--until-pause") != std::string::npos) t.handed_over = true;
      if (d.value("reason", "") == "GateFailed") t.paused_on_failure = true, r.message = e.message, t.ended = at;
      break;
    case EventType::rolling_back:
      r.rollback_reason = d.value("reason", "");
      if (!t.ended) t.ended = at;
      break;
    case EventType::rolled_back: r.rolled_back = true; break;
    case EventType::interrupted:
      t.interrupted = true, r.message = e.message;
      if (!t.ended) t.ended = at;
      break;
    case EventType::finished:
      t.finished = outcome_of_phase(d.value("outcome", ""));
      if (d.contains("runId")) r.run_id = d.value("runId", "");
      r.message = e.message;
      if (!t.ended) t.ended = at;
      break;
    default: break;
  }
}

// The run's own last word, else the error the apply ended with.
void decide_outcome(const Tally& t, const Status& end, RunReport& r) {
  const auto as_error = [&] {
    r.outcome = ReportOutcome::error, r.error_kind = to_string(end.error().kind), r.message = end.error().message;
  };
  const bool run_ended_it = end.ok() || end.error().kind == ErrorKind::gate_failed ||
                            end.error().kind == ErrorKind::aborted || end.error().kind == ErrorKind::timeout;
  if (!run_ended_it)
    as_error();
  else if (t.interrupted)
    r.outcome = ReportOutcome::interrupted;
  else if (t.finished)
    r.outcome = *t.finished;
  else if (t.paused_on_failure)
    r.outcome = ReportOutcome::paused_on_failure;
  else if (!end.ok())
    as_error();
  else if (t.dry)
    r.outcome = ReportOutcome::previewed;
  else
    r.outcome = t.handed_over ? ReportOutcome::handed_over : ReportOutcome::succeeded;
  if (r.message.empty()) r.message = end.ok() ? std::string(to_string(r.outcome)) : end.error().message;
}

std::string step_result(const Tally& t, const RunReport& r, int n) {
  const int last = t.current;
  if (t.step_start.count(n)) {
    if (n == last) return last_step_result(r.outcome);
    if (t.dry) return "previewed";
    return t.promoted.count(n) ? "promoted" : "passed";
  }
  if (n < t.resumed_at) return "done earlier";
  return n < last ? "skipped" : "not run";
}

void lay_out_steps(const Tally& t, const plan::Plan& plan, RunReport& r) {
  const std::vector<PlannedStep> planned = plan_steps(plan, t.replicas);
  for (size_t i = 0; i < planned.size(); ++i) {
    const int n = static_cast<int>(i);
    StepReport s;
    s.index = n;
    s.title = t.titles.count(n) ? t.titles.at(n) : planned[i].title;
    s.action = action_of(planned[i]);
    s.setting = setting_of(planned[i], plan, t.replicas);
    s.result = step_result(t, r, n);
    if (auto start = t.step_start.find(n); start != t.step_start.end()) {
      s.started = start->second;
      auto next = std::next(start);
      s.ended = next != t.step_start.end() ? next->second : t.ended.value_or(r.finished);
      if (n == t.current && r.outcome != ReportOutcome::succeeded && r.outcome != ReportOutcome::previewed)
        s.message = r.message;
    }
    r.steps.push_back(std::move(s));
  }
}

}  // namespace

RunReport RunRecorder::report(const Status& end, const std::string& fallback_name) const {
  std::lock_guard lock(mu_);
  RunReport r;
  r.rollout = plan_ ? plan_->name : fallback_name;
  r.plan_hash = plan_hash_;
  if (plan_) r.strategy = plan::to_string(plan_->strategy), r.target = plan::target_key(plan_->target);
  r.started = created_;
  r.finished = clock_.wall();
  Tally t;
  for (const auto& seen : seen_) count(seen, t, r, plan_);
  if (r.rolled_back) r.restored = t.changed;
  decide_outcome(t, end, r);
  if (plan_) lay_out_steps(t, *plan_, r);
  return r;
}

}  // namespace rollout::engine
