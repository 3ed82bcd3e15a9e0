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

PlannedStep from_plan_step(const plan::Step& step, actuators::Position& at) {
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
                          p.kind = StepKind::traffic;
                          p.title = fmt::format("updateReplicas {}{}", s.value, s.percent ? "%" : "");
                        }},
             step.action);
  p.position = at;
  return p;
}

}  // namespace

std::vector<PlannedStep> plan_steps(const plan::Plan& plan) {
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
  for (const auto& s : plan.steps) steps.push_back(from_plan_step(s, at));
  PlannedStep finish;
  finish.kind = StepKind::finish;
  finish.title = "finish: only the canary serves";
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
