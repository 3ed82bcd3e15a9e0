#include "engine/planner.hpp"

#include <fmt/format.h>

namespace rollout::engine {

namespace {

template <class... Ts>
struct overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

PlannedStep from_plan_step(const plan::Step& step, actuators::Position& at, int replicas) {
  PlannedStep p;
  p.path = step.path;
  std::visit(overloaded{[&](const plan::SetWeight& s) {
                          p.kind = StepKind::traffic;
                          at.weight = s.percent;
                          p.title = fmt::format("setWeight {}", s.percent);
                        },
                        [&](const plan::SetHeaderRoute& s) {
                          p.kind = StepKind::traffic;
                          at.header = actuators::HeaderRoute{s.name, s.value, s.match};
                          p.title = fmt::format("setHeaderRoute {}: {}", s.name, s.value);
                        },
                        [&](const plan::SetMirror& s) {
                          p.kind = StepKind::traffic;
                          at.mirror = s.percent;
                          p.title = fmt::format("setMirror {}%", s.percent);
                        },
                        [&](const plan::Pause& s) {
                          p.kind = StepKind::pause;
                          p.pause = s;
                          p.title = s.duration ? "pause " + format_duration(*s.duration) : "pause until promoted";
                        },
                        [&](const plan::Analysis& s) {
                          p.kind = StepKind::analysis;
                          p.analysis = s;
                          p.title = "analysis " + join(s.gates) + (s.duration ? " for " + format_duration(*s.duration) : "");
                        },
                        [&](const plan::UpdateReplicas& s) {
                          p.kind = StepKind::replicas;
                          at.updated = std::max(at.updated, replicas_at(s, replicas));
                          at.updated_percent = s.percent ? std::optional<int>(s.value) : std::nullopt;
                          p.title = s.percent ? fmt::format("updateReplicas {}% ({} of {})", s.value, at.updated, replicas)
                                              : fmt::format("updateReplicas {} of {}", at.updated, replicas);
                        }},
             step.action);
  p.position = at;
  return p;
}

// A rolling plan: freeze with the new template in place, then the plan's steps, or, with none,
// one replica at a time with the background gates measured after each.
void rolling_steps(const plan::Plan& plan, int replicas, actuators::Position& at, std::vector<PlannedStep>& steps) {
  at.template_in_place = true;
  PlannedStep freeze;
  freeze.kind = StepKind::replicas;
  freeze.title = fmt::format("freeze {} replicas and put the new template in place", replicas);
  freeze.position = at;
  steps.push_back(freeze);
  if (!plan.steps.empty()) {
    for (const auto& s : plan.steps) steps.push_back(from_plan_step(s, at, replicas));
    return;
  }
  for (int n = 1; n < replicas; ++n) {
    at.updated = n;
    at.updated_percent.reset();
    PlannedStep one;
    one.kind = StepKind::replicas;
    one.title = fmt::format("updateReplicas {} of {}", n, replicas);
    one.position = at;
    steps.push_back(one);
    if (plan.background.empty()) continue;
    PlannedStep check;
    check.kind = StepKind::analysis;
    check.analysis = plan::Analysis{plan.background, std::nullopt};
    check.title = "analysis " + join(plan.background);
    check.position = at;
    steps.push_back(check);
  }
}

}  // namespace

int replicas_at(const plan::UpdateReplicas& step, int total) {
  if (!step.percent) return std::min(step.value, total);
  const int n = (step.value * total + 99) / 100;
  return std::min(total, std::max(1, n));
}

std::vector<PlannedStep> plan_steps(const plan::Plan& plan, int replicas) {
  std::vector<PlannedStep> steps;
  actuators::Position at;
  if (plan.adapters && !plan.adapters->load.empty()) {
    at.adapters_loaded = true;
    PlannedStep load;
    load.kind = StepKind::load_adapters;
    std::vector<std::string> ids;
    for (const auto& a : plan.adapters->load) ids.push_back(a.id);
    load.title = "load adapters " + join(ids);
    load.position = at;
    steps.push_back(load);
  }
  if (plan.strategy == plan::Strategy::rolling)
    rolling_steps(plan, replicas, at, steps);
  else
    for (const auto& s : plan.steps) steps.push_back(from_plan_step(s, at, replicas));
  PlannedStep finish;
  finish.kind = StepKind::finish;
  finish.title = plan.strategy == plan::Strategy::rolling ? fmt::format("finish: all {} replicas updated", replicas)
                                                           : "finish: only the canary serves";
  at.updated = replicas;
  at.weight = 100;
  at.header.reset();
  at.mirror.reset();
  at.finished = true;
  finish.position = at;
  steps.push_back(finish);
  if (plan.finalize && (!plan.finalize->run.empty() || plan.finalize->delete_stable)) {
    PlannedStep fin;
    fin.kind = StepKind::finalize;
    fin.title = "finalize";
    fin.position = at;
    steps.push_back(fin);
  }
  return steps;
}

int finish_step_index(const std::vector<PlannedStep>& steps) {
  for (size_t i = 0; i < steps.size(); ++i)
    if (steps[i].kind == StepKind::finish) return static_cast<int>(i);
  return static_cast<int>(steps.size());
}

}  // namespace rollout::engine
