// Pure planning: a plan becomes a fixed list of planned steps, each with the Position the
// objects must be at once it has run. apply, --dry-run and diff walk the same list; only the
// executor differs. The list depends on the plan alone, so a resumed run finds its place by index.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "actuators/actuator.hpp"
#include "plan/plan.hpp"

namespace rollout::engine {

enum class StepKind {
  load_adapters,  // adapters.load into the syncer's ensureExist, verified on every pod
  traffic,        // setWeight / setHeaderRoute / setMirror
  replicas,       // rolling: the new template in place, then updateReplicas (how many run it)
  pause,
  analysis,
  finish,    // the seeds' "finish the rollout": only the canary left, unloadOnSuccess unloaded
  finalize,  // finalize.run commands
};

struct PlannedStep {
  StepKind kind = StepKind::traffic;
  std::string title;  // "setWeight 10", "pause until promoted", "analysis error-rate, ttft-p99 for 10m"
  std::string path;   // "spec.steps[3]"; empty for the planner's own steps
  actuators::Position position;  // where the objects are once this step has run
  std::optional<plan::Pause> pause;
  std::optional<plan::Analysis> analysis;
  bool writes() const {
    return kind == StepKind::load_adapters || kind == StepKind::traffic || kind == StepKind::replicas ||
           kind == StepKind::finish;
  }
};

// `replicas`: for a rolling target, how many replicas or serving groups it runs (from the live
// object, recorded in the state so that a resumed run lays out the same list); 0 otherwise.
std::vector<PlannedStep> plan_steps(const plan::Plan& plan, int replicas = 0);

// updateReplicas as a count of `total`: a count is capped at total; a percentage is rounded up
// (25% of 6 = 2, as Kubernetes rounds maxSurge) and never 0 (1% of 6 = 1).
int replicas_at(const plan::UpdateReplicas& step, int total);

// The index of the finish step (`promote --full` jumps there).
int finish_step_index(const std::vector<PlannedStep>& steps);

}  // namespace rollout::engine
