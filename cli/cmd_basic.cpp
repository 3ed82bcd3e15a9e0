// Handlers of the commands that need no cluster: version, completion, man, plan validate.
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/command_info.hpp"
#include "cli/commands.hpp"
#include "plan/loader.hpp"
#include "version.hpp"

namespace rollout::cli {

Status not_implemented(const std::string& command) {
  return make_error(ErrorKind::unimplemented, "\"rollout " + command + "\" is not implemented yet");
}

Status print_version(const VersionOptions& o, Terminal& t) {
  if (o.output == "json") {
    t.out << nlohmann::json{{"version", kVersion}, {"gitCommit", kGitCommit}, {"planApiVersion", "rollout/v1alpha1"}}
                 .dump()
          << "\n";
  } else {
    t.out << "rollout " << kVersion << " (commit " << kGitCommit << ", plans rollout/v1alpha1)\n";
  }
  return ok_status();
}

Status print_completion(const CompletionOptions& o, Terminal& t) {
  CommandInfo tree = command_tree();
  if (o.shell == "bash")
    t.out << bash_completion(tree);
  else if (o.shell == "zsh")
    t.out << zsh_completion(tree);
  else
    t.out << fish_completion(tree);
  return ok_status();
}

Status print_man_page(Terminal& t) {
  t.out << man_page(command_tree());
  return ok_status();
}

namespace {

std::string summary(const plan::Plan& p) {
  return "rollout " + p.name + ", " + plan::to_string(p.strategy) + " on " + plan::target_key(p.target) + ", " +
         std::to_string(p.steps.size()) + (p.steps.size() == 1 ? " step" : " steps");
}

nlohmann::json file_json(const plan::PlanFile& f) {
  auto errors = nlohmann::json::array();
  for (const auto& d : f.diagnostics)
    errors.push_back({{"line", d.pos.line}, {"column", d.pos.column}, {"message", d.message}});
  auto plans = nlohmann::json::array();
  for (const auto& p : f.plans) plans.push_back({{"name", p.plan.name}, {"line", p.start.line}});
  return {{"file", f.path}, {"valid", f.ok()}, {"plans", plans}, {"errors", errors}};
}

}  // namespace

Status plan_validate(const GlobalOptions&, const ValidateOptions& o, Terminal& t) {
  size_t invalid = 0;
  for (const auto& path : o.files) {
    plan::PlanFile f = plan::load_plan_file(path);
    if (!f.ok()) ++invalid;
    if (o.output == "json") {
      t.out << file_json(f).dump() << "\n";
      continue;
    }
    for (const auto& m : f.messages()) t.err << m << "\n";
    if (f.ok()) {
      for (const auto& p : f.plans)
        t.out << path << ": " << t.paint(t.color_out, "32", "valid") << " (" << summary(p.plan) << ")\n";
    }
  }
  if (invalid == 0) return ok_status();
  return make_error(ErrorKind::invalid, std::to_string(invalid) + " of " + std::to_string(o.files.size()) +
                                            (o.files.size() == 1 ? " file is" : " files are") + " invalid");
}

}  // namespace rollout::cli
