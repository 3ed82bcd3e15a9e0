// --dry-run=client|server and `plan diff`: the same planned steps and the same object writes as
// apply, through an executor that changes nothing; waits and gates are only described.
#include <fmt/format.h>

#include "engine/run.hpp"

namespace rollout::engine {

Result<RunResult> Run::preview() {
  state_.name = plan_.name;
  state_.steps = static_cast<int>(steps_.size());
  if (auto s = record_originals(); !s.ok()) return s.error();
  if (settings_.mode == ExecMode::dry_run_server)
    if (auto s = preflight_gates(); !s.ok()) return s.error();
  for (size_t i = 0; i < steps_.size(); ++i) {
    const PlannedStep& step = steps_[i];
    state_.step = static_cast<int>(i);
    emit("step_started", fmt::format("step {}/{}: {}", i + 1, steps_.size(), step.title),
         {{"step", i}, {"title", step.title}, {"path", step.path}, {"dryRun", true}});
    switch (step.kind) {
      case StepKind::load_adapters:
      case StepKind::traffic:
      case StepKind::finish: {
        auto end = write_position(step.position, step.title);
        if (!end.ok()) return end.error();
        break;
      }
      case StepKind::pause:
        emit("info", step.pause->duration ? "would wait " + format_duration(*step.pause->duration)
                                          : "would wait for `rollout promote " + plan_.name + "`");
        break;
      case StepKind::analysis: emit("info", "would measure the gates " + step.title.substr(9)); break;
      case StepKind::finalize:
        for (const auto& argv : plan_.finalize->run) {
          std::string line;
          for (const auto& a : argv) line += (line.empty() ? "" : " ") + a;
          emit("info", "would run " + line);
        }
        break;
    }
  }
  return RunResult{Outcome::previewed, "dry run"};
}

}  // namespace rollout::engine
