// The command tree of SPEC.md section 2. This is the only file that includes CLI11.
#include "cli/app.hpp"

#include <CLI/CLI.hpp>
#include <cctype>
#include <csignal>
#include <functional>
#include <iostream>
#include <map>

#include "cli/command_info.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/help_examples.hpp"

namespace rollout::cli {

namespace {

const std::vector<std::string> kOutputFormats = {"text", "json"};
const char* const kDescription =
    "Rollout orchestrator for LLM inference services: rolling, blue-green and LoRA canary "
    "rollouts gated on health and metrics, with automatic rollback.";

// Everything the parser fills in, and the handler the chosen command runs.
struct Bindings {
  GlobalOptions global;
  ValidateOptions validate;
  DiffOptions diff;
  ApplyOptions apply;
  StatusOptions status;
  PromoteOptions promote;
  NameOptions name_only;
  PlanNewOptions plan_new;
  ListOptions list;
  SandboxUpOptions sandbox_up;
  ModelServerOptions model_server;
  CompletionOptions completion;
  VersionOptions version;
  std::function<Status(Terminal&)> action;
  std::map<const CLI::Option*, std::vector<std::string>> choices;
  std::map<const CLI::Option*, bool> file_options;
  std::map<const CLI::App*, bool> file_args;
};

CLI::Option* add_choice(Bindings& b, CLI::App* app, const std::string& name, std::string& var,
                        const std::vector<std::string>& choices, const std::string& description) {
  auto* opt = app->add_option(name, var, description)->check(CLI::IsMember(choices))->capture_default_str();
  b.choices[opt] = choices;
  return opt;
}

void add_output(Bindings& b, CLI::App* app, std::string& var, const std::string& what) {
  add_choice(b, app, "-o,--output", var, kOutputFormats, "Output format: text, or json (" + what + ")");
}

void add_global_flags(CLI::App& app, Bindings& b) {
  auto& g = b.global;
  b.file_options[app.add_option("--kubeconfig", g.kubeconfig,
                                "Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")] = true;
  app.add_option("--context", g.context, "The kubeconfig context to use (default: its current-context)");
  app.add_option(
      "-n,--namespace", g.namespace_,
      "Namespace of the rollout and its objects (default: the plan's, then the context's, then \"default\")");
  b.file_options[app.add_option("--state-dir", g.state_dir,
                                "Directory for local targets' state, locks, pid files and logs "
                                "(default: $XDG_STATE_HOME/rollout)")] = true;
  add_choice(b, &app, "--color", g.color, {"auto", "always", "never"},
             "Colour output: auto (only on a TTY and without NO_COLOR), always or never");
  app.add_flag("-v,--verbose", g.verbosity, "More detail on standard error (repeat for more)");
}

// "plan validate" for that command: the key of cli/help_examples.cpp's table.
std::string command_path(const CLI::App* app) {
  if (app->get_parent() == nullptr) return "";
  std::string parent = command_path(app->get_parent());
  return parent.empty() ? app->get_name() : parent + " " + app->get_name();
}

CLI::App* add_command(CLI::App* parent, const std::string& name, const std::string& description) {
  auto* c = parent->add_subcommand(name, description);
  c->footer(examples_text(help_examples(command_path(c))) +
            "\nGlobal flags: --kubeconfig, --context, -n/--namespace, --state-dir, --color, -v (see rollout --help).");
  return c;
}

void add_plan_new(CLI::App* plan, Bindings& b) {
  auto& o = b.plan_new;
  auto* c = add_command(plan, "new",
                        "Write a commented plan from live objects: the route's backends and the pools it could move "
                        "to, an InferenceModel's or rewrite's adapters, a workload's replicas and template; gates for "
                        "the model server its pods run");
  add_choice(b, c, "strategy", o.strategy, {"blueGreen", "loraCanary", "rolling"}, "blueGreen, loraCanary or rolling")
      ->required();
  b.file_options[c->add_option("-f,--file", o.file, "Write the plan to FILE (default: standard output)")] = true;
  c->add_flag("--force", o.force, "Overwrite --file if it exists");
  c->add_option("--name", o.name, "metadata.name of the plan (default: from the object)");
  c->add_option("--route", o.route, "blueGreen: the HTTPRoute whose backend moves");
  c->add_option("--model-route", o.model_route, "blueGreen: the Kthena ModelRoute whose ModelServer moves");
  c->add_option("--canary", o.canary, "blueGreen: the InferencePool, Service or ModelServer to move to");
  c->add_option("--inference-model", o.inference_model, "loraCanary: the InferenceModel whose adapter moves");
  c->add_option("--rewrite", o.rewrite, "loraCanary: the InferenceModelRewrite whose adapter moves");
  c->add_option("--adapter", o.adapter, "loraCanary: id of the new LoRA adapter");
  c->add_option("--adapter-source", o.adapter_source, "loraCanary: path or Hugging Face repo of the new adapter");
  c->add_option("--model-serving", o.model_serving, "rolling: the Kthena ModelServing to update");
  c->add_option("--model-infer", o.model_infer, "rolling: the legacy Kthena ModelInfer to update");
  c->add_option("--leader-worker-set", o.leader_worker_set, "rolling: the LeaderWorkerSet to update");
  c->add_option("--deployment", o.deployment, "rolling: the Deployment to update");
  c->add_option("--image", o.image, "rolling: the new image of the model-server containers");
  c->callback([&b] { b.action = [&b](Terminal& t) { return plan_new(b.global, b.plan_new, t); }; });
}

void add_plan_commands(CLI::App& app, Bindings& b) {
  auto* plan = add_command(&app, "plan", "Validate, diff and apply rollout plans");
  plan->require_subcommand(1);

  auto* validate = add_command(plan, "validate",
                               "Check plans: every problem as FILE:LINE:COL: message; exit 2 if any plan is invalid");
  validate->add_option("files", b.validate.files, "Plan files (\"-\" reads standard input)")->required();
  add_output(b, validate, b.validate.output, "one JSON object per file");
  b.file_args[validate] = true;
  validate->callback([&b] { b.action = [&b](Terminal& t) { return plan_validate(b.global, b.validate, t); }; });

  add_plan_new(plan, b);

  auto* diff = add_command(plan, "diff",
                           "Print, step by step, the changes the plan makes to every object, as unified YAML diffs "
                           "against live state (nothing is changed)");
  diff->add_option("file", b.diff.file, "Plan file")->required();
  add_output(b, diff, b.diff.output, "one JSON object per step");
  b.file_args[diff] = true;
  diff->callback([&b] { b.action = [&b](Terminal& t) { return plan_diff(b.global, b.diff, t); }; });

  auto* apply = add_command(plan, "apply",
                            "Run the plan to completion, gating every step and rolling back on failure; "
                            "resumes a stopped run");
  apply->add_option("file", b.apply.file, "Plan file")->required();
  auto* dry = apply
                  ->add_option("--dry-run", b.apply.dry_run,
                               "client: print what would change; server: also send every change with dryRun=All")
                  ->check(CLI::IsMember({"client", "server"}))
                  ->expected(0, 1)
                  ->default_str("client");
  b.choices[dry] = {"client", "server"};
  apply->add_flag("-y,--yes", b.apply.yes, "Do not ask for confirmation (CI)");
  add_output(b, apply, b.apply.output, "one JSON event per line");
  apply->add_option("--timeout", b.apply.timeout,
                    "Overall deadline, e.g. 30m; exit 5 (after rolling back) when passed");
  apply->add_flag("--until-pause", b.apply.until_pause, "Return with exit 0 when the plan reaches a manual pause");
  b.file_options[apply->add_option("--junit", b.apply.junit,
                                   "Write a JUnit XML report (a test case per step and per gate evaluation) to "
                                   "FILE when the apply ends, whatever the outcome")
                     ->type_name("FILE")] = true;
  b.file_options[apply->add_option("--summary", b.apply.summary,
                                   "Append a Markdown summary (outcome, steps, gates, rollback) to FILE when the "
                                   "apply ends, e.g. \"$GITHUB_STEP_SUMMARY\"")
                     ->type_name("FILE")] = true;
  b.file_args[apply] = true;
  apply->callback([&b] { b.action = [&b](Terminal& t) { return plan_apply(b.global, b.apply, t); }; });
}

void add_name_command(CLI::App& app, Bindings& b, const std::string& name, const std::string& description) {
  auto* c = add_command(&app, name, description);
  c->add_option("name", b.name_only.name, "Rollout name (metadata.name of its plan)")->required();
  if (name == "history") add_output(b, c, b.name_only.output, "one JSON object per run");
  c->callback([&b, name] {
    b.action = [&b, name](Terminal& t) {
      return name == "history" ? rollout_history(b.global, b.name_only, t) : rollout_control(name, b.global, b.name_only, t);
    };
  });
}

void add_control_commands(CLI::App& app, Bindings& b) {
  auto* status = add_command(&app, "status", "Show where a rollout stands: step, weights, gate results");
  status->add_option("name", b.status.name, "Rollout name (metadata.name of its plan)")->required();
  status->add_flag("-w,--watch", b.status.watch, "Keep watching and print every change");
  add_choice(b, status, "-o,--output", b.status.output, {"text", "json", "yaml"},
             "Output format: text (a tree; with --watch on a terminal, the live view), json (the rollout's state; "
             "with --watch one object per line) or yaml");
  status->callback([&b] { b.action = [&b](Terminal& t) { return rollout_status(b.global, b.status, t); }; });

  auto* promote = add_command(&app, "promote", "End the current pause of a running rollout");
  promote->add_option("name", b.promote.name, "Rollout name")->required();
  promote->add_flag("--full", b.promote.full, "Skip all remaining steps and go to 100% now (gates still apply)");
  promote->callback([&b] { b.action = [&b](Terminal& t) { return rollout_promote(b.global, b.promote, t); }; });

  add_name_command(app, b, "abort", "Stop a rollout and roll back to its recorded starting state");
  add_name_command(app, b, "pause", "Hold a running rollout at its current step");
  add_name_command(app, b, "resume", "Release a paused rollout");
  add_name_command(app, b, "history", "Past runs of a rollout with their outcomes");

  auto* list = add_command(&app, "list", "Rollouts known in the namespace (or in the state directory)");
  add_output(b, list, b.list.output, "one JSON object per rollout");
  list->callback([&b] { b.action = [&b](Terminal& t) { return list_rollouts(b.global, b.list, t); }; });
}

void add_sandbox_commands(CLI::App& app, Bindings& b) {
  auto* sandbox = add_command(&app, "sandbox", "A local Kubernetes-compatible sandbox and fake model servers");
  sandbox->require_subcommand(1);

  auto* up = add_command(sandbox, "up",
                         "Run the embedded sandbox cluster in the foreground until interrupted, "
                         "and write its kubeconfig");
  auto& u = b.sandbox_up;
  up->add_option("--port", u.port, "Port of its API server on loopback")->capture_default_str();
  up->add_option("--address", u.address, "Loopback address to listen on")->capture_default_str();
  b.file_options[up->add_option(
      "--kubeconfig-out", u.kubeconfig_out,
      "Where to write the kubeconfig (default: DATA_DIR/kubeconfig, or a new temporary directory)")] = true;
  b.file_options[up->add_option("--data-dir", u.data_dir, "Keep objects here across restarts (default: in memory)")] =
      true;
  up->add_flag("--plain-http", u.plain_http, "Serve plain HTTP instead of HTTPS");
  up->add_option("--fault-error-rate", u.fault_error_rate, "Share of API requests answered 500 (0..1)")
      ->check(CLI::Range(0.0, 1.0));
  up->add_option("--fault-throttle-rate", u.fault_throttle_rate,
                 "Share of API requests answered 429 with Retry-After (0..1)")
      ->check(CLI::Range(0.0, 1.0));
  up->add_option("--fault-latency", u.fault_latency, "Latency added to every API request, e.g. 200ms");
  up->add_option("--fault-drop-watch-after", u.fault_drop_watch_after, "Close watch streams after N events")
      ->check(CLI::NonNegativeNumber);
  b.file_options[up->add_option("--audit-log-path", u.audit_log_path,
                                "Append one JSON line per API request (audit.k8s.io/v1 Event, as kube-apiserver's "
                                "flag of that name), and per change the simulated kubelets and controllers make")] =
      true;
  up->add_option("--traffic-rate", u.traffic_rate,
                 "Synthetic requests per second through each HTTPRoute and each Kthena ModelRoute (0: none)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  up->add_option("--traffic-header", u.traffic_header,
                 "NAME=VALUE header carried by a share of the synthetic requests (e.g. x-beta=true)");
  up->add_option("--traffic-header-share", u.traffic_header_share, "Share of requests carrying --traffic-header")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  up->add_option("--gateway-port", u.gateway_ports,
                 "LISTENER_PORT=PORT: serve Gateway listeners of that port on another one, e.g. 80=8080 when "
                 "ports below 1024 need root (repeatable)")
      ->type_name("FROM=TO");
  up->add_option("--disable-api", u.disable_api,
                 "Do not serve this API group or GROUP/VERSION, as a cluster without that CRD (repeatable; e.g. "
                 "inference.networking.x-k8s.io/v1alpha2)");
  up->callback([&b] { b.action = [&b](Terminal& t) { return sandbox_up(b.sandbox_up, t); }; });

  auto* ms = add_command(sandbox, "model-server",
                         "A fake vLLM-compatible model server (no GPU needed): /health, /v1/models, "
                         "/v1/completions, runtime LoRA, /metrics");
  auto& m = b.model_server;
  ms->add_option("--port", m.port, "Port to listen on")->required();
  ms->add_option("--host", m.host, "Address to listen on")->capture_default_str();
  ms->add_option("--model", m.model, "Model name it serves")->required();
  ms->add_option("--version", m.version, "Version label (shown in /version and metrics)")->required();
  ms->add_option("--error-rate", m.error_rate, "Share of requests that fail (0..1)")->capture_default_str();
  ms->add_option("--ttft", m.ttft, "Median time to first token")->capture_default_str();
  ms->add_option("--itl", m.itl, "Median inter-token latency")->capture_default_str();
  ms->add_option("--startup", m.startup, "Time before /health reports ready")->capture_default_str();
  ms->add_option("--generation", m.generation,
                 "Long generations: a request without max_tokens lasts between a quarter of this and this")
      ->capture_default_str();
  ms->add_flag("--crash-on-start", m.crash_on_start, "Exit with an error after the startup delay");
  ms->add_flag("--no-runtime-lora", m.no_runtime_lora,
               "No /v1/load_lora_adapter and /v1/unload_lora_adapter, as vLLM without "
               "VLLM_ALLOW_RUNTIME_LORA_UPDATING");
  ms->add_option("--shutdown-timeout", m.shutdown_timeout,
                 "On SIGTERM, let in-flight requests finish for up to this long, then abort the rest (as vLLM's "
                 "--shutdown-timeout; default 0s: abort them, as vLLM does)");
  add_choice(b, ms, "--on-sigterm", m.on_sigterm, {"drain", "abort"},
             "drain: finish in-flight requests however long they take; abort: --shutdown-timeout 0s");
  ms->callback([&b] { b.action = [&b](Terminal& t) { return sandbox_model_server(b.model_server, t); }; });
}

void add_misc_commands(CLI::App& app, Bindings& b) {
  auto* completion = add_command(&app, "completion", "Print a shell completion script");
  add_choice(b, completion, "shell", b.completion.shell, {"bash", "zsh", "fish"}, "bash, zsh or fish")->required();
  completion->callback([&b] { b.action = [&b](Terminal& t) { return print_completion(b.completion, t); }; });

  auto* version = add_command(&app, "version", "Print the version of rollout");
  add_output(b, version, b.version.output, "a JSON object");
  version->callback([&b] { b.action = [&b](Terminal& t) { return print_version(b.version, t); }; });

  // Hidden: for packagers and `rollout man | man -l -`; docs/rollout.1 is its output.
  auto* man = add_command(&app, "man", "Print the manual page rollout(1) (roff)");
  man->group("");
  man->callback([&b] { b.action = [](Terminal& t) { return print_man_page(t); }; });
}

void build_app(CLI::App& app, Bindings& b) {
  app.fallthrough();  // global flags work after subcommands, as with kubectl
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Print help for every command");
  add_global_flags(app, b);
  add_plan_commands(app, b);
  add_control_commands(app, b);
  add_sandbox_commands(app, b);
  add_misc_commands(app, b);
  app.footer(examples_text(help_examples("")) + "\n" +
             "Exit codes: 0 done, 1 internal error, 2 usage error or invalid plan, 3 gate failed (rolled back),\n"
             "4 aborted, 5 deadline exceeded, 6 infrastructure unreachable, 7 locked by another apply.");
}

// A positional argument as the synopsis shows it: FILE..., NAME, bash|zsh|fish.
OptionInfo describe_argument(const CLI::Option& opt, const Bindings& b) {
  OptionInfo a;
  auto c = b.choices.find(&opt);
  std::string shown = c != b.choices.end() ? "" : opt.get_name();
  if (c != b.choices.end())
    for (const auto& v : c->second) shown += (shown.empty() ? "" : "|") + v;
  else
    for (auto& ch : shown) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (shown == "FILES") shown = "FILE";
  if (opt.get_items_expected_max() > 1) shown += "...";
  a.names = {shown};
  a.description = opt.get_description();
  return a;
}

CommandInfo describe(const CLI::App& app, const Bindings& b) {
  CommandInfo info;
  info.name = app.get_name();
  info.description = app.get_description();
  info.file_args = b.file_args.count(&app) > 0;
  info.examples = help_examples(command_path(&app));
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_positional()) {
      auto c = b.choices.find(opt);
      if (c != b.choices.end()) info.arg_choices = c->second;
      info.arguments.push_back(describe_argument(*opt, b));
      continue;
    }
    OptionInfo o;
    for (const auto& s : opt->get_snames()) o.names.push_back("-" + s);
    for (const auto& l : opt->get_lnames()) o.names.push_back("--" + l);
    o.description = opt->get_description();
    o.takes_value = opt->get_items_expected_max() != 0;
    o.optional_value = o.takes_value && opt->get_items_expected_min() == 0;
    if (o.takes_value) o.value_name = opt->get_type_name();
    if (auto c = b.choices.find(opt); c != b.choices.end()) o.choices = c->second;
    o.file_value = b.file_options.count(opt) > 0;
    info.options.push_back(o);
  }
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    if (!sub->get_group().empty()) info.subcommands.push_back(describe(*sub, b));
  return info;
}

}  // namespace

CommandInfo command_tree() {
  CLI::App app(kDescription, "rollout");
  Bindings b;
  build_app(app, b);
  return describe(app, b);
}

int run(int argc, char** argv) {
  // A peer that goes away mid-write (a killed `kubectl get -w`, a dropped API connection) must
  // be an error on that connection, not SIGPIPE killing the whole process: OpenSSL writes with
  // plain write(2), so no MSG_NOSIGNAL protects TLS connections.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app(kDescription, "rollout");
  Bindings b;
  build_app(app, b);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "error: " << e.what() << "\n";
    std::cerr << "Run with --help for usage.\n";
    return kExitUsage;
  }
  Terminal terminal = make_terminal(b.global.color);
  try {
    Status s = b.action ? b.action(terminal) : not_implemented(app.get_name());
    if (s.ok()) return kExitOk;
    if (!s.error().message.empty())
      std::cerr << terminal.paint(terminal.color_err, "31", "error: ") << s.error().message << "\n";
    return exit_code_for(s.error().kind);
  } catch (const std::exception& e) {
    std::cerr << "error: internal: " << e.what() << "\n";
    return kExitInternal;
  }
}

}  // namespace rollout::cli
