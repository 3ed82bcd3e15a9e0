// Command handlers: each takes its parsed options, calls lib/, and renders the result.
// They return a Status; the error boundary in cli/app.cpp turns it into an exit code.
#pragma once

#include "cli/options.hpp"
#include "cli/terminal.hpp"
#include "util/result.hpp"

namespace rollout::cli {

Status plan_validate(const GlobalOptions& g, const ValidateOptions& o, Terminal& t);
Status print_version(const VersionOptions& o, Terminal& t);
Status print_completion(const CompletionOptions& o, Terminal& t);
Status print_man_page(Terminal& t);
Status sandbox_up(const SandboxUpOptions& o, Terminal& t);
Status list_rollouts(const GlobalOptions& g, const ListOptions& o, Terminal& t);
Status sandbox_model_server(const ModelServerOptions& o, Terminal& t);
Status plan_new(const GlobalOptions& g, const PlanNewOptions& o, Terminal& t);
Status plan_apply(const GlobalOptions& g, const ApplyOptions& o, Terminal& t);
Status plan_diff(const GlobalOptions& g, const DiffOptions& o, Terminal& t);
Status rollout_status(const GlobalOptions& g, const StatusOptions& o, Terminal& t);
Status rollout_promote(const GlobalOptions& g, const PromoteOptions& o, Terminal& t);
// abort, pause, resume
Status rollout_control(const std::string& verb, const GlobalOptions& g, const NameOptions& o, Terminal& t);
Status rollout_history(const GlobalOptions& g, const NameOptions& o, Terminal& t);

// A registered command whose implementation has not landed yet.
Status not_implemented(const std::string& command);

}  // namespace rollout::cli
